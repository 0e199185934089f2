// The DSP protocol as the model profile describes it — pure: values in, command lines out; received bytes in,
// classified lines out. Replies are recognised by the pattern of the command waiting for them, never as "the next
// line", because DSPs interleave unsolicited lines (meters, changes made elsewhere) with replies.
import type { MixerModelProfile, ValueEncoding } from "@rc/hardware-profiles";

export type MixerCommandName = keyof MixerModelProfile["commands"];
export type MixerEventName = MixerModelProfile["unsolicited"][number]["event"];

export interface MixerValues {
  channel?: number;
  muted?: boolean;
  levelDb?: number;
  stepDb?: number;
  preset?: number;
  /** The DSP's own address of the program volume / a mute group, as the room profile writes it. */
  control?: string;
  group?: string;
}

/** What the room's mixer line adds to the model: its own binding values and the addresses of its named controls. */
export interface MixerRoomAddresses {
  bindings?: Record<string, string>;
  programVolume?: string;
  muteGroups?: Record<string, string>;
}

export interface EncodedCommand {
  /** The bytes to write, terminator included. */
  line: string;
  /** What logs and errors show instead of the line, when it carries a secret (a login's password). */
  shown?: string;
  /** A reply that refuses the command for good (a login with a wrong user name or password). */
  refused?: RegExp;
  /** The reply that answers this command. */
  expect: RegExp;
  /** How to read the reply's named groups back into values. */
  encodings: Record<string, ValueEncoding>;
}

export type ReceivedLine =
  | { kind: "echo" }
  | { kind: "reply"; values: MixerValues }
  | { kind: "refused"; line: string }
  /** The DSP's login prompt when no login step waits for it: it restarted with security on. */
  | { kind: "loginPrompt" }
  | { kind: "error"; message: string }
  | { kind: "unsolicited"; event: MixerEventName; values: MixerValues }
  | { kind: "unknown"; line: string };

export class MixerCodec {
  private buffer = "";
  private readonly errors: RegExp[];
  private readonly unsolicited: { event: MixerEventName; pattern: RegExp; encodings: Record<string, ValueEncoding> }[];
  /** Placeholders with one value for the whole session: the bindings and the profile's own numbers. */
  private readonly constants: Record<string, string>;
  private readonly addresses: { control: string[]; group: string[] };
  /** The profile's stray characters, as one pattern (built once: every received line goes through it). */
  private readonly strip: RegExp | undefined;
  /** Login prompts, which a DSP may print without a line end: a waiting rest of a line matching one is a line. */
  private readonly prompts: RegExp[];
  private readonly loginPrompt: RegExp | undefined;
  /** Lines longer than the profile allows, dropped whole: a device babbling garbage cannot grow our memory. */
  overlongLines = 0;

  constructor(
    private readonly profile: MixerModelProfile,
    room: MixerRoomAddresses = {},
  ) {
    this.errors = profile.errors.map((source) => new RegExp(source));
    this.unsolicited = profile.unsolicited.map((rule) => ({
      event: rule.event,
      pattern: new RegExp(rule.pattern),
      encodings: { ...profile.encodings, ...rule.encodings },
    }));
    this.constants = {
      ...profile.bindings,
      ...room.bindings,
      meterIntervalMs: String(profile.meterIntervalMs),
    };
    const strip = profile.framing.strip;
    this.strip = strip.length === 0 ? undefined : new RegExp(`[${strip.replace(/[\\\]^-]/g, "\\$&")}]`, "g");
    this.addresses = {
      control: room.programVolume === undefined ? [] : [room.programVolume],
      group: Object.values(room.muteGroups ?? {}),
    };
    const login = profile.login;
    this.loginPrompt = login ? new RegExp(login.prompt) : undefined;
    this.prompts = login ? [login.prompt, ...login.steps.map((step) => step.expect)].map((s) => new RegExp(s)) : [];
  }

  get terminator(): string {
    return this.profile.framing.terminator;
  }

  supports(command: MixerCommandName): boolean {
    return this.profile.commands[command] !== undefined;
  }

  encode(command: MixerCommandName, values: MixerValues): EncodedCommand {
    const spec = this.profile.commands[command];
    if (!spec) throw new Error(`${this.profile.model} has no ${command} command`);
    const encodings = { ...this.profile.encodings, ...spec.encodings };
    const all: Record<string, unknown> = { ...values };
    if (values.stepDb !== undefined)
      Object.assign(all, { stepUp: values.stepDb >= 0, stepSize: Math.abs(values.stepDb) });
    const fill = (template: string, asRegex: boolean) =>
      this.fill(template, (name) => encodeValue(name, all, encodings), asRegex);
    return { line: fill(spec.send, false) + this.terminator, expect: new RegExp(fill(spec.expect, true)), encodings };
  }

  /** A command of the profile's own (init, keep-alive) with its reply pattern; only bindings fill its placeholders. */
  raw(send: string, expect: string): EncodedCommand {
    const line = this.fill(send, (name) => {
      throw new Error(`{${name}} is not a binding of ${this.profile.model}`);
    });
    return { line: line + this.terminator, expect: new RegExp(expect), encodings: this.profile.encodings };
  }

  /** A login step with the room's credentials; it shows {password} unfilled, and fails for good on `rejected`. */
  loginStep(
    step: { send: string; expect: string },
    credentials: { username: string; password: string },
  ): EncodedCommand {
    const login = this.profile.login;
    if (!login) throw new Error(`${this.profile.model} has no login`);
    const fill = (hidePassword: boolean) =>
      this.fill(step.send, (name) => {
        if (name === "username") return credentials.username;
        if (name === "password") return hidePassword ? "{password}" : credentials.password;
        throw new Error(`{${name}} is not a login placeholder`);
      });
    return {
      line: fill(false) + this.terminator,
      shown: fill(true),
      expect: new RegExp(step.expect),
      refused: new RegExp(login.rejected),
      encodings: {},
    };
  }

