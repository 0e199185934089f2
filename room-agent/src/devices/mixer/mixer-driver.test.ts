// The profile-driven driver against each simulated DSP over a real pty pair (socat): every capability, every error
// the simulator can produce, changes made at the DSP itself, meters at the configured rate (subscribed, pushed and
// polled), a DSP reboot, an unplugged cable, and garbage on the line.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  DEVICE_MODELS_DIR,
  loadProfile,
  type MixerDeviceEntry,
  type MixerModelProfile,
  mixerDeviceEntry,
  mixerModelProfile,
} from "@rc/hardware-profiles";
import {
  type AudioScene,
  type DspSimulator,
  EXTRON_DESIGN,
  ExtronSimulator,
  PtyPair,
  ROOM_CONVENTION,
  SymetrixSimulator,
  TESIRA_DESIGN,
  TesiraSimulator,
} from "@rc/simulators";
import { type Logger, pino } from "pino";
import { SerialPort } from "serialport";
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "../../../../test/support/wait-for.ts";
import { RoomPrivacy } from "../../privacy.ts";
import { RoomDevices } from "../../room-devices.ts";
import { RoomFacts } from "../../room-facts.ts";
import { DeviceSupervisor } from "../device-supervisor.ts";
import { MixerDriver, type MixerRoomHooks } from "./mixer-driver.ts";

const profileOf = (model: string, change: Partial<MixerModelProfile> = {}): MixerModelProfile => ({
  ...loadProfile(mixerModelProfile, join(DEVICE_MODELS_DIR, "mixer", `${model}.json`)),
  channels: 2,
  ...change,
});
// Channel 1 speaks for half a second, then channel 2; the simulator loops it. The level wobbles by 1 dB every
// frame (20 a second), so a DSP that pushes only changed values (Symetrix) still has something to push each time.
const scene: AudioScene = {
  name: "two talkers",
  rateHz: 20,
  channels: ["a", "b"],
  levels: Array.from({ length: 20 }, (_, frame) => {
    const wobble = frame % 3; // not a divisor of the 2- and 4-frame meter periods, so each reading differs
    return frame < 10 ? [-20 - wobble, -60 - wobble] : [-60 - wobble, -20 - wobble];
  }),
  truth: [],
};

