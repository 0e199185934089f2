// A DSP on a serial port, driven entirely by its model profile (DESIGN §3.3): init, keep-alive, commands one at a
// time with a time-out, replies matched by pattern, unsolicited changes and meters, re-init after a reboot, and
// the room's mutes and levels put back after every reconnect.
import { EventEmitter } from "node:events";
import type { MixerDeviceEntry, MixerModelProfile } from "@rc/hardware-profiles";
import type { CapabilityDescriptor } from "@rc/protocol";
import type { Logger } from "pino";
import { SerialPort } from "serialport";
import { BadConfigError } from "../../agent-error.ts";
import type { DeviceDriver, DriverLink } from "../device-supervisor.ts";
import type { DeviceKindModule } from "../driver-registry.ts";
import { type EncodedCommand, MixerCodec, type MixerCommandName, type MixerValues } from "./mixer-codec.ts";

interface Queued {
  command: EncodedCommand;
  resolve: (values: MixerValues) => void;
  reject: (error: Error) => void;
}

/** What the driver tells the rest of the room. */
export interface MixerRoomLinks {
  /** Meters for the panel (throttled); the director subscribes to the driver's "meters" event instead. */
  emitMeters: (levelsDb: number[]) => void;
  /** The DSP inputs that are the room's microphones (privacy mutes them all). */
  micChannels: number[];
  setPrivacy: (on: boolean) => void;
}

/** Meters go to the controller (for the panel) at most this often; the director reads every frame locally. */
const PANEL_METER_INTERVAL_MS = 250;

export class MixerDriver extends EventEmitter<{ meters: [number, number[]] }> implements DeviceDriver {
  readonly kind = "mixer";
  private readonly codec: MixerCodec;
  private port: SerialPort | undefined;
  private queue: Queued[] = [];
  private inFlight: (Queued & { timer: NodeJS.Timeout }) | undefined;
  private readonly wanted = { mutes: new Map<number, boolean>(), levels: new Map<number, number>() };
  private readonly reported = { mutes: new Map<number, boolean>(), levels: new Map<number, number>() };
  private readonly meters: number[];
  private lastPanelMeters = 0;
  counters = { unknownLines: 0, deviceErrors: 0, timeouts: 0 };

  constructor(
    private readonly entry: MixerDeviceEntry,
    private readonly profile: MixerModelProfile,
    private readonly log: Logger,
    private readonly room: MixerRoomLinks = { emitMeters: () => {}, micChannels: [], setPrivacy: () => {} },
  ) {
    super();
    this.codec = new MixerCodec(profile, entry.bindings);
    this.meters = Array.from({ length: profile.channels }, () => -100);
  }

  get id(): string {
    return this.entry.id;
  }

  get model(): string {
    return this.profile.model;
  }

  capabilities(): CapabilityDescriptor[] {
    const perChannel = Array.from({ length: this.profile.channels }, (_, index) => index + 1).flatMap((channel) => [
      { name: `ch${channel}.muted`, type: "boolean" as const, readable: true, writable: true },
      {
        name: `ch${channel}.levelDb`,
        type: "number" as const,
        unit: "dB",
        min: -100,
        max: 12,
        step: 0.5,
        readable: true,
        writable: true,
      },
    ]);
    const preset = this.codec.supports("recallPreset")
      ? [{ name: "preset", type: "action" as const, readable: false, writable: true }]
      : [];
    return [...perChannel, ...preset];
  }

  async connect(link: DriverLink): Promise<void> {
    const port = new SerialPort({
      path: this.entry.connection.path,
      baudRate: this.entry.connection.baudRate ?? this.profile.serial.baudRate,
      dataBits: this.profile.serial.dataBits,
      parity: this.profile.serial.parity,
      stopBits: this.profile.serial.stopBits,
      autoOpen: false,
    });
    await new Promise<void>((resolve, reject) =>
      port.open((error) => {
        if (!error) return resolve();
        // A port that does not exist may appear later (a USB adapter plugged in): retry, but say so.
        reject(/Permission denied/.test(error.message) ? new BadConfigError(error.message) : error);
      }),
    );
    this.port = port;
    port.on("data", (chunk: Buffer) => this.receive(chunk.toString("latin1"), link));
    port.on("error", (error) => this.log.warn({ err: error.message }, "serial port error"));
    port.on("close", () => {
      if (this.port !== port) return;
      this.port = undefined;
      this.failAll(new Error("serial port closed"));
      link.lost("serial port closed");
    });
    await this.initialise();
  }

