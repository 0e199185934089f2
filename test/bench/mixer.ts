// Benchmark of the DSP driver (issue 4): a meter line written on the serial port → the parsed frame at the
// director's interface (p50/p99), CPU with 16 channels metered at 10 Hz, and how long a DSP that stops answering
// takes to show offline with the default probe settings.
//   node --import tsx test/bench/mixer.ts
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEVICE_MODELS_DIR, loadProfile, mixerModelProfile } from "@rc/hardware-profiles";
import { DeviceSupervisor, MixerDriver } from "@rc/room-agent";
import { PtyPair, TesiraSimulator } from "@rc/simulators";
import { pino } from "pino";
import { SerialPort } from "serialport";

const CHANNELS = 16;
const RATE_HZ = 10;
const SECONDS = 10;
const dir = mkdtempSync(join(tmpdir(), "rc-bench-dsp-"));
const profile = {
  ...loadProfile(mixerModelProfile, join(DEVICE_MODELS_DIR, "mixer", "biamp-tesira.json")),
  channels: CHANNELS,
};
const entry = (path: string) => ({
  id: "dsp",
  kind: "mixer" as const,
  model: profile.model,
  optional: false,
  enabled: true,
  connection: { path },
  bindings: {},
});
const quiet = pino({ level: "silent" });
const until = async (check: () => boolean) => {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 5));
};

try {
  // 1 and 2: a peer that answers init and pushes meters with a sequence number in the value.
  const pty = new PtyPair(join(dir, "a"), join(dir, "b"));
  await pty.start();
  const peer = new SerialPort({ path: pty.devicePath, baudRate: 115200 });
  peer.on("data", (chunk: Buffer) => {
    for (const line of chunk.toString().split(/\r?\n/).filter(Boolean)) {
      const value = line.includes(" get mute ") ? "false" : "0.000000";
      peer.write(line.includes(" get ") ? `+OK "value":${value}\r\n` : "+OK\r\n");
    }
  });
  const driver = new MixerDriver(entry(pty.hostPath), profile, quiet);
  const supervisor = new DeviceSupervisor(driver);
  supervisor.start();
  await until(() => supervisor.health().status === "ok");
  const sentAt = new Map<number, number>();
  const latencies: number[] = [];
  driver.on("meters", (_at, levels) => {
    const now = performance.now();
    for (const level of levels) {
      const sequence = Math.round(-level * 100);
      const sent = sentAt.get(sequence);
      if (sent !== undefined) {
        latencies.push(now - sent);
        sentAt.delete(sequence);
      }
    }
  });
  let sequence = 1;
  const cpuBefore = process.cpuUsage();
  const wallBefore = performance.now();
  for (let tick = 0; tick < SECONDS * RATE_HZ; tick++) {
    const lines: string[] = [];
    for (let channel = 1; channel <= CHANNELS; channel++) {
      const value = -(sequence % 9000) / 100; // stays within the meter range; unique within a few seconds
      sentAt.set(sequence % 9000, performance.now());
      lines.push(`! "publishToken":"mic${channel}" "value":${value.toFixed(6)}\r\n`);
      sequence++;
    }
    peer.write(lines.join(""));
    await new Promise((resolve) => setTimeout(resolve, 1000 / RATE_HZ));
  }
  const cpu = process.cpuUsage(cpuBefore);
  const wall = performance.now() - wallBefore;
  latencies.sort((a, b) => a - b);
  const pick = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  console.log(
    `meter line written → parsed frame at the director interface, ${latencies.length} lines (pty, one process):`,
  );
  console.log(`  p50 ${pick(0.5).toFixed(2)} ms   p99 ${pick(0.99).toFixed(2)} ms   (budget p99 ≤ 20 ms)`);
  console.log(
    `CPU with ${CHANNELS} channels at ${RATE_HZ} Hz: ${(((cpu.user + cpu.system) / 1000 / wall) * 100).toFixed(2)} % of one core` +
      " for driver and peer together (budget: driver ≤ 2 %)",
  );
  await supervisor.stop();
  await new Promise<void>((resolve) => peer.close(() => resolve()));
  await pty.stop();

  // 3: a simulated DSP that stops answering, with the default probe (every 2 s, offline after 2 misses).
  const pty2 = new PtyPair(join(dir, "c"), join(dir, "d"));
  await pty2.start();
  const dsp = new TesiraSimulator(pty2.devicePath, CHANNELS);
  await dsp.start();
  const driver2 = new MixerDriver(entry(pty2.hostPath), profile, quiet);
  const supervisor2 = new DeviceSupervisor(driver2);
  supervisor2.start();
  await until(() => supervisor2.health().status === "ok");
  const times: number[] = [];
  for (let round = 0; round < 3; round++) {
    await new Promise((resolve) => setTimeout(resolve, 300 + round * 700)); // different phases of the probe timer
    dsp.misbehaviour.frozen = true;
    const frozenAt = performance.now();
    await until(() => supervisor2.health().status === "offline");
    times.push(performance.now() - frozenAt);
    dsp.misbehaviour.frozen = false;
    await until(() => supervisor2.health().status === "ok");
  }
  console.log(
    `DSP stops answering → offline: ${times.map((t) => (t / 1000).toFixed(1)).join(" s, ")} s (budget ≤ 5 s)`,
  );
  await supervisor2.stop();
  await dsp.stop();
  await pty2.stop();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
