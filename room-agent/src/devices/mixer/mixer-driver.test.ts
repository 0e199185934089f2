// The profile-driven driver against a simulated Tesira over a real pty pair (socat): capabilities, errors, meters,
// a DSP reboot, an unplugged cable, and garbage on the line.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEVICE_MODELS_DIR, loadProfile, mixerModelProfile } from "@rc/hardware-profiles";
import { type AudioScene, PtyPair, TesiraSimulator } from "@rc/simulators";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { DeviceSupervisor } from "../device-supervisor.ts";
import { MixerDriver } from "./mixer-driver.ts";

const profile = loadProfile(mixerModelProfile, join(DEVICE_MODELS_DIR, "mixer", "biamp-tesira.json"));
// Channel 1 speaks for half a second, then channel 2; the simulator loops it.
const scene: AudioScene = {
  name: "two talkers",
  rateHz: 10,
  channels: ["a", "b"],
  levels: [...Array.from({ length: 5 }, () => [-20, -60]), ...Array.from({ length: 5 }, () => [-60, -20])],
  truth: [],
};

async function until(what: string, check: () => boolean, timeoutMs = 5000): Promise<number> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return Date.now() - started;
}

describe("mixer driver against a simulated Tesira over a pty pair", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setUp(bindings: Record<string, string> = {}) {
    const dir = mkdtempSync(join(tmpdir(), "rc-dsp-"));
    const pty = new PtyPair(join(dir, "dsp"), join(dir, "ttyUSB0"));
    await pty.start();
    const dsp = new TesiraSimulator(pty.devicePath, 2, scene);
    await dsp.start();
    const entry = {
      id: "dsp",
      kind: "mixer" as const,
      model: "biamp-tesira",
      optional: false,
      enabled: true,
      connection: { path: pty.hostPath },
      bindings,
    };
    const driver = new MixerDriver(entry, { ...profile, channels: 2 }, pino({ level: "silent" }));
    const supervisor = new DeviceSupervisor(driver, {
      probeIntervalMs: 300,
      offlineAfter: 2,
      backoffMinMs: 200,
      backoffMaxMs: 800,
    });
    cleanups.push(async () => {
      await supervisor.stop();
      await dsp.stop();
      await pty.stop();
      rmSync(dir, { recursive: true, force: true });
    });
    supervisor.start();
    await until("ok", () => supervisor.health().status === "ok");
    return { pty, dsp, driver, supervisor };
  }

  it("mutes, sets and steps levels, recalls presets, and says what the DSP refused", async () => {
    const { dsp, driver } = await setUp();
    expect(driver.readings()).toEqual({ "ch1.muted": false, "ch1.levelDb": 0, "ch2.muted": false, "ch2.levelDb": 0 });
    await driver.mute(1, true);
    await driver.level(2, -6);
    expect(await driver.step(2, 3)).toBe(-3);
    await driver.preset(1001);
    expect(dsp.mutes).toEqual([true, false]);
    expect(dsp.levels).toEqual([0, -3]);
    expect(dsp.presetsRecalled).toEqual([1001]);
    expect(driver.readings()).toMatchObject({ "ch1.muted": true, "ch2.levelDb": -3 });
    await expect(driver.level(9, 0)).rejects.toThrow(
      /INVALID_PARAMETER Index out of range:channelIndex min:1 max:2 received:9/,
    );
  });

  it("names a block the DSP does not have", async () => {
    const { driver } = await setUp({ muteBlock: "Mute9" });
    await expect(driver.mute(1, true)).rejects.toThrow(/address not found/);
  });

  it("delivers meters at the subscribed rate, following the scene", async () => {
    const { driver } = await setUp();
    const frames: number[][] = [];
    driver.on("meters", (_at, levels) => frames.push(levels));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    // Two channels publish every 100 ms each: about 20 updates a second, at least 12 on a busy machine.
    expect(frames.length).toBeGreaterThanOrEqual(12);
    expect(frames.some((levels) => levels[0] === -20 && levels[1] === -60)).toBe(true);
    expect(frames.some((levels) => levels[0] === -60 && levels[1] === -20)).toBe(true);
  });

  it("subscribes again after the DSP reboots, and meters resume within 3 s", async () => {
    const { dsp, driver } = await setUp();
    let last = 0;
    driver.on("meters", () => (last = Date.now()));
    dsp.reboot();
    const rebootedAt = Date.now();
    await until("meters after the reboot", () => last > rebootedAt + 150, 3000);
  });

  it("comes back after the cable is pulled and put back, and puts the room's mutes and levels back", async () => {
    const { pty, dsp, driver, supervisor } = await setUp();
    await driver.mute(2, true);
    await driver.level(1, -12);
    await dsp.stop();
    await pty.stop();
    await until("offline", () => supervisor.health().status === "offline", 5000);
    dsp.mutes.fill(false); // the DSP was power-cycled meanwhile
    dsp.levels.fill(0);
    await pty.start();
    await dsp.start();
    const back = await until("ok again", () => supervisor.health().status === "ok", 5000);
    expect(back).toBeLessThan(3000);
    await until("mutes and levels re-applied", () => dsp.mutes[1] === true && dsp.levels[0] === -12, 2000);
  });

  it("survives 100,000 random bytes and still answers", async () => {
    const { dsp, driver, supervisor } = await setUp();
    let seed = 7;
    const garbage = Array.from({ length: 100_000 }, () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return String.fromCharCode(seed % 256);
    }).join("");
    dsp.sendRaw(garbage);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await driver.mute(1, true);
    expect(dsp.mutes[0]).toBe(true);
    expect(supervisor.health().status).toBe("ok");
  });
});
