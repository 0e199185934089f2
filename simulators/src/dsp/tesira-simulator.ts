// A Biamp TesiraFORTÉ on RS-232, speaking the Tesira Text Protocol as research/mixer-protocols.md and Biamp's TTP help
// describe it: `Tag verb attribute [index] [value]`, verbose or terse replies, `-ERR …` errors, presets,
// subscriptions — meters that publish `! "publishToken":"label" "value":x` at their rate, Level and Mute blocks that
// publish every change whoever made it — subscriptions lost on reboot, and, with security on, a login on RS-232.
import type { AudioScene } from "../audio-scene/audio-scene.ts";
import { DspSimulator, type LocalChange } from "./dsp-simulator.ts";

const ADDRESS_NOT_FOUND = '-ERR address not found: {"deviceId":0 "classCode":0 "instanceNum":0}';
/** Meters publish no faster than this, whatever rate is asked for. */
const FASTEST_METER_MS = 100;
/** Login prompts come without a line end, as a terminal's do. The wording is not in Biamp's help (an assumption). */
const LOGIN_PROMPT = "login: ";
const PASSWORD_PROMPT = "Password: ";
const WELCOME = "Welcome to the Tesira Text Protocol Server...";
/** Wrong passwords for the account before it is locked (then even the right one is refused). */
const LOCKOUT_AFTER = 3;

/**
 * The blocks of our standard room design, by instance tag: the mic channels' Level, Mute and meter blocks (the
 * model profile's bindings), a one-channel Level block for the program volume and a one-channel Mute block that
 * mutes every mic (the demo rooms name them). The Mute block's members are not modelled.
 */
export const TESIRA_DESIGN = {
  micLevels: "Level1",
  micMutes: "Mute1",
  micMeters: "AudioMeter1",
  programLevel: "ProgramLevel",
  micMuteGroup: "MicMute",
} as const;

interface Subscription {
  tag: string;
  index: number;
  rateMs: number;
  lastSentMs: number;
}

export class TesiraSimulator extends DspSimulator {
  protected readonly commandEnd = /\r?\n|\r/;
  protected readonly lineEnd = "\r\n";
  /**
   * How a subscription's first reply comes. "one-line" is Biamp's TTP help ("When the subscription command is first
   * sent the first reply will be: ! "publishToken":"[CustomName]" "value":[Value] +OK"); "separate" sends the
   * publish and then +OK as lines of their own, as research/mixer-protocols.md has it.
   */
  subscribeReply: "one-line" | "separate" = "one-line";
  /**
   * Security on, with the one account that may log in; undefined is security off. Biamp's TTP help (RS-232): "If a
   * system has security enabled the RS-232 will not require authentication until the connection is fully terminated
   * using a 'exit' command. There will then be a requirement to authenticate at the next log on." So a login
   * outlives a replug (stop/start here) and ends with `exit` or a reboot.
   */
  security: { username: string; password: string } | undefined;
  /** Wrong passwords given for the account so far: after LOCKOUT_AFTER it is locked. */
  failedLogins = 0;
  private login: "user" | "password" | "in" = "user";
  private loginUser = "";
  private verbose = true;
  private readonly subscriptions = new Map<string, Subscription>(); // by label
  private readonly levelBlocks: Map<string, number[]>;
  private readonly muteBlocks: Map<string, boolean[]>;

  constructor(path: string, channels = 8, scene?: AudioScene) {
    super(path, 115200, channels, scene);
    this.levelBlocks = new Map([
      [TESIRA_DESIGN.micLevels, this.levels],
      [TESIRA_DESIGN.programLevel, [0]],
    ]);
    this.muteBlocks = new Map([
      [TESIRA_DESIGN.micMutes, this.mutes],
      [TESIRA_DESIGN.micMuteGroup, [false]],
    ]);
  }

  volumeDb(tag: string): number | undefined {
    return tag === TESIRA_DESIGN.micLevels ? undefined : this.levelBlocks.get(tag)?.[0];
  }

  groupMuted(tag: string): boolean | undefined {
    return tag === TESIRA_DESIGN.micMutes ? undefined : this.muteBlocks.get(tag)?.[0];
  }

  changeLocally(change: LocalChange): void {
    if ("channel" in change) {
      if ("muted" in change) this.setMute(TESIRA_DESIGN.micMutes, change.channel, change.muted);
      else this.setLevel(TESIRA_DESIGN.micLevels, change.channel, change.levelDb);
    } else if ("volume" in change) this.setLevel(change.volume, 1, change.levelDb);
    else this.setMute(change.group, 1, change.muted);
  }

