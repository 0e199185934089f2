// Benchmark of the health history (issue 14 parts 3 and 6):
//   1. append cost: with 1,000 / 100,000 / 1,000,000 lines already in a room's day file, APPENDS lines one at a time,
//      each timed from append() to its line written (append + flush: JSON, one write to the file opened for
//      appending). All in one day file of one room: the worst case for a file that grows.
//   2. query time: a room with 30 days of history (LINES_PER_DAY a day: status changes, alarms and the agent's
//      events of a busy reception room), read through RoomHistory.query as GET /api/rooms/:id/history does: the first
//      page of the 30 days, a page 15 days back by cursor, one day's window 20 days back, and every page of the
//      30 days one after the other (limit 500).
//   node --import tsx test/bench/history.ts [--sizes 1000,100000,1000000] [--lines-per-day 5000]
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { pino } from "pino";
import { RoomHistory, type RoomHistoryLine } from "../../controller/src/room-history.ts";

const { values } = parseArgs({
  options: {
    sizes: { type: "string", default: "1000,100000,1000000" },
    "lines-per-day": { type: "string", default: "5000" },
  },
});
const SIZES = values.sizes.split(",").map(Number);
const LINES_PER_DAY = Number(values["lines-per-day"]);
const DAYS = 30;
const APPENDS = 2000;
const FILL_BATCH = 5000;
const ROOM = "xa-phu-dien";
const DAY_MS = 24 * 3600_000;

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
const micro = (ms: number) => `${(ms * 1000).toFixed(0)} µs`;
const milli = (ms: number) => `${ms.toFixed(1)} ms`;
const log = pino({ level: "error" });

/** One line as the Health feature writes them: an event, a device's status change or an alarm. */
function line(at: number, index: number): RoomHistoryLine {
  const iso = new Date(at).toISOString();
  switch (index % 10) {
    case 0:
      return {
        at: iso,
        kind: "device",
        device: "cam-chu-tri",
        status: index % 20 === 0 ? "offline" : "ok",
        detail: "",
      };
    case 1:
      return {
        at: iso,
        kind: "alarm",
        change: "raised",
        alarm: {
          id: `alarm-0mx83ub15-${(index % 0xffffff).toString(16).padStart(6, "0")}`,
          key: `device:${ROOM}:cam-chu-tri`,
          kind: "device",
          room: ROOM,
          device: "cam-chu-tri",
          session: null,
          point: null,
          status: "offline",
          severity: "major",
          detail: "no answer to probe: probe timed out after 2000 ms; retrying in 4.0 s",
          raisedAt: iso,
          clearedAt: null,
          ack: null,
        },
      };
    default:
      return {
        at: iso,
        kind: "event",
        type: "speaker_changed",
        reason: "ghế công dân nói 0.8 s, hơn chủ trì 6 dB",
        data: { seat: "cong-dan", camera: "cam-cong-dan", heldS: 3.2 },
        agentAt: iso,
      };
  }
}

async function appendCost(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "rc-history-bench-"));
  // One fixed instant: every line goes to the same growing day file.
  const at = Date.parse("2026-12-03T03:00:00.000Z");
  const history = new RoomHistory({ dir, prefix: "history", keepDays: 180, log, now: () => new Date(at) });
  await history.start();
  try {
    console.log("history append cost, one line at a time (append → line written)");
    console.log("lines before | p50 | p99 | max | file size");
    let written = 0;
    for (const size of SIZES) {
      while (written < size) {
        const batch = Math.min(FILL_BATCH, size - written);
        for (let index = 0; index < batch; index++) history.append(ROOM, line(at, written + index));
        written += batch;
        await history.flush();
      }
      const times: number[] = [];
      for (let index = 0; index < APPENDS; index++) {
        const started = performance.now();
        history.append(ROOM, line(at, written++));
        await history.flush();
        times.push(performance.now() - started);
      }
      times.sort((a, b) => a - b);
      const file = join(dir, ROOM, "history-2026-12-03.jsonl");
      console.log(
        `${size.toLocaleString("en")} | ${micro(percentile(times, 0.5))} | ${micro(percentile(times, 0.99))} | ` +
          `${micro(times.at(-1)!)} | ${(statSync(file).size / 1e6).toFixed(0)} MB`,
      );
    }
  } finally {
    await history.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function timed<T>(work: () => Promise<T>, runs = 5): Promise<{ result: T; ms: number }> {
  let result: T | undefined;
  const times: number[] = [];
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    result = await work();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { result: result!, ms: percentile(times, 0.5) };
}

async function queryTime(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "rc-history-bench-"));
  const end = Date.parse("2026-12-03T10:00:00.000Z");
  const start = end - DAYS * DAY_MS;
  const history = new RoomHistory({ dir, prefix: "history", keepDays: 180, log, now: () => new Date(end) });
  await history.start();
  try {
    const step = DAY_MS / LINES_PER_DAY;
    let index = 0;
    for (let at = start; at < end; at += step) {
      history.append(ROOM, line(Math.round(at), index++));
      if (index % FILL_BATCH === 0) await history.flush();
    }
    await history.flush();
    console.log(
      `\nhistory query, one room, ${DAYS} days of ${LINES_PER_DAY.toLocaleString("en")} lines a day (${index.toLocaleString("en")} lines), median of 5`,
    );
    console.log("query | lines answered | time");
    const from = new Date(start);
    const to = new Date(end + 1);
    const first = await timed(() => history.query(ROOM, { from, to, limit: 100 }));
    console.log(`first page (limit 100) of ${DAYS} days | ${first.result.items.length} | ${milli(first.ms)}`);
    const middleDay = new Date(end - 15 * DAY_MS + 7 * 3600_000).toISOString().slice(0, 10);
    const middle = await timed(() => history.query(ROOM, { from, to, limit: 100, cursor: `${middleDay}:2500` }));
    console.log(`a page 15 days back (cursor) | ${middle.result.items.length} | ${milli(middle.ms)}`);
    const dayFrom = new Date(end - 20 * DAY_MS);
    const day = await timed(() =>
      history.query(ROOM, { from: dayFrom, to: new Date(dayFrom.getTime() + DAY_MS), limit: 500 }),
    );
    console.log(`one day's window 20 days back (limit 500) | ${day.result.items.length} | ${milli(day.ms)}`);
    const walk = await timed(async () => {
      let lines = 0;
      let pages = 0;
      let cursor: string | undefined;
      do {
        const page = await history.query(ROOM, { from, to, limit: 500, ...(cursor ? { cursor } : {}) });
        lines += page.items.length;
        pages++;
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      return { lines, pages };
    }, 1);
    console.log(
      `every page of ${DAYS} days (limit 500) | ${walk.result.lines.toLocaleString("en")} in ${walk.result.pages} pages | ` +
        `${milli(walk.ms)} (${milli(walk.ms / walk.result.pages)} a page)`,
    );
  } finally {
    await history.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await appendCost();
await queryTime();
