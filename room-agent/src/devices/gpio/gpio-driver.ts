// A Firmata board (Arduino with StandardFirmata) on a serial port, under the device supervisor: johnny-five on
// firmata-io over a serialport 13 port. Health from the firmware's version (asked as the keep-alive); the firmware,
// its protocol and the pin map checked against the board at connect; a board that restarts on its own is set up
// again in place; after every (re)connect each lamp, tally and relay is driven to what the room wants.
import { type GpioDeviceEntry, gpioReferenceIssues, pathOf, type RoomProfile } from "@rc/hardware-profiles";
import type { CapabilityDescriptor, EventPayload } from "@rc/protocol";
import type { Firmata } from "firmata-io";
import type five from "johnny-five";
import type { Logger } from "pino";
import type { SerialPort } from "serialport";
import { AgentError, BadConfigError } from "../../agent-error.ts";
import type { PrivacyReports } from "../../privacy.ts";
import type { RoomFacts, RoomFactValues } from "../../room-facts.ts";
import type { DeviceDriver, DeviceKindModule, DriverHooks } from "../driver-contract.ts";
import { portAppears, SerialTransport } from "../serial/serial-transport.ts";
import { GpioPins, pinProblems } from "./gpio-pins.ts";

/** A board opened over USB resets; the firmware blinks its version for ~2 s before it answers. */
const READY_TIMEOUT_MS = 6000;
/** The keep-alive's answer takes a few ms; a board silent this long is not there (offline inside 5 s). */
const PROBE_TIMEOUT_MS = 1000;
/** A board that was already running announced itself before the port was opened: ask soon instead. */
const ASK_VERSION_AFTER_MS = 250;
/** johnny-five needs the capability and analog-mapping queries of Firmata protocol 2.3 or later. */
const MINIMUM_PROTOCOL = { major: 2, minor: 3 };

/** johnny-five and firmata-io cost an agent ~12 MB: loaded by the first board that connects, not by every room. */
let libraries: Promise<{ Board: typeof five.Board; Firmata: typeof Firmata }> | undefined;
function loadLibraries() {
  libraries ??= Promise.all([import("johnny-five"), import("firmata-io")]).then(([j5, firmataIo]) => ({
    Board: j5.default.Board,
    Firmata: firmataIo.default.Firmata,
  }));
  return libraries;
}

export interface GpioRoomContext {
  room: Pick<RoomProfile, "devices" | "seats">;
  facts: RoomFacts;
  /** The switch tells privacy's owner what it wants; the owner mutes the DSPs and sets the fact. */
  privacy: Pick<PrivacyReports, "wish">;
  log: Logger;
  emitEvent(event: Pick<EventPayload, "type" | "reason" | "data">): void;
}

interface Session {
  port: SerialPort;
  io: Firmata;
  board: five.Board;
}

export class GpioDriver implements DeviceDriver {
  readonly kind = "gpio";
  private session: Session | undefined;
  private firmware: string | null = null;
  private readonly pins: GpioPins;
  /** Seats or cameras the pin map names that the room lacks: retrying cannot help. */
  private readonly configProblems: string[];
  private readonly followFacts = (facts: RoomFactValues) => this.pins.apply(facts);
  private supervisor: DriverHooks | undefined;
  private readonly serial: SerialTransport;

  constructor(
    private readonly entry: GpioDeviceEntry,
    _model: undefined,
    private readonly context: GpioRoomContext,
  ) {
    const index = context.room.devices.findIndex((device) => device.id === entry.id);
    this.configProblems = gpioReferenceIssues(context.room)
      .filter((issue) => issue.path[1] === index)
      .map((issue) => `${pathOf(issue.path.slice(2))}: ${issue.message}`);
    this.serial = new SerialTransport(entry.connection, context.log);
    this.pins = new GpioPins(entry, {
      button: (data) => {
        context.log.info(data, "button");
        context.emitEvent({ type: "button", data });
      },
      privacy: (on, pin) => {
        context.log.info({ on, pin }, "privacy switch");
        context.privacy.wish(on, `privacy switch (pin ${pin})`);
        context.emitEvent({
          type: "button",
          reason: `privacy switch turned ${on ? "on" : "off"}`,
          data: { switch: "privacy", pin, on },
        });
      },
      changed: () => this.supervisor?.changed(),
    });
  }

  get id(): string {
    return this.entry.id;
  }

  get model(): string {
    return this.entry.board;
  }

  capabilities(): CapabilityDescriptor[] {
    return this.pins.capabilities();
  }

  async connect(supervisor: DriverHooks): Promise<void> {
    if (this.configProblems.length > 0) throw new BadConfigError(this.configProblems.join("; "));
    await this.disconnect();
    const { Board, Firmata } = await loadLibraries();
    // Made before it opens: Firmata must see the port's "open".
    const port = this.serial.create();
    const io = new Firmata(port, { reportVersionTimeout: ASK_VERSION_AFTER_MS });
    // Errors of a board being torn down must not throw for want of a listener, so these stay attached.
    io.on("error", (error: Error) => this.context.log.debug({ err: error.message }, "firmata error"));
    // Created before the port opens: johnny-five waits for the io's "connect", which the port's "open" causes.
    const board = new Board({
      io,
      repl: false,
      debug: false,
      sigint: false,
      timeout: READY_TIMEOUT_MS * 2,
    } as five.BoardOption);
    board.on("error", (error: Error) => this.context.log.debug({ err: error.message }, "johnny-five error"));
    const session: Session = { port, io, board };
    this.session = session;
    try {
      // A loss before the handshake fails this connect instead (ready() hears the close).
      await this.serial.open({ lost: (reason) => this.supervisor?.lost(reason) });
      await this.ready(session);
      this.checkBoard(io);
    } catch (error) {
      await this.disconnect();
      throw error;
    }
    this.firmware = `${io.firmware.name} ${io.version.major}.${io.version.minor}`;
    this.context.log.info({ firmware: this.firmware, pins: io.pins.length }, "board ready");
    this.supervisor = supervisor;
    // The firmware announces its name only when it starts: after the handshake that means the board restarted
    // (reset button, brown-out) and forgot every pin mode and output.
    io.on("queryfirmware", () => {
      if (this.session === session) this.restarted(session, supervisor);
    });
    this.pins.start(io);
    try {
      await this.pins.inputsKnown(READY_TIMEOUT_MS);
    } catch (error) {
      await this.disconnect();
      throw error;
    }
    this.context.facts.on("change", this.followFacts);
  }

