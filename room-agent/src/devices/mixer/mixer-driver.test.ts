// The profile-driven driver against a simulated Tesira over a real pty pair (socat): capabilities, errors, meters,
// a DSP reboot, an unplugged cable, and garbage on the line.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEVICE_MODELS_DIR, loadProfile, mixerModelProfile } from "@rc/hardware-profiles";
import {
  type AudioScene,
  type DspSimulator,
  ExtronSimulator,
  PtyPair,
  SymetrixSimulator,
  TesiraSimulator,
} from "@rc/simulators";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { DeviceSupervisor } from "../device-supervisor.ts";
import { MixerDriver } from "./mixer-driver.ts";

const profileOf = (model: string) => ({
  ...loadProfile(mixerModelProfile, join(DEVICE_MODELS_DIR, "mixer", `${model}.json`)),
  channels: 2,
});
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

interface Rig {
  model: string;
  simulator: (path: string) => DspSimulator;
  /** A request the DSP refuses, and the words of its refusal. */
  refused: (driver: MixerDriver) => Promise<unknown>;
  refusal: RegExp;
  meters: boolean;
  /** Makes a change at the DSP itself (front panel, another controller), if the protocol reports it. */
  changeElsewhere?: (dsp: DspSimulator) => void;
}

const RIGS: Rig[] = [
  {
    model: "biamp-tesira",
    simulator: (path) => new TesiraSimulator(path, 2, scene),
    refused: (driver) => driver.level(9, 0),
    refusal: /INVALID_PARAMETER Index out of range:channelIndex min:1 max:2 received:9/,
    meters: true,
  },
  {
    model: "extron-dmp128-plus",
    simulator: (path) => new ExtronSimulator(path, "plus", 2, scene),
    refused: (driver) => driver.level(9, 0),
    refusal: /the DSP answered 13/,
    meters: true,
    changeElsewhere: (dsp) => (dsp as ExtronSimulator).frontPanelMute(1, true),
  },
  {
    model: "extron-dmp128",
    simulator: (path) => new ExtronSimulator(path, "original", 2, scene),
    refused: (driver) => driver.level(1, 40),
    refusal: /the DSP answered 13/,
    meters: false,
    changeElsewhere: (dsp) => (dsp as ExtronSimulator).frontPanelMute(1, true),
  },
  {
    model: "symetrix-composer",
    simulator: (path) => new SymetrixSimulator(path, 2, scene),
    refused: (driver) => driver.mute(9, true),
    refusal: /the DSP answered NAK/,
    meters: true,
    changeElsewhere: (dsp) => (dsp as SymetrixSimulator).changeElsewhere(101, 65535),
  },
];

/** A DSP simulator on a fresh pty pair and the driver under a supervisor, all taken down by `cleanups`. */
async function setUpRig(rig: Rig, cleanups: (() => Promise<void>)[], bindings: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), "rc-dsp-"));
  const pty = new PtyPair(join(dir, "dsp"), join(dir, "ttyUSB0"));
  // Each part is registered for clean-up as soon as it runs, so a failing set-up leaves no socat behind.
  cleanups.push(async () => {
    await pty.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  await pty.start();
  const dsp = rig.simulator(pty.devicePath);
  cleanups.push(() => dsp.stop());
  await dsp.start();
  const entry = {
    id: "dsp",
    kind: "mixer" as const,
    model: rig.model,
    optional: false,
    enabled: true,
    connection: { path: pty.hostPath },
    bindings,
  };
  const driver = new MixerDriver(entry, profileOf(rig.model), pino({ level: "silent" }));
  const supervisor = new DeviceSupervisor(driver, {
    probeIntervalMs: 300,
    offlineAfter: 2,
    backoffMinMs: 200,
    backoffMaxMs: 800,
  });
  cleanups.push(() => supervisor.stop());
  supervisor.start();
  await until("ok", () => supervisor.health().status === "ok");
  return { pty, dsp, driver, supervisor };
}

describe("mixer driver: what only the Tesira simulator shows", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  const tesira = RIGS[0]!;
  const setUp = async (bindings: Record<string, string> = {}) => {
    const { dsp, driver } = await setUpRig(tesira, cleanups, bindings);
    return { dsp: dsp as TesiraSimulator, driver };
  };

  it("reads the channels at connect and recalls presets", async () => {
    const { dsp, driver } = await setUp();
    expect(driver.readings()).toEqual({ "ch1.muted": false, "ch1.levelDb": 0, "ch2.muted": false, "ch2.levelDb": 0 });
    await driver.preset(1001);
    expect(dsp.presetsRecalled).toEqual([1001]);
  });

  it("names a block the DSP does not have", async () => {
    const { driver } = await setUp({ muteBlock: "Mute9" });
    await expect(driver.mute(1, true)).rejects.toThrow(/address not found/);
  });

  it("delivers meters at the subscribed rate, and again within 3 s of a DSP reboot", async () => {
    const { dsp, driver } = await setUp();
    const frames: number[] = [];
    driver.on("meters", () => frames.push(Date.now()));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    // Two channels publish every 100 ms each: about 20 updates a second, at least 12 on a busy machine.
    expect(frames.length).toBeGreaterThanOrEqual(12);
    dsp.reboot();
    const rebootedAt = Date.now();
    await until("meters after the reboot", () => (frames.at(-1) ?? 0) > rebootedAt + 150, 3000);
  });
});

