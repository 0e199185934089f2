// A Symetrix Radius/Edge/Prism speaking the Composer control protocol as research/mixer-protocols.md describes it:
// controller numbers holding positions 0–65535, CS/CSQ/CC/GS/GS2/NOP, NAK for an unknown controller, and push of
// changed values as `#NNNNN=VVVVV` lines (on for everything after power-up, with a burst of every value).
import type { AudioScene } from "../audio-scene/audio-scene.ts";
import { DspSimulator } from "./dsp-simulator.ts";

const pad = (value: number) => String(Math.round(value)).padStart(5, "0");

/** The site's controller numbers: which control each mic channel's mute, fader and meter is. */
export interface SymetrixControllers {
  mute: (channel: number) => number;
  fader: (channel: number) => number;
  meter: (channel: number) => number;
}

export const ROOM_CONVENTION: SymetrixControllers = {
  mute: (channel) => 100 + channel,
  fader: (channel) => 200 + channel,
  meter: (channel) => 300 + channel,
};

export class SymetrixSimulator extends DspSimulator {
  protected readonly commandEnd = /\r/;
  protected readonly lineEnd = "\r";
  private pushOn = true;
  private pushRange: [number, number] = [1, 10000];
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
  }

  private faderPosition(db: number): number {
    return Math.round(((db + 72) * 65535) / 84);
  }

  private meterPosition(dbu: number): number {
    return Math.max(0, Math.min(65535, Math.round(((dbu + 48) * 65535) / 72)));
  }

  /** Mutes and levels as dB, derived from the controller positions (what tests look at). */
  private sync(): void {
    for (let channel = 1; channel <= this.channels; channel++) {
      this.mutes[channel - 1] = (this.positions.get(this.controllers.mute(channel)) ?? 0) >= 32768;
      this.levels[channel - 1] =
        Math.round((((this.positions.get(this.controllers.fader(channel)) ?? 0) * 84) / 65535 - 72) * 10) / 10;
    }
  }

  protected banner(): string[] {
    // No banner: after power-up push is on for everything and every value is sent once.
    return [...this.positions].map(([controller, position]) => `#${pad(controller)}=${pad(position)}`);
  }

  protected resetSession(): void {
    this.pushOn = true;
    this.pushRange = [1, 10000];
    this.lastPushedMeters.clear();
  }

  private pushes(controller: number): boolean {
    return this.pushOn && controller >= this.pushRange[0] && controller <= this.pushRange[1];
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
        this.pushOn = true;
        this.pushRange = [numbers[0] ?? 1, numbers[1] ?? numbers[0] ?? 10000];
        return ["ACK"];
      case "PUD":
        this.pushOn = false;
        return ["ACK"];
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

  /** Someone moves a control elsewhere (another panel): pushed if push covers it. */
  changeElsewhere(controller: number, position: number): void {
    this.positions.set(controller, position);
    this.sync();
    if (this.pushes(controller)) this.write([`#${pad(controller)}=${pad(position)}`]);
  }
}