  async probe(): Promise<void> {
    const { send, expect } = this.profile.keepAlive;
    await this.send(this.codec.raw(send, expect));
  }

  async disconnect(): Promise<void> {
    const port = this.port;
    this.port = undefined;
    this.failAll(new Error("disconnected"));
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }

  async reapply(): Promise<void> {
    for (const [channel, muted] of this.wanted.mutes) await this.run("setMute", { channel, muted });
    for (const [channel, levelDb] of this.wanted.levels) await this.run("setLevel", { channel, levelDb });
  }

  readings(): Record<string, number | boolean | null> {
    const readings: Record<string, number | boolean | null> = {};
    for (let channel = 1; channel <= this.profile.channels; channel++) {
      readings[`ch${channel}.muted`] = this.reported.mutes.get(channel) ?? null;
      readings[`ch${channel}.levelDb`] = this.reported.levels.get(channel) ?? null;
    }
    return readings;
  }

  async mute(channel: number, muted: boolean): Promise<void> {
    this.wanted.mutes.set(channel, muted);
    await this.run("setMute", { channel, muted });
    this.reported.mutes.set(channel, muted);
  }

  async level(channel: number, levelDb: number): Promise<void> {
    this.wanted.levels.set(channel, levelDb);
    await this.run("setLevel", { channel, levelDb });
    this.reported.levels.set(channel, levelDb);
  }

  /** A relative change; DSPs without a step command get a read and a write. */
  async step(channel: number, stepDb: number): Promise<number> {
    let levelDb: number;
    if (this.codec.supports("stepLevel")) {
      await this.run("stepLevel", { channel, stepDb });
      levelDb = (await this.run("getLevel", { channel })).levelDb ?? Number.NaN;
    } else {
      const current = (await this.run("getLevel", { channel })).levelDb ?? 0;
      levelDb = current + stepDb;
      await this.run("setLevel", { channel, levelDb });
    }
    this.wanted.levels.set(channel, levelDb);
    this.reported.levels.set(channel, levelDb);
    return levelDb;
  }

  /** Privacy: every microphone of the room muted at the DSP (not at the mic, so echo cancelling keeps adapting). */
  async privacy(on: boolean): Promise<number[]> {
    for (const channel of this.room.micChannels) await this.mute(channel, on);
    this.room.setPrivacy(on);
    return this.room.micChannels;
  }

  async preset(preset: number): Promise<void> {
    await this.run("recallPreset", { preset });
  }

  private async initialise(): Promise<void> {
    for (const step of this.profile.init) await this.send(this.codec.raw(step.send, step.expect));
    // Read what the DSP holds now, so the panel shows the truth before anyone touches anything. A read the DSP
    // refuses (a block name wrong in the profile) is logged, not fatal: the rest of the DSP still works.
    for (let channel = 1; channel <= this.profile.channels; channel++) {
      await this.readChannel(channel).catch((error: Error) =>
        this.log.warn({ channel, err: error.message }, "could not read the channel's mute and level"),
      );
    }
    if (this.profile.meterMode === "subscribe") {
      for (let channel = 1; channel <= this.profile.channels; channel++) await this.run("subscribeMeter", { channel });
    }
  }

  private async readChannel(channel: number): Promise<void> {
    if (this.codec.supports("getMute")) {
      const { muted } = await this.run("getMute", { channel });
      if (muted !== undefined) this.reported.mutes.set(channel, muted);
    }
    if (this.codec.supports("getLevel")) {
      const { levelDb } = await this.run("getLevel", { channel });
      if (levelDb !== undefined) this.reported.levels.set(channel, levelDb);
    }
  }

  private run(command: MixerCommandName, values: MixerValues): Promise<MixerValues> {
    return this.send(this.codec.encode(command, values));
  }

