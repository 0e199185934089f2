// An Extron DMP 128 (original or Plus) on RS-232, speaking SIS as research/mixer-protocols.md describes it:
// ESC-prefixed DSP commands ending in AU, object ids 4000(n-1) for input n and 6000(n-1) for output n's volume, gain
// as 2048 + 10·dB (original) or signed 10·dB (Plus), verbose modes, unsolicited changes and meters (Plus), E-codes,
// a copyright line at power-up. Group masters and level ranges follow Extron's user guides (DMP 128 68-2036-01 Rev. E,
// "Command and Response Table for DSP SIS Commands"): `ESC D2*1GRPM` → `GrpmD02*+00001` — the group number in two
// digits ("01 - 32"; "01 through 64" on the Plus) and the value signed in five ("responses are always 5 digits");
// mic/line input gain −18…+80 dB; output volume −100…0 dB on both generations.
import type { AudioScene } from "../audio-scene/audio-scene.ts";
import { DspSimulator, type LocalChange } from "./dsp-simulator.ts";

const ESC = "\u001b";
const OUTPUTS = 16;
/** Group masters per generation: "X6% = Group master group number 01 - 32" (DMP 128), "01 through 64" (Plus). */
const GROUPS = { original: 32, plus: 64 } as const;
/** Ranges in dB, from the guides' "acceptable adjustment range" notes. */
const INPUT_GAIN_DB = { min: -18, max: 80 } as const;
const OUTPUT_VOLUME_DB = { min: -100, max: 0 } as const;
const GROUP_MASTER = /^D(\d+)(?:\*([+-]?\d+))?GRPM$/;

/** Our standard room design: group master 1 mutes every mic (the demo rooms name it), 2 is a gain group. The
 *  groups' members are not modelled; the other group numbers are not set up (E14). */
export const EXTRON_DESIGN = { micMuteGroup: 1, gainGroup: 2, programOutput: 60000 } as const;

const signed = (value: number) => `${value < 0 ? "-" : "+"}${String(Math.abs(value)).padStart(5, "0")}`;
/** A group master as replies name it: `GrpmD02`. */
const groupTag = (group: number) => `GrpmD${String(group).padStart(2, "0")}`;

export class ExtronSimulator extends DspSimulator {
  protected readonly commandEnd = /\r/;
  protected readonly lineEnd = "\r\n";
  /** 0 none, 1 verbose, 2 tagged, 3 both; the port starts in 0 after power-up. */
  private verbose = 0;
  private readonly metering = new Set<number>();
  /** Output volumes by output (1-based index 0 = object 60000). */
  readonly outputVolumes: number[] = Array.from({ length: OUTPUTS }, () => 0);
  private readonly groups = new Map<number, { kind: "mute"; muted: boolean } | { kind: "gain"; tenths: number }>([
    [EXTRON_DESIGN.micMuteGroup, { kind: "mute", muted: false }],
    [EXTRON_DESIGN.gainGroup, { kind: "gain", tenths: 0 }],
  ]);

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

  volumeDb(address: string): number | undefined {
    return this.outputVolumes[Number(address) - 60000];
  }

  groupMuted(address: string): boolean | undefined {
    const group = this.groups.get(Number(address));
    return group?.kind === "mute" ? group.muted : undefined;
  }

  /** A change at the front panel (or another port): reported unsolicited in verbose 1 and 3. */
  changeLocally(change: LocalChange): void {
    let line: string;
    if ("channel" in change && "muted" in change) {
      this.mutes[change.channel - 1] = change.muted;
      line = `DsM${40000 + change.channel - 1}*${change.muted ? 1 : 0}`;
    } else if ("channel" in change) {
      this.levels[change.channel - 1] = change.levelDb;
      line = `DsG${40000 + change.channel - 1}*${this.encodeGain(change.levelDb)}`;
    } else if ("volume" in change) {
      this.outputVolumes[Number(change.volume) - 60000] = change.levelDb;
      line = `DsG${change.volume}*${this.encodeGain(change.levelDb)}`;
    } else {
      this.groups.set(Number(change.group), { kind: "mute", muted: change.muted });
      line = `${groupTag(Number(change.group))}*${signed(change.muted ? 1 : 0)}`;
    }
    if (this.verbose === 1 || this.verbose === 3) this.write([line]);
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
    const group = GROUP_MASTER.exec(escaped);
    if (group) return this.groupMaster(Number(group[1]), group[2]);
    const dsp = /^([GMV])(\d{5})(?:\*([+-]?\d+))?AU$/.exec(escaped);
    if (!dsp) return ["E10"];
    const [, command, oidText, value] = dsp;
    const oid = Number(oidText);
    if (command === "G" && oid >= 60000) return this.outputVolume(oid - 60000, `Ds${command}${oidText}`, value);
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
      if (db < INPUT_GAIN_DB.min || db > INPUT_GAIN_DB.max) return ["E13"];
      this.levels[index] = db;
      return [`${tag}*${this.encodeGain(db)}`];
    }
    // V: meters, on the Plus only: read once, or started (*1) and stopped (*0) as unsolicited lines.
    if (this.generation !== "plus") return ["E10"];
    const level = `${Math.round((this.sceneLevels()[index] ?? -150) * 10)}`;
    if (value === "1") this.metering.add(channel);
    else if (value === "0") this.metering.delete(channel);
    return [`${tag}*${level}`];
  }

  /** Output volumes: "The output volume range is –100 dB to 0 dB" (1048…2048 on the original). */
  private outputVolume(output: number, tag: string, value: string | undefined): string[] {
    if (output >= OUTPUTS) return ["E13"];
    if (value === undefined) return [this.reply(tag, this.encodeGain(this.outputVolumes[output]!))];
    const db = this.decodeGain(value);
    if (db < OUTPUT_VOLUME_DB.min || db > OUTPUT_VOLUME_DB.max) return ["E13"];
    this.outputVolumes[output] = db;
    return [`${tag}*${this.encodeGain(db)}`];
  }

  /** Group masters: a mute group takes 0 or 1, a gain group tenths of a dB; both answer `GrpmD{nn}*{±nnnnn}`. */
  private groupMaster(number: number, value: string | undefined): string[] {
    if (number < 1 || number > GROUPS[this.generation]) return ["E13"];
    const group = this.groups.get(number);
    if (!group) return ["E14"];
    const tag = groupTag(number);
    const current = () => signed(group.kind === "mute" ? (group.muted ? 1 : 0) : group.tenths);
    if (value === undefined) return [this.reply(tag, current())];
    const parsed = Number(value);
    if (group.kind === "mute") {
      if (parsed !== 0 && parsed !== 1) return ["E13"];
      group.muted = parsed === 1;
    } else {
      if (parsed < -1000 || parsed > 120) return ["E13"];
      group.tenths = parsed;
    }
    return [`${tag}*${current()}`];
  }
}
