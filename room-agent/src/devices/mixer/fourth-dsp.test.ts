// A DSP the code has never heard of — ClearOne Converge Pro, described only by a profile in fixtures/ — works
// against a small scripted peer: adding a model needs a profile, not code.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadProfile, mixerDeviceEntry, mixerModelProfile } from "@rc/hardware-profiles";
import { PtyPair } from "@rc/simulators";
import { pino } from "pino";
import { SerialPort } from "serialport";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DeviceSupervisor } from "../device-supervisor.ts";
import { MixerDriver } from "./mixer-driver.ts";

/** "Expect these bytes, answer these bytes": the peer's whole script. */
const SCRIPT: [RegExp, (match: RegExpExecArray) => string][] = [
  [/^#10 VER$/, () => "#10 VER 4.1.0"],
  [/^#12 MUTE (\d) M ([01])$/, (m) => m[0]],
  [/^#10 GAIN (\d) I (-?\d+) A$/, (m) => m[0]],
  [/^#10 GAIN (\d) I$/, (m) => `#10 GAIN ${m[1]} I -7 A`],
];

describe("a fourth DSP from a profile alone", () => {
  const dir = mkdtempSync(join(tmpdir(), "rc-converge-"));
  const pty = new PtyPair(join(dir, "dsp"), join(dir, "ttyUSB0"));
  const heard: string[] = [];
  let peer: SerialPort;
  let supervisor: DeviceSupervisor;
  let driver: MixerDriver;

  beforeAll(async () => {
    await pty.start();
    peer = new SerialPort({ path: pty.devicePath, baudRate: 57600 });
    let buffer = "";
    peer.on("data", (chunk: Buffer) => {
      buffer += chunk.toString("latin1");
      let end = buffer.indexOf("\r");
      while (end >= 0) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 1);
        heard.push(line);
        const rule = SCRIPT.map(([pattern, answer]) => [pattern.exec(line), answer] as const).find(([m]) => m);
        peer.write(`${rule ? rule[1](rule[0]!) : "ERROR: invalid command"}\r\n`);
        end = buffer.indexOf("\r");
      }
    });
    const profile = loadProfile(mixerModelProfile, join(import.meta.dirname, "fixtures", "clearone-converge-pro.json"));
    const entry = mixerDeviceEntry.parse({
      id: "dsp",
      kind: "mixer",
      model: profile.model,
      connection: { path: pty.hostPath },
    });
    driver = new MixerDriver(entry, profile, { log: pino({ level: "silent" }) });
    supervisor = new DeviceSupervisor(driver, { probeIntervalMs: 300 });
    supervisor.start();
  });
  afterAll(async () => {
    await supervisor.stop();
    await new Promise<void>((resolve) => peer.close(() => resolve()));
    await pty.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("connects, reads levels, mutes and sets levels, and reports refusals", async () => {
    for (let i = 0; supervisor.health().status !== "ok" && i < 100; i++) await new Promise((r) => setTimeout(r, 50));
    expect(supervisor.health().status).toBe("ok");
    expect(driver.readings()["ch1.levelDb"]).toBe(-7);
    await driver.mute(3, true);
    await driver.level(2, -12);
    expect(heard).toContain("#12 MUTE 3 M 1");
    expect(heard).toContain("#10 GAIN 2 I -12 A");
    await expect(driver.preset(1)).rejects.toThrow(/has no recallPreset command/);
    expect(await driver.step(1, 2)).toBe(-5);
  });
});