  private send(command: EncodedCommand): Promise<MixerValues> {
    if (!this.port) return Promise.reject(new Error("not connected"));
    return new Promise((resolve, reject) => {
      this.queue.push({ command, resolve, reject });
      this.next();
    });
  }

  /** One command on the wire at a time: replies of most DSPs carry nothing that says which command they answer. */
  private next(): void {
    if (this.inFlight || !this.port) return;
    const queued = this.queue.shift();
    if (!queued) return;
    const timer = setTimeout(() => {
      this.counters.timeouts++;
      this.finish(
        new Error(
          `no reply to ${JSON.stringify(queued.command.line.trim())} within ${this.profile.pacing.timeoutMs} ms`,
        ),
      );
    }, this.profile.pacing.timeoutMs);
    this.inFlight = { ...queued, timer };
    this.port.write(Buffer.from(queued.command.line, "latin1"));
  }

  private finish(result: MixerValues | Error): void {
    const done = this.inFlight;
    if (!done) return;
    this.inFlight = undefined;
    clearTimeout(done.timer);
    if (result instanceof Error) done.reject(result);
    else done.resolve(result);
    this.next();
  }

  private failAll(error: Error): void {
    const queued = this.queue;
    this.queue = [];
    this.finish(error);
    for (const q of queued) q.reject(error);
  }

  private receive(text: string, link: DriverLink): void {
    for (const line of this.codec.split(text)) {
      const waiting = this.inFlight ? { sent: this.inFlight.command.line, command: this.inFlight.command } : undefined;
      const seen = this.codec.classify(line, waiting);
      switch (seen.kind) {
        case "echo":
          break;
        case "reply":
          this.finish(seen.values);
          break;
        case "error":
          this.counters.deviceErrors++;
          if (this.inFlight) this.finish(new Error(`the DSP answered ${seen.message}`));
          else this.log.warn({ error: seen.message }, "DSP error without a command waiting");
          break;
        case "unsolicited":
          this.unsolicited(seen.event, seen.values, link);
          break;
        case "unknown":
          this.counters.unknownLines++;
          this.log.debug({ line: seen.line }, "line not understood");
      }
    }
  }

  private unsolicited(event: string, values: MixerValues, link: DriverLink): void {
    const channel = values.channel;
    if (event === "reboot") {
      this.log.warn("the DSP restarted: running init and subscriptions again");
      this.failAll(new Error("the DSP restarted"));
      void this.initialise()
        .then(() => this.reapply())
        .catch((error: Error) => link.lost(`re-init after the DSP restarted failed: ${error.message}`));
      return;
    }
    if (channel === undefined || channel < 1 || channel > this.profile.channels) return;
    if (event === "meter" && values.levelDb !== undefined) {
      this.meters[channel - 1] = values.levelDb;
      const now = Date.now();
      this.emit("meters", now, [...this.meters]);
      if (now - this.lastPanelMeters >= PANEL_METER_INTERVAL_MS) {
        this.lastPanelMeters = now;
        this.room.emitMeters([...this.meters]);
      }
      return;
    }
    if (event === "mute" && values.muted !== undefined) this.reported.mutes.set(channel, values.muted);
    if (event === "level" && values.levelDb !== undefined) this.reported.levels.set(channel, values.levelDb);
    link.changed();
  }
}

export const mixerKind: DeviceKindModule<MixerDeviceEntry, MixerDriver> = {
  kind: "mixer",
  create: (entry, context) =>
    new MixerDriver(entry, context.model as MixerModelProfile, context.log, {
      emitMeters: (levelsDb) => context.emitEvent({ type: "meters", data: { levelsDb } }),
      micChannels: context.room.seats.flatMap((seat) => (seat.mic?.device === entry.id ? [seat.mic.channel] : [])),
      setPrivacy: (on) => context.facts.set({ privacy: on }),
    }),
  actions: {
    "mixer.mute": (driver, params) => driver.mute(params.channel, params.muted),
    "mixer.level": (driver, params) => driver.level(params.channel, params.levelDb),
    "mixer.step": async (driver, params) => ({ levelDb: await driver.step(params.channel, params.stepDb) }),
    "mixer.preset": (driver, params) => driver.preset(params.preset),
    "mixer.privacy": async (driver, params) => ({ muted: await driver.privacy(params.on) }),
  },
};
