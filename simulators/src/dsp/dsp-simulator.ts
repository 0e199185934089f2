// What every simulated DSP shares: a serial port (the device end of a pty pair), line framing, per-channel mute and
// level state, a program volume and mute groups, presets, meters driven by an audio scene, changes made at the DSP
// itself, and misbehaviour on request. Each protocol is a subclass written from research/mixer-protocols.md, not
// from our profiles.
import { SerialPort } from "serialport";
import { type AudioScene, levelsAt } from "../audio-scene/audio-scene.ts";

export interface Misbehaviour {
  /** Stop answering (the DSP hangs) while true. */
  frozen: boolean;
  /** Delay every reply by this many ms. */
  replyDelayMs: number;
  /** Echo every received line back before answering. */
  echo: boolean;
  /** Answer every command with this line instead (a DSP busy or failing: `-GENERAL_FAILURE`, `E22`, `NAK`). */
  answerWith: string | null;
  /**
   * After each start (power-up, a cable plugged in), lines are read but not answered for this long: a DSP still
   * booting, or a USB adapter that loses what comes first.
   */
  bootingMs: number;
}

/** A change made at the DSP itself (front panel, a wall button, another controller), addressed as the DSP does. */
export type LocalChange =
  | { channel: number; muted: boolean }
  | { channel: number; levelDb: number }
  | { volume: string; levelDb: number }
  | { group: string; muted: boolean };

export abstract class DspSimulator {
  readonly mutes: boolean[];
  readonly levels: number[];
  readonly misbehaviour: Misbehaviour = {
    frozen: false,
    replyDelayMs: 0,
    echo: false,
    answerWith: null,
    bootingMs: 0,
  };
  /** Every line received, for tests that check what the driver sent. */
  readonly received: string[] = [];
  readonly presetsRecalled: number[] = [];
  private port: SerialPort | undefined;
  private buffer = "";
  private meterTimer: NodeJS.Timeout | undefined;
  private startedAt = Date.now();
  /** Until when (ms) the DSP is still booting since its last start. */
  private bootedAt = 0;

  constructor(
    readonly path: string,
    readonly baudRate: number,
    readonly channels: number,
    private readonly scene?: AudioScene,
  ) {
    this.mutes = Array.from({ length: channels }, () => false);
    this.levels = Array.from({ length: channels }, () => 0);
  }

  /** Which characters end a command on this DSP. */
  protected abstract readonly commandEnd: RegExp;
  /** What the DSP sends after each line it writes. */
  protected abstract readonly lineEnd: string;
  /** Answers one command line; returns the reply lines. */
  protected abstract answer(line: string): string[];
  /** Lines the DSP pushes on its own every meter period (meters), or none. */
  protected abstract meterLines(levelsDb: number[]): string[];
  /** What the DSP prints when it powers up. */
  protected abstract banner(): string[];
  /** Forget what a reboot forgets (subscriptions, modes). */
  protected abstract resetSession(): void;
  /** An empty line: ignored, unless a DSP at a login prompt prints it again. */
  protected emptyLine(): void {}
  /** Makes a change at the DSP itself and tells the port as the protocol does (if it does). */
  abstract changeLocally(change: LocalChange): void;
  /** A program volume (output, Level block, fader) by the DSP's own address; undefined if there is none. */
  abstract volumeDb(address: string): number | undefined;
  /** A mute group by the DSP's own address; undefined if there is none. */
  abstract groupMuted(address: string): boolean | undefined;
  private meterPeriodMs = 100;

  async start(): Promise<void> {
    const port = new SerialPort({ path: this.path, baudRate: this.baudRate, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
    port.on("data", (chunk: Buffer) => this.receive(chunk.toString("latin1")));
    port.on("error", () => {});
    this.port = port;
    this.bootedAt = Date.now() + this.misbehaviour.bootingMs;
    this.setMeterPeriod(this.meterPeriodMs);
  }

  /** How often meterLines() is asked for lines (a DSP whose meter rate can be set changes it). */
  protected setMeterPeriod(ms: number): void {
    if (ms === this.meterPeriodMs && this.meterTimer) return;
    this.meterPeriodMs = ms;
    if (!this.port) return;
    clearInterval(this.meterTimer);
    this.meterTimer = setInterval(() => this.sendMeters(), ms);
  }

  async stop(): Promise<void> {
    clearInterval(this.meterTimer);
    this.meterTimer = undefined;
    const port = this.port;
    this.port = undefined;
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }

  /** Power cycle: the session is forgotten and the banner printed. */
  reboot(): void {
    this.resetSession();
    this.buffer = "";
    this.write(this.banner());
  }

  /** Garbage on the line (a noisy cable, a baud-rate mismatch). */
  sendRaw(bytes: string): void {
    this.port?.write(Buffer.from(bytes, "latin1"));
  }

  /** The scene's level for each channel now (the scene loops); silence without a scene. */
  protected sceneLevels(): number[] {
    if (!this.scene) return this.mutes.map(() => -100);
    const levels = levelsAt(this.scene, (Date.now() - this.startedAt) / 1000, true);
    return Array.from({ length: this.channels }, (_, index) => levels[index] ?? -100);
  }

  protected write(lines: string[]): void {
    if (lines.length === 0) return;
    this.writeText(lines.map((line) => line + this.lineEnd).join(""));
  }

  /** Text as it is, without line ends (a prompt), in order with the lines written. */
  protected writeText(text: string): void {
    if (!this.port) return;
    const send = () => this.port?.write(Buffer.from(text, "latin1"));
    if (this.misbehaviour.replyDelayMs > 0) setTimeout(send, this.misbehaviour.replyDelayMs);
    else send();
  }

  private receive(text: string): void {
    this.buffer += text;
    if (this.buffer.length > 4096) this.buffer = this.buffer.slice(-4096);
    for (;;) {
      const match = this.commandEnd.exec(this.buffer);
      if (!match) return;
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      const deaf = this.misbehaviour.frozen || Date.now() < this.bootedAt;
      if (line.length === 0) {
        if (!deaf) this.emptyLine();
        continue;
      }
      this.received.push(line);
      if (deaf) continue;
      if (this.misbehaviour.echo) this.write([line]);
      this.write(this.misbehaviour.answerWith === null ? this.answer(line) : [this.misbehaviour.answerWith]);
    }
  }

  private sendMeters(): void {
    if (this.misbehaviour.frozen) return;
    this.write(this.meterLines(this.sceneLevels()));
  }
}
