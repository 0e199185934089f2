// Benchmark of the audit log (issue 14 parts 2 and 6): the cost of one more entry stays flat as the log grows.
//   1. append cost: with 1,000 / 100,000 / 1,000,000 entries already written, APPENDS entries one at a time, each
//      timed from record() to its line written (record + flush: redaction, canonical JSON, sha256, one write);
//   2. restart: a new AuditLog on the full log (it reads only the last few kB of the newest file) and its first entry;
//   3. verify throughput: verifyAudit over the whole chain, entries per second.
// Entries are realistic: a room request with params, as the REST middleware records them. All in one day file (the
// worst case for a file that grows). Needs about 0.5 GB in the temporary folder.
//   node --import tsx test/bench/audit.ts [--sizes 1000,100000,1000000]
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { pino } from "pino";
import { AuditLog, type AuditRecord, auditFiles, verifyAudit } from "../../controller/src/audit-log.ts";

const { values } = parseArgs({ options: { sizes: { type: "string", default: "1000,100000,1000000" } } });
const SIZES = values.sizes.split(",").map(Number);
const APPENDS = 2000;
const FILL_BATCH = 2000;

const entry = (index: number): AuditRecord => ({
  who: { user: "van-hanh-tinh", via: "rest", address: "::ffff:10.20.30.40", credential: "token:0123456789abcdef" },
  what: { action: "room.request", target: { room: `xa-${index % 300}` } },
  params: { action: "ptz.goto", params: { device: "cam-a", pan: 0.25, tilt: -0.1, zoom: 0.4 }, id: `req-${index}` },
  result: { ok: true, status: 200 },
});

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
const micro = (ms: number) => `${(ms * 1000).toFixed(0)} µs`;

const dir = mkdtempSync(join(tmpdir(), "rc-audit-bench-"));
const log = pino({ level: "error" });
// One fixed day, so every entry goes to one growing file.
const now = () => new Date("2026-12-03T03:00:00.000Z");
let written = 0;
let audit = new AuditLog({ dir, log, now, inboxIntervalMs: 0 });
await audit.start();

try {
  console.log("audit append cost, one entry at a time (record → line written)");
  console.log("entries before | p50 | p99 | max | file size");
  for (const size of SIZES) {
    while (written < size) {
      const batch = Math.min(FILL_BATCH, size - written);
      for (let index = 0; index < batch; index++) audit.record(entry(written + index));
      written += batch;
      await audit.flush();
    }
    const times: number[] = [];
    for (let index = 0; index < APPENDS; index++) {
      const started = performance.now();
      audit.record(entry(written++));
      await audit.flush();
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    const file = join(dir, (await auditFiles(dir)).at(-1)!);
    console.log(
      `${size.toLocaleString("en")} | ${micro(percentile(times, 0.5))} | ${micro(percentile(times, 0.99))} | ` +
        `${micro(times.at(-1)!)} | ${(statSync(file).size / 1e6).toFixed(0)} MB`,
    );
  }

  await audit.stop();
  const restart = performance.now();
  audit = new AuditLog({ dir, log, now, inboxIntervalMs: 0 });
  await audit.start();
  audit.record(entry(written++));
  await audit.flush();
  await audit.stop();
  console.log(
    `restart on ${written.toLocaleString("en")} entries, first entry written: ${(performance.now() - restart).toFixed(1)} ms`,
  );

  const verifyStarted = performance.now();
  const verdict = await verifyAudit(dir);
  const seconds = (performance.now() - verifyStarted) / 1000;
  if (!verdict.ok || verdict.entries !== written) throw new Error(`verify: ${JSON.stringify(verdict)}`);
  console.log(
    `verify: ${verdict.entries.toLocaleString("en")} entries in ${seconds.toFixed(1)} s = ` +
      `${Math.round(verdict.entries / seconds).toLocaleString("en")} entries/s`,
  );
} finally {
  await audit.stop();
  rmSync(dir, { recursive: true, force: true });
}