  async probe(): Promise<void> {
    const io = this.session?.io;
    if (!io) throw new Error("not connected");
    await new Promise<void>((resolve, reject) => {
      const answered = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        io.removeListener("reportversion", answered);
        reject(new Error(`no answer to REPORT_VERSION within ${PROBE_TIMEOUT_MS} ms`));
      }, PROBE_TIMEOUT_MS);
      io.reportVersion(answered);
    });
  }

  reachableAgain(signal: AbortSignal): Promise<void> {
    return portAppears(this.entry.connection.path, signal);
  }

  async disconnect(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    this.supervisor = undefined;
    this.context.facts.off("change", this.followFacts);
    this.pins.stop();
    if (!session) return;
    const { board } = session;
    // johnny-five keeps every board in a module-wide list and arms a connect timer: let this one go entirely.
    clearTimeout((board as unknown as { timer?: NodeJS.Timeout }).timer);
    const cache = ((await loadLibraries()).Board as unknown as { cache: five.Board[] }).cache;
    if (cache.includes(board)) cache.splice(cache.indexOf(board), 1);
    await this.serial.close();
  }

  async reapply(): Promise<void> {
    if (!this.session) throw new Error("not connected");
    this.pins.apply(this.context.facts.get(), true);
  }

  readings(): Record<string, string | boolean | null> {
    return { firmware: this.firmware, ...this.pins.readings() };
  }

  /** The `gpio.relay` request. */
  async relay(id: string, on: boolean): Promise<{ relay: string; on: boolean }> {
    if (!this.entry.relays.some((relay) => relay.id === id)) {
      const known = this.entry.relays.map((relay) => relay.id).join(", ") || "none";
      throw new AgentError("not_found", `${this.id} has no relay "${id}" (relays: ${known})`);
    }
    this.pins.setRelay(id, on);
    this.pins.apply(this.context.facts.get());
    return { relay: id, on };
  }

  private ready({ port, board }: Session): Promise<void> {
    let received = 0;
    const count = (chunk: Buffer) => {
      received += chunk.length;
    };
    port.on("data", count);
    return new Promise<void>((resolve, reject) => {
      const done = (error?: Error) => {
        clearTimeout(timer);
        port.off("data", count);
        port.off("close", closed);
        if (error) reject(error);
        else resolve();
      };
      const closed = () => done(new Error("serial port closed before the board answered"));
      const timer = setTimeout(() => {
        done(
          new Error(
            received === 0
              ? `no answer from the board within ${READY_TIMEOUT_MS / 1000} s: is StandardFirmata on it?`
              : `${received} bytes from the board within ${READY_TIMEOUT_MS / 1000} s but no Firmata handshake: ` +
                  `another firmware, or not ${this.entry.connection.baudRate} baud?`,
          ),
        );
      }, READY_TIMEOUT_MS);
      port.on("close", closed);
      // The typings know on() only; a board is an EventEmitter.
      (board as unknown as NodeJS.EventEmitter).once("ready", () => done());
    });
  }

  /** A firmware other than the room expects, or too old for johnny-five: a person must flash the board. */
  private checkBoard(io: Firmata): void {
    const name = io.firmware.name ?? "";
    const { major = 0, minor = 0 } = io.version;
    if (!new RegExp(this.entry.firmware).test(name)) {
      throw new BadConfigError(
        `the board runs "${name}" (Firmata ${major}.${minor}), not a firmware matching /${this.entry.firmware}/`,
      );
    }
    if (major !== MINIMUM_PROTOCOL.major || minor < MINIMUM_PROTOCOL.minor) {
      throw new BadConfigError(
        `the board speaks Firmata ${major}.${minor}; ${MINIMUM_PROTOCOL.major}.${MINIMUM_PROTOCOL.minor} or later is needed`,
      );
    }
    const problems = pinProblems(this.entry, io);
    if (problems.length > 0) throw new BadConfigError(problems.join("; "));
  }

  private restarted(session: Session, supervisor: DriverHooks): void {
    this.context.log.warn("the board restarted: setting its pins up again and putting every output back");
    try {
      this.pins.start(session.io);
      this.pins.apply(this.context.facts.get(), true);
    } catch (error) {
      supervisor.lost(`setting the board up again after it restarted failed: ${(error as Error).message}`);
    }
  }
}

export const gpioKind: DeviceKindModule<GpioDeviceEntry, GpioDriver> = {
  kind: "gpio",
  create: (entry, model, context) =>
    new GpioDriver(entry, model, {
      room: context.room,
      facts: context.facts,
      privacy: context.privacy,
      log: context.log,
      emitEvent: context.emitEvent,
    }),
  actions: {
    "gpio.relay": (driver, params) => driver.relay(params.relay, params.on),
  },
};
