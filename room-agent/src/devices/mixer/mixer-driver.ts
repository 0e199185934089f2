// A DSP on a serial port, driven entirely by its model profile (DESIGN §3.3): init, keep-alive, commands one at a
// time with a time-out, replies matched by pattern, unsolicited changes and meters (subscribed, pushed or polled),
// re-init after a reboot, and the room's mutes, levels, program volume, mute groups and privacy put back after every
// reconnect — and then reported as put back, not as read before.
import { EventEmitter } from "node:events";
import { type MixerDeviceEntry, type MixerModelProfile, mixerEntryProblems } from "@rc/hardware-profiles";
import type { CapabilityDescriptor } from "@rc/protocol";
import type { Logger } from "pino";
import { AgentError, BadConfigError } from "../../agent-error.ts";
import { NO_PRIVACY, type PrivacyReports } from "../../privacy.ts";
import type { DeviceRoles, MeterSource, PrivacyMutes } from "../device-roles.ts";
import type { DeviceDriver, DeviceKindModule, DriverHooks } from "../driver-contract.ts";
import { SerialLine } from "../serial/serial-line.ts";
import { portAppears } from "../serial/serial-transport.ts";
import {
  type EncodedCommand,
  MixerCodec,
  type MixerCommandName,
  type MixerValues,
  sameAddress,
} from "./mixer-codec.ts";

/** What the driver tells the rest of the room. */
export interface MixerRoomHooks {
  /** Meters for the panel (throttled); the director subscribes to the driver's "meters" event instead. */
  emitMeters: (levelsDb: number[]) => void;
  /** The DSP inputs that are the room's microphones (privacy mutes them all when there is no "mics" mute group). */
  micChannels: number[];
  /** Privacy's owner: the "mics" group changed at the DSP itself is a wish; what this DSP holds is news for it. */
  privacy: PrivacyReports;
}

/** What the driver is built with besides its entry and model; the room's hooks default to none. */
export interface MixerContext extends Partial<MixerRoomHooks> {
  log: Logger;
}

/** Meters go to the controller (for the panel) at most this often; the director reads every frame locally. */
const PANEL_METER_INTERVAL_MS = 250;
/** The mute group that privacy mutes, when the room profile names one. */
const MICS_GROUP = "mics";
/** After the port opens: how long each keep-alive waits, and how long the DSP has to answer one (see firstAnswer). */
const FIRST_ANSWER_TRY_MS = 300;
const FIRST_ANSWER_WITHIN_MS = 3000;
/** How long a restarted DSP with a login must have been quiet before the login starts. */
const LOGIN_SETTLE_MS = 300;

