// Benchmark of the DSP driver (issue 4): a meter line written on the serial port → the parsed frame at the
// director's interface (p50/p99), the driver's own CPU with 16 channels metered at 10 Hz (the simulated peer runs in
// a child process, so its work is not counted), and how long a DSP that stops answering takes to show offline with
// the default probe settings.
//   node --import tsx test/bench/mixer.ts
import { type ChildProcess, fork } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DEVICE_MODELS_DIR, loadProfile, mixerDeviceEntry, mixerModelProfile } from "@rc/hardware-profiles";
import { DeviceSupervisor, MixerDriver } from "@rc/room-agent";
import { PtyPair, TesiraSimulator } from "@rc/simulators";
import { pino } from "pino";
import { SerialPort } from "serialport";
import { waitFor } from "../support/wait-for.ts";

const CHANNELS = 16;
const RATE_HZ = 10;
const SECONDS = 10;

/** What the parent and the peer say to each other over the IPC channel. */
type PeerMessage = { type: "ready" } | { type: "done"; sentNs: [number, string][]; cpuMs: number; wallMs: number };

if (process.argv[2] === "peer") await runPeer(process.argv[3]!);
else await runBenchmark();

/**
 * The simulated Tesira, in its own process: answers the driver's init and probes, and on "start" writes a meter line
 * per channel every 100 ms whose value is a sequence number, noting when each was written (monotonic clock, which
 * both processes share).
 */
async function runPeer(path: string): Promise<void> {
  const peer = new SerialPort({ path, baudRate: 115200 });
  peer.on("data", (chunk: Buffer) => {
    for (const line of chunk.toString().split(/\r?\n/).filter(Boolean)) {
      const value = line.includes(" get mute ") ? "false" : "0.000000";
      peer.write(line.includes(" get ") ? `+OK "value":${value}\r\n` : "+OK\r\n");
    }
  });
  await once(peer, "open");
  process.send!({ type: "ready" } satisfies PeerMessage);
  await once(process, "message");
  const sentNs: [number, string][] = [];
  let sequence = 1;
  const cpuBefore = process.cpuUsage();
  const wallBefore = performance.now();
  for (let tick = 0; tick < SECONDS * RATE_HZ; tick++) {
    const lines: string[] = [];
    for (let channel = 1; channel <= CHANNELS; channel++) {
      const value = -(sequence % 9000) / 100; // stays within the meter range; unique within the run
      sentNs.push([sequence % 9000, process.hrtime.bigint().toString()]);
      lines.push(`! "publishToken":"mic${channel}" "value":${value.toFixed(6)}\r\n`);
      sequence++;
    }
    peer.write(lines.join(""));
    await new Promise((resolve) => setTimeout(resolve, 1000 / RATE_HZ));
  }
  const cpu = process.cpuUsage(cpuBefore);
  const done: PeerMessage = {
    type: "done",
    sentNs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    wallMs: performance.now() - wallBefore,
  };
  process.send!(done);
  await new Promise<void>((resolve) => peer.close(() => resolve()));
  process.disconnect();
}

