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
}

export interface EncodedCommand {
  /** The bytes to write, terminator included. */
  line: string;
  /** The reply that answers this command. */
  expect: RegExp;
  /** How to read the reply's named groups back into values. */
  encodings: Record<string, ValueEncoding>;
}

export type ReceivedLine =
  | { kind: "echo" }
  | { kind: "reply"; values: MixerValues }
  | { kind: "error"; message: string }
  | { kind: "unsolicited"; event: MixerEventName; values: MixerValues }
  | { kind: "unknown"; line: string };

export class MixerCodec {
  private buffer = "";
  private readonly errors: RegExp[];
  private readonly unsolicited: { event: MixerEventName; pattern: RegExp; encodings: Record<string, ValueEncoding> }[];
  private readonly bindings: Record<string, string>;
  /** Lines longer than the profile allows, dropped whole: a device babbling garbage cannot grow our memory. */
  overlongLines = 0;

  constructor(
    private readonly profile: MixerModelProfile,
    roomBindings: Record<string, string> = {},
  ) {
    this.errors = profile.errors.map((source) => new RegExp(source));
    this.unsolicited = profile.unsolicited.map((rule) => ({
      event: rule.event,
      pattern: new RegExp(rule.pattern),
      encodings: { ...profile.encodings, ...rule.encodings },
    }));
    this.bindings = { ...profile.bindings, ...roomBindings };
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
    const fill = (template: string, asRegex: boolean) =>
      template.replace(/\{(\w+)\}/g, (_, name: string) => {
        const text = name in this.bindings ? this.bindings[name]! : encodeValue(name, values, encodings);
        return asRegex ? text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") : text;
      });
    return { line: fill(spec.send, false) + this.terminator, expect: new RegExp(fill(spec.expect, true)), encodings };
  }

  /** A raw command (init, keep-alive) with its reply pattern. */
  raw(send: string, expect: string): EncodedCommand {
    return { line: send + this.terminator, expect: new RegExp(expect), encodings: this.profile.encodings };
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
      const clean = [...line].filter((c) => !this.profile.framing.strip.includes(c)).join("");
      if (clean.trim().length > 0) lines.push(clean.trim());
    }
    if (this.buffer.length > this.profile.framing.maxLineLength) {
      this.overlongLines++;
      this.buffer = "";
    }
    return lines;
  }

  /** What a received line is, given the command waiting for its reply (if any). */
  classify(line: string, waiting?: { sent: string; command: EncodedCommand }): ReceivedLine {
    if (waiting && this.profile.framing.ignoreEcho) {
      const sent = [...waiting.sent.slice(0, -this.terminator.length)]
        .filter((c) => !this.profile.framing.strip.includes(c) && c !== "\u001b")
        .join("");
      if (line === sent.trim()) return { kind: "echo" };
    }
    if (waiting) {
      const match = waiting.command.expect.exec(line);
      if (match) return { kind: "reply", values: decodeGroups(match.groups, waiting.command.encodings) };
    }
    for (const pattern of this.errors) {
      const match = pattern.exec(line);
      if (match) return { kind: "error", message: match.groups?.message ?? line };
    }
    for (const rule of this.unsolicited) {
      const match = rule.pattern.exec(line);
      if (match) return { kind: "unsolicited", event: rule.event, values: decodeGroups(match.groups, rule.encodings) };
    }
    return { kind: "unknown", line: line.slice(0, 200) };
  }
}

function encodeValue(name: string, values: MixerValues, encodings: Record<string, ValueEncoding>): string {
  const value = values[name as keyof MixerValues];
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
      return Math.round(((Number(text) - encoding.offset) / encoding.scale) * 10) / 10;
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
  const values: Record<string, number | boolean> = {};
  for (const [name, text] of Object.entries(groups ?? {})) {
    if (text === undefined || name === "message") continue;
    const value = decodeValue(name, text, encodings);
    if (value !== undefined && !(typeof value === "number" && Number.isNaN(value))) values[name] = value;
  }
  if (typeof values.channel === "number") values.channel = Math.round(values.channel);
  return values as MixerValues;
}