export class MixerDriver
  extends EventEmitter<{ meters: [number, number[]] }>
  implements DeviceDriver, MeterSource, PrivacyMutes
{
  readonly kind = "mixer";
  /** The room's mic levels for the director, and the mics privacy mutes. */
  readonly roles: DeviceRoles = { meters: this, privacy: this };
  private readonly codec: MixerCodec;
  private readonly line: SerialLine<EncodedCommand, MixerValues>;
  private readonly log: Logger;
  private readonly room: MixerRoomHooks;
  /** What the room asked for (put back after a reconnect) and what the DSP last said; groups by the room's name. */
  private readonly wanted = {
    mutes: new Map<number, boolean>(),
    levels: new Map<number, number>(),
    volume: undefined as number | undefined,
    groups: new Map<string, boolean>(),
  };
  private readonly reported = {
    mutes: new Map<number, boolean>(),
    levels: new Map<number, number>(),
    volume: null as number | null,
    groups: new Map<string, boolean>(),
  };
  private readonly meters: number[];
  private lastPanelMeters = 0;
  private meterPoll: NodeJS.Timeout | undefined;
  private polling = false;
  /** While the DSP is read at (re)connect, its notices tell what it holds, not what someone pressed. */
  private initialising = false;
  /** While the login steps run, the DSP's login prompts are theirs, not news of a restart. */
  private loggingIn = false;
  private lastReceivedAt = 0;
  /** Settles when the login running (if any) is over; every other command waits for it. */
  private loginGate: Promise<void> = Promise.resolve();
  /** Why the DSP refused our login, once it has: never tried again by this driver (the password comes from the
   *  agent's environment, so a corrected one comes with a new agent process anyway). */
  private loginRefused: string | undefined;
  /** Mute group changes we have sent or queued: the DSP's notice of one (before its reply) is our own echo. */
  private readonly settingGroups: { name: string; muted: boolean }[] = [];
  counters = { unknownLines: 0, deviceErrors: 0, timeouts: 0, meterPollFailures: 0 };

  constructor(
    private readonly entry: MixerDeviceEntry,
    private readonly profile: MixerModelProfile,
    context: MixerContext,
  ) {
    super();
    this.log = context.log;
    this.room = {
      emitMeters: context.emitMeters ?? (() => {}),
      micChannels: context.micChannels ?? [],
      privacy: context.privacy ?? NO_PRIVACY,
    };
    this.codec = new MixerCodec(profile, entry);
    this.meters = Array.from({ length: profile.channels }, () => -100);
    this.line = new SerialLine(
      {
        path: entry.connection.path,
        baudRate: entry.connection.baudRate ?? profile.serial.baudRate,
        dataBits: profile.serial.dataBits,
        parity: profile.serial.parity,
        stopBits: profile.serial.stopBits,
      },
      { timeoutMs: profile.pacing.timeoutMs },
      context.log,
    );
  }

  get id(): string {
    return this.entry.id;
  }

  get model(): string {
    return this.profile.model;
  }

  /**
   * The mixer's controls in one list: capabilities() describes them, readings() reads the readable ones under the
   * same names, so a capability and its reading cannot be named apart. Each writable one names its request.
   */
  private controls(): { capability: CapabilityDescriptor; read?: () => number | boolean | null }[] {
    const device = this.entry.id;
    const level = {
      type: "number",
      unit: "dB",
      min: -100,
      max: 12,
      step: 0.5,
      readable: true,
      writable: true,
    } as const;
    const controls: { capability: CapabilityDescriptor; read?: () => number | boolean | null }[] = [];
    for (let channel = 1; channel <= this.profile.channels; channel++) {
      controls.push(
        {
          capability: {
            name: `ch${channel}.muted`,
            type: "boolean",
            readable: true,
            writable: true,
            set: { action: "mixer.mute", params: { device, channel }, value: "muted" },
          },
          read: () => this.reported.mutes.get(channel) ?? null,
        },
        {
          capability: {
            name: `ch${channel}.levelDb`,
            ...level,
            set: { action: "mixer.level", params: { device, channel }, value: "levelDb" },
          },
          read: () => this.reported.levels.get(channel) ?? null,
        },
      );
    }
    if (this.entry.programVolume !== undefined) {
      controls.push({
        capability: {
          name: "program.levelDb",
          ...level,
          set: { action: "mixer.volume", params: { device }, value: "levelDb" },
        },
        read: () => this.reported.volume,
      });
    }
    for (const group of Object.keys(this.entry.muteGroups)) {
      controls.push({
        capability: {
          name: `group.${group}.muted`,
          type: "boolean",
          readable: true,
          writable: true,
          set: { action: "mixer.group", params: { device, group }, value: "muted" },
        },
        read: () => this.reported.groups.get(group) ?? null,
      });
    }
    if (this.codec.supports("recallPreset")) {
      // Recalled, not held: the DSP does not say which preset it is on, so it is no reading.
      controls.push({
        capability: {
          name: "preset",
          type: "number",
          min: 0,
          max: 65535,
          step: 1,
          readable: false,
          writable: true,
          set: { action: "mixer.preset", params: { device }, value: "preset" },
        },
      });
    }
    return controls;
  }

  capabilities(): CapabilityDescriptor[] {
    return this.controls().map((control) => control.capability);
  }

  async connect(link: DriverHooks): Promise<void> {
    // Checked here too, not only when the room file is loaded: a driver may be built from a profile in code.
    const problems = mixerEntryProblems(this.entry, this.profile);
    if (problems.length > 0) {
      throw new BadConfigError(problems.map((p) => `${p.path.join(".")}: ${p.expected}`).join("; "));
    }
    await this.line.open({
      text: (text) => this.receive(text, link),
      lost: (reason) => {
        this.stopPolling();
        link.lost(reason);
      },
      timedOut: () => this.counters.timeouts++,
    });
    await this.logIn("connect");
    await this.firstAnswer();
    await this.initialise(link);
  }

  /**
   * A DSP with security on (the model's `login`): an empty line first — a DSP at its login prompt prints it again,
   * one still logged in (a Tesira's RS-232 stays logged in until "exit", across replugs) ignores it — then the
   * steps. A wrong user name or password is bad_config, never tried again: DSPs lock an account after a few.
   */
  private logIn(after: "connect" | "restart"): Promise<void> {
    const login = this.profile.login;
    if (!login) return Promise.resolve();
    if (this.loginRefused !== undefined) return Promise.reject(new BadConfigError(this.loginRefused));
    // Nothing else goes out until the login is done: a probe sent between the steps would be taken for the user name.
    const done = this.runLogin(login, after);
    this.loginGate = done.catch(() => {});
    return done;
  }

  private async runLogin(login: NonNullable<MixerModelProfile["login"]>, after: "connect" | "restart"): Promise<void> {
    this.loggingIn = true;
    try {
      // After a restart the DSP may have taken a line of ours (sent before we knew) for a user name and be printing
      // its prompts for it: once it has been quiet, its answers are to what we send next.
      if (after === "restart") await this.quiet(LOGIN_SETTLE_MS);
      try {
        await this.line.send(
          this.codec.raw("", login.prompt),
          Math.min(FIRST_ANSWER_TRY_MS, this.profile.pacing.timeoutMs),
        );
      } catch (error) {
        if (!this.line.isOpen) throw error;
        return; // no prompt: logged in already, or not answering yet (firstAnswer tells)
      }
      const { username, passwordEnv } = this.entry.connection;
      if (username === undefined || passwordEnv === undefined) {
        throw new BadConfigError(
          `${this.profile.model} asks for a login (security is on): the room's mixer line needs connection.username and connection.passwordEnv`,
        );
      }
      const password = process.env[passwordEnv];
      if (password === undefined) throw new BadConfigError(`the DSP password variable ${passwordEnv} is not set`);
      for (const step of login.steps) {
        await this.line.send(this.codec.loginStep(step, { username, password })).catch((error: Error) => {
          if (error instanceof BadConfigError) throw error;
          throw new Error(`login as "${username}": ${error.message}`);
        });
      }
      this.log.info({ username }, "logged in to the DSP");
    } finally {
      this.loggingIn = false;
    }
  }

  /**
   * A port that has just opened may lead to a DSP still booting, or lose the first bytes (a cable re-plugged, a
   * USB adapter waking up): the keep-alive is asked with short waits until it is answered, so that the first reads
   * that follow are not each lost at the full time-out (issue 11: a re-plug took 6.9 s so). A DSP that never
   * answers fails the connection as before.
   */
  private async firstAnswer(): Promise<void> {
    const { send, expect } = this.profile.keepAlive;
    const until = performance.now() + FIRST_ANSWER_WITHIN_MS;
    for (;;) {
      try {
        await this.line.send(
          this.codec.raw(send, expect),
          Math.min(FIRST_ANSWER_TRY_MS, this.profile.pacing.timeoutMs),
        );
        return;
      } catch (error) {
        if (performance.now() > until || !this.line.isOpen) throw error;
      }
    }
  }

  async probe(): Promise<void> {
    const { send, expect } = this.profile.keepAlive;
    await this.send(this.codec.raw(send, expect));
  }

  reachableAgain(signal: AbortSignal): Promise<void> {
    return portAppears(this.entry.connection.path, signal);
  }

  async disconnect(): Promise<void> {
    this.stopPolling();
    await this.line.close();
  }

  /**
   * What the room wants, put back and then reported as the DSP's values (it took them), so the state never shows
   * what the DSP held before. Privacy is what its owner wants now, not what this DSP was last told: a DSP that was
   * away when privacy changed catches up here.
   */
  async reapply(): Promise<void> {
    for (const [channel, muted] of this.wanted.mutes) {
      await this.run("setMute", { channel, muted });
      this.reported.mutes.set(channel, muted);
    }
    for (const [channel, levelDb] of this.wanted.levels) {
      await this.run("setLevel", { channel, levelDb });
      this.reported.levels.set(channel, levelDb);
    }
    if (this.wanted.volume !== undefined) {
      await this.run("setVolume", { control: this.entry.programVolume!, levelDb: this.wanted.volume });
      this.reported.volume = this.wanted.volume;
    }
    const privacy = this.room.privacy.wanted();
    const privacyByGroup = privacy !== undefined && this.entry.muteGroups[MICS_GROUP] !== undefined;
    for (const [name, muted] of this.wanted.groups) {
      if (privacyByGroup && name === MICS_GROUP) continue;
      await this.setGroup(name, muted);
    }
    if (privacyByGroup) {
      await this.setGroup(MICS_GROUP, privacy);
      this.wanted.groups.set(MICS_GROUP, privacy);
    } else if (privacy === true) {
      for (const channel of this.room.micChannels) {
        await this.run("setMute", { channel, muted: true });
        this.reported.mutes.set(channel, true);
      }
    }
    this.room.privacy.observed();
  }

  readings(): Record<string, number | boolean | null> {
    const readings: Record<string, number | boolean | null> = {};
    for (const { capability, read } of this.controls()) if (read) readings[capability.name] = read();
    return readings;
  }

  // What the room wants is remembered only once the DSP took it: a value it refused would fail every re-apply.
  async mute(channel: number, muted: boolean): Promise<void> {
    await this.run("setMute", { channel, muted });
    this.wanted.mutes.set(channel, muted);
    this.reported.mutes.set(channel, muted);
  }

  async level(channel: number, levelDb: number): Promise<void> {
    await this.run("setLevel", { channel, levelDb });
    this.wanted.levels.set(channel, levelDb);
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

  /** The room's program volume: set, or stepped (read back, as the DSP may have clipped it). */
  async volume(change: { levelDb?: number; stepDb?: number }): Promise<number> {
    const control = this.entry.programVolume;
    if (control === undefined)
      throw new AgentError("not_found", `the room profile names no program volume on ${this.id}`);
    let levelDb: number;
    if (change.levelDb !== undefined) {
      levelDb = change.levelDb;
      await this.run("setVolume", { control, levelDb });
    } else if (this.codec.supports("stepVolume")) {
      await this.run("stepVolume", { control, stepDb: change.stepDb ?? 0 });
      levelDb = (await this.run("getVolume", { control })).levelDb ?? Number.NaN;
    } else {
      levelDb = ((await this.run("getVolume", { control })).levelDb ?? 0) + (change.stepDb ?? 0);
      await this.run("setVolume", { control, levelDb });
    }
    this.wanted.volume = levelDb;
    this.reported.volume = levelDb;
    return levelDb;
  }

  /** A mute group by the room's name for it; the "mics" group is the room's privacy. */
  async groupMute(name: string, muted: boolean): Promise<void> {
    const group = this.entry.muteGroups[name];
    if (group === undefined) {
      const known = Object.keys(this.entry.muteGroups).join(", ") || "none";
      throw new AgentError("not_found", `${this.id} has no mute group "${name}" (it has: ${known})`);
    }
    await this.setGroup(name, muted);
    this.wanted.groups.set(name, muted);
    // The "mics" group asked for by name is privacy asked for: the whole room follows.
    if (name === MICS_GROUP) this.room.privacy.wish(muted, `request to ${this.id}: the mics mute group`);
  }

  private async setGroup(name: string, muted: boolean): Promise<void> {
    const setting = { name, muted };
    this.settingGroups.push(setting);
    try {
      await this.run("setGroupMute", { group: this.entry.muteGroups[name]!, muted });
    } finally {
      this.settingGroups.splice(this.settingGroups.indexOf(setting), 1);
    }
    this.reportGroup(name, muted, "ours");
  }

  /**
   * The "mics" group is the room's privacy: changed at the DSP itself (its own button, another controller) it is a
   * wish for the whole room; read at connect, or the echo of our own command, it is only news of what is held here.
   */
  private reportGroup(name: string, muted: boolean, how: "read" | "ours" | "notice"): void {
    const before = this.reported.groups.get(name);
    this.reported.groups.set(name, muted);
    if (name !== MICS_GROUP || muted === before) return;
    const ours = this.settingGroups.some((setting) => setting.name === name && setting.muted === muted);
    const pressed = how === "notice" && !this.initialising && !ours;
    if (pressed) this.room.privacy.wish(muted, `${this.id}: the mics mute group changed at the DSP`);
    else this.room.privacy.observed();
  }

  /**
   * Privacy: every microphone of the room muted at the DSP (not at the mic, so echo cancelling keeps adapting) —
   * with the room's "mics" mute group when it has one (one command, and the DSP's own buttons stay in step),
   * otherwise channel by channel.
   */
  async privacy(on: boolean): Promise<{ group: string } | { channels: number[] }> {
    if (this.entry.muteGroups[MICS_GROUP] !== undefined) {
      await this.setGroup(MICS_GROUP, on);
      this.wanted.groups.set(MICS_GROUP, on);
      return { group: MICS_GROUP };
    }
    for (const channel of this.room.micChannels) await this.mute(channel, on);
    this.room.privacy.observed();
    return { channels: this.room.micChannels };
  }

  /** The `mixer.privacy` request: done here first (its answer says what was done here), then the room's wish. */
  async requestPrivacy(on: boolean): Promise<{ group: string } | { channels: number[] }> {
    const done = await this.privacy(on);
    this.room.privacy.wish(on, `request to ${this.id}`);
    return done;
  }

  /** Whether the room's microphones are muted here as privacy asks; undefined when this DSP has none of them. */
  privacyHeld(): boolean | undefined {
    if (this.entry.muteGroups[MICS_GROUP] !== undefined) return this.reported.groups.get(MICS_GROUP) ?? false;
    if (this.room.micChannels.length === 0) return undefined;
    return this.room.micChannels.every((channel) => this.reported.mutes.get(channel) === true);
  }

  async preset(preset: number): Promise<void> {
    await this.run("recallPreset", { preset });
  }

  private async initialise(link: DriverHooks): Promise<void> {
    this.initialising = true;
    try {
      await this.readAndSubscribe();
    } finally {
      this.initialising = false;
    }
    if (this.profile.meterMode === "poll") this.startPolling(channelNumbers(this.profile.channels));
    this.room.privacy.observed();
    link.changed();
  }

  private async readAndSubscribe(): Promise<void> {
    for (const step of this.profile.init) await this.send(this.codec.raw(step.send, step.expect));
    // Read what the DSP holds now, so the panel shows the truth before anyone touches anything. A read or a
    // subscription the DSP refuses (a block name wrong in the profile) is logged, not fatal: the rest still works.
    const tolerate = (what: object) => (error: Error) => this.log.warn({ ...what, err: error.message }, "DSP refused");
    const channels = channelNumbers(this.profile.channels);
    for (const channel of channels) await this.readChannel(channel).catch(tolerate({ channel }));
    const control = this.entry.programVolume;
    if (control !== undefined && this.codec.supports("getVolume")) {
      await this.run("getVolume", { control })
        .then(({ levelDb }) => {
          if (levelDb !== undefined) this.reported.volume = levelDb;
        })
        .catch(tolerate({ control }));
    }
    for (const [name, group] of Object.entries(this.entry.muteGroups)) {
      if (!this.codec.supports("getGroupMute")) break;
      await this.run("getGroupMute", { group })
        .then(({ muted }) => {
          if (muted !== undefined) this.reportGroup(name, muted, "read");
        })
        .catch(tolerate({ group }));
    }
    if (this.profile.meterMode === "subscribe") {
      for (const channel of channels) await this.run("subscribeMeter", { channel });
    }
    // Change notices where the protocol needs asking for them (Tesira); pushing DSPs need nothing more.
    const feedback: { command: MixerCommandName; values: MixerValues }[] = [
      ...channels.flatMap((channel) => [
        { command: "subscribeMute" as const, values: { channel } },
        { command: "subscribeLevel" as const, values: { channel } },
      ]),
      ...(control === undefined ? [] : [{ command: "subscribeVolume" as const, values: { control } }]),
      ...Object.values(this.entry.muteGroups).map((group) => ({
        command: "subscribeGroupMute" as const,
        values: { group },
      })),
    ];
    for (const { command, values } of feedback) {
      if (this.codec.supports(command)) await this.run(command, values).catch(tolerate({ command, ...values }));
    }
  }

  /** Poll mode: every channel's meter read in turn each period; a period still running when the next is due is
   *  skipped, so a slow DSP gets fewer readings rather than a growing queue. */
  private startPolling(channels: number[]): void {
    this.stopPolling();
    this.meterPoll = setInterval(async () => {
      if (this.polling || !this.line.isOpen) return;
      this.polling = true;
      for (const channel of channels) {
        try {
          const { levelDb } = await this.run("getMeter", { channel });
          if (levelDb !== undefined) this.meter(channel, levelDb);
        } catch (error) {
          this.counters.meterPollFailures++;
          this.log.debug({ channel, err: (error as Error).message }, "meter poll failed");
        }
      }
      this.polling = false;
    }, this.profile.meterIntervalMs);
  }

  private stopPolling(): void {
    clearInterval(this.meterPoll);
    this.meterPoll = undefined;
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

  /** Until nothing has been received for `ms` (at most a few seconds). */
  private async quiet(ms: number): Promise<void> {
    const until = performance.now() + FIRST_ANSWER_WITHIN_MS;
    for (;;) {
      const quietFor = performance.now() - this.lastReceivedAt;
      if (quietFor >= ms || performance.now() > until) return;
      await new Promise((resolve) => setTimeout(resolve, ms - quietFor));
    }
  }

  private async send(command: EncodedCommand): Promise<MixerValues> {
    await this.loginGate;
    return this.line.send(command);
  }

  private receive(text: string, link: DriverHooks): void {
    this.lastReceivedAt = performance.now();
    for (const line of this.codec.split(text)) {
      const inFlight = this.line.inFlight;
      const waiting = inFlight ? { sent: inFlight.line, command: inFlight } : undefined;
      const seen = this.codec.classify(line, waiting);
      switch (seen.kind) {
        case "echo":
          break;
        case "reply":
          this.line.answer(seen.values);
          break;
        case "refused":
          this.loginRefused = `the DSP refused the login of "${this.entry.connection.username}" (${seen.line}): wrong user name or password; not tried again, so the DSP does not lock the account`;
          this.line.answer(new BadConfigError(this.loginRefused));
          break;
        case "loginPrompt":
          // A DSP with security on that restarted asks for a login again: as after a reboot.
          if (!this.loggingIn && this.loginRefused === undefined) this.unsolicited("reboot", {}, link);
          break;
        case "error":
          this.counters.deviceErrors++;
          if (this.line.inFlight) this.line.answer(new Error(`the DSP answered ${seen.message}`));
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

  private unsolicited(event: string, values: MixerValues, link: DriverHooks): void {
    const channel = values.channel;
    if (event === "reboot") {
      this.log.warn("the DSP restarted: running init and subscriptions again");
      this.stopPolling();
      this.line.failAll(new Error("the DSP restarted"));
      void this.logIn("restart")
        .then(() => this.initialise(link))
        .then(() => this.reapply())
        .then(() => link.changed())
        .catch((error: Error) => link.lost(`re-init after the DSP restarted failed: ${error.message}`));
      return;
    }
    if (event === "volume" && values.levelDb !== undefined && this.entry.programVolume !== undefined) {
      this.reported.volume = values.levelDb;
      link.changed();
      return;
    }
    if (event === "groupMute" && values.muted !== undefined && values.group !== undefined) {
      const name = Object.keys(this.entry.muteGroups).find((n) =>
        sameAddress(this.entry.muteGroups[n]!, values.group!),
      );
      if (name === undefined) return;
      this.reportGroup(name, values.muted, "notice");
      link.changed();
      return;
    }
    if (channel === undefined || channel < 1 || channel > this.profile.channels) return;
    if (event === "meter" && values.levelDb !== undefined) {
      this.meter(channel, values.levelDb);
      return;
    }
    if (event === "mute" && values.muted !== undefined) {
      this.reported.mutes.set(channel, values.muted);
      if (this.room.micChannels.includes(channel)) this.room.privacy.observed();
    }
    if (event === "level" && values.levelDb !== undefined) this.reported.levels.set(channel, values.levelDb);
    link.changed();
  }

  private meter(channel: number, levelDb: number): void {
    this.meters[channel - 1] = levelDb;
    const now = Date.now();
    this.emit("meters", now, [...this.meters]);
    if (now - this.lastPanelMeters >= PANEL_METER_INTERVAL_MS) {
      this.lastPanelMeters = now;
      this.room.emitMeters([...this.meters]);
    }
  }
}

function channelNumbers(count: number): number[] {
  return Array.from({ length: count }, (_, index) => index + 1);
}

export const mixerKind: DeviceKindModule<MixerDeviceEntry, MixerDriver> = {
  kind: "mixer",
  create: (entry, model, context) =>
    new MixerDriver(entry, model, {
      log: context.log,
      emitMeters: (levelsDb) => context.emitEvent({ type: "meters", data: { levelsDb } }),
      micChannels: context.room.seats.flatMap((seat) => (seat.mic?.device === entry.id ? [seat.mic.channel] : [])),
      privacy: context.privacy,
    }),
  actions: {
    "mixer.mute": (driver, params) => driver.mute(params.channel, params.muted),
    "mixer.level": (driver, params) => driver.level(params.channel, params.levelDb),
    "mixer.step": async (driver, params) => ({ levelDb: await driver.step(params.channel, params.stepDb) }),
    "mixer.preset": (driver, params) => driver.preset(params.preset),
    "mixer.volume": async (driver, params) => ({ levelDb: await driver.volume(params) }),
    "mixer.group": (driver, params) => driver.groupMute(params.group, params.muted),
    "mixer.privacy": (driver, params) => driver.requestPrivacy(params.on),
  },
};
