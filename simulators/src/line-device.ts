// A tiny line-protocol device on TCP, used by the test driver to prove the device life cycle with a real socket.
// Wire: lines ending in "\n". "PING" → "PONG"; "SET <int>" → "OK <int>"; "GET" → "VALUE <int>"; else "ERR <why>".
// Misbehaviour on request: freeze (stop answering, keep the socket), drop (close every connection), stop (unlisten).
import { type AddressInfo, createServer, type Server, type Socket } from "node:net";

export class LineDevice {
  value = 0;
  /** How many SET commands were applied: lets tests prove a request was applied exactly once. */
  sets = 0;
  frozen = false;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(private port = 0) {}

  get address(): { host: string; port: number } {
    return { host: "127.0.0.1", port: this.port };
  }

  async start(): Promise<void> {
    const server = createServer((socket) => this.serve(socket));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Unplug: close the listener and every connection; start() again plugs it back on the same port. */
  async stop(): Promise<void> {
    this.drop();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  drop(): void {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  private serve(socket: Socket): void {
    this.sockets.add(socket);
    socket.on("close", () => this.sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    let buffer = "";
    socket.on("data", (chunk) => {
      buffer += chunk.toString("utf8");
      if (buffer.length > 4096) buffer = ""; // a device's small input buffer overflows; so does ours
      let newline = buffer.indexOf("\n");
      while (newline >= 0) {
        const line = buffer.slice(0, newline).trim();
        buffer = buffer.slice(newline + 1);
        if (!this.frozen) socket.write(`${this.answer(line)}\n`);
        newline = buffer.indexOf("\n");
      }
    });
  }

  private answer(line: string): string {
    if (line === "PING") return "PONG";
    if (line === "GET") return `VALUE ${this.value}`;
    const set = /^SET (-?\d+)$/.exec(line);
    if (set) {
      this.value = Number(set[1]);
      this.sets++;
      return `OK ${this.value}`;
    }
    return `ERR unknown command ${JSON.stringify(line.slice(0, 40))}`;
  }
}
