// Benchmark of the foundation: REST request → MQTT → agent → device → response → HTTP round trip (p50, p99 over
// 1,000 requests to the three demo rooms), agents' and controller's memory and CPU, and the CPU of the whole demo
// (issue 6: target ≤ 1.5 cores on 2), first in the demo's hearing, then with the hearing ended and auto camera off:
// idle rooms, their devices connected and watched, which is what the agent's idle budget is about. Runs the demo.
//   node --import tsx test/bench/round-trip.ts [--requests N]
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { freePort, startTs } from "../support/processes.ts";

const { values } = parseArgs({ options: { requests: { type: "string", default: "1000" } } });
const REQUESTS = Number(values.requests);
const TICKS_PER_SECOND = 100; // Linux USER_HZ

/** The demo's controller and agents, named for the report (its TypeScript loader helper is left out). */
function processTable(parent: number): { pid: number; name: string }[] {
  const lines = execFileSync("ps", ["-o", "pid=,args=", "--ppid", String(parent)])
    .toString()
    .trim()
    .split("\n");
  return lines.flatMap((line) => {
    const [pid, ...args] = line.trim().split(/\s+/);
    if (args.some((arg) => arg.endsWith("dist/controller.mjs"))) return [{ pid: Number(pid), name: "controller" }];
    if (!args.some((arg) => arg.endsWith("dist/room-agent.mjs"))) return [];
    const room = args[args.indexOf("--room") + 1]?.split("/").pop()?.replace(".json", "");
    return [{ pid: Number(pid), name: `agent ${room}` }];
  });
}

/** The process and all its descendants (the demo: controller, agents, media workers, boards, its own simulators). */
function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = Number(readFileSync(`/proc/${entry}/stat`, "utf8").split(") ")[1]!.split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {} // gone meanwhile
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]!) ?? []));
  return tree;
}

function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8")
    .split("\n")
    .find((l) => l.startsWith("VmRSS:"))!;
  return Number(line.split(/\s+/)[1]) / 1024;
}

function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return Number(fields[11]) + Number(fields[12]); // utime + stime
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const dir = mkdtempSync(join(tmpdir(), "rc-bench-"));
const httpPort = await freePort();
const demo = startTs("demo", "scripts/demo.ts", [], {
  DEMO_HTTP_PORT: String(httpPort),
  DEMO_MQTT_PORT: String(await freePort()),
  DEMO_DIR: dir,
  LOG_LEVEL: "warn",
});
try {
  const ready = JSON.parse(await demo.waitForLine(/"ready":true/, 60_000)) as {
    http: string;
    token: string;
    rooms: string[];
    session: string;
  };
  const rooms = ready.rooms;
  // Warm up (JIT, connections), then measure one request at a time: the latency an operator's tap sees.
  const send = async (i: number) => {
    const started = performance.now();
    const response = await fetch(`${ready.http}/api/rooms/${rooms[i % rooms.length]}/requests`, {
      method: "POST",
      // Authorization on, as every caller has it: the budget (DESIGN §5) includes checking the token.
      headers: { "content-type": "application/json", authorization: `Bearer ${ready.token}` },
      body: JSON.stringify({ action: "test.set", params: { device: "thiet-bi-thu", value: i } }),
    });
    if (response.status !== 200) throw new Error(`request ${i}: HTTP ${response.status} ${await response.text()}`);
    await response.arrayBuffer();
    return performance.now() - started;
  };
  // The demo says ready when its processes run; each room's test device may still be connecting (409) or slow to
  // answer while the media workers warm up (502) then.
  const deadline = Date.now() + 60_000;
  for (let i = 0; i < 100; i++) {
    await send(i).catch(async (error: Error) => {
      if (Date.now() > deadline || !/HTTP (409|502)/.test(error.message)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
      i = -1; // start the warm-up again once every room answers
    });
  }
  const times: number[] = [];
  for (let i = 0; i < REQUESTS; i++) times.push(await send(i));
  times.sort((a, b) => a - b);

  const fmt = (n: number) => n.toFixed(1);
  console.log(
    `REST → MQTT → agent → device → response round trip, ${REQUESTS} sequential requests over ${rooms.length} rooms (loopback):`,
  );
  console.log(
    `  p50 ${fmt(percentile(times, 50))} ms   p99 ${fmt(percentile(times, 99))} ms   max ${fmt(times.at(-1)!)} ms   (budget: tap → camera command p99 ≤ 50 ms)`,
  );

  /** Memory and CPU of the controller and each agent, and the whole demo's CPU, over a window with no requests. */
  const measure = async (what: string, agentBudget: string) => {
    await new Promise((resolve) => setTimeout(resolve, 10_000)); // settle (GC after a burst, a session's end)
    const processes = processTable(demo.child.pid!);
    const tree = processTree(demo.child.pid!);
    const before = new Map([...tree, ...processes.map((p) => p.pid)].map((pid) => [pid, cpuTicks(pid)]));
    const seconds = 30;
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    const rows = processes.map((p) => ({
      name: p.name,
      rss: rssMb(p.pid),
      cpu: ((cpuTicks(p.pid) - before.get(p.pid)!) / TICKS_PER_SECOND / seconds) * 100,
    }));
    const ticks = tree.reduce(
      (sum, pid) => (existsSync(`/proc/${pid}`) ? sum + cpuTicks(pid) - before.get(pid)! : sum), // ended meanwhile
      0,
    );
    console.log(`Memory (RSS) and CPU over ${seconds} s with no requests, ${what}:`);
    for (const row of rows.sort((a, b) => a.name.localeCompare(b.name))) {
      const budget = row.name.startsWith("agent") ? agentBudget : "(3 rooms; budget: ≤ 1 GB with 5,000 rooms)";
      console.log(
        `  ${row.name.padEnd(36)} ${fmt(row.rss).padStart(6)} MB   ${row.cpu.toFixed(2).padStart(5)} % CPU   ${budget}`,
      );
    }
    console.log(
      `  the whole demo, ${tree.length} processes (simulators, controller, agents, media workers, boards): ${(ticks / TICKS_PER_SECOND / seconds).toFixed(2)} cores (target ≤ 1.5)`,
    );
  };
  // The demo's rooms are in session: meters at 10 Hz, the director moving cameras, SRT links, recording.
  await measure("the demo's hearing running", "(budget: agent ≤ 80 MB RSS; ≤ 1 % CPU when idle)");
  // The rooms as the operators leave them: the hearing ended, auto camera off. Every device is still connected and
  // watched (camera health probes, the DSP's meters, which the demo's scene keeps moving, the board); no links.
  const call = async (path: string, body?: object) => {
    const response = await fetch(`${ready.http}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${ready.token}`, "content-type": "application/json" },
      body: body ? JSON.stringify(body) : undefined,
    });
    if (!response.ok) throw new Error(`POST ${path}: HTTP ${response.status} ${await response.text()}`);
  };
  await call(`/api/sessions/${ready.session}/end`);
  for (const room of rooms)
    await call(`/api/rooms/${room}/requests`, { action: "director.mode", params: { mode: "manual" } });
  await measure("the hearing ended, auto camera off (idle rooms)", "(budget: agent ≤ 80 MB RSS, ≤ 1 % CPU)");
} finally {
  await demo.stop("SIGINT", 10_000);
  rmSync(dir, { recursive: true, force: true });
}
