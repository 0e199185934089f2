// An ATmega328P (Arduino Uno) running a real firmware image in avr8js: program memory from an Intel HEX file,
// the CPU, the three timers, ports B/C/D, the ADC and USART0 at 16 MHz, stepped in slices paced to the wall clock.
// Pins are Arduino numbers: 0–7 are PORTD, 8–13 PORTB, 14–19 (A0–A5) PORTC.
import {
  AVRADC,
  AVRIOPort,
  AVRTimer,
  AVRUSART,
  adcConfig,
  avrInstruction,
  CPU,
  PinState,
  portBConfig,
  portCConfig,
  portDConfig,
  timer0Config,
  timer1Config,
  timer2Config,
  usart0Config,
} from "avr8js";

export const CLOCK_HZ = 16_000_000;
const FLASH_BYTES = 32 * 1024;
export const UNO_PIN_COUNT = 20;

/** Reads an Intel HEX image into a 32 KB flash; throws naming the line on anything malformed. */
export function parseIntelHex(text: string): Uint16Array {
  const flash = new Uint8Array(FLASH_BYTES);
  let base = 0;
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === "") continue;
    if (!/^:([0-9A-Fa-f]{2}){5,}$/.test(line)) throw new Error(`Intel HEX line ${index + 1}: not a record`);
    const bytes = Buffer.from(line.slice(1), "hex");
    const length = bytes[0]!;
    if (bytes.length !== length + 5) throw new Error(`Intel HEX line ${index + 1}: wrong length`);
    if (bytes.reduce((sum, byte) => (sum + byte) & 0xff, 0) !== 0) {
      throw new Error(`Intel HEX line ${index + 1}: bad checksum`);
    }
    const address = base + bytes.readUInt16BE(1);
    const type = bytes[3];
    if (type === 0x00) {
      if (address + length > FLASH_BYTES) throw new Error(`Intel HEX line ${index + 1}: past the end of the flash`);
      flash.set(bytes.subarray(4, 4 + length), address);
    } else if (type === 0x01) {
      break;
    } else if (type === 0x02) {
      base = bytes.readUInt16BE(4) << 4;
    } else if (type === 0x04) {
      base = bytes.readUInt16BE(4) << 16;
    }
  }
  return new Uint16Array(flash.buffer);
}

export type PinLevel = "low" | "high" | "input" | "input-pullup";

function portAndBit(pin: number): [port: "B" | "C" | "D", bit: number] {
  if (!Number.isInteger(pin) || pin < 0 || pin >= UNO_PIN_COUNT) {
    throw new RangeError(`an Uno has pins 0–${UNO_PIN_COUNT - 1}; got ${pin}`);
  }
  if (pin < 8) return ["D", pin];
  if (pin < 14) return ["B", pin - 8];
  return ["C", pin - 14];
}

/** Work done per event-loop turn at most, so the host process stays responsive. */
const SLICE_MS = 8;
/** A chip further behind the wall clock than this skips ahead instead of racing to catch up (a stalled loop). */
const MAX_LAG_MS = 50;

export interface AvrChipEvents {
  /** Bytes the firmware sent on its serial port since the last call. */
  transmit(bytes: Buffer): void;
  /** An output pin changed (after a slice, for the pins that changed in it). */
  pinChange(pin: number, level: PinLevel): void;
}

export class AvrChip {
  private readonly cpu: CPU;
  private readonly usart: AVRUSART;
  private readonly ports: Record<"B" | "C" | "D", AVRIOPort>;
  private readonly rx: number[] = [];
  private tx: number[] = [];
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private wallStart = 0;
  private cycleStart = 0;
  private readonly lastLevels: PinLevel[] = [];
  /** Busy time, for the benchmark's CPU figure. */
  busyMs = 0;