  private fill(template: string, value: (name: string) => string, asRegex = false): string {
    return template.replace(/\{(\w+)\}/g, (_, name: string) => {
      const text = name in this.constants ? this.constants[name]! : value(name);
      return asRegex ? text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") : text;
    });
  }

  /** Bytes from the port → complete lines, stripped of the profile's stray characters; partial lines wait. */
  split(chunk: string): string[] {
    this.buffer += chunk;
    const lines: string[] = [];
    for (;;) {
      const end = this.buffer.search(/\r\n|\n|\r/);
      if (end < 0) break;
      const separator = this.buffer.startsWith("\r\n", end) ? 2 : 1;
      const line = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + separator);
      if (line.length > this.profile.framing.maxLineLength) {
        this.overlongLines++;
        continue;
      }
      const clean = this.stripped(line);
      if (clean.trim().length > 0) lines.push(clean.trim());
    }
    if (this.buffer.length > this.profile.framing.maxLineLength) {
      this.overlongLines++;
      this.buffer = "";
    }
    const rest = this.stripped(this.buffer).trim();
    if (rest.length > 0 && this.prompts.some((prompt) => prompt.test(rest))) {
      this.buffer = "";
      lines.push(rest);
    }
    return lines;
  }

  private stripped(line: string): string {
    return this.strip ? line.replace(this.strip, "") : line;
  }

  /** What a received line is, given the command waiting for its reply (if any). */
  classify(line: string, waiting?: { sent: string; command: EncodedCommand }): ReceivedLine {
    if (waiting && this.profile.framing.ignoreEcho) {
      // An echo comes back without the ESC that SIS commands start with.
      const sent = this.stripped(waiting.sent.slice(0, -this.terminator.length)).replaceAll("\u001b", "");
      if (line === sent.trim()) return { kind: "echo" };
    }
    if (waiting) {
      const match = waiting.command.expect.exec(line);
      if (match) return { kind: "reply", values: decodeGroups(match.groups, waiting.command.encodings) };
      if (waiting.command.refused?.test(line)) return { kind: "refused", line: line.slice(0, 200) };
    }
    if (this.loginPrompt?.test(line)) return { kind: "loginPrompt" };
    for (const pattern of this.errors) {
      const match = pattern.exec(line);
      if (match) return { kind: "error", message: match.groups?.message ?? line };
    }
    for (const rule of this.unsolicited) {
      const match = rule.pattern.exec(line);
      if (!match) continue;
      const values = decodeGroups(match.groups, rule.encodings);
      // A rule that captures an address speaks only for the room's own controls; other controls of the same shape
      // (a Symetrix controller that is no mute group here) are left to the rules after it.
      if (values.control !== undefined && !this.addresses.control.some((a) => sameAddress(a, values.control!)))
        continue;
      if (values.group !== undefined && !this.addresses.group.some((a) => sameAddress(a, values.group!))) continue;
      return { kind: "unsolicited", event: rule.event, values };
    }
    return { kind: "unknown", line: line.slice(0, 200) };
  }
}

/** Addresses as the room writes them and as the DSP prints them: "100" and "00100" are the same controller. */
export function sameAddress(a: string, b: string): boolean {
  return /^\d+$/.test(a) && /^\d+$/.test(b) ? Number(a) === Number(b) : a === b;
}

function encodeValue(name: string, values: Record<string, unknown>, encodings: Record<string, ValueEncoding>): string {
  const value = values[name];
  if (value === undefined) throw new Error(`a value for {${name}} is needed`);
  const encoding = encodings[name];
  if (!encoding) return String(value);
  switch (encoding.kind) {
    case "decimal":
      return Number(value).toFixed(encoding.decimals);
    case "linear": {
      const number = Math.round(encoding.offset + encoding.scale * Number(value));
      return encoding.digits ? String(number).padStart(encoding.digits, "0") : String(number);
    }
    case "map": {
      const word = encoding.values[String(value)];
      if (word === undefined) throw new Error(`no word for ${name} = ${value}`);
      return word;
    }
  }
}

function decodeValue(
  name: string,
  text: string,
  encodings: Record<string, ValueEncoding>,
): number | boolean | undefined {
  const encoding = encodings[name];
  if (!encoding) return Number(text);
  switch (encoding.kind) {
    case "decimal":
      return Number(text);
    case "linear":
      // To a tenth of a dB, as the DSPs show it; `|| 0` turns a rounded −0 into 0.
      return Math.round(((Number(text) - encoding.offset) / encoding.scale) * 10) / 10 || 0;
    case "map": {
      const entry = Object.entries(encoding.values).find(([, word]) => word === text);
      return entry === undefined
        ? undefined
        : entry[0] === "true"
          ? true
          : entry[0] === "false"
            ? false
            : Number(entry[0]);
    }
  }
}

function decodeGroups(
  groups: Record<string, string> | undefined,
  encodings: Record<string, ValueEncoding>,
): MixerValues {
  const values: Record<string, number | boolean | string> = {};
  for (const [name, text] of Object.entries(groups ?? {})) {
    if (text === undefined || name === "message") continue;
    if (name === "control" || name === "group") {
      values[name] = text;
      continue;
    }
    const value = decodeValue(name, text, encodings);
    if (value !== undefined && !(typeof value === "number" && Number.isNaN(value))) values[name] = value;
  }
  if (typeof values.channel === "number") values.channel = Math.round(values.channel);
  return values as MixerValues;
}
