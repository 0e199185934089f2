// A GPIO board without a board: the real StandardFirmata firmware running in avr8js, its serial port bridged to a
// socat pty the driver opens as it would /dev/ttyACM0. Tests and the demo press and release buttons (pins wired to
// ground, read high through pull-ups), read the lamps and relays, reset the board, and unplug it.
import { EventEmitter } from "node:events";
import { rmSync } from "node:fs";
import { SerialPort } from "serialport";
import { PtyPair } from "../dsp/pty-pair.ts";
import { AvrChip, type PinLevel } from "./avr-chip.ts";
import { type FirmwareName, loadFirmware } from "./firmware.ts";

export interface FirmataBoardOptions {
  /** The end the driver opens. */
  hostPath: string;
  /** The board's own end of the pty pair (default: hostPath + "-board"). */
  devicePath?: string;
  firmware?: FirmwareName;
  /** Clock as a share of the real 16 MHz (1 = real time, about half a core). */
  speed?: number;
}

export class FirmataBoard extends EventEmitter<{ pin: [pin: number, level: PinLevel] }> {
  private readonly pty: PtyPair;
  private readonly program: Uint16Array;
  private chip: AvrChip | undefined;
  private port: SerialPort | undefined;
  /** What the room's wiring does to the inputs; it stays across resets and unplugging, as buttons do. */
  private readonly wiring = new Map<number, boolean>();
  /** Every byte the host sent, for tests that check the wire. */
  received = 0;

  constructor(readonly options: FirmataBoardOptions) {
    super();
    this.pty = new PtyPair(options.devicePath ?? `${options.hostPath}-board`, options.hostPath);
    this.program = loadFirmware(options.firmware ?? "StandardFirmata");
  }

  get hostPath(): string {
    return this.options.hostPath;
  }

  get plugged(): boolean {
    return this.port !== undefined;
  }

  /** Plugs the board in: the pty appears and the chip powers up (the firmware's ~2 s start blink, then Firmata). */
  async start(): Promise<void> {
    if (this.port) return;
    await this.pty.start();
    const port = new SerialPort({ path: this.pty.devicePath, baudRate: 57600, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
    port.on("data", (chunk: Buffer) => {
      this.received += chunk.length;
      this.chip?.receive(chunk);
    });
    // The pty vanishing under the port (unplug) is expected.
    port.on("error", () => {});
    this.port = port;
    this.powerOn();
  }

  /** Unplugs the board: power and cable gone, so the firmware starts from scratch when plugged in again. */
  async stop(): Promise<void> {
    this.chip?.stop();
    this.chip = undefined;
    const port = this.port;
    this.port = undefined;
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
    await this.pty.stop();
    // A killed socat leaves its links behind, pointing at pty numbers the system will hand out again.
    for (const link of [this.pty.devicePath, this.pty.hostPath]) rmSync(link, { force: true });
  }

  unplug(): Promise<void> {
    return this.stop();
  }

  replug(): Promise<void> {
    return this.start();
  }

  /** The reset button: the chip restarts, the cable stays. */
  reset(): void {
    if (!this.port) throw new Error("the board is unplugged");
    this.powerOn();
  }

  /** The firmware hangs (a crash, a brown-out lock-up): the cable stays, nothing answers until reset(). */
  hang(): void {
    this.chip?.stop();
  }

  /** A button wired from the pin to ground is pressed (the pin reads low). */
  press(pin: number): void {
    this.setInput(pin, false);
  }

  release(pin: number): void {
    this.setInput(pin, true);
  }

  /** Drives an input pin high or low from outside (a switch, a sensor). */
  setInput(pin: number, high: boolean): void {
    this.wiring.set(pin, high);
    this.chip?.setInput(pin, high);
  }

  /** What the room's wiring drives into each input pin set so far (a pressed button: "low"). */
  inputs(): Record<number, "high" | "low"> {
    return Object.fromEntries([...this.wiring].map(([pin, high]) => [pin, high ? "high" : "low"]));
  }

  /** What the firmware makes of a pin now; "low" when the board has no power. */
  level(pin: number): PinLevel {
    return this.chip?.level(pin) ?? "low";
  }

  /** Whether an output pin is driven high (a lamp on, a relay energised). */
  isHigh(pin: number): boolean {
    return this.level(pin) === "high";
  }

  /** CPU time the chip took so far in this power-up, in ms. */
  get busyMs(): number {
    return this.chip?.busyMs ?? 0;
  }

  private powerOn(): void {
    this.chip?.stop();
    const chip = new AvrChip(
      this.program,
      {
        transmit: (bytes) => this.port?.write(bytes),
        pinChange: (pin, level) => this.emit("pin", pin, level),
      },
      this.options.speed,
    );
    for (const [pin, high] of this.wiring) chip.setInput(pin, high);
    this.chip = chip;
    chip.start();
  }
}
