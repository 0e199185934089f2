// A Symetrix Radius/Edge/Prism speaking the Composer control protocol as research/mixer-protocols.md describes it:
// controller numbers holding positions 0–65535, CS/CSQ/CC/GS/GS2/NOP, NAK for an unknown controller, and push of
// changed values as `#NNNNN=VVVVV` lines at most every PUI ms (enabled per controller with PUE/PUD; on for everything
// after power-up, with a burst of every value). Preset recall `LP n` comes from public clients, not the manual.
import type { AudioScene } from "../audio-scene/audio-scene.ts";
import { DspSimulator, type LocalChange } from "./dsp-simulator.ts";

const pad = (value: number) => String(Math.round(value)).padStart(5, "0");

/** The site's controller numbers: which control each mic channel's mute, fader and meter is, the program fader and
 *  the button that mutes every mic. */
export interface SymetrixControllers {
  mute: (channel: number) => number;
  fader: (channel: number) => number;
  meter: (channel: number) => number;
  programFader: number;
  micMuteButton: number;
}

export const ROOM_CONVENTION: SymetrixControllers = {
  mute: (channel) => 100 + channel,
  fader: (channel) => 200 + channel,
  meter: (channel) => 300 + channel,
  programFader: 1,
  micMuteButton: 100,
};
const PRESETS = 1000;

export class SymetrixSimulator extends DspSimulator {
  protected readonly commandEnd = /\r/;
  protected readonly lineEnd = "\r";
  private pushOn = true;
  /** Controllers whose changes are pushed (PUE/PUD); all of them after power-up. */
  private readonly pushEnabled = new Set<number>();
  private readonly positions = new Map<number, number>();
  private readonly lastPushedMeters = new Map<number, number>();

  constructor(
    path: string,
    channels = 8,
    scene?: AudioScene,
    private readonly controllers: SymetrixControllers = ROOM_CONVENTION,
  ) {
    super(path, 57600, channels, scene);
    for (let channel = 1; channel <= channels; channel++) {
      this.positions.set(controllers.mute(channel), 0);
      this.positions.set(controllers.fader(channel), this.faderPosition(0));
    }
    this.positions.set(controllers.programFader, this.faderPosition(0));
    this.positions.set(controllers.micMuteButton, 0);
    this.resetSession();
  }

  private get allControllers(): number[] {
    const meters = Array.from({ length: this.channels }, (_, index) => this.controllers.meter(index + 1));
    return [...this.positions.keys(), ...meters];
  }

  volumeDb(address: string): number | undefined {
    const position = this.positions.get(Number(address));
    return position === undefined ? undefined : this.faderDb(position);
  }

  groupMuted(address: string): boolean | undefined {
    const position = this.positions.get(Number(address));
    return position === undefined ? undefined : position >= 32768;
  }

  /** Someone moves a control elsewhere (another panel, a wall button): pushed if push covers it. */
  changeLocally(change: LocalChange): void {
    if ("channel" in change && "muted" in change) {
      this.changeElsewhere(this.controllers.mute(change.channel), change.muted ? 65535 : 0);
    } else if ("channel" in change) {
      this.changeElsewhere(this.controllers.fader(change.channel), this.faderPosition(change.levelDb));
    } else if ("volume" in change) this.changeElsewhere(Number(change.volume), this.faderPosition(change.levelDb));
    else this.changeElsewhere(Number(change.group), change.muted ? 65535 : 0);
  }

  private faderPosition(db: number): number {
    return Math.round(((db + 72) * 65535) / 84);
  }

  private faderDb(position: number): number {
    return Math.round(((position * 84) / 65535 - 72) * 10) / 10;
  }

  private meterPosition(dbu: number): number {
    return Math.max(0, Math.min(65535, Math.round(((dbu + 48) * 65535) / 72)));
  }

