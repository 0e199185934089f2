// Clients for the camera picture's tests and benchmark: a raw RTSP conversation over a socket (to check the wire
// byte by byte), GStreamer's rtspsrc in its own process (what the media worker will use), and a JPEG decoder.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { connect, type Socket } from "node:net";
import { child, launch } from "./gstreamer.ts";

export interface RtspReply {
  status: number;
  headers: Map<string, string>;
  body: string;
}

/** One RTSP connection driven by hand: requests out, replies and interleaved RTP packets in. */
export class RawRtspClient {
  readonly packets: { channel: number; data: Buffer; at: number }[] = [];
  readonly replies: RtspReply[] = [];
  closed = false;
  private pending = Buffer.alloc(0);
  private cseq = 0;
  private wake: (() => void) | undefined;

  private constructor(readonly socket: Socket) {
    socket.on("data", (data: Buffer) => {
      this.pending = Buffer.concat([this.pending, data]);
      this.parse();
      this.wake?.();
    });
    socket.on("close", () => {
      this.closed = true;
      this.wake?.();
    });
    socket.on("error", () => {});
  }

  static async open(port: number): Promise<RawRtspClient> {
    const socket = connect(port, "127.0.0.1");
    await once(socket, "connect");
    return new RawRtspClient(socket);
  }

  /** Sends a request with the next CSeq (unless headers say otherwise) and waits for its reply. */
  request(method: string, uri: string, headers: Record<string, string> = {}, body = ""): Promise<RtspReply> {
    const lines = [`${method} ${uri} RTSP/1.0`];
    const all = { CSeq: String(++this.cseq), ...headers };
    for (const [name, value] of Object.entries(all)) if (value !== "") lines.push(`${name}: ${value}`);
    if (body) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
    return this.send(`${lines.join("\r\n")}\r\n\r\n${body}`);
  }

  /** Writes raw bytes and waits for the next reply. */
  async send(bytes: string | Buffer, timeoutMs = 5000): Promise<RtspReply> {
    const expected = this.replies.length + 1;
    this.socket.write(bytes);
    await this.until(() => this.replies.length >= expected, timeoutMs, "an RTSP reply");
    return this.replies[expected - 1] as RtspReply;
  }

  async until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (this.closed) throw new Error(`connection closed while waiting for ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${what} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  close(): void {
    this.socket.destroy();
  }

  private parse(): void {
    for (;;) {
      const buf = this.pending;
      if (buf.length === 0) return;
      if (buf[0] === 0x24) {
        if (buf.length < 4 || buf.length < 4 + buf.readUInt16BE(2)) return;
        const length = buf.readUInt16BE(2);
        this.packets.push({
          channel: buf[1] as number,
          data: Buffer.from(buf.subarray(4, 4 + length)),
          at: performance.now(),
        });
        this.pending = buf.subarray(4 + length);
        continue;
      }
      const end = buf.indexOf("\r\n\r\n");
      if (end < 0) return;
      const [statusLine = "", ...lines] = buf.subarray(0, end).toString("utf8").split("\r\n");
      const headers = new Map<string, string>();
      for (const line of lines) {
        const colon = line.indexOf(":");
        headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
      }
      const length = Number(headers.get("content-length") ?? 0);
      if (buf.length < end + 4 + length) return;
      this.replies.push({
        status: Number(statusLine.split(" ")[1]),
        headers,
        body: buf.subarray(end + 4, end + 4 + length).toString("utf8"),
      });
      this.pending = buf.subarray(end + 4 + length);
    }
  }
}

/** Small grey frames for comparing pictures. */
export const PROBE_WIDTH = 64;
export const PROBE_HEIGHT = 36;

/**
 * gst-launch-1.0 playing the stream with rtspsrc, decoding H.264 and writing each frame, scaled to
 * PROBE_WIDTH×PROBE_HEIGHT grey, to its stdout.
 */
export class GstRtspViewer {
  readonly frames: { at: number; pixels: Buffer }[] = [];
  readonly errors: string[] = [];
  private readonly process: ChildProcess;
  private pending = Buffer.alloc(0);
  private exited = false;

  /** `login`: the camera's (a simulated camera's RTSP wants one); no spaces in it, the line is split on them. */
  constructor(uri: string, protocols: "tcp" | "udp", login?: { user: string; password: string }) {
    const credentials = login ? ` user-id=${login.user} user-pw=${login.password}` : "";
    const pipeline = `rtspsrc location=${uri}${credentials} protocols=${protocols} latency=0 ! rtph264depay ! avdec_h264 ! videoconvert ! videoscale ! video/x-raw,format=GRAY8,width=${PROBE_WIDTH},height=${PROBE_HEIGHT} ! fdsink fd=1`;
    this.process = spawn("gst-launch-1.0", ["-q", ...pipeline.split(" ")], { stdio: ["ignore", "pipe", "pipe"] });
    const size = PROBE_WIDTH * PROBE_HEIGHT;
    this.process.stdout?.on("data", (data: Buffer) => {
      this.pending = Buffer.concat([this.pending, data]);
      while (this.pending.length >= size) {
        this.frames.push({ at: performance.now(), pixels: Buffer.from(this.pending.subarray(0, size)) });
        this.pending = this.pending.subarray(size);
      }
    });
    this.process.stderr?.on("data", (data: Buffer) => this.errors.push(data.toString()));
    this.process.on("exit", () => {
      this.exited = true;
    });
  }

  async waitForFrames(count: number, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.frames.length < count) {
      if (this.exited) throw new Error(`gst-launch exited after ${this.frames.length} frames: ${this.errors.join("")}`);
      if (Date.now() > deadline) {
        throw new Error(
          `gst-launch decoded ${this.frames.length} of ${count} frames in ${timeoutMs} ms: ${this.errors.join("")}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Ends the viewer the way a closed window would; rtspsrc sends no TEARDOWN then. */
  async stop(): Promise<void> {
    if (this.exited) return;
    const exited = once(this.process, "exit");
    this.process.kill("SIGKILL");
    await exited;
  }
}

/** A JPEG decoded and scaled to width×height grey pixels, by GStreamer in this process. */
export async function decodeJpeg(jpeg: Buffer, width = PROBE_WIDTH, height = PROBE_HEIGHT): Promise<Buffer> {
  const pipeline = launch(
    `appsrc name=src format=time caps=image/jpeg,framerate=0/1 ! jpegdec ! videoconvert ! videoscale ! video/x-raw,format=GRAY8,width=${width},height=${height} ! appsink name=sink sync=false`,
  );
  try {
    pipeline.play();
    return await new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        pipeline.stop();
        reject(new Error("JPEG not decoded within 5 s"));
      }, 5000);
      child(pipeline, "sink").pull?.((buffer) => {
        clearTimeout(timer);
        if (buffer) resolve(buffer);
        else reject(new Error("JPEG decoder ended without a picture"));
      });
      child(pipeline, "src").push?.(jpeg, Buffer.alloc(8));
    });
  } finally {
    pipeline.stop();
  }
}

/** Mean absolute difference of two grey pictures of the same size, 0..255. */
export function difference(a: Buffer, b: Buffer): number {
  if (a.length !== b.length) throw new Error(`pictures differ in size: ${a.length} and ${b.length} bytes`);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs((a[i] as number) - (b[i] as number));
  return sum / a.length;
}