async function runBenchmark(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "rc-bench-dsp-"));
  const profile = {
    ...loadProfile(mixerModelProfile, join(DEVICE_MODELS_DIR, "mixer", "biamp-tesira.json")),
    channels: CHANNELS,
  };
  const entry = (path: string) =>
    mixerDeviceEntry.parse({ id: "dsp", kind: "mixer", model: profile.model, connection: { path } });
  const quiet = pino({ level: "silent" });
  /** Asked every 5 ms, without a time limit (a stuck run shows as a hang, as before). */
  const until = (what: string, check: () => boolean) => waitFor(what, check, Number.POSITIVE_INFINITY, 5);
  // Taken down in reverse order whatever happens, each registered as soon as it runs.
  const cleanups: (() => Promise<unknown> | undefined)[] = [async () => rmSync(dir, { recursive: true, force: true })];
  try {
    // 1 and 2: the driver in this process, the peer in a child.
    const pty = new PtyPair(join(dir, "a"), join(dir, "b"));
    cleanups.push(() => pty.stop());
    await pty.start();
    const child: ChildProcess = fork(fileURLToPath(import.meta.url), ["peer", pty.devicePath], {
      execArgv: ["--import", "tsx"],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    cleanups.push(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    });
    const next = async <T extends PeerMessage["type"]>(type: T) => {
      for (;;) {
        const [message] = (await once(child, "message")) as [PeerMessage];
        if (message.type === type) return message as Extract<PeerMessage, { type: T }>;
      }
    };
    await next("ready");
    const driver = new MixerDriver(entry(pty.hostPath), profile, { log: quiet });
    const supervisor = new DeviceSupervisor(driver);
    cleanups.push(() => supervisor.stop());
    supervisor.start();
    await until("the mixer ok", () => supervisor.health().status === "ok");
    const arrivedNs = new Map<number, bigint>();
    driver.on("meters", (_at, levels) => {
      const now = process.hrtime.bigint();
      for (const level of levels) {
        const sequence = Math.round(-level * 100);
        if (!arrivedNs.has(sequence)) arrivedNs.set(sequence, now);
      }
    });
    const cpuBefore = process.cpuUsage();
    const wallBefore = performance.now();
    child.send("start");
    // Waiting on the message, not polling for it: the measured CPU is the driver's, not this script's.
    const done = await next("done");
    const cpu = process.cpuUsage(cpuBefore);
    const wall = performance.now() - wallBefore;
    const latencies = done.sentNs
      .filter(([sequence]) => arrivedNs.has(sequence))
      .map(([sequence, sent]) => Number(arrivedNs.get(sequence)! - BigInt(sent)) / 1e6)
      .sort((a, b) => a - b);
    const pick = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
    const percent = (ms: number, over: number) => ((ms / over) * 100).toFixed(2);
    console.log(
      `meter line written (peer process) → parsed frame at the director interface (driver process), ` +
        `${latencies.length} of ${done.sentNs.length} lines:`,
    );
    console.log(`  p50 ${pick(0.5).toFixed(2)} ms   p99 ${pick(0.99).toFixed(2)} ms   (budget p99 ≤ 20 ms)`);
    console.log(
      `CPU with ${CHANNELS} channels at ${RATE_HZ} Hz: driver ${percent((cpu.user + cpu.system) / 1000, wall)} % of one core ` +
        `(budget ≤ 2 %); the simulated peer, in its own process, ${percent(done.cpuMs, done.wallMs)} %`,
    );
    await supervisor.stop();
    await once(child, "exit");

    // 3: a simulated DSP that stops answering, with the default probe (every 2 s, offline after 2 misses).
    const pty2 = new PtyPair(join(dir, "c"), join(dir, "d"));
    cleanups.push(() => pty2.stop());
    await pty2.start();
    const dsp = new TesiraSimulator(pty2.devicePath, CHANNELS);
    cleanups.push(() => dsp.stop());
    await dsp.start();
    const driver2 = new MixerDriver(entry(pty2.hostPath), profile, { log: quiet });
    const supervisor2 = new DeviceSupervisor(driver2);
    cleanups.push(() => supervisor2.stop());
    supervisor2.start();
    await until("the second mixer ok", () => supervisor2.health().status === "ok");
    const times: number[] = [];
    for (let round = 0; round < 3; round++) {
      await new Promise((resolve) => setTimeout(resolve, 300 + round * 700)); // different phases of the probe timer
      dsp.misbehaviour.frozen = true;
      const frozenAt = performance.now();
      await until("the second mixer offline", () => supervisor2.health().status === "offline");
      times.push(performance.now() - frozenAt);
      dsp.misbehaviour.frozen = false;
      await until("the second mixer ok", () => supervisor2.health().status === "ok");
    }
    console.log(
      `DSP stops answering → offline: ${times.map((t) => (t / 1000).toFixed(1)).join(" s, ")} s (budget ≤ 5 s)`,
    );
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup();
  }
}
