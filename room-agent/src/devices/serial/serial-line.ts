// A text protocol on a serial port, one command on the wire at a time (replies of most DSPs and displays carry
// nothing that says which command they answer), each with a time-out. Which received line answers the command in
// flight is the protocol's business: it reads `inFlight` and calls answer().
import type { Logger } from "pino";
import { type SerialSettings, SerialTransport } from "./serial-transport.ts";

/** A command as the protocol encoded it: at least the line to write. */
export interface LineCommand {
  line: string;
  /** What errors show instead of the line when it carries a secret. */
  shown?: string;
}

export interface SerialLineOptions {
  /** How long a command waits for its answer. */
  timeoutMs: number;
  /** Text on the wire; latin1 keeps every byte as one character. */
  encoding?: BufferEncoding;
}

export interface SerialLineHooks<C extends LineCommand> {
  /** Received text, in chunks as they arrive (the protocol splits lines). */
  text(text: string): void;
  /** The port went away; every waiting command has already failed. */
  lost(reason: string): void;
  /** A command got no answer in time (it fails with an error saying so). */
  timedOut?(command: C): void;
}

interface Queued<C, R> {
  command: C;
  timeoutMs: number;
  resolve: (reply: R) => void;
  reject: (error: Error) => void;
}

export class SerialLine<C extends LineCommand, R> {
  private readonly transport: SerialTransport;
  private readonly encoding: BufferEncoding;
  private queue: Queued<C, R>[] = [];
  private current: (Queued<C, R> & { timer: NodeJS.Timeout }) | undefined;
  private hooks: SerialLineHooks<C> | undefined;

  constructor(
    settings: SerialSettings,
    private readonly options: SerialLineOptions,
    log: Logger,
  ) {
    this.transport = new SerialTransport(settings, log);
    this.encoding = options.encoding ?? "latin1";
  }

  get isOpen(): boolean {
    return this.transport.isOpen;
  }

  /** The command waiting for its answer, if any. */
  get inFlight(): C | undefined {
    return this.current?.command;
  }

  /** Throws BadConfigError when the port may not be opened (permission denied). */
  async open(hooks: SerialLineHooks<C>): Promise<void> {
    this.hooks = hooks;
    await this.transport.open({
      data: (chunk) => hooks.text(chunk.toString(this.encoding)),
      lost: (reason) => {
        this.failAll(new Error(reason));
        hooks.lost(reason);
      },
    });
  }

  /** Every waiting command fails; safe at any time, also twice. */
  async close(): Promise<void> {
    const closing = this.transport.close();
    this.failAll(new Error("disconnected"));
    await closing;
  }

  /** Queues a command; resolves with what answer() is given for it. */
  send(command: C, timeoutMs = this.options.timeoutMs): Promise<R> {
    if (!this.isOpen) return Promise.reject(new Error("not connected"));
    return new Promise((resolve, reject) => {
      this.queue.push({ command, timeoutMs, resolve, reject });
      this.next();
    });
  }

  /** The protocol's verdict on the command in flight (a reply, or the device's error); the next one goes out. */
  answer(result: R | Error): void {
    const done = this.current;
    if (!done) return;
    this.current = undefined;
    clearTimeout(done.timer);
    if (result instanceof Error) done.reject(result);
    else done.resolve(result);
    this.next();
  }

  /** The command in flight and every queued one fail (the device restarted, the port closed). */
  failAll(error: Error): void {
    const queued = this.queue;
    this.queue = [];
    this.answer(error);
    for (const q of queued) q.reject(error);
  }

  private next(): void {
    if (this.current || !this.isOpen) return;
    const queued = this.queue.shift();
    if (!queued) return;
    const { timeoutMs } = queued;
    const timer = setTimeout(() => {
      this.hooks?.timedOut?.(queued.command);
      this.answer(
        new Error(
          `no reply to ${JSON.stringify((queued.command.shown ?? queued.command.line).trim())} within ${timeoutMs} ms`,
        ),
      );
    }, timeoutMs);
    this.current = { ...queued, timer };
    this.transport.write(Buffer.from(queued.command.line, this.encoding));
  }
}