/** This file's waits: 5 s unless a test says otherwise, asked every 20 ms. */
function until(what: string, check: () => boolean, timeoutMs = 5000) {
  return waitFor(what, check, timeoutMs, 20);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Rig {
  model: string;
  simulator: (path: string) => DspSimulator;
  /** Our standard room design on this DSP: the program volume's and the "mics" mute group's addresses. */
  programVolume: string;
  mics: string;
  preset: number;
  /** Meter mode as shipped, and the meter period to ask for in the rate test (fixed by the DSP where it cannot be). */
  meters: "subscribe" | "push" | "none";
  meterIntervalMs: number;
  /** Every error the simulator produces: provoked through the driver (what the caller reads) or as a raw line. */
  refusals: { provoke: (driver: MixerDriver) => Promise<unknown>; says: string }[];
  rawErrors: { send: string; answer: string }[];
  /** Documented errors the simulator only gives when told to (a busy or failing DSP). */
  injected: { line: string; says: string }[];
}

const ESC = "\u001b";
const RIGS: Rig[] = [
  {
    model: "biamp-tesira",
    simulator: (path) => new TesiraSimulator(path, 2, scene),
    programVolume: TESIRA_DESIGN.programLevel,
    mics: TESIRA_DESIGN.micMuteGroup,
    preset: 1001,
    meters: "subscribe",
    meterIntervalMs: 200,
    refusals: [
      {
        provoke: (driver) => driver.level(9, 0),
        says: "the DSP answered INVALID_PARAMETER Index out of range:channelIndex min:1 max:2 received:9",
      },
    ],
    rawErrors: [
      { send: "Level9 get level 1", answer: '-ERR address not found: {"deviceId":0 "classCode":0 "instanceNum":0}' },
      {
        send: "Level1 frobnicate level 1",
        answer: "-ERR Parse error at 8: verb was not one of the commands supported by Services",
      },
      { send: "Level1 get level", answer: "-ERR Parse error at 17: not enough parameters supplied" },
      { send: "Level1 set level 1 loud", answer: "-ERR Parse error at 20: could not parse value" },
      {
        send: "Mute1 get mute 3",
        answer: "-ERR INVALID_PARAMETER Index out of range:channelIndex min:1 max:2 received:3",
      },
      { send: "AudioMeter1 set level 1 0", answer: "-ERR WRONG_STATE" },
      { send: "AudioMeter1 subscribe level 1 mic1 100", answer: "-ERR ALREADY_SUBSCRIBED" },
    ],
    injected: [
      { line: "-CANNOT_DELIVER", says: "the DSP answered CANNOT_DELIVER" },
      { line: "-GENERAL_FAILURE", says: "the DSP answered GENERAL_FAILURE" },
    ],
  },
  {
    model: "extron-dmp128-plus",
    simulator: (path) => new ExtronSimulator(path, "plus", 2, scene),
    programVolume: String(EXTRON_DESIGN.programOutput),
    mics: String(EXTRON_DESIGN.micMuteGroup),
    preset: 5,
    meters: "subscribe",
    meterIntervalMs: 100,
    refusals: [
      { provoke: (driver) => driver.level(9, 0), says: "the DSP answered 13" },
      { provoke: (driver) => driver.volume({ levelDb: 6 }), says: "the DSP answered 13" },
      { provoke: (driver) => driver.preset(99), says: "the DSP answered 11" },
    ],
    rawErrors: [
      { send: "X", answer: "E10" },
      { send: `${ESC}D65*1GRPM`, answer: "E13" }, // group masters 01-64 on the Plus
      { send: `${ESC}D5*1GRPM`, answer: "E14" },
    ],
    injected: ["E12", "E17", "E22", "E24", "E25"].map((line) => ({ line, says: `the DSP answered ${line.slice(1)}` })),
  },
  {
    model: "extron-dmp128",
    simulator: (path) => new ExtronSimulator(path, "original", 2, scene),
    programVolume: String(EXTRON_DESIGN.programOutput),
    mics: String(EXTRON_DESIGN.micMuteGroup),
    preset: 32,
    meters: "none",
    meterIntervalMs: 100,
    refusals: [
      // The guide's ranges: mic/line input gain -18…+80 dB, output volume -100…0 dB.
      { provoke: (driver) => driver.level(1, -40), says: "the DSP answered 13" },
      { provoke: (driver) => driver.volume({ levelDb: 6 }), says: "the DSP answered 13" },
      { provoke: (driver) => driver.preset(33), says: "the DSP answered 11" },
    ],
    rawErrors: [
      { send: `${ESC}V40000AU`, answer: "E10" },
      { send: `${ESC}9CV`, answer: "E13" },
      { send: `${ESC}D7GRPM`, answer: "E14" },
    ],
    injected: [],
  },
  {
    model: "symetrix-composer",
    simulator: (path) => new SymetrixSimulator(path, 2, scene),
    programVolume: String(ROOM_CONVENTION.programFader),
    mics: String(ROOM_CONVENTION.micMuteButton),
    preset: 12,
    meters: "push",
    meterIntervalMs: 200,
    refusals: [
      { provoke: (driver) => driver.mute(9, true), says: "the DSP answered NAK" },
      { provoke: (driver) => driver.preset(2000), says: "the DSP answered NAK" },
    ],
    rawErrors: [
      { send: "FOO", answer: "NAK" },
      { send: "PUI 5", answer: "NAK" },
      { send: "GS 9999", answer: "NAK" },
    ],
    injected: [],
  },
];

interface SetUp {
  profile?: Partial<MixerModelProfile>;
  line?: Partial<MixerDeviceEntry>;
  /** Added to the line's connection (its path is the pty's). */
  connection?: Partial<MixerDeviceEntry["connection"]>;
  /** What to wait for after start: "ok" unless told. */
  status?: "ok" | "bad_config";
  log?: Logger;
}

/** A DSP simulator on a fresh pty pair and the driver under a supervisor, all taken down by `cleanups`. */
async function setUpRig(rig: Rig, cleanups: (() => Promise<void>)[], options: SetUp = {}) {
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
  const entry = mixerDeviceEntry.parse({
    id: "dsp",
    kind: "mixer",
    model: rig.model,
    connection: { path: pty.hostPath, ...options.connection },
    programVolume: rig.programVolume,
    muteGroups: { mics: rig.mics },
    ...options.line,
  });
  // Privacy's real owner over this one DSP; `privacy` lists every change of the room's fact.
  const facts = new RoomFacts();
  const privacy: boolean[] = [];
  facts.on("change", (_values, changed) => {
    if (changed.privacy !== undefined) privacy.push(changed.privacy);
  });
  const devices = new RoomDevices();
  const owner = new RoomPrivacy({ facts, devices, log: pino({ level: "silent" }), emitEvent: () => {} });
  const room: MixerRoomHooks = { emitMeters: () => {}, micChannels: [1, 2], privacy: owner };
  const driver = new MixerDriver(entry, profileOf(rig.model, options.profile), {
    log: options.log ?? pino({ level: "silent" }),
    ...room,
  });
  const supervisor = new DeviceSupervisor(driver, {
    probeIntervalMs: 300,
    offlineAfter: 2,
    backoffMinMs: 200,
    backoffMaxMs: 800,
  });
  devices.add(supervisor);
  cleanups.push(async () => {
    owner.stop();
    await supervisor.stop();
  });
  owner.start();
  supervisor.start();
  const status = options.status ?? "ok";
  await until(status, () => supervisor.health().status === status);
  return { pty, dsp, driver, supervisor, privacy, facts };
}

/** "Send this line, the DSP answers this": a bare line client on the host end, for lines no driver call makes. */
async function answersTo(path: string, profile: MixerModelProfile, lines: string[]): Promise<string[]> {
  const port = new SerialPort({ path, baudRate: profile.serial.baudRate, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
  // The answer to the driver's last probe may still be on its way: let it arrive and pass before the first line.
  const pass = () => {};
  port.on("data", pass);
  await sleep(200);
  port.off("data", pass);
  try {
    const answers: string[] = [];
    for (const line of lines) {
      let received = "";
      const onData = (chunk: Buffer) => {
        received += chunk.toString("latin1");
      };
      // The answer is the first whole line that is no meter or change notice of the still subscribed session.
      const answer = () =>
        received
          .split(/\r\n|\r|\n/)
          .slice(0, -1)
          .find((text) => text.length > 0 && !/^(!|#|DsV)/.test(text));
      port.on("data", onData);
      port.write(line + profile.framing.terminator);
      await until(`an answer to ${JSON.stringify(line)}`, () => answer() !== undefined);
      port.off("data", onData);
      answers.push(answer()!);
    }
    return answers;
  } finally {
    await new Promise<void>((resolve) => port.close(() => resolve()));
  }
}

describe.each(RIGS)("mixer driver against a simulated $model", (rig) => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it("reads the DSP at connect, and drives every capability", async () => {
    const { dsp, driver, privacy } = await setUpRig(rig, cleanups);
    expect(driver.readings()).toMatchObject({
      "ch1.muted": false,
      "ch2.levelDb": 0,
      "program.levelDb": 0,
      "group.mics.muted": false,
    });
    const names = driver.capabilities().map((capability) => capability.name);
    expect(names).toEqual(expect.arrayContaining(["ch2.muted", "ch1.levelDb", "program.levelDb", "group.mics.muted"]));

    await driver.mute(2, true);
    expect(dsp.mutes).toEqual([false, true]);
    await driver.mute(2, false);
    expect(dsp.mutes[1]).toBe(false);
    await driver.level(1, -6);
    expect(dsp.levels[0]).toBeCloseTo(-6, 1);
    expect(await driver.step(1, 3)).toBeCloseTo(-3, 1);
    expect(await driver.step(1, -1.5)).toBeCloseTo(-4.5, 1);
    expect(dsp.levels[0]).toBeCloseTo(-4.5, 1);

    expect(await driver.volume({ levelDb: -20 })).toBe(-20);
    expect(dsp.volumeDb(rig.programVolume)).toBeCloseTo(-20, 1);
    expect(await driver.volume({ stepDb: 2 })).toBeCloseTo(-18, 1);
    expect(dsp.volumeDb(rig.programVolume)).toBeCloseTo(-18, 1);
    expect(driver.readings()["program.levelDb"]).toBeCloseTo(-18, 1);

    await driver.groupMute("mics", true);
    expect(dsp.groupMuted(rig.mics)).toBe(true);
    await expect(driver.groupMute("loa", true)).rejects.toThrow('dsp has no mute group "loa" (it has: mics)');
    // Privacy is the mics group here: one command, the channel mutes untouched.
    expect(await driver.requestPrivacy(false)).toEqual({ group: "mics" });
    expect(dsp.groupMuted(rig.mics)).toBe(false);
    expect(dsp.mutes).toEqual([false, false]);
    expect(privacy).toEqual([true, false]); // the mics group by name is privacy, then privacy asked off

    await driver.preset(rig.preset);
    expect(dsp.presetsRecalled).toEqual([rig.preset]);
  });

  it("passes on every refusal the DSP gives, and stays usable", async () => {
    const { pty, dsp, driver, supervisor } = await setUpRig(rig, cleanups);
    for (const { provoke, says } of rig.refusals) await expect(provoke(driver)).rejects.toThrow(says);
    for (const { line, says } of rig.injected) {
      dsp.misbehaviour.answerWith = line;
      await expect(driver.mute(1, true)).rejects.toThrow(says);
      dsp.misbehaviour.answerWith = null;
    }
    await driver.mute(1, true); // the queue is not stuck after a refusal
    expect(dsp.mutes[0]).toBe(true);
    // The rest, line by line with the driver off the port.
    await supervisor.stop();
    const sends = rig.rawErrors.map((error) => error.send);
    expect(await answersTo(pty.hostPath, profileOf(rig.model), sends)).toEqual(rig.rawErrors.map((e) => e.answer));
  });

  it("follows changes made at the DSP itself", async () => {
    const { dsp, driver, privacy } = await setUpRig(rig, cleanups);
    dsp.changeLocally({ channel: 1, muted: true });
    await until("the mute reported", () => driver.readings()["ch1.muted"] === true, 2000);
    dsp.changeLocally({ channel: 2, levelDb: -12 });
    await until("the level reported", () => driver.readings()["ch2.levelDb"] === -12, 2000);
    dsp.changeLocally({ volume: rig.programVolume, levelDb: -30 });
    await until("the program volume reported", () => driver.readings()["program.levelDb"] === -30, 2000);
    dsp.changeLocally({ group: rig.mics, muted: true });
    await until("the mute group reported", () => driver.readings()["group.mics.muted"] === true, 2000);
    expect(privacy).toEqual([true]); // the mics group pressed at the DSP is privacy
  });

  // A model without meters has no such test (rather than one reported skipped).
  const withMeters = rig.meters === "none" ? () => {} : it;
  withMeters("delivers meters that follow the scene, at the configured rate", async () => {
    const { driver } = await setUpRig(rig, cleanups, { profile: { meterIntervalMs: rig.meterIntervalMs } });
    const frames: number[][] = [];
    driver.on("meters", (_at, levels) => frames.push(levels));
    // Which mic is 40 dB louder swaps every half second (the Symetrix meter floor is −48 dBu: compare, not equal).
    await until(
      "both halves of the scene",
      () => frames.some((l) => l[0]! - l[1]! >= 20) && frames.some((l) => l[1]! - l[0]! >= 20),
      3000,
    );
    const before = frames.length;
    await sleep(2000);
    // Each of the two channels once per period: 2 s × 2 channels / period, give or take a loaded machine.
    const expected = (2000 * 2) / rig.meterIntervalMs;
    expect(frames.length - before).toBeGreaterThanOrEqual(expected * 0.6);
    expect(frames.length - before).toBeLessThanOrEqual(expected * 1.3);
  });

  it("re-initialises after a DSP reboot and comes back after a replug with the room's settings", async () => {
    const { pty, dsp, driver, supervisor } = await setUpRig(rig, cleanups);
    await driver.mute(2, true);
    await driver.volume({ levelDb: -10 });
    await driver.groupMute("mics", true);
    dsp.reboot();
    await sleep(300);
    await driver.level(1, -12);
    await dsp.stop();
    await pty.stop();
    await until("not ok", () => supervisor.health().status !== "ok", 3000);
    // The DSP lost its settings while unplugged (another controller, a power cut).
    dsp.mutes.fill(false);
    dsp.changeLocally({ volume: rig.programVolume, levelDb: 0 });
    dsp.changeLocally({ group: rig.mics, muted: false });
    await pty.start();
    await dsp.start();
    await until("ok again", () => supervisor.health().status === "ok", 3000);
    await until("mute re-applied", () => dsp.mutes[1] === true, 2000);
    expect(dsp.levels[0]).toBeCloseTo(-12, 1);
    expect(dsp.volumeDb(rig.programVolume)).toBeCloseTo(-10, 1);
    expect(dsp.groupMuted(rig.mics)).toBe(true);
  });

  it("a DSP re-plugged that misses its first lines is set up on the first try: short keep-alives until it answers", async () => {
    const { pty, dsp, supervisor } = await setUpRig(rig, cleanups);
    await dsp.stop();
    await pty.stop();
    await until("not ok", () => supervisor.health().status !== "ok", 3000);
    const before = dsp.received.length;
    dsp.misbehaviour.bootingMs = 1200;
    await pty.start();
    await dsp.start();
    await until("ok again", () => supervisor.health().status === "ok", 6000);
    const since = dsp.received.slice(before);
    const profile = profileOf(rig.model);
    // Asked several times while deaf, then set up once: no initialisation lost to a time-out and started over.
    expect(since.filter((line) => line === profile.keepAlive.send).length).toBeGreaterThan(2);
    const firstStep = profile.init[0]?.send ?? profile.keepAlive.send;
    expect(since.filter((line) => line === firstStep).length).toBe(1);
  });

  it("fault 7: after a DSP is re-plugged, the state reports the levels and mutes it re-applied, and privacy stays on while a seat mic is muted", async () => {
    const { pty, dsp, driver, supervisor, privacy, facts } = await setUpRig(rig, cleanups);
    await driver.level(1, -12);
    await driver.mute(2, true);
    await driver.volume({ levelDb: -10 });
    await driver.requestPrivacy(true);
    expect(privacy).toEqual([true]);
    await dsp.stop();
    await pty.stop();
    await until("not ok", () => supervisor.health().status !== "ok", 3000);
    // Power cut while unplugged: the DSP comes back with its own defaults, mics open.
    dsp.mutes.fill(false);
    dsp.levels.fill(0);
    dsp.changeLocally({ volume: rig.programVolume, levelDb: 0 });
    dsp.changeLocally({ group: rig.mics, muted: false });
    await pty.start();
    await dsp.start();
    await until("ok again", () => supervisor.health().status === "ok", 3000);
    // What the DSP holds now, and what the driver says it holds: the same.
    expect(dsp.levels[0]).toBeCloseTo(-12, 1);
    expect(dsp.mutes[1]).toBe(true);
    expect(dsp.volumeDb(rig.programVolume)).toBeCloseTo(-10, 1);
    expect(dsp.groupMuted(rig.mics)).toBe(true);
    expect(driver.readings()).toMatchObject({
      "ch1.levelDb": -12,
      "ch2.muted": true,
      "program.levelDb": -10,
      "group.mics.muted": true,
    });
    expect(privacy, "privacy never off on the way").toEqual([true]);
    expect(facts.get().privacy).toBe(true);
  });

  it("survives 100,000 random bytes and still answers", async () => {
    const { dsp, driver, supervisor } = await setUpRig(rig, cleanups);
    let seed = 11;
    dsp.sendRaw(
      Array.from({ length: 100_000 }, () => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        return String.fromCharCode(seed % 256);
      }).join(""),
    );
    // The reply glued to the garbage's unterminated tail may be lost (one time-out at most); then all works again.
    await sleep(1500);
    await until("ok", () => supervisor.health().status === "ok", 5000);
    await driver.mute(1, true);
    expect(dsp.mutes[0]).toBe(true);
  });
});

describe.each([RIGS[0]!, RIGS[1]!])("meters polled from a simulated $model", (rig) => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it("reads each channel's meter every period, and nothing is subscribed", async () => {
    const { dsp, driver } = await setUpRig(rig, cleanups, { profile: { meterMode: "poll", meterIntervalMs: 200 } });
    const frames: number[][] = [];
    driver.on("meters", (_at, levels) => frames.push(levels));
    await sleep(2000);
    expect(frames.length).toBeGreaterThanOrEqual(20 * 0.6);
    expect(frames.length).toBeLessThanOrEqual(20 * 1.3);
    expect(frames.some((l) => Math.abs(l[0]! - l[1]!) >= 20)).toBe(true);
    expect(dsp.received.filter((line) => /subscribe level \d+ mic|V4000\d\*1AU/.test(line))).toEqual([]);
    // Commands still get through between the polls.
    await driver.mute(1, true);
    expect(dsp.mutes[0]).toBe(true);
  });
});

describe("mixer driver: what only the Tesira simulator shows", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  const tesira = RIGS[0]!;

  it("names a block the DSP does not have: that control is refused, the rest works", async () => {
    const { driver } = await setUpRig(tesira, cleanups, {
      line: { bindings: { muteBlock: "Mute9" }, muteGroups: { mics: "NoSuchBlock" } },
    });
    await expect(driver.mute(1, true)).rejects.toThrow(/address not found/);
    await expect(driver.groupMute("mics", true)).rejects.toThrow(/address not found/);
    await driver.level(1, -3);
  });

  it("mutes mic by mic for privacy when the room names no mics group", async () => {
    const { dsp, driver, privacy } = await setUpRig(tesira, cleanups, { line: { muteGroups: {} } });
    expect(await driver.privacy(true)).toEqual({ channels: [1, 2] });
    expect(dsp.mutes).toEqual([true, true]);
    expect(privacy).toEqual([true]);
    await expect(driver.groupMute("mics", true)).rejects.toThrow(/has no mute group "mics" \(it has: none\)/);
  });

  it("delivers meters again within 3 s of a DSP reboot", async () => {
    const { dsp, driver } = await setUpRig(tesira, cleanups);
    const frames: number[] = [];
    driver.on("meters", () => frames.push(Date.now()));
    await until("meters", () => frames.length > 0, 2000);
    dsp.reboot();
    const rebootedAt = Date.now();
    await until("meters after the reboot", () => (frames.at(-1) ?? 0) > rebootedAt + 150, 3000);
  });
});

describe.each([RIGS[1]!, RIGS[2]!])(
  "mixer driver: a simulated $model's group masters as the guide prints them",
  (rig) => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    it("mutes group 1 answered GrpmD01*+00001, and keeps the output volume within -100…0 dB", async () => {
      const { pty, dsp, driver, supervisor } = await setUpRig(rig, cleanups);
      await driver.requestPrivacy(true);
      expect(dsp.groupMuted(rig.mics)).toBe(true);
      expect(driver.readings()["group.mics.muted"]).toBe(true);
      await expect(driver.volume({ levelDb: 0.5 })).rejects.toThrow("the DSP answered 13");
      expect(await driver.volume({ levelDb: -100 })).toBe(-100);
      await supervisor.stop();
      expect(await answersTo(pty.hostPath, profileOf(rig.model), [`${ESC}D1GRPM`, `${ESC}D1*0GRPM`])).toEqual([
        "GrpmD01*+00001",
        "GrpmD01*+00000",
      ]);
    });
  },
);

