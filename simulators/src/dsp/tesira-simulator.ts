// A Biamp TesiraFORTÉ on RS-232, speaking the Tesira Text Protocol as research/mixer-protocols.md describes it:
// `Tag verb attribute [index] [value]`, verbose or terse replies, `-ERR …` errors, subscribed meters that publish
// `! "publishToken":"label" "value":x` (the first one before the +OK), subscriptions lost on reboot.
import type { AudioScene } from "../audio-scene/audio-scene.ts";
import { DspSimulator } from "./dsp-simulator.ts";

const ADDRESS_NOT_FOUND = '-ERR address not found: {"deviceId":0 "classCode":0 "instanceNum":0}';

export class TesiraSimulator extends DspSimulator {
  protected readonly commandEnd = /\r?\n|\r/;
  protected readonly lineEnd = "\r\n";
  private verbose = true;
  private readonly subscriptions = new Map<string, number>(); // label → channel
  presetsRecalled: number[] = [];

  constructor(path: string, channels = 8, scene?: AudioScene) {
    super(path, 115200, channels, scene);
  }

  protected banner(): string[] {
    return ["Welcome to the Tesira Text Protocol Server..."];
  }

  protected resetSession(): void {
    this.verbose = true;
    this.subscriptions.clear();
  }

  private value(text: string): string {
    return this.verbose ? `+OK "value":${text}` : `+OK ${text}`;
  }

  private publish(label: string, level: number): string {
    const value = level.toFixed(6);
    return this.verbose ? `! "publishToken":"${label}" "value":${value}` : `! "${label}" ${value}`;
  }

  protected meterLines(levels: number[]): string[] {
    return [...this.subscriptions].map(([label, channel]) => this.publish(label, levels[channel - 1] ?? -100));
  }

  protected answer(line: string): string[] {
    const words = line.match(/"[^"]*"|\S+/g) ?? [];
    const [tag, verb, attribute, ...rest] = words;
    const at = (index: number) => line.indexOf(words[index] ?? "") + 1;
    if (tag === "SESSION" && verb === "set" && attribute === "verbose") {
      if (rest[0] !== "true" && rest[0] !== "false") return [`-ERR Parse error at ${at(3)}: could not parse value`];
      this.verbose = rest[0] === "true";
      return ["+OK"];
    }
    if (tag === "SESSION" && verb === "get" && attribute === "aliases") {
      return ['+OK "list":["AudioMeter1" "DEVICE" "Level1" "Mute1"]'];
    }
    if (tag === "DEVICE") {
      if (verb === "get" && attribute === "serialNumber") return [this.value('"01234567"')];
      if (verb === "recallPreset") {
        const preset = Number(attribute);
        if (!Number.isInteger(preset)) return [`-ERR Parse error at ${at(2)}: not enough parameters supplied`];
        this.presetsRecalled.push(preset);
        return ["+OK"];
      }
      return [`-ERR Parse error at ${at(1)}: verb was not one of the commands supported by Services`];
    }
    const block = { Level1: "level", Mute1: "mute", AudioMeter1: "level" }[tag ?? ""];
    if (!block) return [ADDRESS_NOT_FOUND];
    if (!["get", "set", "increment", "decrement", "toggle", "subscribe", "unsubscribe"].includes(verb ?? "")) {
      return [`-ERR Parse error at ${at(1)}: verb was not one of the commands supported by Services`];
    }
    if (attribute !== block) return [`-ERR Parse error at ${at(2)}: not enough parameters supplied`];
    const index = Number(rest[0]);
    if (rest[0] === undefined) return [`-ERR Parse error at ${line.length + 1}: not enough parameters supplied`];
    if (!Number.isInteger(index) || index < 1 || index > this.channels) {
      return [`-ERR INVALID_PARAMETER Index out of range:channelIndex min:1 max:${this.channels} received:${rest[0]}`];
    }
    if (tag === "AudioMeter1") {
      if (verb !== "subscribe") return ["-ERR WRONG_STATE"];
      const label = (rest[1] ?? "").replace(/"/g, "");
      if (this.subscriptions.has(label)) return ["-ERR ALREADY_SUBSCRIBED"];
      this.subscriptions.set(label, index);
      return [this.publish(label, this.sceneLevels()[index - 1] ?? -100), "+OK"];
    }
    const channel = index - 1;
    const value = rest[1];
    if (tag === "Mute1") {
      if (verb === "get") return [this.value(String(this.mutes[channel]))];
      if (verb === "toggle") {
        this.mutes[channel] = !this.mutes[channel];
        return ["+OK"];
      }
      if (verb !== "set") return ["-ERR WRONG_STATE"];
      if (value !== "true" && value !== "false")
        return [`-ERR Parse error at ${value ? at(4) : line.length + 1}: could not parse value`];
      this.mutes[channel] = value === "true";
      return ["+OK"];
    }
    if (verb === "get") return [this.value(this.levels[channel]!.toFixed(6))];
    const number = Number(value);
    if (value === undefined || !Number.isFinite(number)) {
      return [`-ERR Parse error at ${value ? at(4) : line.length + 1}: could not parse value`];
    }
    const current = this.levels[channel]!;
    const next =
      verb === "set"
        ? number
        : verb === "increment"
          ? current + number
          : verb === "decrement"
            ? current - number
            : Number.NaN;
    if (Number.isNaN(next)) return ["-ERR WRONG_STATE"];
    this.levels[channel] = Math.max(-100, Math.min(12, next));
    return ["+OK"];
  }
}