  /** Mutes and levels as dB, derived from the controller positions (what tests look at). */
  private sync(): void {
    for (let channel = 1; channel <= this.channels; channel++) {
      this.mutes[channel - 1] = (this.positions.get(this.controllers.mute(channel)) ?? 0) >= 32768;
      this.levels[channel - 1] = this.faderDb(this.positions.get(this.controllers.fader(channel)) ?? 0);
    }
  }

  protected banner(): string[] {
    // No banner: after power-up push is on for everything and every value is sent once.
    return [...this.positions].map(([controller, position]) => `#${pad(controller)}=${pad(position)}`);
  }

  protected resetSession(): void {
    this.pushOn = true;
    for (const controller of this.allControllers) this.pushEnabled.add(controller);
    this.lastPushedMeters.clear();
    this.setMeterPeriod(100);
  }

  private pushes(controller: number): boolean {
    return this.pushOn && this.pushEnabled.has(controller);
  }

  /** PUE/PUD: no numbers = every controller, one = that controller, two = a range. */
  private setPush(on: boolean, numbers: number[]): string[] {
    if (numbers.some((n) => !Number.isInteger(n))) return ["NAK"];
    const [low = 1, high = numbers.length === 0 ? 10000 : low] = numbers;
    for (const controller of this.allControllers) {
      if (controller < low || controller > high) continue;
      if (on) this.pushEnabled.add(controller);
      else this.pushEnabled.delete(controller);
    }
    return ["ACK"];
  }

  protected meterLines(levels: number[]): string[] {
    const lines: string[] = [];
    for (let channel = 1; channel <= this.channels; channel++) {
      const controller = this.controllers.meter(channel);
      const position = this.meterPosition(levels[channel - 1] ?? -100);
      if (!this.pushes(controller) || this.lastPushedMeters.get(controller) === position) continue;
      this.lastPushedMeters.set(controller, position);
      lines.push(`#${pad(controller)}=${pad(position)}`);
    }
    return lines;
  }

  protected answer(line: string): string[] {
    const [command, ...args] = line.trim().split(/\s+/);
    const numbers = args.map(Number);
    switch (command) {
      case "NOP":
        return ["ACK"];
      case "V":
        return ["Composer 7.0"];
      case "PU":
        this.pushOn = numbers[0] === 1;
        return ["ACK"];
      case "PUE":
        return this.setPush(true, numbers);
      case "PUD":
        return this.setPush(false, numbers);
      case "PUI": {
        const interval = numbers[0];
        if (interval === undefined || !Number.isInteger(interval) || interval < 20 || interval > 30000) return ["NAK"];
        this.setMeterPeriod(interval);
        return ["ACK"];
      }
      case "LP": {
        const preset = numbers[0];
        if (preset === undefined || !Number.isInteger(preset) || preset < 1 || preset > PRESETS) return ["NAK"];
        this.presetsRecalled.push(preset);
        return ["ACK"];
      }
      case "CS":
      case "CSQ": {
        const [controller, position] = numbers;
        const known = controller !== undefined && this.positions.has(controller);
        if (!known || position === undefined || !(position >= 0 && position <= 65535))
          return command === "CSQ" ? ["ACK"] : ["NAK"];
        this.positions.set(controller, position);
        this.sync();
        return ["ACK"];
      }
      case "CC": {
        const [controller, direction, amount] = numbers;
        if (controller === undefined || !this.positions.has(controller)) return ["NAK"];
        const now = this.positions.get(controller)!;
        const next = now + (direction === 1 ? 1 : -1) * (amount ?? 1);
        this.positions.set(controller, Math.max(0, Math.min(65535, next)));
        this.sync();
        return ["ACK"];
      }
      case "GS":
      case "GS2": {
        const controller = numbers[0];
        if (controller === undefined || !this.positions.has(controller)) return ["NAK"];
        const position = String(this.positions.get(controller));
        return [command === "GS" ? position : `${controller} ${position}`];
      }
      default:
        return ["NAK"];
    }
  }

  private changeElsewhere(controller: number, position: number): void {
    this.positions.set(controller, position);
    this.sync();
    if (this.pushes(controller)) this.write([`#${pad(controller)}=${pad(position)}`]);
  }
}
