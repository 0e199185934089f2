// Benchmark of the media (issue 6), three figures against DESIGN §5:
//   1. a cut at room A → the new camera's picture at room B's decoder, on loopback (budget p99 ≤ 300 ms): cameras of
//      distinct colours at A, and B's worker reporting the first decoded frame whose colour changed;
//   2. media worker killed (SIGKILL) → program pipeline back: the first frame out of the new worker's program
//      (budget ≤ 3 s);
//   3. CPU of the three demo rooms' media (one central point, two component points streaming to each other at
//      640×360, 15 fps, with recording at the central point) over 20 s, worker processes and agent side together
//      (target ≤ 1.5 cores for the whole demo).
//   node --import tsx test/bench/media.ts [--cuts N] [--kills N]
import { parseArgs } from "node:util";
import { type RigRoom, startRigRoom, startSession } from "../support/media-rig.ts";
import { cpuSecondsOf } from "../support/process-table.ts";
import { waitFor } from "../support/wait-for.ts";

const { values } = parseArgs({
  options: { cuts: { type: "string", default: "40" }, kills: { type: "string", default: "5" } },
});
const CUTS = Number(values.cuts);
const KILLS = Number(values.kills);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const now = () => performance.timeOrigin + performance.now();

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
function summary(samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const f = (n: number) => n.toFixed(0);
  return `n=${sorted.length} min ${f(sorted[0]!)} p50 ${f(percentile(sorted, 50))} p95 ${f(percentile(sorted, 95))} p99 ${f(percentile(sorted, 99))} max ${f(sorted.at(-1)!)} ms`;
}

const rooms: RigRoom[] = [];
async function main(): Promise<void> {
  const central = await startRigRoom({ id: "tinh", inputs: { "cam-red": "testsrc:red", "cam-blue": "testsrc:blue" } });
  const east = await startRigRoom({ id: "huyen", inputs: { "cam-green": "testsrc:green" } });
  const west = await startRigRoom({ id: "xa", inputs: { "cam-white": "testsrc:white" } });
  rooms.push(central, east, west);
  await waitFor("three media workers", () => rooms.every((room) => room.supervisor.health().status === "ok"), 20_000);
  startSession(rooms);
  await waitFor(
    "every link up",
    () =>
      central.driver.readings()["link.huyen.status"] === "ok" &&
      central.driver.readings()["link.xa.status"] === "ok" &&
      east.driver.readings()["link.tinh.status"] === "ok" &&
      west.driver.readings()["link.tinh.status"] === "ok",
    30_000,
  );

  // 1. Cut latency, measured at the component point "huyen" (its decoder of the central point's program).
  const latencies: number[] = [];
  for (let i = 0; i < CUTS; i++) {
    const camera = i % 2 === 0 ? "cam-blue" : "cam-red";
    let seenAt = 0;
    const off = east.driver.onPicture((picture) => {
      const blue = picture.rgb[2]! > 200 && picture.rgb[0]! < 60;
      if (picture.source === "tinh" && !seenAt && blue === (camera === "cam-blue")) seenAt = picture.at;
    });
    const cutAt = now();
    await central.driver.cut(camera);
    await waitFor("the cut at the far decoder", () => seenAt, 5000);
    off();
    latencies.push(seenAt - cutAt);
    await sleep(250 + Math.random() * 250); // land the cuts at every phase of the frame clock
  }
  process.stdout.write(`cut at A → new picture at B's decoder (SRT latency 120 ms, 15 fps): ${summary(latencies)}\n`);

  // 3. CPU of the running three-room session, with the central point recording (measured before the kills).
  await central.driver.record(true);
  await sleep(3000);
  const pids = rooms.map((room) => room.driver.workerPid!);
  const before = pids.map(cpuSecondsOf);
  const agentBefore = process.cpuUsage();
  const started = performance.now();
  await sleep(20_000);
  const wallS = (performance.now() - started) / 1000;
  const workerCores = pids.map((pid, index) => (cpuSecondsOf(pid) - before[index]!) / wallS);
  const agent = process.cpuUsage(agentBefore);
  const agentCores = (agent.user + agent.system) / 1e6 / wallS;
  const total = workerCores.reduce((sum, cores) => sum + cores, 0) + agentCores;
  process.stdout.write(
    `CPU over ${wallS.toFixed(0)} s, 3 rooms at 640×360@15: workers ${rooms
      .map((room, index) => `${room.id} ${workerCores[index]!.toFixed(2)}`)
      .join(", ")} cores; agent side (3 drivers) ${agentCores.toFixed(2)}; media in all ${total.toFixed(2)} cores\n`,
  );
  await central.driver.record(false);

  // 2. Worker killed → first frame of the new worker's program.
  const recoveries: number[] = [];
  for (let i = 0; i < KILLS; i++) {
    const killed = central.driver.workerPid!;
    let backAt = 0;
    const off = central.driver.onPicture((picture) => {
      if (picture.source === "program" && !backAt && central.driver.workerPid !== killed) backAt = picture.at;
    });
    const killedAt = now();
    process.kill(killed, "SIGKILL");
    await waitFor("the program back", () => backAt, 15_000);
    off();
    recoveries.push(backAt - killedAt);
    await waitFor("media ok", () => central.supervisor.health().status === "ok", 10_000);
    await sleep(3000);
  }
  process.stdout.write(`worker killed → program back: ${summary(recoveries)}\n`);
}

try {
  await main();
} finally {
  await Promise.all(rooms.map((room) => room.stop()));
}
