// A serial port's life, written once for every driver on RS-232 or USB serial (STYLE: the second copy of a
// transport): open with a permission error said to be bad configuration, close that is safe at any time, and loss.
// The protocol on top (a DSP's lines, Firmata's bytes) is not known here — as zwave-js keeps its serial port apart
// from its driver and message queue.
import { existsSync, watch } from "node:fs";
import { basename, dirname } from "node:path";
import type { Logger } from "pino";
import { SerialPort } from "serialport";
import { BadConfigError } from "../../agent-error.ts";

export interface SerialSettings {
  path: string;
  baudRate: number;
  dataBits?: 5 | 6 | 7 | 8;
  parity?: "none" | "even" | "odd" | "mark" | "space";
  stopBits?: 1 | 1.5 | 2;
}

/** What the transport tells its driver. */
export interface SerialHooks {
  /** Bytes as they arrive. */
  data?(chunk: Buffer): void;
  /** The port closed without close() being asked for (USB adapter unplugged, device gone). */
  lost(reason: string): void;
}

export class SerialTransport {
  private current: SerialPort | undefined;

  constructor(
    private readonly settings: SerialSettings,
    private readonly log: Logger,
  ) {}

  /** The open (or opening) port, for a library that reads and writes it itself (Firmata). */
  get port(): SerialPort | undefined {
    return this.current;
  }

  get isOpen(): boolean {
    return this.current?.isOpen ?? false;
  }

  /**
   * A new port, not yet open, so a library that waits for the port's "open" (Firmata) can be attached to it before
   * open() is called. Any port made before is let go.
   */
  create(): SerialPort {
    this.current = new SerialPort({ ...this.settings, autoOpen: false });
    return this.current;
  }

  /** Opens the port made by create() (or a new one). Throws BadConfigError when retrying cannot help. */
  async open(hooks: SerialHooks): Promise<SerialPort> {
    const port = this.current && !this.current.isOpen ? this.current : this.create();
    await new Promise<void>((resolve, reject) =>
      port.open((error) => {
        if (!error) return resolve();
        // A port that does not exist may appear later (a USB adapter plugged in): retry, but say so.
        reject(/Permission denied/.test(error.message) ? new BadConfigError(error.message) : error);
      }),
    );
    if (this.current !== port) {
      // close() was called while opening.
      await closePort(port);
      throw new Error("serial port closed while opening");
    }
    if (hooks.data) port.on("data", hooks.data);
    port.on("error", (error) => this.log.warn({ err: error.message }, "serial port error"));
    port.on("close", () => {
      if (this.current !== port) return;
      this.current = undefined;
      hooks.lost("serial port closed");
    });
    return port;
  }

  /** Safe at any time, also twice; a close asked for here is not reported as a loss. */
  async close(): Promise<void> {
    const port = this.current;
    this.current = undefined;
    if (port) await closePort(port);
  }

  write(bytes: Buffer): void {
    if (!this.current?.isOpen) throw new Error("not connected");
    this.current.write(bytes);
  }
}

function closePort(port: SerialPort): Promise<void> {
  if (!port.isOpen) return Promise.resolve();
  return new Promise<void>((resolve) => port.close(() => resolve()));
}

/**
 * Resolves when a port that is missing now appears (a USB adapter plugged in again, udev making its by-id link), so a
 * driver waiting out its backoff opens it at once. A port that is there never resolves this: its failure was
 * something else, and the backoff stands. Stops watching at `signal`.
 */
export function portAppears(path: string, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (existsSync(path) || signal.aborted) return;
    let watcher: ReturnType<typeof watch>;
    try {
      watcher = watch(dirname(path), { persistent: false });
    } catch {
      return; // no folder to watch (yet): the backoff retries
    }
    const name = basename(path);
    const end = () => {
      watcher.close();
      signal.removeEventListener("abort", end);
    };
    const look = () => {
      if (!existsSync(path)) return;
      end();
      resolve();
    };
    watcher.on("change", (_event, file) => {
      if (file === null || String(file) === name) look();
    });
    watcher.on("error", end);
    signal.addEventListener("abort", end, { once: true });
    look(); // it may have appeared between the first look and the watch
  });
}
