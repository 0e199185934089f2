// The archive on its own: a file arrives in pieces, is archived only whole and with the sha256 declared, a wrong one
// is discarded; ranges are read as RFC 9110 says; the sweep deletes what is past retention and no hold keeps.
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ArchiveError, invalidKey, parseRange, RecordingArchive, recordingIdOf, trackLayout } from "./archive.ts";

const sha = (data: Buffer | string) => createHash("sha256").update(data).digest("hex");
const SEGMENT = { session: "phien-1", room: "xa-an-phu", file: "20270120T013000Z_0.mkv" };
const SIDECAR = { ...SEGMENT, file: "20270120T013000Z_0.json" };
const sidecarText = JSON.stringify({
  version: 1,
  session: "phien-1",
  room: "xa-an-phu",
  file: SEGMENT.file,
  start: "2027-01-20T01:30:00.000Z",
  end: "2027-01-20T01:40:00.000Z",
  camera: "cam-a",
  cuts: [{ at: "2027-01-20T01:31:00.000Z", offsetS: 60, camera: "cam-b" }],
  closed: "split",
});
const video = Buffer.from(Array.from({ length: 300_000 }, (_, index) => index % 251));

let dir = "";
let archive: RecordingArchive;
let kinds: Record<string, string> = {};
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "rc-archive-"));
  kinds = { "phien-1": "periodic" };
  archive = new RecordingArchive({
    dataDir: dir,
    settings: { probeTracks: false },
    sessionKind: (session) => kinds[session],
    log: pino({ level: "silent" }),
  });
  await archive.start();
});
afterEach(() => {
  archive.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Sends bytes [from, to) of `data` as one piece, declaring the whole file's size and sha256. */
function piece(data: Buffer, from: number, to = data.length, declared = sha(data)) {
  return [
    { start: from, length: to - from, total: data.length, sha256: declared },
    Readable.from([data.subarray(from, to)]),
  ] as const;
}

/** A body that delivers `bytes` and then breaks, as a connection lost mid-file. */
function brokenAfter(data: Buffer, bytes: number): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (!sent) {
        sent = true;
        this.push(data.subarray(0, bytes));
      } else this.destroy(new Error("connection reset"));
    },
  });
}

async function archiveSidecar() {
  await archive.receive(SIDECAR, ...piece(Buffer.from(sidecarText), 0));
}

