// The room's pin map on a ready board's Firmata io: which pin is which seat's button, which lamp follows which fact,
// which relay the operator switched. Knows nothing of serial ports or reconnecting (the driver does that); started
// again on every fresh board, it sets the pins up and the driver then puts every output back. It writes and reads
// the io itself rather than through johnny-five's Button, Switch, Relay or Led: the input components start timers
// that outlive the board, Relay never sets its pin's mode, and Led turns a PWM-capable pin into PWM.
import type { GpioDeviceEntry } from "@rc/hardware-profiles";
import type { CapabilityDescriptor } from "@rc/protocol";
import type { RoomFactValues } from "../../room-facts.ts";
import { type ButtonAction, ButtonDebounce } from "./button-debounce.ts";

/** What the pin map needs of firmata-io (johnny-five's board.io), and what mock-firmata offers in unit tests. */
export interface FirmataIo {
  pins: { supportedModes: number[] }[];
  MODES: { INPUT: number; OUTPUT: number; PULLUP: number };
  pinMode(pin: number, mode: number): void;
  digitalWrite(pin: number, value: number): void;
  digitalRead(pin: number, callback: (value: number) => void): void;
  removeListener(event: string, listener: (value: number) => void): unknown;
}

export interface GpioPinHooks {
  button(data: { seat: string; pin: number; action: ButtonAction; heldMs: number }): void;
  /** The privacy switch was turned (or found on at connect). */
  privacy(on: boolean, pin: number): void;
  /** Readings changed (a button, a lamp, a relay). */
  changed(): void;
}

type Output = {
  key: string;
  pin: number;
  activeLow: boolean;
  what: string;
  wanted: (facts: RoomFactValues) => boolean;
};
type Input = { key: string; pin: number; wiring: "to-ground" | "to-supply"; what: string };

/** Every pin of the entry with what it is, for checks against the board and for error messages. */
export function pinUses(entry: GpioDeviceEntry): { pin: number; what: string; direction: "input" | "output" }[] {
  return [
    ...entry.buttons.map((b) => ({ pin: b.pin, what: `button of seat ${b.seat}`, direction: "input" as const })),
    ...(entry.privacySwitch
      ? [{ pin: entry.privacySwitch.pin, what: "privacy switch", direction: "input" as const }]
      : []),
    ...entry.tally.map((t) => ({ pin: t.pin, what: `tally of camera ${t.camera}`, direction: "output" as const })),
    ...(entry.onAir ? [{ pin: entry.onAir.pin, what: "ON AIR lamp", direction: "output" as const }] : []),
    ...(entry.recording ? [{ pin: entry.recording.pin, what: "recording lamp", direction: "output" as const }] : []),
    ...entry.relays.map((r) => ({ pin: r.pin, what: `relay ${r.id}`, direction: "output" as const })),
  ];
}

/** The entry's pins the board lacks or cannot use that way, from the board's own capability report. */
export function pinProblems(entry: GpioDeviceEntry, io: Pick<FirmataIo, "pins" | "MODES">): string[] {
  const problems: string[] = [];
  for (const use of pinUses(entry)) {
    const modes = io.pins[use.pin]?.supportedModes;
    const mode = use.direction === "input" ? io.MODES.INPUT : io.MODES.OUTPUT;
    if (!modes || modes.length === 0) {
      problems.push(
        `pin ${use.pin} (${use.what}): the board reports no such pin it can use (it has ${io.pins.length})`,
      );
    } else if (!modes.includes(mode)) {
      problems.push(`pin ${use.pin} (${use.what}): the board cannot make it an ${use.direction}`);
    }
  }
  return problems;
}

export class GpioPins {
  private readonly outputs: Output[];
  private readonly inputs: Input[];
  /** Relays as the operator wants them; kept across reconnects. */
  private readonly relays = new Map<string, boolean>();
  /** What each output is driven to now (logical on/off); empty until written on this board. */
  private readonly driven = new Map<string, boolean>();
  private readonly debouncers = new Map<string, ButtonDebounce>();
  /** The privacy switch's last known position, kept across reconnects so that a change while unplugged counts. */
  private switchOn: boolean | null = null;
  private teardown: (() => void)[] = [];
  private io: FirmataIo | undefined;

  constructor(
    private readonly entry: GpioDeviceEntry,
    private readonly hooks: GpioPinHooks,
    private readonly now: () => number = () => performance.now(),
  ) {
    for (const relay of entry.relays) this.relays.set(relay.id, relay.initial);
    this.outputs = [
      ...entry.tally.map((t) => ({
        key: `tally.${t.camera}`,
        pin: t.pin,
        activeLow: t.activeLow,
        what: `tally of camera ${t.camera}`,
        wanted: (facts: RoomFactValues) => facts.programCamera === t.camera,
      })),
      ...(entry.onAir
        ? [{ key: "onAir", ...entry.onAir, what: "ON AIR lamp", wanted: (f: RoomFactValues) => f.session !== null }]
        : []),
      ...(entry.recording
        ? [{ key: "recording", ...entry.recording, what: "recording lamp", wanted: (f: RoomFactValues) => f.recording }]
        : []),
      ...entry.relays.map((r) => ({
        key: `relay.${r.id}`,
        pin: r.pin,
        activeLow: r.activeLow,
        what: `relay ${r.id}`,
        wanted: () => this.relays.get(r.id) ?? false,
      })),
    ];
    this.inputs = [
      ...entry.buttons.map((b) => ({ key: `button.${b.seat}`, pin: b.pin, wiring: b.wiring, what: b.seat })),
      ...(entry.privacySwitch ? [{ key: "privacySwitch", ...entry.privacySwitch, what: "privacy switch" }] : []),
    ];
  }