describe.each(RIGS)("mixer driver against a simulated $model", (rig) => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  const setUp = () => setUpRig(rig, cleanups);

  it("mutes, sets and steps levels, and reports what the DSP refused", async () => {
    const { dsp, driver } = await setUp();
    await driver.mute(2, true);
    await driver.level(1, -6);
    expect(await driver.step(1, 3)).toBeCloseTo(-3, 0);
    expect(dsp.mutes[1]).toBe(true);
    expect(dsp.levels[0]).toBeCloseTo(-3, 0);
    await expect(rig.refused(driver)).rejects.toThrow(rig.refusal);
    await driver.mute(1, true); // the queue is not stuck after a refusal
    expect(dsp.mutes[0]).toBe(true);
  });

  it.runIf(rig.meters)("delivers meters that follow the scene", async () => {
    const { driver } = await setUp();
    const frames: number[][] = [];
    driver.on("meters", (_at, levels) => frames.push(levels));
    // Which mic is 40 dB louder swaps every half second (the Symetrix meter floor is −48 dBu: compare, not equal).
    await until(
      "both halves of the scene",
      () => frames.some((l) => l[0]! - l[1]! >= 20) && frames.some((l) => l[1]! - l[0]! >= 20),
      3000,
    );
  });

  it.runIf(rig.changeElsewhere !== undefined)("follows a change made at the DSP itself", async () => {
    const { dsp, driver } = await setUp();
    rig.changeElsewhere!(dsp);
    await until("the change reported", () => driver.readings()["ch1.muted"] === true, 2000);
  });

  it("re-initialises after a DSP reboot and comes back after a replug with the room's settings", async () => {
    const { pty, dsp, driver, supervisor } = await setUp();
    await driver.mute(2, true);
    dsp.reboot();
    await new Promise((resolve) => setTimeout(resolve, 300));
    await driver.level(1, -12);
    await dsp.stop();
    await pty.stop();
    await until("not ok", () => supervisor.health().status !== "ok", 3000);
    dsp.mutes.fill(false);
    await pty.start();
    await dsp.start();
    await until("ok again", () => supervisor.health().status === "ok", 3000);
    await until("mute re-applied", () => dsp.mutes[1] === true, 2000);
  });

  it("survives 100,000 random bytes and still answers", async () => {
    const { dsp, driver, supervisor } = await setUp();
    let seed = 11;
    dsp.sendRaw(
      Array.from({ length: 100_000 }, () => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        return String.fromCharCode(seed % 256);
      }).join(""),
    );
    // The reply glued to the garbage's unterminated tail may be lost (one time-out at most); then all works again.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await until("ok", () => supervisor.health().status === "ok", 5000);
    await driver.mute(1, true);
    expect(dsp.mutes[0]).toBe(true);
  });
});
