// Benchmark of the recording archive (issue 13 part 6):
//   1. upload throughput on loopback: the real agent process (with --archive-url) sends finished segments of random
//      bytes to the real controller (in this process, embedded broker), from its first look at the folder to the last
//      "local copy deleted": its sha256, the transfer, the controller's check and rename, the delete;
//   2. the archive's write cost as it grows: the time of one more segment (sidecar + segment through receive(), its
//      session's index rewritten whole) and of listing a session, with 0 … 10,000 segments already archived.
//   node --import tsx test/bench/archive.ts
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pino } from "pino";
import { RecordingArchive, type RecordingEntry } from "../../controller/src/archive.ts";
import { startTs, stopAll } from "../support/processes.ts";
import { TestSite } from "../support/test-site.ts";

const ROOM = "xa-do-nut";
const SESSION = "phien-do";
const SEGMENTS = 4;
const SEGMENT_MB = 64;
const SIZES = [0, 1000, 5000, 10_000];
const ADDS = 30;

const sha = (data: Buffer | string) => createHash("sha256").update(data).digest("hex");
const sidecarOf = (file: string) =>
  JSON.stringify({
    version: 1,
    session: SESSION,
    room: ROOM,
    file,
    start: "2027-01-20T01:30:00.000Z",
    end: "2027-01-20T01:40:00.000Z",
    camera: "cam-a",
    cuts: Array.from({ length: 20 }, (_, index) => ({
      at: "2027-01-20T01:31:00.000Z",
      offsetS: index * 30,
      camera: "cam-b",
    })),
    closed: "split",
  });

async function uploadThroughput(): Promise<void> {
  const recordings = mkdtempSync(join(tmpdir(), "rc-bench-recordings-"));
  const site = await TestSite.create("embedded", [ROOM], {
    extend: () => ({ devices: [{ id: "media", kind: "media", enabled: false, recordings: { dir: recordings } }] }),
  });
  try {
    const folder = join(recordings, SESSION, ROOM);
    mkdirSync(folder, { recursive: true });
    for (let n = 0; n < SEGMENTS; n++) {
      const file = `20270120T013000Z_${n}.mkv`;
      writeFileSync(join(folder, file), randomBytes(SEGMENT_MB * 1024 * 1024));
      writeFileSync(join(folder, file.replace(".mkv", ".json")), sidecarOf(file));
    }
    const agent = startTs("agent", "room-agent/src/cli.ts", [...site.agentArgs(ROOM), "--archive-url", site.httpUrl]);
    const timeOf = (line: string) => (JSON.parse(line) as { time: number }).time;
    const first = timeOf(await agent.waitForLine(/uploading finished recordings/, 30_000));
    await agent.waitForLine(new RegExp(`_${SEGMENTS - 1}\\.mkv.*local copy and sidecar deleted`), 300_000);
    const deleted = agent.lines.filter((line) => line.includes("local copy and sidecar deleted"));
    const seconds = (Math.max(...deleted.map(timeOf)) - first) / 1000;
    const megabytes = SEGMENTS * SEGMENT_MB;
    console.log(`upload, ${SEGMENTS} × ${SEGMENT_MB} MB through the real agent and controller on loopback:`);
    console.log(
      `  ${megabytes} MB in ${seconds.toFixed(2)} s = ${(megabytes / seconds).toFixed(1)} MB/s (sha256 at both ends included)   budget: none in DESIGN §5`,
    );
    await agent.stop();
  } finally {
    await stopAll();
    await site.stop();
    rmSync(recordings, { recursive: true, force: true });
  }
}

/** An archive of `count` segments in sessions of 100 (their files are not needed to list them or to add more). */
function fillArchive(dir: string, count: number): void {
  for (let first = 0; first < count; first += 100) {
    const session = `phien-cu-${first / 100}`;
    const recordings: RecordingEntry[] = Array.from({ length: Math.min(100, count - first) }, (_, n) => {
      const file = `20260101T000000Z_${n}.mkv`;
      return {
        id: `${session}~${ROOM}~${file.replace(".mkv", "")}`,
        session,
        room: ROOM,
        file,
        bytes: 600_000_000,
        sha256: sha(file),
        start: "2026-01-01T00:00:00.000Z",
        end: "2026-01-01T00:10:00.000Z",
        closed: "split",
        camera: "cam-a",
        cuts: JSON.parse(sidecarOf(file)).cuts,
        tracks: [
          { index: 0, type: "video", codec: "h264", width: 1280, height: 720 },
          { index: 1, type: "audio", codec: "aac", channels: 2 },
        ],
        archivedAt: "2026-01-01T00:11:00.000Z",
        hold: null,
      };
    });
    mkdirSync(join(dir, "archive", session), { recursive: true });
    writeFileSync(
      join(dir, "archive", session, "index.json"),
      JSON.stringify({ version: 1, session, hold: null, recordings }),
    );
  }
}

async function writeCost(): Promise<void> {
  console.log(
    `archive write cost as it grows (${ADDS} adds at each size; each add = sidecar + 64 KB segment, its session's index rewritten whole; older sessions of 100 each):`,
  );
  console.log("  archived   add p50    add max    list a session   open (load indexes)   session index   budget");
  const segment = randomBytes(64 * 1024);
  for (const size of SIZES) {
    const dir = mkdtempSync(join(tmpdir(), "rc-bench-archive-"));
    fillArchive(dir, size);
    const archive = new RecordingArchive({
      dataDir: dir,
      settings: { probeTracks: false, retentionDays: { periodic: null, ad_hoc: null, other: null } },
      sessionKind: () => "periodic",
      log: pino({ level: "silent" }),
    });
    const openedAt = performance.now();
    await archive.start();
    const openMs = performance.now() - openedAt;
    const adds: number[] = [];
    for (let n = 0; n < ADDS; n++) {
      const file = `20270120T013000Z_${n}.mkv`;
      const sidecar = Buffer.from(sidecarOf(file));
      const key = { session: SESSION, room: ROOM, file };
      const startedAt = performance.now();
      await archive.receive(
        { ...key, file: file.replace(".mkv", ".json") },
        { start: 0, length: sidecar.length, total: sidecar.length, sha256: sha(sidecar) },
        Readable.from([sidecar]),
      );
      await archive.receive(
        key,
        { start: 0, length: segment.length, total: segment.length, sha256: sha(segment) },
        Readable.from([segment]),
      );
      adds.push(performance.now() - startedAt);
    }
    const listedAt = performance.now();
    const listed = archive.list(SESSION).length;
    const listMs = performance.now() - listedAt;
    adds.sort((a, b) => a - b);
    const indexKb = statSync(join(dir, "archive", SESSION, "index.json")).size / 1024;
    console.log(
      `  ${String(size).padStart(8)}   ${adds[Math.floor(ADDS / 2)]!.toFixed(1).padStart(6)} ms  ${adds.at(-1)!.toFixed(1).padStart(6)} ms  ` +
        `${listMs.toFixed(1).padStart(7)} ms (${listed})   ${openMs.toFixed(0).padStart(8)} ms   ${indexKb.toFixed(0).padStart(8)} KB   none in DESIGN §5`,
    );
    archive.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await uploadThroughput();
await writeCost();
process.exit(0);