  /** Sets every pin's mode and starts reading the inputs; outputs are written by apply(). */
  start(io: FirmataIo): void {
    this.stop();
    this.io = io;
    for (const output of this.outputs) io.pinMode(output.pin, io.MODES.OUTPUT);
    // Every mode first, reporting after: the first report of a port must not catch a pin still in its old mode.
    for (const input of this.inputs) this.setInputMode(io, input);
    for (const input of this.inputs) this.readInput(io, input);
  }

  /**
   * Resolves once every input has reported its level, so that a press from then on is an event (a contact already
   * closed at the first report is the baseline, not a press); rejects after timeoutMs.
   */
  async inputsKnown(timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    const unknown = () => this.inputs.filter((input) => this.debouncers.get(input.key)?.isPressed == null);
    while (unknown().length > 0) {
      if (performance.now() > deadline) {
        const pins = unknown().map((input) => `${input.what} (pin ${input.pin})`);
        throw new Error(`the board reported no level for ${pins.join(", ")} within ${timeoutMs} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Forgets the board: listeners and timers go, what was driven becomes unknown. */
  stop(): void {
    for (const undo of this.teardown) undo();
    this.teardown = [];
    for (const debouncer of this.debouncers.values()) debouncer.stop();
    this.debouncers.clear();
    this.driven.clear();
    this.io = undefined;
  }

  /** Drives every output to what the room wants now; `all` writes even those already right (after a reconnect). */
  apply(facts: RoomFactValues, all = false): number {
    const io = this.io;
    if (!io) return 0;
    let writes = 0;
    for (const output of this.outputs) {
      const on = output.wanted(facts);
      if (!all && this.driven.get(output.key) === on) continue;
      io.digitalWrite(output.pin, on !== output.activeLow ? 1 : 0);
      this.driven.set(output.key, on);
      writes++;
    }
    if (writes > 0) this.hooks.changed();
    return writes;
  }

  /** Remembers the relay's wanted state; the caller applies it. */
  setRelay(id: string, on: boolean): void {
    if (!this.relays.has(id)) {
      throw new Error(`no relay "${id}" on this board (relays: ${[...this.relays.keys()].join(", ") || "none"})`);
    }
    this.relays.set(id, on);
  }

  readings(): Record<string, boolean | null> {
    const readings: Record<string, boolean | null> = {};
    for (const input of this.inputs) readings[input.key] = this.debouncers.get(input.key)?.isPressed ?? null;
    for (const output of this.outputs) readings[output.key] = this.driven.get(output.key) ?? null;
    return readings;
  }

  capabilities(): CapabilityDescriptor[] {
    const device = this.entry.id;
    // Relays are the operator's to switch; lamps and tallies follow the room's facts, so they are read-only.
    const relays = new Map(this.entry.relays.map((relay) => [`relay.${relay.id}`, relay.id]));
    return [
      ...this.inputs.map((input) => ({ name: input.key, type: "boolean" as const, readable: true, writable: false })),
      ...this.outputs.map((output): CapabilityDescriptor => {
        const relay = relays.get(output.key);
        if (relay === undefined) return { name: output.key, type: "boolean", readable: true, writable: false };
        return {
          name: output.key,
          type: "boolean",
          readable: true,
          writable: true,
          set: { action: "gpio.relay", params: { device, relay }, value: "on" },
        };
      }),
    ];
  }

  private setInputMode(io: FirmataIo, input: Input): void {
    if (input.wiring === "to-ground") {
      // StandardFirmata before 2.5 has no PULLUP mode; writing HIGH to an INPUT pin turns the AVR's pull-up on.
      if (io.pins[input.pin]?.supportedModes.includes(io.MODES.PULLUP)) io.pinMode(input.pin, io.MODES.PULLUP);
      else {
        io.pinMode(input.pin, io.MODES.INPUT);
        io.digitalWrite(input.pin, 1);
      }
    } else {
      io.pinMode(input.pin, io.MODES.INPUT);
    }
  }

  private readInput(io: FirmataIo, input: Input): void {
    const isSwitch = input.key === "privacySwitch";
    const debouncer = new ButtonDebounce(
      { debounceMs: this.entry.debounceMs, longPressMs: this.entry.longPressMs },
      (action, heldMs) => {
        if (isSwitch) {
          if (action !== "long_press") this.turnSwitch(action === "press", input.pin);
        } else {
          this.hooks.button({ seat: input.what, pin: input.pin, action, heldMs });
        }
        this.hooks.changed();
      },
      this.now,
      isSwitch,
    );
    this.debouncers.set(input.key, debouncer);
    const read = (value: number) => debouncer.sample(input.wiring === "to-ground" ? value === 0 : value === 1);
    io.digitalRead(input.pin, read);
    this.teardown.push(() => io.removeListener(`digital-read-${input.pin}`, read));
  }

  private turnSwitch(on: boolean, pin: number): void {
    if (on === this.switchOn) return;
    const first = this.switchOn === null;
    this.switchOn = on;
    // Found open at the first connect: the operator may have asked for privacy on the panel; leave it.
    if (first && !on) return;
    this.hooks.privacy(on, pin);
  }
}
