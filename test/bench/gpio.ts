// Benchmark of the GPIO board (issue 5), end to end as in a room: the real StandardFirmata firmware in avr8js (in its
// own process, so its simulation work does not delay this one) on a socat pty, the room agent as the bundled process
// a room runs, and the controller's embedded broker in this process, where an MQTT subscriber takes the time.
//   1. a seat button's pin driven in the simulated chip → the button event arriving on MQTT (p50/p99);
//   2. the board unplugged → `offline` on its health topic, and a board whose firmware hangs (cable still in), both
//      with the room's default probe (every 2 s, offline after 2 misses);
//   3. the agent's memory and CPU with a board attached, and the simulated chip's CPU.
//   node --import tsx test/bench/gpio.ts
import { type ChildProcess, execFileSync, fork } from "node:child_process";
import { once } from "node:events";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type EventPayload, type HealthPayload, topics } from "@rc/protocol";
import { FirmataBoard } from "@rc/simulators";
import { AGENT_NODE_FLAGS } from "../../room-agent/src/node-flags.ts";
import { REPO, start, stopAll } from "../support/processes.ts";
import { TestSite } from "../support/test-site.ts";
import { waitFor } from "../support/wait-for.ts";

const ROOM = "xa-do-nut";
const EDGES = 200;
const ROUNDS = 4;

type BoardCommand = "press" | "release" | "unplug" | "replug" | "hang" | "reset" | "stats";
type BoardMessage =
  | { type: "ready" }
  | { type: "done"; atNs: string }
  | { type: "stats"; busyMs: number; cpuMs: number; wallMs: number };

if (process.argv[2] === "board") await runBoard(process.argv[3]!);
else await runBenchmark();

/** The simulated board in its own process; notes the monotonic time (shared by both processes) of each action. */
async function runBoard(hostPath: string): Promise<void> {
  const board = new FirmataBoard({ hostPath });
  await board.start();
  const cpuBefore = process.cpuUsage();
  const wallBefore = performance.now();
  process.send!({ type: "ready" } satisfies BoardMessage);
  process.on("message", async (command: BoardCommand) => {
    const atNs = process.hrtime.bigint().toString();
    if (command === "press") board.press(2);
    else if (command === "release") board.release(2);
    else if (command === "hang") board.hang();
    else if (command === "reset") board.reset();
    else if (command === "unplug") await board.unplug();
    else if (command === "replug") await board.replug();
    else {
      const cpu = process.cpuUsage(cpuBefore);
      const stats: BoardMessage = {
        type: "stats",
        busyMs: board.busyMs,
        cpuMs: (cpu.user + cpu.system) / 1000,
        wallMs: performance.now() - wallBefore,
      };
      process.send!(stats);
      return;
    }
    process.send!({ type: "done", atNs } satisfies BoardMessage);
  });
  process.once("disconnect", () => void board.stop().then(() => process.exit(0)));
}

