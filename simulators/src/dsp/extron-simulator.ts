// An Extron DMP 128 (original or Plus) on RS-232, speaking SIS as research/mixer-protocols.md describes it:
// ESC-prefixed DSP commands ending in AU, object ids 4000(n-1) for input n, gain as 2048 + 10·dB (original) or
// signed 10·dB (Plus), verbose modes, unsolicited changes and meters (Plus), E-codes, a copyright line at power-up.
import type { AudioScene } from "../audio-scene/audio-scene.ts";
import { DspSimulator } from "./dsp-simulator.ts";

const ESC = "\u001b";

export class ExtronSimulator extends DspSimulator {
  protected readonly commandEnd = /\r/;
  protected readonly lineEnd = "\r\n";
  /** 0 none, 1 verbose, 2 tagged, 3 both; the port starts in 0 after power-up. */
  private verbose = 0;
  private readonly metering = new Set<number>();
  presetsRecalled: number[] = [];

  constructor(
    path: string,
    readonly generation: "original" | "plus",
    channels = 8,
    scene?: AudioScene,
  ) {
    super(path, 38400, channels, scene);
  }

  protected banner(): string[] {
    return [
      `(c) Copyright 2019, Extron Electronics, DMP 128${this.generation === "plus" ? " Plus" : ""}, V1.05, 60-1431-01`,
    ];
  }

  protected resetSession(): void {
    this.verbose = 0;
    this.metering.clear();
  }

  private encodeGain(db: number): string {
    return String(Math.round(this.generation === "plus" ? db * 10 : 2048 + db * 10));
  }

  private decodeGain(text: string): number {
    const value = Number(text);
    return this.generation === "plus" ? value / 10 : (value - 2048) / 10;
  }

  /** A reply: tagged in verbose 2 and 3, the bare value in 0 and 1. */
  private reply(tag: string, value: string): string {
    return this.verbose >= 2 ? `${tag}*${value}` : value;
  }

  /** Someone changes a mute at the front panel: reported unsolicited in verbose 1 and 3. */
  frontPanelMute(channel: number, muted: boolean): void {
    this.mutes[channel - 1] = muted;
    if (this.verbose === 1 || this.verbose === 3) this.write([`DsM${40000 + channel - 1}*${muted ? 1 : 0}`]);
  }

  protected meterLines(levels: number[]): string[] {
    return [...this.metering].map(
      (channel) => `DsV${40000 + channel - 1}*${Math.round((levels[channel - 1] ?? -150) * 10)}`,
    );
  }

  protected answer(line: string): string[] {
    if (line === "Q") return ["1.05"];
    if (line === "N") return ["60-1431-01"];
    const preset = /^(\d+)\.$/.exec(line);
    if (preset) {
      const number = Number(preset[1]);
      if (number < 1 || number > 32) return ["E11"];
      this.presetsRecalled.push(number);
      return [`Rpr${number}`];
    }
    // Everything else of ours starts with ESC; the rest of the command is plain text.
    const escaped = line.startsWith(ESC) ? line.slice(1) : null;
    if (escaped === null) return ["E10"];
    const verbose = /^(\d)CV$/.exec(escaped);
    if (verbose) {
      const mode = Number(verbose[1]);
      if (mode > 3) return ["E13"];
      this.verbose = mode;
      return [`Vrb${mode}`];
    }
    const dsp = /^([GMV])(\d{5})(?:\*([+-]?\d+))?AU$/.exec(escaped);
    if (!dsp) return ["E10"];
    const [, command, oidText, value] = dsp;
    const oid = Number(oidText);
    const channel = oid - 40000 + 1;
    if (channel < 1 || channel > this.channels) return ["E13"];
    const index = channel - 1;
    const tag = `Ds${command}${oidText}`;
    if (command === "M") {
      if (value === undefined) return [this.reply(tag, this.mutes[index] ? "1" : "0")];
      if (value !== "0" && value !== "1") return ["E13"];
      this.mutes[index] = value === "1";
      return [`${tag}*${value}`];
    }
    if (command === "G") {
      if (value === undefined) return [this.reply(tag, this.encodeGain(this.levels[index]!))];
      const db = this.decodeGain(value);
      if (db < -100 || db > 24) return ["E13"];
      this.levels[index] = db;
      return [`${tag}*${this.encodeGain(db)}`];
    }
    // V: meters, on the Plus only.
    if (this.generation !== "plus") return ["E10"];
    const level = `${Math.round((this.sceneLevels()[index] ?? -150) * 10)}`;
    if (value === "1") this.metering.add(channel);
    else if (value === "0") this.metering.delete(channel);
    return [`${tag}*${level}`];
  }
}
