// The chaos suite (issue 11): starts the demo on loopback, turns recording on at the central point, sends requests
// all along, and does harm round after round — killed and frozen processes, a replaced room PC, a stolen client id,
// garbage CONNECTs. After each round it waits until every invariant holds again and measures how long that took;
// at the end it checks the requests against the agents' logs and the recording's segments with ffprobe. Prints a
// table and every violation; exits 1 if there was any, or if a check could not run.
//   npm run chaos -- [--rounds N] [--only KIND[,KIND…]]
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { isRunning } from "../support/process-table.ts";
import { DemoUnderTest, postRequest } from "./demo-under-test.ts";
import { checkInvariants } from "./invariants.ts";
import { KINDS, type Kind, PERTURBATIONS, TargetMissing } from "./perturbations.ts";
import { checkRecordings } from "./recordings-check.ts";
import { type KindSummary, type RoundResult, renderTable } from "./report.ts";
import { RequestLedger } from "./request-ledger.ts";

const POLL_MS = 200;
/** After its budget, a round waits this much longer for recovery (then it is "never"), so the next starts clean. */
const GRACE_AFTER_BUDGET_MS = 30_000;
const BASELINE_WITHIN_MS = 60_000;
/**
 * Each harm starts from a steady demo: the last one's aftermath (a new media worker's pipelines warming up, cameras
 * and links reconnecting) has the machine's two cores busy for a few seconds after the invariants hold again, and a
 * DSP's simulator starved of CPU then answers late. The budgets are for one fault, so the next round waits until
 * the machine has this much idle time over a second again (the demo alone leaves about a quarter), or at most the
 * time after.
 */
const CALM_IDLE_SHARE = 0.15;
const CALM_WITHIN_MS = 15_000;

const { values } = parseArgs({
  // --keep leaves the demo's folder (logs, recordings, data) behind for a look after the run.
  options: { rounds: { type: "string", default: "20" }, only: { type: "string" }, keep: { type: "boolean" } },
});
const ROUNDS = Number(values.rounds);
if (!Number.isInteger(ROUNDS) || ROUNDS < 1)
  throw new Error(`--rounds: expected a whole number ≥ 1, not ${values.rounds}`);
const kinds = (values.only?.split(",") ?? [...KINDS]) as Kind[];
for (const kind of kinds)
  if (!KINDS.includes(kind)) throw new Error(`--only: unknown kind "${kind}"; one of ${KINDS.join(", ")}`);

/** Every exit of the controller's process, seen by polling its pid (a restarted one has a new pid). */
class ControllerWatch {
  readonly exits: { at: number; pid: number }[] = [];
  private pid: number | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly demo: DemoUnderTest) {}

  start(): void {
    this.pid = this.demo.controllerPid();
    this.timer = setInterval(() => this.look(), 100);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private look(): void {
    if (this.pid !== undefined && !isRunning(this.pid)) {
      this.exits.push({ at: Date.now(), pid: this.pid });
      this.pid = undefined;
    }
    this.pid ??= this.demo.controllerPid();
  }
}

/** Set on Ctrl-C: no new round starts, and no report is made of a run cut short. */
let interrupted = false;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The machine's idle and total CPU time so far, from /proc/stat. */
function cpuTimes(): { idle: number; total: number } {
  const fields = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  return { idle: fields[3]! + (fields[4] ?? 0), total: fields.reduce((sum, value) => sum + value, 0) };
}

/** Waits until a second passes with the machine idle at least CALM_IDLE_SHARE of the time; returns the wait in ms. */
async function machineCalm(): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < CALM_WITHIN_MS) {
    const before = cpuTimes();
    await sleep(1000);
    const after = cpuTimes();
    if ((after.idle - before.idle) / Math.max(1, after.total - before.total) >= CALM_IDLE_SHARE) break;
  }
  return Date.now() - started;
}

