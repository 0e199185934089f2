// The sidecar beside each segment, kept current as segments open and close and cuts happen; a worker that dies
// leaves its segment closed as interrupted.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { folderName, SegmentLog, type SegmentSidecar, sidecarPath } from "./recording-segments.ts";

let dir = "";
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "rc-sidecar-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));
const read = (segment: string) => JSON.parse(readFileSync(sidecarPath(segment), "utf8")) as SegmentSidecar;
const T0 = Date.parse("2024-05-01T08:00:00Z");

describe("recording segments", () => {
  it("writes the sidecar at open, adds each cut with its offset, and closes it with the end and how", () => {
    let camera = "cam-a";
    const log = new SegmentLog(() => ({ session: "phien-1", room: "xa-an-phu", camera }));
    const first = join(dir, "20240501T080000Z_0.mkv");
    log.opened(first, T0);
    expect(read(first)).toMatchObject({ start: "2024-05-01T08:00:00.000Z", end: null, camera: "cam-a", cuts: [] });
    camera = "cam-b";
    log.cut("cam-b", T0 + 2500);
    expect(read(first).cuts).toEqual([{ at: "2024-05-01T08:00:02.500Z", offsetS: 2.5, camera: "cam-b" }]);
    const second = join(dir, "20240501T080000Z_1.mkv");
    log.opened(second, T0 + 600_000); // a split: the open one is closed first
    expect(read(first)).toMatchObject({ end: "2024-05-01T08:10:00.000Z", closed: "split" });
    expect(read(second)).toMatchObject({ camera: "cam-b", cuts: [], closed: null });
    expect(log.closed(second, T0 + 601_000, "stop")).toMatchObject({ file: "20240501T080000Z_1.mkv", closed: "stop" });
    expect(log.current).toBeNull();
  });

  it("closes the open segment as interrupted when the worker is gone, and only once", () => {
    const log = new SegmentLog(() => ({ session: "phien-1", room: "xa-an-phu", camera: null }));
    const segment = join(dir, "20240501T080000Z_0.mkv");
    log.opened(segment, T0);
    expect(log.interrupt(T0 + 3000)?.sidecar).toMatchObject({ closed: "interrupted", end: "2024-05-01T08:00:03.000Z" });
    expect(log.interrupt(T0 + 4000)).toBeNull();
    expect(read(segment).closed).toBe("interrupted");
  });

  it("takes over the sidecars an agent that died left open: the one still written goes on, one closed since is closed", () => {
    const dead = new SegmentLog(() => ({ session: "phien-1", room: "xa-an-phu", camera: "cam-a" }));
    const first = join(dir, "20240501T080000Z_0.mkv");
    const second = join(dir, "20240501T080000Z_1.mkv");
    dead.opened(first, T0);
    dead.cut("cam-b", T0 + 1000);
    // The next agent hears from the worker it adopted: the segment of the time of death, then what happened since.
    const next = new SegmentLog(() => ({ session: "phien-1", room: "xa-an-phu", camera: "cam-c" }));
    next.opened(first, T0);
    next.cut("cam-c", T0 + 5000);
    expect(read(first)).toMatchObject({ camera: "cam-a", closed: null });
    expect(read(first).cuts.map((cut) => cut.camera)).toEqual(["cam-b", "cam-c"]);
    next.opened(second, T0 + 600_000);
    expect(read(first)).toMatchObject({ closed: "split", end: "2024-05-01T08:10:00.000Z" });
    // A segment opened and closed while no agent listened, heard of afterwards: its sidecar is closed from disk.
    const another = new SegmentLog(() => ({ session: "phien-1", room: "xa-an-phu", camera: null }));
    expect(another.closed(second, T0 + 601_000, "split")).toMatchObject({ closed: "split" });
    expect(read(second).closed).toBe("split");
    expect(another.closed(second, T0 + 602_000, "stop")).toBeNull();
  });

  it("makes a session id a safe folder name", () => {
    expect(folderName("phien-2024/05")).toBe("phien-2024_05");
    expect(folderName("../../etc")).toBe("__.._etc"); // no slash, no leading dot: it stays inside
    expect(folderName("")).toBe("_");
  });
});