describe("recording archive", () => {
  it("archives a whole file with the declared sha256 and lists it with its sidecar's times and cuts", async () => {
    await archiveSidecar();
    const status = await archive.receive(SEGMENT, ...piece(video, 0));
    expect(status).toEqual({ received: video.length, complete: true, sha256: sha(video) });
    const [entry] = archive.list("phien-1");
    expect(entry).toMatchObject({
      id: "phien-1~xa-an-phu~20270120T013000Z_0",
      bytes: video.length,
      sha256: sha(video),
      start: "2027-01-20T01:30:00.000Z",
      end: "2027-01-20T01:40:00.000Z",
      cuts: [{ offsetS: 60, camera: "cam-b" }],
    });
    expect(readFileSync(archive.filePath(entry!)).equals(video)).toBe(true);
    // The index on disk says the same, for the next start.
    const index = JSON.parse(readFileSync(join(dir, "archive", "phien-1", "index.json"), "utf8"));
    expect(index.recordings.map((recording: { id: string }) => recording.id)).toEqual([entry!.id]);
  });

  it("keeps what arrived of a piece cut short, goes on from there, and lists the file only once whole", async () => {
    await archiveSidecar();
    const declared = { start: 0, length: video.length, total: video.length, sha256: sha(video) };
    await expect(archive.receive(SEGMENT, declared, brokenAfter(video, 100_000))).rejects.toMatchObject({
      status: 400,
      extra: { received: 100_000 },
    });
    expect(await archive.status(SEGMENT)).toEqual({ received: 100_000, complete: false, sha256: null });
    expect(archive.list("phien-1")).toEqual([]);
    // A piece that does not start where the archive stopped is refused, saying where to go on from.
    await expect(archive.receive(SEGMENT, ...piece(video, 50_000))).rejects.toMatchObject({
      status: 409,
      extra: { received: 100_000 },
    });
    expect(await archive.receive(SEGMENT, ...piece(video, 100_000, 200_000))).toMatchObject({ received: 200_000 });
    expect(archive.list("phien-1")).toEqual([]);
    expect(await archive.receive(SEGMENT, ...piece(video, 200_000))).toMatchObject({
      complete: true,
      sha256: sha(video),
    });
    expect(archive.list("phien-1")).toHaveLength(1);
  });

  it("discards a file whose sha256 is not the declared one (422) and takes it again from the start", async () => {
    await archiveSidecar();
    const wrong = sha("something else");
    await expect(archive.receive(SEGMENT, ...piece(video, 0, video.length, wrong))).rejects.toMatchObject({
      status: 422,
      extra: { sha256: sha(video) },
    });
    expect(await archive.status(SEGMENT)).toEqual({ received: 0, complete: false, sha256: null });
    expect(archive.list("phien-1")).toEqual([]);
    // A resumed file is read again whole before its check.
    await archive.receive(SEGMENT, ...piece(video, 0, 1000, wrong));
    await expect(archive.receive(SEGMENT, ...piece(video, 1000, video.length, wrong))).rejects.toMatchObject({
      status: 422,
    });
    expect(await archive.receive(SEGMENT, ...piece(video, 0))).toMatchObject({ complete: true });
  });

  it("wants the sidecar first, and a sidecar that describes this segment", async () => {
    await expect(archive.receive(SEGMENT, ...piece(video, 0))).rejects.toMatchObject({ status: 409 });
    const other = Buffer.from(sidecarText.replace("xa-an-phu", "xa-khac"));
    await expect(archive.receive(SIDECAR, ...piece(other, 0))).rejects.toMatchObject({ status: 422 });
    const open = Buffer.from(sidecarText.replace('"closed":"split"', '"closed":null'));
    await expect(archive.receive(SIDECAR, ...piece(open, 0))).rejects.toMatchObject({ status: 422 });
  });

  it("refuses names that climb out of their folder, sizes over the bound and a second copy of an archived file", async () => {
    expect(invalidKey({ ...SEGMENT, session: ".." })).toMatch(/^session/);
    expect(invalidKey({ ...SEGMENT, room: "a/b" })).toMatch(/^room/);
    expect(invalidKey({ ...SEGMENT, file: "../x.mkv" })).toMatch(/^file/);
    expect(invalidKey({ ...SEGMENT, file: "a.mkv.part" })).toMatch(/^file/);
    expect(invalidKey({ ...SEGMENT, file: "x..mkv" })).toMatch(/^file/);
    await expect(archive.status({ ...SEGMENT, session: "__proto__" })).rejects.toBeInstanceOf(ArchiveError);
    const big = { start: 0, length: 1, total: 5 * 1024 ** 3, sha256: sha("") };
    await expect(archive.receive(SEGMENT, big, Readable.from([]))).rejects.toMatchObject({ status: 413 });
    await archiveSidecar();
    await archive.receive(SEGMENT, ...piece(video, 0));
    await expect(archive.receive(SEGMENT, ...piece(video, 0))).rejects.toMatchObject({
      status: 409,
      extra: { complete: true, sha256: sha(video) },
    });
  });

  it("lists a segment renamed in but not indexed (a stop between the two) once asked about", async () => {
    await archiveSidecar();
    await archive.receive(SEGMENT, ...piece(video, 0));
    archive.stop();
    rmSync(join(dir, "archive", "phien-1", "index.json"));
    archive = new RecordingArchive({ dataDir: dir, sessionKind: () => undefined, log: pino({ level: "silent" }) });
    await archive.start();
    expect(archive.list("phien-1")).toEqual([]);
    expect(await archive.status(SEGMENT)).toMatchObject({ complete: true, sha256: sha(video) });
    expect(archive.list("phien-1")).toHaveLength(1);
  });

  it("keeps its recordings and holds across a restart, from each session's index", async () => {
    await archiveSidecar();
    await archive.receive(SEGMENT, ...piece(video, 0));
    const hold = { at: "2027-01-21T00:00:00Z", by: "test", reason: "tố cáo" };
    await archive.holdRecording(recordingIdOf(SEGMENT), hold);
    await archive.holdSession("phien-2", hold); // no recording yet: held all the same
    archive.stop();
    archive = new RecordingArchive({ dataDir: dir, sessionKind: () => undefined, log: pino({ level: "silent" }) });
    await archive.start();
    expect(archive.list("phien-1")).toMatchObject([{ sha256: sha(video), hold }]);
    expect(archive.sessionHold("phien-2")).toEqual(hold);
  });

  it("deletes recordings past their session kind's retention, never one held by itself or by its session", async () => {
    archive.settings.retentionDays = { periodic: 30, ad_hoc: null, other: 10 };
    await archiveSidecar();
    await archive.receive(SEGMENT, ...piece(video, 0));
    const id = recordingIdOf(SEGMENT);
    const end = Date.parse("2027-01-20T01:40:00.000Z");
    const day = 24 * 3600_000;
    expect(await archive.sweep(end + 29 * day)).toEqual([]);
    await archive.holdRecording(id, { at: "2027-01-21T00:00:00Z", by: "test", reason: "khiếu nại đang giải quyết" });
    expect(await archive.sweep(end + 31 * day)).toEqual([]);
    await archive.holdRecording(id, null);
    await archive.holdSession("phien-1", { at: "2027-01-21T00:00:00Z", by: "test", reason: null });
    expect(await archive.sweep(end + 31 * day)).toEqual([]);
    await archive.holdSession("phien-1", null);
    kinds = { "phien-1": "ad_hoc" }; // kept for ever
    expect(await archive.sweep(end + 3000 * day)).toEqual([]);
    kinds = {};
    expect(await archive.sweep(end + 11 * day)).toEqual([id]);
    expect(archive.list("phien-1")).toEqual([]);
    expect(existsSync(join(dir, "archive", "phien-1", "xa-an-phu", SEGMENT.file))).toBe(false);
    expect(existsSync(join(dir, "archive", "phien-1", "xa-an-phu", SIDECAR.file))).toBe(false);
  });
});