  protected banner(): string[] {
    return [WELCOME];
  }

  override reboot(): void {
    super.reboot();
    if (this.security) this.writeText(LOGIN_PROMPT);
  }

  /** At the login prompt an empty line brings the prompt back; at the password prompt it is an empty password. */
  protected override emptyLine(): void {
    if (!this.security || this.login === "in") return;
    if (this.login === "user") this.writeText(LOGIN_PROMPT);
    else this.write(this.logIn(""));
  }

  /** The user name, then the password; a wrong one prints a refusal and the prompt again. */
  private logIn(line: string): string[] {
    const security = this.security!;
    if (this.login === "user") {
      this.loginUser = line;
      this.login = "password";
      this.writeText(PASSWORD_PROMPT);
      return [];
    }
    const account = this.loginUser === security.username;
    if (account && this.failedLogins < LOCKOUT_AFTER && line === security.password) {
      this.login = "in";
      return [WELCOME];
    }
    // Lockout is the account's: a stray line taken for a user name that is no account locks nothing.
    if (account) this.failedLogins++;
    this.login = "user";
    this.write(["Login incorrect"]);
    this.writeText(LOGIN_PROMPT);
    return [];
  }

  protected resetSession(): void {
    this.login = "user";
    this.verbose = true;
    this.subscriptions.clear();
    this.setMeterPeriod(FASTEST_METER_MS);
  }

  private value(text: string): string {
    return this.verbose ? `+OK "value":${text}` : `+OK ${text}`;
  }

  private publish(label: string, text: string): string {
    return this.verbose ? `! "publishToken":"${label}" "value":${text}` : `! "${label}" ${text}`;
  }

  private setLevel(tag: string, index: number, db: number): void {
    const values = this.levelBlocks.get(tag)!;
    values[index - 1] = Math.max(-100, Math.min(12, db));
    this.published(tag, index, values[index - 1]!.toFixed(6));
  }

  private setMute(tag: string, index: number, muted: boolean): void {
    this.muteBlocks.get(tag)![index - 1] = muted;
    this.published(tag, index, String(muted));
  }

  /** A Level or Mute block changed: every subscription to it hears of it, whoever made the change. */
  private published(tag: string, index: number, text: string): void {
    const lines = [...this.subscriptions]
      .filter(([, s]) => s.tag === tag && s.index === index)
      .map(([label]) => this.publish(label, text));
    this.write(lines);
  }

  protected meterLines(levels: number[]): string[] {
    const now = Date.now();
    const lines: string[] = [];
    for (const [label, subscription] of this.subscriptions) {
      if (subscription.tag !== TESIRA_DESIGN.micMeters) continue;
      // Half a tick of slack: the timer runs at the fastest rate asked, and timers are never exactly on time.
      if (now - subscription.lastSentMs < subscription.rateMs - FASTEST_METER_MS / 2) continue;
      subscription.lastSentMs = now;
      lines.push(this.publish(label, (levels[subscription.index - 1] ?? -100).toFixed(6)));
    }
    return lines;
  }