/** Polls the invariants (and the round's own sign of recovery) until they hold or the time is up. */
async function awaitRecovery(
  demo: DemoUnderTest,
  since: number,
  limitMs: number,
  recovered: (() => Promise<string | null>) | undefined,
  unknown: Map<string, number>,
): Promise<{ recoveryMs: number | null; lastFailures: string[]; timeline: string[] }> {
  let lastFailures: string[] = [];
  // What was still wrong, each time it changed (seconds after the harm): a slow round says what it waited for.
  const timeline: string[] = [];
  let lastText = "";
  while (Date.now() - since <= limitMs) {
    const check = await checkInvariants(demo);
    const notYet = check.failures.length === 0 && recovered ? await recovered() : null;
    lastFailures = notYet ? [notYet] : check.failures;
    const text = lastFailures.join("; ");
    if (text !== lastText && text !== "") timeline.push(`${((Date.now() - since) / 1000).toFixed(1)} s: ${text}`);
    lastText = text;
    if (lastFailures.length === 0) {
      for (const reason of check.unknown) unknown.set(reason, (unknown.get(reason) ?? 0) + 1);
      return { recoveryMs: Date.now() - since, lastFailures, timeline };
    }
    await sleep(POLL_MS);
  }
  return { recoveryMs: null, lastFailures, timeline };
}

async function startRecording(demo: DemoUnderTest): Promise<string | null> {
  const { id, media } = demo.central;
  if (!media) return `${id} has no media device`;
  let last = "";
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await sleep(1000)) {
    try {
      const answer = await postRequest(
        demo,
        id,
        { action: "media.record", params: { device: media, on: true } },
        15_000,
      );
      if (answer.status === 200) return null;
      last = `${answer.status} ${JSON.stringify(answer.body)}`;
    } catch (error) {
      last = (error as Error).message;
    }
  }
  return `recording did not start at ${id}: ${last}`;
}