describe("a segment's track layout", () => {
  // A relay host's session program as its sidecar lists it (room-agent's SegmentTrack) and as ffprobe sees it.
  const layout = [
    { type: "video", content: "session-program" },
    { type: "audio", content: "mix" },
    { type: "audio", content: "point", room: "tinh" },
    { type: "audio", content: "point", room: "xa" },
  ];
  const probed = [
    { index: 0, type: "video", codec: "h264", width: 640, height: 360 },
    ...[1, 2, 3].map((index) => ({ index, type: "audio", codec: "aac", channels: 2 })),
  ];

  it("says what each probed track holds, from the sidecar", () => {
    expect(trackLayout(probed, layout)).toEqual([
      { index: 0, type: "video", codec: "h264", width: 640, height: 360, content: "session-program" },
      { index: 1, type: "audio", codec: "aac", channels: 2, content: "mix" },
      { index: 2, type: "audio", codec: "aac", channels: 2, content: "point", room: "tinh" },
      { index: 3, type: "audio", codec: "aac", channels: 2, content: "point", room: "xa" },
    ]);
  });

  it("keeps the layout alone without ffprobe, ffprobe's alone without a layout, and trusts no mismatched type", () => {
    expect(trackLayout(null, layout)?.map((track) => [track.index, track.type, track.codec, track.room])).toEqual([
      [0, "video", null, undefined],
      [1, "audio", null, undefined],
      [2, "audio", null, "tinh"],
      [3, "audio", null, "xa"],
    ]);
    expect(trackLayout(probed, undefined)).toEqual(probed);
    expect(trackLayout(null, undefined)).toBeNull();
    expect(trackLayout(probed, [{ type: "audio", content: "mix" }])![0]).toEqual(probed[0]);
  });
});

describe("HTTP ranges", () => {
  it.each([
    [undefined, null],
    ["bytes=0-99", { start: 0, end: 99 }],
    ["bytes=100-", { start: 100, end: 999 }],
    ["bytes=-100", { start: 900, end: 999 }],
    ["bytes=-5000", { start: 0, end: 999 }],
    ["bytes=990-5000", { start: 990, end: 999 }],
    ["bytes=1000-", "unsatisfiable"],
    ["bytes=-0", "unsatisfiable"],
    ["bytes=5-4", "unsatisfiable"],
    ["bytes=0-1,5-6", null],
    ["items=0-1", null],
  ] as const)("%s of a 1000-byte file → %j", (header, expected) => {
    expect(parseRange(header, 1000)).toEqual(expected);
  });
});