  constructor(
    program: Uint16Array,
    private readonly events: AvrChipEvents,
    /** Clock as a share of 16 MHz: real time costs about half a core; the demo's boards run slower to save it. */
    private readonly speed = 1,
  ) {
    // The CPU works on its own copy: a reset starts again from the flash, never from a changed image.
    this.cpu = new CPU(new Uint16Array(program));
    new AVRTimer(this.cpu, timer0Config);
    new AVRTimer(this.cpu, timer1Config);
    new AVRTimer(this.cpu, timer2Config);
    new AVRADC(this.cpu, adcConfig);
    this.ports = {
      B: new AVRIOPort(this.cpu, portBConfig),
      C: new AVRIOPort(this.cpu, portCConfig),
      D: new AVRIOPort(this.cpu, portDConfig),
    };
    this.usart = new AVRUSART(this.cpu, usart0Config, CLOCK_HZ);
    this.usart.onByteTransmit = (byte) => this.tx.push(byte);
    this.usart.onRxComplete = () => this.feed();
    // Nothing pulls a pin low until something is wired to it: inputs read high, as with pull-ups.
    for (let pin = 0; pin < UNO_PIN_COUNT; pin++) this.setInput(pin, true);
    for (let pin = 0; pin < UNO_PIN_COUNT; pin++) this.lastLevels[pin] = this.level(pin);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.wallStart = performance.now();
    this.cycleStart = this.cpu.cycles;
    this.timer = setTimeout(() => this.slice(), 0);
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
  }

  /** Bytes arriving on the chip's RX pin; they are taken one character time apart, as on the wire. */
  receive(bytes: Uint8Array): void {
    // Like the USB-serial bridge of an Uno: a bounded buffer in front of the chip.
    for (const byte of bytes) if (this.rx.length < 4096) this.rx.push(byte);
    this.feed();
  }

  /** Drives an input pin from outside (a button, a switch). */
  setInput(pin: number, high: boolean): void {
    const [port, bit] = portAndBit(pin);
    this.ports[port].setPin(bit, high);
  }

  level(pin: number): PinLevel {
    const [port, bit] = portAndBit(pin);
    switch (this.ports[port].pinState(bit)) {
      case PinState.High:
        return "high";
      case PinState.Low:
        return "low";
      case PinState.InputPullUp:
        return "input-pullup";
      default:
        return "input";
    }
  }

  private feed(): void {
    // A UART that is not enabled (the firmware still starting) loses what arrives, as the real one does.
    if (!this.usart.rxEnable) {
      this.rx.length = 0;
      return;
    }
    if (this.rx.length > 0 && !this.usart.rxBusy && this.usart.writeByte(this.rx[0]!)) this.rx.shift();
  }

  private slice(): void {
    if (!this.running) return;
    const started = performance.now();
    const cyclesPerMs = (CLOCK_HZ / 1000) * this.speed;
    let target = this.cycleStart + (started - this.wallStart) * cyclesPerMs;
    if (target - this.cpu.cycles > MAX_LAG_MS * cyclesPerMs) {
      this.cycleStart = this.cpu.cycles - (started - this.wallStart) * cyclesPerMs;
      target = this.cpu.cycles;
    }
    const { cpu } = this;
    const deadline = started + SLICE_MS;
    while (cpu.cycles < target) {
      for (let i = 0; i < 2000; i++) {
        avrInstruction(cpu);
        cpu.tick();
      }
      if (this.rx.length > 0) this.feed();
      if (performance.now() > deadline) break;
    }
    this.flush();
    const now = performance.now();
    this.busyMs += now - started;
    // Ahead of the clock: sleep a millisecond rather than spin.
    this.timer = setTimeout(() => this.slice(), cpu.cycles >= target ? 1 : 0);
  }

  private flush(): void {
    if (this.tx.length > 0) {
      const bytes = Buffer.from(this.tx);
      this.tx = [];
      this.events.transmit(bytes);
    }
    for (let pin = 0; pin < UNO_PIN_COUNT; pin++) {
      const level = this.level(pin);
      if (level !== this.lastLevels[pin]) {
        this.lastLevels[pin] = level;
        this.events.pinChange(pin, level);
      }
    }
  }
}