  protected answer(line: string): string[] {
    if (this.security && this.login !== "in") return this.logIn(line);
    if (line === "exit" && this.security) {
      this.login = "user";
      this.writeText(LOGIN_PROMPT);
      return [];
    }
    const words = line.match(/"[^"]*"|\S+/g) ?? [];
    const [tag, verb, attribute, ...rest] = words;
    const at = (index: number) => line.indexOf(words[index] ?? "") + 1;
    const notEnough = `-ERR Parse error at ${line.length + 1}: not enough parameters supplied`;
    const badVerb = `-ERR Parse error at ${at(1)}: verb was not one of the commands supported by Services`;
    const badValue = (value: string | undefined) =>
      `-ERR Parse error at ${value ? at(4) : line.length + 1}: could not parse value`;
    if (tag === "SESSION" && verb === "set" && attribute === "verbose") {
      if (rest[0] !== "true" && rest[0] !== "false") return [`-ERR Parse error at ${at(3)}: could not parse value`];
      this.verbose = rest[0] === "true";
      return ["+OK"];
    }
    if (tag === "SESSION" && verb === "get" && attribute === "aliases") {
      const tags = ["DEVICE", TESIRA_DESIGN.micMeters, ...this.levelBlocks.keys(), ...this.muteBlocks.keys()].sort();
      return [`+OK "list":[${tags.map((t) => `"${t}"`).join(" ")}]`];
    }
    if (tag === "DEVICE") {
      if (verb === "get" && attribute === "serialNumber") return [this.value('"01234567"')];
      if (verb === "recallPreset") {
        const preset = Number(attribute);
        if (attribute === undefined) return [notEnough];
        if (!Number.isInteger(preset)) return [`-ERR Parse error at ${at(2)}: could not parse value`];
        this.presetsRecalled.push(preset);
        return ["+OK"];
      }
      return [badVerb];
    }
    const block = this.levelBlocks.has(tag ?? "")
      ? "level"
      : this.muteBlocks.has(tag ?? "")
        ? "mute"
        : tag === TESIRA_DESIGN.micMeters
          ? "meter"
          : undefined;
    if (!block || tag === undefined) return [ADDRESS_NOT_FOUND];
    if (!["get", "set", "increment", "decrement", "toggle", "subscribe", "unsubscribe"].includes(verb ?? "")) {
      return [badVerb];
    }
    if (attribute !== (block === "mute" ? "mute" : "level")) {
      return [`-ERR Parse error at ${attribute ? at(2) : line.length + 1}: not enough parameters supplied`];
    }
    if (rest[0] === undefined) return [notEnough];
    const size = this.levelBlocks.get(tag)?.length ?? this.muteBlocks.get(tag)?.length ?? this.channels;
    const index = Number(rest[0]);
    if (!Number.isInteger(index) || index < 1 || index > size) {
      return [`-ERR INVALID_PARAMETER Index out of range:channelIndex min:1 max:${size} received:${rest[0]}`];
    }
    if (verb === "subscribe" || verb === "unsubscribe") {
      const rate = rest[2];
      if (rate !== undefined && !/^\d+$/.test(rate)) return [`-ERR Parse error at ${at(5)}: could not parse value`];
      return this.subscribe(verb, tag, index, (rest[1] ?? "").replace(/"/g, ""), Number(rate ?? FASTEST_METER_MS));
    }
    const value = rest[1];
    if (block === "meter") {
      if (verb !== "get") return ["-ERR WRONG_STATE"];
      return [this.value((this.sceneLevels()[index - 1] ?? -100).toFixed(6))];
    }
    if (block === "mute") {
      const mutes = this.muteBlocks.get(tag)!;
      if (verb === "get") return [this.value(String(mutes[index - 1]))];
      if (verb === "toggle") {
        this.setMute(tag, index, !mutes[index - 1]);
        return ["+OK"];
      }
      if (verb !== "set") return ["-ERR WRONG_STATE"];
      if (value !== "true" && value !== "false") return [badValue(value)];
      this.setMute(tag, index, value === "true");
      return ["+OK"];
    }
    const levels = this.levelBlocks.get(tag)!;
    if (verb === "get") return [this.value(levels[index - 1]!.toFixed(6))];
    if (verb === "toggle") return ["-ERR WRONG_STATE"];
    const number = Number(value);
    if (value === undefined || !Number.isFinite(number)) return [badValue(value)];
    const current = levels[index - 1]!;
    this.setLevel(tag, index, verb === "set" ? number : verb === "increment" ? current + number : current - number);
    return ["+OK"];
  }

  private subscribe(verb: string, tag: string, index: number, label: string, rate: number): string[] {
    if (verb === "unsubscribe") {
      this.subscriptions.delete(label);
      return ["+OK"];
    }
    if (this.subscriptions.has(label)) return ["-ERR ALREADY_SUBSCRIBED"];
    const rateMs = Math.max(FASTEST_METER_MS, rate);
    this.subscriptions.set(label, { tag, index, rateMs, lastSentMs: Date.now() });
    // The current value comes at once, with the +OK.
    let current: string;
    if (tag === TESIRA_DESIGN.micMeters) {
      const meterRates = [...this.subscriptions.values()]
        .filter((s) => s.tag === TESIRA_DESIGN.micMeters)
        .map((s) => s.rateMs);
      this.setMeterPeriod(Math.min(...meterRates));
      current = (this.sceneLevels()[index - 1] ?? -100).toFixed(6);
    } else {
      current = this.levelBlocks.get(tag)?.[index - 1]?.toFixed(6) ?? String(this.muteBlocks.get(tag)?.[index - 1]);
    }
    const first = this.publish(label, current);
    return this.subscribeReply === "one-line" ? [`${first} +OK`] : [first, "+OK"];
  }
}
