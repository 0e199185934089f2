// A TCP relay to a server that can cut the connections or damage one byte once the client has sent `atByte` bytes
// through it, so the wire fails mid-file the way a real one does (the archive's upload tests).
import { connect, createServer, type Server, type Socket } from "node:net";

export class TcpRelay {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  /** Bytes the client has sent through, in all its connections. */
  forwarded = 0;
  /** Once this many bytes have gone through, both ends are dropped (once). */
  cutAt = Number.POSITIVE_INFINITY;
  /** The byte at this position is flipped on its way (once). */
  damageAt = Number.POSITIVE_INFINITY;
  cuts = 0;
  url = "";

  async start(target: URL): Promise<void> {
    this.server = createServer((client) => {
      const upstream = connect(Number(target.port), target.hostname);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on("close", () => this.sockets.delete(socket));
        socket.on("error", () => {});
      }
      let cut = false;
      client.on("data", (chunk: Buffer) => {
        if (cut) return;
        const before = this.forwarded;
        this.forwarded += chunk.length;
        if (before < this.damageAt && this.forwarded >= this.damageAt) {
          chunk = Buffer.from(chunk);
          chunk.writeUInt8(chunk.readUInt8(this.damageAt - before) ^ 0xff, this.damageAt - before);
          this.damageAt = Number.POSITIVE_INFINITY;
        }
        if (before < this.cutAt && this.forwarded >= this.cutAt) {
          // Only the bytes up to the cut go on; then both ends are dropped, as a lost link does.
          cut = true;
          this.cuts++;
          this.forwarded = this.cutAt;
          this.cutAt = Number.POSITIVE_INFINITY;
          upstream.write(chunk.subarray(0, this.forwarded - before));
          setTimeout(() => {
            client.destroy();
            upstream.destroy();
          }, 200);
          return;
        }
        upstream.write(chunk);
      });
      upstream.on("data", (chunk: Buffer) => client.write(chunk));
      client.on("close", () => upstream.destroy());
      upstream.on("close", () => client.destroy());
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    const address = this.server.address() as { port: number };
    this.url = `http://127.0.0.1:${address.port}`;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}
