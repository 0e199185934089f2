// A room's history in day files: appended in the background, read newest first a page at a time across days, a torn
// last line skipped, old days removed after the retention.
import { appendFileSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { RoomHistory } from "./room-history.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function history(now = () => new Date("2026-12-03T05:00:00.000Z"), keepDays = 180) {
  const dir = mkdtempSync(join(tmpdir(), "rc-history-"));
  dirs.push(dir);
  return { dir, history: new RoomHistory({ dir, prefix: "history", keepDays, log: pino({ level: "silent" }), now }) };
}

describe("a room's history", () => {
  it("pages newest first across day files, within [from, to)", async () => {
    const { dir, history: log } = history();
    await log.start();
    // Three days of the offices' calendar (UTC+7): 16:59 UTC is still the same day there, 17:00 the next.
    const times = [
      "2026-12-01T10:00:00.000Z",
      "2026-12-01T16:59:00.000Z",
      "2026-12-01T17:00:00.000Z",
      "2026-12-02T12:00:00.000Z",
      "2026-12-03T01:00:00.000Z",
    ];
    for (const [index, at] of times.entries()) log.append("xa", { at, kind: "device", n: index });
    log.append("huyen", { at: times[0]!, kind: "device", n: 99 });
    await log.flush();
    expect(readdirSync(join(dir, "xa")).sort()).toEqual([
      "history-2026-12-01.jsonl",
      "history-2026-12-02.jsonl",
      "history-2026-12-03.jsonl",
    ]);
    const first = await log.query("xa", { limit: 2 });
    expect(first.items.map((line) => line.n)).toEqual([4, 3]);
    const second = await log.query("xa", { limit: 2, cursor: first.nextCursor! });
    expect(second.items.map((line) => line.n)).toEqual([2, 1]);
    const third = await log.query("xa", { limit: 2, cursor: second.nextCursor! });
    expect(third).toEqual({ items: [expect.objectContaining({ n: 0 })], nextCursor: null });
    const window = await log.query("xa", {
      from: new Date("2026-12-01T16:59:00.000Z"),
      to: new Date("2026-12-02T12:00:00.000Z"),
      limit: 10,
    });
    expect(window.items.map((line) => line.n)).toEqual([2, 1]);
    expect((await log.query("../etc", { limit: 10 })).items).toEqual([]);
    await log.stop();
  });

  it("skips a torn last line and goes on appending after it", async () => {
    const { dir, history: log } = history();
    await log.start();
    log.append("xa", { at: "2026-12-03T01:00:00.000Z", kind: "device", n: 1 });
    await log.flush();
    appendFileSync(join(dir, "xa", "history-2026-12-03.jsonl"), '{"at":"2026-12-03T01:00:01.000Z","ki');
    log.append("xa", { at: "2026-12-03T01:00:02.000Z", kind: "device", n: 2 });
    await log.stop();
    // The torn line and the next one share a line: both are lost to the reader, nothing else is.
    const page = await log.query("xa", { limit: 10 });
    expect(page.items.map((line) => line.n)).toEqual([1]);
  });

  it("removes the days past the retention", async () => {
    let now = new Date("2026-12-03T05:00:00.000Z");
    const { dir, history: log } = history(() => now, 2);
    await log.start();
    for (const at of ["2026-11-30T05:00:00.000Z", "2026-12-01T05:00:00.000Z", "2026-12-03T05:00:00.000Z"])
      log.append("xa", { at, kind: "device" });
    await log.flush();
    await log.prune();
    expect(readdirSync(join(dir, "xa")).sort()).toEqual(["history-2026-12-01.jsonl", "history-2026-12-03.jsonl"]);
    now = new Date("2026-12-10T05:00:00.000Z");
    await log.prune();
    expect(readdirSync(join(dir, "xa"))).toEqual([]);
    await log.stop();
  });
});