async function main(demo: DemoUnderTest): Promise<number> {
  process.stdout.write(`chaos: starting the demo in ${demo.dir}\n`);
  await demo.start();
  const watch = new ControllerWatch(demo);
  watch.start();
  const ledger = new RequestLedger(demo);
  const unknown = new Map<string, number>();
  const results: RoundResult[] = [];
  const runViolations: string[] = [];
  const roundSpans: { from: number; to: number; kind: Kind; round: number }[] = [];
  const calmWaits: number[] = [];

  const recordingProblem = await startRecording(demo);
  if (recordingProblem) runViolations.push(recordingProblem);
  ledger.start();
  const baseline = await awaitRecovery(demo, Date.now(), BASELINE_WITHIN_MS, undefined, unknown);
  if (baseline.recoveryMs === null)
    runViolations.push(`before any harm, the invariants did not hold within 60 s: ${baseline.lastFailures.join("; ")}`);

  for (let round = 1; round <= ROUNDS && !interrupted; round++) {
    for (const [index, kind] of kinds.entries()) {
      if (interrupted) break;
      calmWaits.push(await machineCalm());
      const perturbation = PERTURBATIONS[kind];
      const victim = demo.rooms[(round - 1 + index) % demo.rooms.length]!;
      const startedAt = Date.now();
      const demoLinesBefore = demo.lines.length;
      const result: RoundResult = { kind, round, target: victim.id, recoveryMs: null, violations: [] };
      try {
        const harm = await perturbation.perturb(demo, victim, demo.rooms);
        result.target = harm.target;
        result.violations.push(...harm.violations);
        const waited = await awaitRecovery(
          demo,
          harm.at,
          perturbation.budgetMs + GRACE_AFTER_BUDGET_MS,
          harm.recovered,
          unknown,
        );
        result.recoveryMs = waited.recoveryMs;
        if (harm.laterCheck) result.violations.push(...(await harm.laterCheck()));
        if (waited.recoveryMs === null)
          result.violations.push(
            `not recovered within ${(perturbation.budgetMs + GRACE_AFTER_BUDGET_MS) / 1000} s: ${waited.lastFailures.join("; ")}`,
          );
        else if (waited.recoveryMs > perturbation.budgetMs)
          result.violations.push(
            `recovered in ${(waited.recoveryMs / 1000).toFixed(1)} s, over the ${perturbation.budgetMs / 1000} s budget (waited for: ${waited.timeline.join(" | ")}; the demo said: ${demo.lines.slice(demoLinesBefore).join(" | ")})`,
          );
      } catch (error) {
        result.violations.push(
          error instanceof TargetMissing ? `could not do it: ${error.message}` : `failed: ${(error as Error).stack}`,
        );
      }
      roundSpans.push({ from: startedAt, to: Date.now(), kind, round });
      results.push(result);
      const outcome =
        result.recoveryMs === null ? "not recovered" : `recovered in ${(result.recoveryMs / 1000).toFixed(1)} s`;
      process.stdout.write(
        `round ${round} ${kind} (${result.target}): ${outcome}${result.violations.length ? ` — ${result.violations.join("; ")}` : ""}\n`,
      );
    }
  }

  await ledger.stop();
  watch.stop();
  if (interrupted) return 130;
  // The controller may exit only in the rounds that kill it, once each.
  for (const exit of watch.exits) {
    const span = roundSpans.find((s) => s.from <= exit.at && exit.at <= s.to);
    const expected =
      span && PERTURBATIONS[span.kind].killsController
        ? watch.exits.filter((other) => other.at >= span.from && other.at <= span.to).indexOf(exit) === 0
        : false;
    if (expected) continue;
    const reason = `the controller (pid ${exit.pid}) exited at ${new Date(exit.at).toISOString().slice(11, 23)}`;
    const round = span && results.find((r) => r.kind === span.kind && r.round === span.round);
    if (round) round.violations.push(reason);
    else runViolations.push(`${reason}, outside any round`);
  }

  // Stop recording so that the last segment is closed, then judge the record and the requests.
  const { id: central, media } = demo.central;
  const stopped = await postRequest(
    demo,
    central,
    { action: "media.record", params: { device: media, on: false } },
    15_000,
  ).catch((error: Error) => ({ status: 0, body: error.message }));
  if (stopped.status !== 200)
    runViolations.push(`recording did not stop at the end: ${stopped.status} ${JSON.stringify(stopped.body)}`);
  const recordings = await checkRecordings([`${demo.dir}/recordings`, `${demo.dir}/controller/archive`], central);
  const requests = ledger.verify();
  runViolations.push(...recordings.violations, ...requests.violations);

  const summaries: KindSummary[] = kinds.map((kind) => ({
    kind,
    budgetMs: PERTURBATIONS[kind].budgetMs,
    rounds: results.filter((result) => result.kind === kind),
  }));
  const out: string[] = ["", renderTable(summaries), ""];
  calmWaits.sort((a, b) => a - b);
  const calm = (share: number) =>
    `${((calmWaits[Math.floor(share * (calmWaits.length - 1))] ?? 0) / 1000).toFixed(1)} s`;
  out.push(
    `requests: ${requests.summary}`,
    `recording: ${recordings.summary}`,
    `calm before each round (≥ ${CALM_IDLE_SHARE * 100} % idle over 1 s): p50 ${calm(0.5)}, max ${calm(1)}`,
    "",
  );
  const violations = [
    ...results.flatMap((r) => r.violations.map((v) => `round ${r.round} ${r.kind} (${r.target}): ${v}`)),
    ...runViolations.map((v) => `run: ${v}`),
  ];
  out.push(
    violations.length === 0 ? "violations: none" : `violations (${violations.length}):`,
    ...violations.map((v) => `  ${v}`),
  );
  if (unknown.size > 0)
    out.push(
      "",
      "checks that could not run (not passed):",
      ...[...unknown].map(([reason, n]) => `  ${reason} (${n}×)`),
    );
  process.stdout.write(`${out.join("\n")}\n`);
  return violations.length > 0 || unknown.size > 0 ? 1 : 0;
}

const demo = new DemoUnderTest();
let stopping: Promise<void> | undefined;
/** Stops the demo and everything it started, once, whatever ends the run. */
function stopDemo(): Promise<void> {
  stopping ??= demo.stop(values.keep === true).then((left) => {
    if (left.length > 0)
      process.stderr.write(`chaos: killed processes the demo left behind:\n  ${left.join("\n  ")}\n`);
  });
  return stopping;
}
for (const signal of ["SIGINT", "SIGTERM"] as const)
  process.on(signal, () => {
    process.stderr.write(`chaos: ${signal}, stopping the demo\n`);
    interrupted = true;
    void stopDemo().then(() => process.exit(130));
  });

let code = 1;
try {
  code = await main(demo);
} catch (error) {
  process.stderr.write(`chaos: ${(error as Error).stack}\n${demo.lines.slice(-30).join("\n")}\n`);
} finally {
  await stopDemo();
}
process.exit(code);
