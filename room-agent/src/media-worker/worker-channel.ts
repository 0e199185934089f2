// The agent ⇄ media worker channel: one JSON message per line over a unix socket in the agent's data folder. A
// socket, not Node's IPC pipe, so the worker can outlive an agent that died and be adopted by the next one: the
// recording and the links go on while the agent restarts (issue 11). Both ends check what they receive against
// worker-messages.ts; this file only frames lines and bounds them.
import { EventEmitter } from "node:events";
import { connect, type Socket } from "node:net";
import { join, resolve } from "node:path";

/** A snapshot's JPEG travels as base64 in one line: far under this; anything longer is a broken peer. */
const MAX_LINE_BYTES = 16 * 1024 * 1024;
/** Longest unix socket path Linux takes (sun_path is 108 bytes with its terminating zero). */
const MAX_SOCKET_PATH_BYTES = 107;

/** The worker's socket beside the agent's other state; a path Linux cannot bind is a configuration error. */
export function workerSocketPath(dataDir: string): string {
  const path = join(resolve(dataDir), "media-worker.sock");
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES)
    throw new Error(`the data folder's path is too long for the media worker's socket (${path}): at most 88 bytes`);
  return path;
}

export class WorkerChannel extends EventEmitter<{ message: [unknown]; close: [] }> {
  private buffered = "";
  private closed = false;

  constructor(private readonly socket: Socket) {
    super();
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => this.receive(chunk));
    socket.on("error", () => socket.destroy());
    socket.on("close", () => {
      this.closed = true;
      this.emit("close");
    });
  }

  get open(): boolean {
    return !this.closed && this.socket.writable;
  }

  /** Sends one message; false when the other end is gone (the message is dropped, the caller decides). */
  send(message: object): boolean {
    if (!this.open) return false;
    this.socket.write(`${JSON.stringify(message)}\n`);
    return true;
  }

  close(): void {
    this.socket.destroy();
  }

  private receive(chunk: string): void {
    this.buffered += chunk;
    let end = this.buffered.indexOf("\n");
    while (end >= 0) {
      const line = this.buffered.slice(0, end);
      this.buffered = this.buffered.slice(end + 1);
      if (line) {
        let message: unknown;
        try {
          message = JSON.parse(line);
        } catch {
          message = { unparsable: line.slice(0, 200) };
        }
        this.emit("message", message);
      }
      if (this.closed) return;
      end = this.buffered.indexOf("\n");
    }
    if (this.buffered.length > MAX_LINE_BYTES) this.close();
  }
}

/** Connects to a worker's socket; null when no worker listens there (no file, or a file left by a dead one). */
export function connectToWorker(path: string, timeoutMs = 1000): Promise<WorkerChannel | null> {
  return new Promise((resolve) => {
    const socket = connect(path);
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(null);
    }, timeoutMs);
    socket.once("connect", () => {
      clearTimeout(timer);
      resolve(new WorkerChannel(socket));
    });
    socket.once("error", () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(null);
    });
  });
}