async function runBenchmark(): Promise<void> {
  // The agent runs as a room runs it: the bundle, without the TypeScript loader.
  execFileSync("bash", [join(REPO, "scripts/build.sh")], { stdio: "inherit" });
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  try {
    const site = await TestSite.create("embedded", [ROOM]);
    cleanups.push(() => site.stop());
    const hostPath = join(site.dir, "ttyACM0");
    const board: ChildProcess = fork(fileURLToPath(import.meta.url), ["board", hostPath], {
      execArgv: ["--import", "tsx"],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    cleanups.push(async () => {
      if (board.exitCode !== null || board.signalCode !== null) return;
      // Let it stop its board (and the board's socat) itself; kill it only if it does not.
      const exited = once(board, "exit");
      board.disconnect();
      const timer = setTimeout(() => board.kill("SIGKILL"), 3000);
      await exited;
      clearTimeout(timer);
    });
    const next = async <T extends BoardMessage["type"]>(type: T) => {
      for (;;) {
        const [message] = (await once(board, "message")) as [BoardMessage];
        if (message.type === type) return message as Extract<BoardMessage, { type: T }>;
      }
    };
    const act = async (command: BoardCommand) => {
      board.send(command);
      return BigInt((await next("done")).atNs);
    };
    await next("ready");

    // The room: the site's profile with a board, at the room defaults for probing (every 2 s, offline after 2).
    const room = site.room(ROOM);
    const profile = JSON.parse(readFileSync(room.profile, "utf8"));
    delete profile.probe;
    profile.devices.push({
      id: "bang-nut",
      kind: "gpio",
      connection: { path: hostPath },
      buttons: [{ seat: "chu-tri", pin: 2 }],
      onAir: { pin: 11 },
      relays: [{ id: "man-hinh", pin: 14, initial: true }],
    });
    profile.seats = [{ id: "chu-tri", label: "Chủ trì", role: "chair" }];
    writeFileSync(room.profile, JSON.stringify(profile));

    const subscriber = await site.connectClient();
    cleanups.push(() => subscriber.endAsync());
    const arrivals: { ns: bigint; event: EventPayload }[] = [];
    let health: { ns: bigint; status: string } = { ns: 0n, status: "unknown" };
    subscriber.on("message", (topic, payload) => {
      const ns = process.hrtime.bigint();
      if (topic.endsWith("/events")) arrivals.push({ ns, event: JSON.parse(payload.toString()) });
      else health = { ns, status: (JSON.parse(payload.toString()) as HealthPayload).status };
    });
    await subscriber.subscribeAsync([topics.room(ROOM, "events"), topics.health(ROOM, "bang-nut")], { qos: 1 });
    /** Asked every 2 ms: the wait is part of what is measured. */
    const until = (what: string, check: () => boolean, timeoutMs = 20_000) => waitFor(what, check, timeoutMs, 2);

    const agent = start(`agent ${ROOM}`, process.execPath, [
      ...AGENT_NODE_FLAGS,
      join(REPO, "dist/room-agent.mjs"),
      ...site.agentArgs(ROOM),
    ]);
    cleanups.push(() => stopAll());
    await until("the board ok", () => health.status === "ok");
    await new Promise((resolve) => setTimeout(resolve, 1000)); // let the first reports settle

    // 1: edges at the pin → events on MQTT, one at a time, spaced past the debounce and short of a long press.
    const agentCpuBefore = cpuTicks(agent.child.pid!);
    const wallBefore = performance.now();
    const latencies: number[] = [];
    for (let edge = 0; edge < EDGES; edge++) {
      const action = edge % 2 === 0 ? "press" : "release";
      const seen = arrivals.length;
      const at = await act(action);
      await until(`${action} event`, () => arrivals.slice(seen).some((a) => a.event.data.action === action), 2000);
      const arrival = arrivals.slice(seen).find((a) => a.event.data.action === action)!;
      latencies.push(Number(arrival.ns - at) / 1e6);
      await new Promise((resolve) => setTimeout(resolve, 60 + (edge % 7) * 10));
    }
    const wallS = (performance.now() - wallBefore) / 1000;
    const agentCpu = (cpuTicks(agent.child.pid!) - agentCpuBefore) / 100 / wallS;
    board.send("stats");
    const stats = await next("stats");
    latencies.sort((a, b) => a - b);
    const pick = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
    console.log(`button pin driven in the simulated chip → button event on MQTT, ${latencies.length} edges:`);
    console.log(
      `  p50 ${pick(0.5).toFixed(1)} ms   p99 ${pick(0.99).toFixed(1)} ms   max ${latencies.at(-1)!.toFixed(1)} ms   (budget p99 ≤ 50 ms)`,
    );

    // 2: unplugged, and hung with the cable in, at different phases of the probe timer.
    const offline = { unplug: [] as number[], hang: [] as number[] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const fault of ["unplug", "hang"] as const) {
        await new Promise((resolve) => setTimeout(resolve, 300 + round * 450));
        const at = await act(fault);
        await until(`offline after ${fault}`, () => health.status === "offline" && health.ns > at, 15_000);
        offline[fault].push(Number(health.ns - at) / 1e6);
        await act(fault === "unplug" ? "replug" : "reset");
        await until("ok again", () => health.status === "ok", 20_000);
      }
    }
    const seconds = (list: number[]) => list.map((ms) => (ms / 1000).toFixed(1)).join(", ");
    console.log(`board unplugged → offline on MQTT: ${seconds(offline.unplug)} s (budget ≤ 5 s)`);
    console.log(`board firmware hung, cable in → offline on MQTT: ${seconds(offline.hang)} s (budget ≤ 5 s)`);

    // 3: what the board costs the agent, and what the simulation costs this machine.
    console.log(
      `agent (bundle) with the board: RSS ${(rssKb(agent.child.pid!) / 1024).toFixed(1)} MB (budget ≤ 80 MB), ` +
        `CPU ${(agentCpu * 100).toFixed(2)} % of a core while a button changed every ~100 ms`,
    );
    console.log(
      `simulated ATmega328P at 16 MHz (its own process): ${((stats.busyMs / stats.wallMs) * 100).toFixed(0)} % of a core ` +
        `stepping the chip, ${((stats.cpuMs / stats.wallMs) * 100).toFixed(0)} % in all`,
    );
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup();
  }
}

/** user + system CPU of a process, in clock ticks (100 a second on Linux). */
function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return Number(fields[11]) + Number(fields[12]);
}

function rssKb(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]);
}
