// The agent's end of the media worker: adopts the one left running by an agent that died, or starts one; waits for
// it to say it is ready (or why it cannot be), answers requests by id, forwards its log lines, and watches it: a
// worker that stops answering pings is killed, so a GStreamer hang becomes an exit the driver recovers from like a
// crash.
import { type ChildProcess, spawn } from "node:child_process";
import { EventEmitter } from "node:events";
import { rmSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { Logger } from "pino";
import { connectToWorker, type WorkerChannel } from "../../media-worker/worker-channel.ts";
import { type FromWorker, fromWorker, type ToWorker } from "../../media-worker/worker-messages.ts";

/** How often the worker is asked whether it is alive, and how long it may take to say so. */
const PING_EVERY_MS = 500;
const HUNG_AFTER_MS = 1500;
/** The binding keeps a thread-pool thread waiting on each pipeline's bus and each appsink: room for all of them. */
const THREAD_POOL_SIZE = "64";

/**
 * How to start the worker: RC_MEDIA_WORKER, or from source its entry in room-agent/src/media-worker/ (dev), or
 * media-worker.mjs beside the agent's bundle (scripts/build.sh bundles both into dist/).
 */
export function workerCommand(): string[] {
  const here = import.meta.url;
  const script =
    process.env.RC_MEDIA_WORKER ??
    fileURLToPath(new URL(here.endsWith(".ts") ? "../../media-worker/media-worker.ts" : "./media-worker.mjs", here));
  return script.endsWith(".ts") ? ["--import", "tsx", script] : [script];
}

/** A worker process this agent started, spare or not; its output lines go to whoever holds it now. */
class StartedWorker {
  readonly child: ChildProcess;
  onLine: (line: string) => void;

  constructor(socketPath: string, standby: boolean, onLine: (line: string) => void) {
    this.onLine = onLine;
    // In a session of its own: an agent killed with its process group leaves it running, for the next to adopt.
    this.child = spawn(process.execPath, [...workerCommand(), ...(standby ? ["--standby"] : []), socketPath], {
      stdio: [standby ? "pipe" : "ignore", "pipe", "pipe"],
      detached: true,
      env: { ...process.env, UV_THREADPOOL_SIZE: THREAD_POOL_SIZE },
    });
    // A spare that died has a closed stdin: the "go" written to it fails, and its exit says the rest.
    this.child.stdin?.on("error", () => {});
    for (const stream of [this.child.stdout!, this.child.stderr!])
      createInterface({ input: stream }).on("line", (line) => this.onLine(line));
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }
}

/**
 * A worker started ahead, GStreamer loaded, waiting to take over when the running one dies: the new worker is then
 * up in tens of milliseconds instead of the half second to a second a start takes (Node, the bundle, GStreamer and
 * its plugins), which is most of a crash's recovery budget (DESIGN §5: 3 s). It ends by itself with the agent.
 */
export class SpareWorker {
  private started: StartedWorker | undefined;

  constructor(socketPath: string, log: Logger) {
    this.started = new StartedWorker(socketPath, true, (line) => {
      if (line.trim()) log.warn({ spare: this.started?.child.pid, line: line.slice(0, 500) }, "media worker output");
    });
  }

  get alive(): boolean {
    return this.started?.alive ?? false;
  }

  /** Tells the spare to go on as the worker, once; undefined when it is gone (then a worker is started as usual). */
  take(): StartedWorker | undefined {
    const started = this.started;
    this.started = undefined;
    if (!started?.alive) return undefined;
    started.child.stdin!.end("go\n");
    return started;
  }

  kill(): void {
    const started = this.started;
    this.started = undefined;
    if (started?.alive) started.child.kill("SIGKILL");
  }
}

type Request = ToWorker extends infer M ? (M extends { id: number } ? Omit<M, "id"> : never) : never;
export type WorkerReady = Extract<FromWorker, { type: "ready" }>;

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

export class MediaWorkerProcess extends EventEmitter<{ message: [FromWorker]; exit: [string] }> {
  /** The worker's process when this agent started it (an adopted one is another agent's child, or init's). */
  private child: ChildProcess | undefined;
  private channel: WorkerChannel | undefined;
  private workerPid: number | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private watchdog: NodeJS.Timeout | undefined;
  private lastAnswer = 0;
  private exitReason: string | undefined;
  /** The last error the worker printed outside its log (Node's own, before our code ran): says why it died early. */
  private lastError = "";

  constructor(
    private readonly socketPath: string,
    private readonly log: Logger,
  ) {
    super();
  }

  get pid(): number | undefined {
    return this.workerPid;
  }

  /**
   * Adopts the worker already listening on the socket (its agent died; its pipelines and recording went on), or
   * starts one. Resolves with its ready message; rejects with the reason it is not (GStreamer missing, crash, time-out).
   */
  async start(timeoutMs: number, spare?: SpareWorker): Promise<WorkerReady> {
    const deadline = performance.now() + timeoutMs;
    let channel = await connectToWorker(this.socketPath);
    if (!channel) {
      // Nothing listens: a file left by a worker that died is in the way of the new one.
      rmSync(this.socketPath, { force: true });
      channel = await this.spawnWorker(deadline, spare);
    }
    return this.handshake(channel, deadline);
  }

  send(message: ToWorker): void {
    this.channel?.send(message);
  }

  request<T>(message: Request, timeoutMs = 3000): Promise<T> {
    const id = this.nextId++;
    const channel = this.channel;
    if (!channel?.open) return Promise.reject(new Error("the media worker is not running"));
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`the media worker did not answer ${message.type} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value as T);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      channel.send({ ...message, id } as ToWorker);
    });
  }

  /** Asks the worker to close the recording and its pipelines, then ends it; kills it if it does not answer. */
  async stop(graceMs = 6000): Promise<void> {
    const channel = this.channel;
    if (!channel) return;
    clearInterval(this.watchdog);
    this.exitReason = "was stopped";
    const closed = new Promise<void>((resolve) => channel.once("close", () => resolve()));
    await this.request({ type: "stop" }, graceMs).catch((error: Error) =>
      this.log.warn({ err: error.message }, "media worker did not stop cleanly"),
    );
    // The worker never exits by itself (see media-worker.ts): ending it is ours.
    this.kill();
    await closed;
  }

  kill(reason?: string): void {
    if (reason) this.exitReason = reason;
    const pid = this.workerPid ?? this.child?.pid;
    if (pid === undefined) return;
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Gone already.
    }
  }

  /** The spare takes over, or a worker is started; then waits for it to listen. */
  private async spawnWorker(deadline: number, spare?: SpareWorker): Promise<WorkerChannel> {
    const relay = (line: string) => this.relay(line);
    const taken = spare?.take();
    if (taken) taken.onLine = relay;
    const { child } = taken ?? new StartedWorker(this.socketPath, false, relay);
    this.child = child;
    this.workerPid = child.pid;
    let exited: string | undefined;
    child.on("error", (error) => {
      exited ??= `could not be started: ${error.message}`;
    });
    // "close", not "exit": by then its last words on stderr have been read.
    child.on("close", (code, signal) => {
      exited ??= signal ? `was killed (${signal})` : `exited (code ${code})`;
      this.exitReason ??= exited;
      if (this.child === child) this.child = undefined;
    });
    for (;;) {
      const why = this.lastError ? `: ${this.lastError}` : "";
      if (exited) throw new Error(`the media worker ${exited} before it was ready${why}`);
      if (performance.now() > deadline) {
        this.kill();
        throw new Error(`the media worker did not start within the time allowed${why}`);
      }
      const channel = await connectToWorker(this.socketPath, 200);
      if (channel) return channel;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  private handshake(channel: WorkerChannel, deadline: number): Promise<WorkerReady> {
    return new Promise<WorkerReady>((resolve, reject) => {
      let ready: WorkerReady | undefined;
      let unavailable: string | undefined;
      const timer = setTimeout(
        () => {
          // A worker that holds the socket but does not answer: the next start begins a new one beside it.
          if (!this.child) rmSync(this.socketPath, { force: true });
          this.kill();
          channel.close();
          reject(new Error("the media worker did not say it was ready in time"));
        },
        Math.max(0, deadline - performance.now()),
      );
      channel.on("message", (raw) => {
        const parsed = fromWorker.safeParse(raw);
        if (!parsed.success) {
          this.log.warn({ reason: parsed.error.message.slice(0, 300) }, "message from the media worker dropped");
          return;
        }
        const message = parsed.data;
        this.lastAnswer = performance.now();
        if (message.type === "ready") {
          ready = message;
          clearTimeout(timer);
          this.workerPid = message.pid;
          this.channel = channel;
          this.startWatchdog();
          resolve(message);
        } else if (message.type === "unavailable") {
          unavailable = message.reason;
        } else if (message.type === "log") {
          this.log[message.level]({ worker: this.workerPid, ...message.data }, message.msg);
        } else if (message.type === "reply") {
          const waiter = this.pending.get(message.id);
          this.pending.delete(message.id);
          if (message.error !== undefined) waiter?.reject(new Error(message.error));
          else waiter?.resolve(message.result);
        }
        this.emit("message", message);
      });
      channel.on("close", () => void this.closed(channel, timer, ready, unavailable, reject));
    });
  }

  /** The channel closed: the worker died, hung and was killed, or was stopped. Makes sure it is gone, then says why. */
  private async closed(
    channel: WorkerChannel,
    timer: NodeJS.Timeout,
    ready: WorkerReady | undefined,
    unavailable: string | undefined,
    reject: (error: Error) => void,
  ): Promise<void> {
    clearTimeout(timer);
    clearInterval(this.watchdog);
    if (this.channel === channel) this.channel = undefined;
    const pid = this.workerPid;
    // Its own child tells how it ended once its pipes are read; an adopted one is only looked at.
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null)
      await new Promise((resolve) => {
        child.once("close", resolve);
        setTimeout(resolve, 1000);
      });
    if (pid !== undefined && isAlive(pid)) this.kill();
    const reason = unavailable ?? this.exitReason ?? "closed its connection";
    for (const waiter of this.pending.values()) waiter.reject(new Error(`the media worker ${reason}`));
    this.pending.clear();
    const why = this.lastError ? `: ${this.lastError}` : "";
    if (!ready) reject(new Error(unavailable ?? `the media worker ${reason} before it was ready${why}`));
    else this.emit("exit", reason);
  }

  private startWatchdog(): void {
    this.watchdog = setInterval(() => {
      if (performance.now() - this.lastAnswer > HUNG_AFTER_MS) {
        this.log.error({ pid: this.pid }, "media worker hung: killing it");
        this.kill(`hung (no answer for ${HUNG_AFTER_MS / 1000} s)`);
        return;
      }
      this.request({ type: "ping" }, HUNG_AFTER_MS).catch(() => {});
    }, PING_EVERY_MS);
  }

  /** What the worker prints outside its log (GStreamer, GLib, Node's own errors), as a warning. */
  private relay(line: string): void {
    if (!line.trim()) return;
    if (/Error\b/.test(line)) this.lastError = line.trim().slice(0, 300);
    this.log.warn({ worker: this.workerPid, line: line.slice(0, 500) }, "media worker output");
  }
}
