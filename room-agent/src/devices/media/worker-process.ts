// The agent's end of the media worker: starts the child process, waits for it to say it is ready (or why it cannot
// be), answers requests by id, forwards its log lines, and watches it: a worker that stops answering pings is
// killed, so a GStreamer hang becomes an exit the driver recovers from like a crash.
import { type ChildProcess, spawn } from "node:child_process";
import { EventEmitter } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { Logger } from "pino";
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

type Request = ToWorker extends infer M ? (M extends { id: number } ? Omit<M, "id"> : never) : never;

export class MediaWorkerProcess extends EventEmitter<{ message: [FromWorker]; exit: [string] }> {
  private child: ChildProcess | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private watchdog: NodeJS.Timeout | undefined;
  private lastAnswer = 0;
  private exitReason: string | undefined;
  /** The last error the worker printed outside its log (Node's own, before our code ran): says why it died early. */
  private lastError = "";

  constructor(private readonly log: Logger) {
    super();
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Resolves when the worker is ready; rejects with the reason it is not (GStreamer missing, crash, time-out). */
  start(timeoutMs: number): Promise<void> {
    const child = spawn(process.execPath, workerCommand(), {
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      env: { ...process.env, UV_THREADPOOL_SIZE: THREAD_POOL_SIZE },
    });
    this.child = child;
    for (const stream of [child.stdout!, child.stderr!])
      createInterface({ input: stream }).on("line", (line) => this.relay(line));
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.kill();
        reject(new Error(`the media worker did not start within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      let ready = false;
      child.on("message", (raw) => {
        const parsed = fromWorker.safeParse(raw);
        if (!parsed.success) {
          this.log.warn({ reason: parsed.error.message.slice(0, 300) }, "message from the media worker dropped");
          return;
        }
        const message = parsed.data;
        this.lastAnswer = performance.now();
        if (message.type === "ready") {
          ready = true;
          clearTimeout(timer);
          this.startWatchdog();
          resolve();
        } else if (message.type === "unavailable") {
          this.exitReason = message.reason;
        } else if (message.type === "reply") {
          const waiter = this.pending.get(message.id);
          this.pending.delete(message.id);
          if (message.error !== undefined) waiter?.reject(new Error(message.error));
          else waiter?.resolve(message.result);
        }
        this.emit("message", message);
      });
      child.on("error", (error) => {
        this.exitReason ??= `could not be started: ${error.message}`;
      });
      // "close", not "exit": by then its last words on stderr have been read.
      child.on("close", (code, signal) => {
        clearTimeout(timer);
        clearInterval(this.watchdog);
        const reason = this.exitReason ?? (signal ? `was killed (${signal})` : `exited (code ${code})`);
        for (const waiter of this.pending.values()) waiter.reject(new Error(`the media worker ${reason}`));
        this.pending.clear();
        this.child = undefined;
        const why = this.lastError ? `: ${this.lastError}` : "";
        if (!ready) reject(new Error(this.exitReason ?? `the media worker ${reason} before it was ready${why}`));
        else this.emit("exit", reason);
      });
    });
  }

  send(message: ToWorker): void {
    if (this.child?.connected) this.child.send(message);
  }

  request<T>(message: Request, timeoutMs = 3000): Promise<T> {
    const id = this.nextId++;
    const child = this.child;
    if (!child?.connected) return Promise.reject(new Error("the media worker is not running"));
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
      child.send({ ...message, id } as ToWorker);
    });
  }

  /** Asks the worker to close the recording and its pipelines, then ends it; kills it if it does not answer. */
  async stop(graceMs = 6000): Promise<void> {
    const child = this.child;
    if (!child) return;
    clearInterval(this.watchdog);
    this.exitReason = "was stopped";
    const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
    await this.request({ type: "stop" }, graceMs).catch((error: Error) =>
      this.log.warn({ err: error.message }, "media worker did not stop cleanly"),
    );
    // The worker never exits by itself (see media-worker.ts): ending it is ours.
    child.kill("SIGKILL");
    await exited;
  }

  kill(reason?: string): void {
    if (reason) this.exitReason = reason;
    this.child?.kill("SIGKILL");
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

  /** The worker's JSON log lines at their level; anything else it prints (GStreamer, GLib) as a warning. */
  private relay(line: string): void {
    if (!line.trim()) return;
    try {
      const { level, msg, ...data } = JSON.parse(line) as { level: "info" | "warn" | "error"; msg: string };
      this.log[level in this.log ? level : "info"]({ worker: this.pid, ...data }, msg);
    } catch {
      if (/Error\b/.test(line)) this.lastError = line.trim().slice(0, 300);
      this.log.warn({ worker: this.pid, line: line.slice(0, 500) }, "media worker output");
    }
  }
}