describe("mixer driver: Tesira subscriptions answered either way", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it.each(["one-line", "separate"] as const)("subscribes with the %s first reply", async (form) => {
    const rig: Rig = {
      ...RIGS[0]!,
      simulator: (path) => Object.assign(new TesiraSimulator(path, 2, scene), { subscribeReply: form }),
    };
    const { dsp, driver } = await setUpRig(rig, cleanups);
    const frames: number[][] = [];
    driver.on("meters", (_at, levels) => frames.push(levels));
    await until("meters", () => frames.length > 3, 2000);
    dsp.changeLocally({ channel: 2, muted: true });
    await until("the mute reported", () => driver.readings()["ch2.muted"] === true, 2000);
    dsp.changeLocally({ group: rig.mics, muted: true });
    await until("the mute group reported", () => driver.readings()["group.mics.muted"] === true, 2000);
  });
});

describe("mixer driver: a Tesira with security on (biamp-tesira-secure)", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    delete process.env.RC_TEST_DSP_PASSWORD;
  });
  const account = { username: "control", password: "mat-khau 42" };
  const secure = (security = account): Rig => ({
    ...RIGS[0]!,
    model: "biamp-tesira-secure",
    simulator: (path) => Object.assign(new TesiraSimulator(path, 2, scene), { security }),
  });
  /** Every log line the driver writes, to show no password reaches one. */
  const captured = () => {
    const lines: string[] = [];
    const log = pino({ level: "debug" }, { write: (line: string) => void lines.push(line) });
    return { lines, log };
  };
  const connection = { username: account.username, passwordEnv: "RC_TEST_DSP_PASSWORD" };

  it("logs in, keeps the login over a replug, logs in again after a reboot, and logs no password", async () => {
    process.env.RC_TEST_DSP_PASSWORD = account.password;
    const { lines, log } = captured();
    const { pty, dsp, driver, supervisor } = await setUpRig(secure(), cleanups, { connection, log });
    const logins = () => dsp.received.filter((line) => line === account.username).length;
    expect(logins()).toBe(1);
    await driver.mute(1, true);
    expect(dsp.mutes[0]).toBe(true);
    // Unplugged and plugged back: the DSP's RS-232 is still logged in, so no second login.
    await dsp.stop();
    await pty.stop();
    await until("not ok", () => supervisor.health().status !== "ok", 3000);
    await pty.start();
    await dsp.start();
    await until("ok again", () => supervisor.health().status === "ok", 5000);
    expect(logins()).toBe(1);
    // A reboot logs it out: the driver logs in again and sets the DSP up.
    const subscribes = () => dsp.received.filter((line) => line.startsWith("AudioMeter1 subscribe")).length;
    const before = subscribes();
    dsp.reboot();
    await until("logged in again", () => logins() === 2, 3000);
    await until("meters subscribed again", () => subscribes() === before + 2, 3000);
    await driver.mute(2, true);
    expect(dsp.mutes[1]).toBe(true);
    expect((dsp as TesiraSimulator).failedLogins).toBe(0);
    expect(lines.join("\n")).toContain("logged in to the DSP");
    expect(lines.join("\n")).not.toContain(account.password);
  });

  it("a wrong password is bad_config after one attempt, never retried, so the account is not locked", async () => {
    process.env.RC_TEST_DSP_PASSWORD = "wrong password";
    const { lines, log } = captured();
    const { dsp, supervisor } = await setUpRig(secure(), cleanups, { connection, log, status: "bad_config" });
    expect(supervisor.health().detail).toMatch(
      /^the DSP refused the login of "control" \(Login incorrect\): wrong user name or password; not tried again/,
    );
    await sleep(2500); // several backoffs' worth
    expect((dsp as TesiraSimulator).failedLogins).toBe(1);
    expect(dsp.received.filter((line) => line === "wrong password")).toHaveLength(1);
    expect(supervisor.health().status).toBe("bad_config");
    expect(lines.join("\n")).not.toContain("wrong password");
  });

  it("a room line without credentials is bad_config naming what it needs; a security-off DSP needs none", async () => {
    const { supervisor } = await setUpRig(secure(), cleanups, { status: "bad_config" });
    expect(supervisor.health().detail).toBe(
      "biamp-tesira-secure asks for a login (security is on): the room's mixer line needs connection.username and connection.passwordEnv",
    );
    const off: Rig = { ...secure(), simulator: (path) => new TesiraSimulator(path, 2, scene) };
    const { driver } = await setUpRig(off, cleanups);
    await driver.mute(1, true);
  });
});

describe("mixer driver: a room line its model cannot serve", () => {
  it("is bad_config with the reason, and never opens the port", async () => {
    const entry = mixerDeviceEntry.parse({
      id: "dsp",
      kind: "mixer",
      model: "symetrix-composer",
      connection: { path: "/nonexistent/ttyUSB9" },
      programVolume: "ProgramLevel",
    });
    const driver = new MixerDriver(entry, profileOf("symetrix-composer"), { log: pino({ level: "silent" }) });
    const supervisor = new DeviceSupervisor(driver);
    supervisor.start();
    try {
      await until("bad_config", () => supervisor.health().status === "bad_config", 2000);
      expect(supervisor.health().detail).toBe(
        'programVolume: a controller number 1-10000 (symetrix-composer); got "ProgramLevel"',
      );
    } finally {
      await supervisor.stop();
    }
  });
});
