// The live picture of a simulated PTZ camera: a window that moves and zooms over a wide picture of a hearing room,
// following the camera's position, with the camera's name and P/T/Z written on it. Served as H.264 over RTSP and as
// JPEG snapshots. The encoder runs only while someone watches.
//
// RTP leaves GStreamer over a loopback TCP socket (rtpstreampay framing, RFC 4571) rather than through appsink: an
// appsink pull holds one of libuv's four pool threads while it waits, and a few streaming cameras in one process would
// starve file and DNS work. Snapshots are one short pull each.
import { once } from "node:events";
import { createServer, type Server, type Socket } from "node:net";
import { type Logger, pino } from "pino";
import type { LoginChecker } from "../http-auth.ts";
import { child, type GstPipeline, launch } from "./gstreamer.ts";
import {
  DEFAULT_SEATS,
  drawHearingRoom,
  type PictureSeat,
  viewWindow,
  WORLD_HEIGHT,
  WORLD_WIDTH,
} from "./hearing-room.ts";
import { parameterSetsIn } from "./rtp-h264.ts";
import { type H264Source, RtspServer } from "./rtsp-server.ts";

export interface PictureView {
  pan: number;
  tilt: number;
  zoom: number;
} // ONVIF generic spaces

export interface CameraPictureOptions {
  /** Written on the picture. */
  name: string;
  /** Labelled seats, drawn where a camera aimed at (pan, tilt) sees them centred. */
  seats?: PictureSeat[];
  /** Output size and rate; default 640×360 at 15 fps. */
  width?: number;
  height?: number;
  fps?: number;
  logger?: Logger;
  /** The login the RTSP stream asks for (a real camera's does); none when not given. */
  login?: LoginChecker;
}

/** The encoder keeps running this long after the last viewer, so DESCRIBE → PLAY or a reconnect does not restart it. */
const LINGER_MS = 1500;
const FIRST_PACKET_TIMEOUT_MS = 5000;
const SNAPSHOT_TIMEOUT_MS = 5000;
const WORLD_CAPS = `video/x-raw,format=I420,width=${WORLD_WIDTH},height=${WORLD_HEIGHT},pixel-aspect-ratio=1/1,framerate=0/1`;
const CAPTION =
  'halignment=left valignment=top line-alignment=left shaded-background=true font-desc="DejaVu Sans Mono Bold 11"';

/** The text written on the picture: the camera's name and where it points. */
export function captionOf(name: string, view: PictureView): string {
  const signed = (v: number) => `${v < 0 ? "-" : "+"}${Math.abs(v).toFixed(3)}`;
  return `${name}\nP ${signed(view.pan)}  T ${signed(view.tilt)}  Z ${view.zoom.toFixed(3)}`;
}

interface Encoder {
  pipeline: GstPipeline;
  /** Where tcpclientsink delivers the RTP stream. */
  receiver: Server;
  running: boolean;
  feed: Socket | undefined;
  viewTimer: NodeJS.Timeout | undefined;
  watchdog: NodeJS.Timeout | undefined;
  lingerTimer: NodeJS.Timeout | undefined;
  shown: { crop: string; caption: string };
}

export class CameraPicture implements H264Source {
  private readonly width: number;
  private readonly height: number;
  private readonly fps: number;
  private readonly log: Logger;
  private world: Promise<Buffer> | undefined;
  private server: RtspServer | undefined;
  private encoder: Encoder | undefined;
  private encoderStarting: Promise<void> | undefined;
  private snapshotPipeline: GstPipeline | undefined;
  private snapshots: Promise<unknown> = Promise.resolve();
  private snapshotCount = 0;
  private readonly listeners = new Set<(packet: Buffer) => void>();
  private parameters: { sps: Buffer; pps: Buffer } | undefined;
  private pendingSps: Buffer | undefined;
  private pendingPps: Buffer | undefined;
  private readonly parameterWaiters = new Set<(sets: { sps: Buffer; pps: Buffer }) => void>();
  private closed = false;

  constructor(
    private readonly options: CameraPictureOptions,
    private readonly view: () => PictureView,
  ) {
    this.width = options.width ?? 640;
    this.height = options.height ?? 360;
    this.fps = options.fps ?? 15;
    for (const [what, value, low, high] of [
      ["width", this.width, 64, 1920],
      ["height", this.height, 64, 1080],
    ] as const) {
      if (!Number.isInteger(value) || value % 2 !== 0 || value < low || value > high) {
        throw new Error(`camera picture ${what} must be an even integer in ${low}..${high}; got ${value}`);
      }
    }
    if (!Number.isInteger(this.fps) || this.fps < 1 || this.fps > 60) {
      throw new Error(`camera picture fps must be an integer in 1..60; got ${this.fps}`);
    }
    this.log = options.logger ?? pino({ name: `picture:${options.name}`, level: process.env.LOG_LEVEL ?? "info" });
  }

  /** Starts the RTSP server (port 0 = a free port). */
  async listen(host = "127.0.0.1", port = 0): Promise<{ rtspUri: string }> {
    if (this.closed) throw new Error("camera picture is closed");
    if (this.server) return { rtspUri: this.server.uri };
    const server = new RtspServer({
      source: this,
      name: this.options.name,
      logger: this.log,
      framerate: this.fps,
      ...(this.options.login ? { login: this.options.login } : {}),
    });
    await server.listen(host, port);
    this.server = server;
    return { rtspUri: server.uri };
  }

  /** Whether H.264 is being encoded now (someone watches, or did a moment ago). */
  get encoding(): boolean {
    return this.encoder?.running ?? false;
  }

  /** What the picture says about the camera now. */
  get caption(): string {
    return captionOf(this.options.name, this.currentView());
  }

  /** A JPEG of what the camera sees now. */
  snapshot(): Promise<Buffer> {
    const next = this.snapshots.then(() => this.takeSnapshot());
    this.snapshots = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    await this.server?.close();
    this.server = undefined;
    await this.encoderStarting?.catch(() => undefined);
    const encoder = this.encoder;
    this.encoder = undefined;
    if (encoder) {
      this.stopEncoder(encoder);
      await new Promise<void>((resolve) => encoder.receiver.close(() => resolve()));
    }
    await this.snapshots;
    this.snapshotPipeline?.stop();
    this.snapshotPipeline = undefined;
  }

  // H264Source, for the RTSP server.

  async parameterSets(): Promise<{ sps: Buffer; pps: Buffer }> {
    if (this.parameters) return this.parameters;
    // Encode for a moment to learn them; they stay the same for every later run of the same encoder settings.
    const unsubscribe = this.subscribe(() => {});
    try {
      return await new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          this.parameterWaiters.delete(resolve);
          reject(new Error(`no H.264 parameter sets from the encoder within ${FIRST_PACKET_TIMEOUT_MS} ms`));
        }, FIRST_PACKET_TIMEOUT_MS);
        this.parameterWaiters.add((sets) => {
          clearTimeout(timer);
          resolve(sets);
        });
      });
    } finally {
      unsubscribe();
    }
  }

  subscribe(onPacket: (packet: Buffer) => void): () => void {
    if (this.closed) throw new Error("camera picture is closed");
    // A wrapper per call, so the same callback subscribed twice needs two unsubscribes.
    const listener = (packet: Buffer) => onPacket(packet);
    this.listeners.add(listener);
    if (this.encoder) clearTimeout(this.encoder.lingerTimer);
    // An encoder that runs already (for another viewer, or lingering) is mid-GOP: the newcomer needs a key frame.
    if (this.encoder?.running) this.requestKeyFrame();
    else {
      this.encoderStarting ??= this.startEncoder()
        .catch((err) => this.log.error({ err }, "camera picture encoder did not start"))
        .finally(() => {
          this.encoderStarting = undefined;
        });
    }
    return () => {
      if (!this.listeners.delete(listener) || this.listeners.size > 0) return;
      const encoder = this.encoder;
      if (!encoder?.running) return;
      clearTimeout(encoder.lingerTimer);
      encoder.lingerTimer = setTimeout(() => {
        if (this.listeners.size === 0) this.stopEncoder(encoder);
      }, LINGER_MS);
    };
  }

  requestKeyFrame(): void {
    if (this.encoder?.running) this.encoder.pipeline.forceKeyUnit("pay", 1);
  }

  // Internals.

  private currentView(): PictureView {
    try {
      const v = this.view();
      const finite = (x: number, fallback: number) => (Number.isFinite(x) ? x : fallback);
      return { pan: finite(v.pan, 0), tilt: finite(v.tilt, 0), zoom: finite(v.zoom, 0) };
    } catch (err) {
      this.log.warn({ err }, "camera position unavailable: showing home");
      return { pan: 0, tilt: 0, zoom: 0 };
    }
  }

  /** The hearing room in I420, drawn and labelled once per camera. */
  private worldPicture(): Promise<Buffer> {
    this.world ??= (async () => {
      const { rgb, labels } = drawHearingRoom(this.options.seats ?? DEFAULT_SEATS);
      const overlays = labels.map(
        (label, i) =>
          ` ! textoverlay name=label${i} auto-resize=false halignment=position valignment=position draw-shadow=false draw-outline=false color=${label.color}`,
      );
      const pipeline = launch(
        `appsrc name=src format=time caps=${WORLD_CAPS.replace("I420", "RGB")} ! videoconvert ! video/x-raw,format=I420${overlays.join("")} ! appsink name=sink sync=false`,
      );
      labels.forEach((label, i) => {
        Object.assign(child(pipeline, `label${i}`), {
          text: label.text,
          "font-desc": label.font,
          xpos: label.x / WORLD_WIDTH,
          ypos: label.y / WORLD_HEIGHT,
        });
      });
      try {
        pipeline.play();
        return await pullOne(pipeline, "sink", () => child(pipeline, "src").push?.(rgb, Buffer.alloc(8)));
      } finally {
        pipeline.stop();
      }
    })();
    this.world.catch(() => {
      this.world = undefined; // try again next time
    });
    return this.world;
  }

  private async startEncoder(): Promise<void> {
    const world = await this.worldPicture();
    let encoder = this.encoder;
    if (!encoder) {
      const receiver = createServer((socket) => this.acceptFeed(socket));
      receiver.listen(0, "127.0.0.1");
      await once(receiver, "listening");
      const port = (receiver.address() as { port: number }).port;
      const pipeline = launch(
        `appsrc name=world format=time caps=${WORLD_CAPS} ! imagefreeze is-live=true ! video/x-raw,framerate=${this.fps}/1` +
          ` ! videocrop name=crop ! videoscale add-borders=false ! video/x-raw,width=${this.width},height=${this.height},pixel-aspect-ratio=1/1` +
          ` ! textoverlay name=caption ${CAPTION}` +
          ` ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=${this.fps} bitrate=${Math.round((this.width * this.height * this.fps) / 4000)} threads=1` +
          " ! video/x-h264,profile=constrained-baseline ! rtph264pay name=pay config-interval=-1 pt=96 mtu=1400" +
          ` ! rtpstreampay ! tcpclientsink host=127.0.0.1 port=${port} sync=false`,
      );
      encoder = {
        pipeline,
        receiver,
        running: false,
        feed: undefined,
        viewTimer: undefined,
        watchdog: undefined,
        lingerTimer: undefined,
        shown: { crop: "", caption: "" },
      };
      this.encoder = encoder;
    }
    if (this.closed || this.listeners.size === 0 || encoder.running) return;
    encoder.shown = { crop: "", caption: "" };
    this.showView(encoder.pipeline, encoder.shown);
    encoder.running = true;
    encoder.pipeline.play();
    child(encoder.pipeline, "world").push?.(world, Buffer.alloc(8));
    // The view is read twice per frame so a moving camera moves smoothly in the picture.
    encoder.viewTimer = setInterval(() => this.showView(encoder.pipeline, encoder.shown), 500 / this.fps);
    encoder.watchdog = setTimeout(() => {
      this.log.error("camera picture encoder gave no video within 5 s");
    }, FIRST_PACKET_TIMEOUT_MS);
    this.log.debug("camera picture encoder started");
  }

  private stopEncoder(encoder: Encoder): void {
    clearTimeout(encoder.lingerTimer);
    clearTimeout(encoder.watchdog);
    clearInterval(encoder.viewTimer);
    if (!encoder.running) return;
    encoder.running = false;
    encoder.pipeline.stop();
    encoder.feed?.destroy();
    encoder.feed = undefined;
    this.log.debug("camera picture encoder stopped");
  }

  /** The one connection from the encoder's tcpclientsink: RFC 4571 frames, a 16-bit length then an RTP packet. */
  private acceptFeed(socket: Socket): void {
    const encoder = this.encoder;
    if (!encoder?.running || encoder.feed) {
      socket.destroy();
      return;
    }
    encoder.feed = socket;
    let pending: Buffer = Buffer.alloc(0);
    socket.on("data", (data: Buffer) => {
      pending = pending.length === 0 ? data : Buffer.concat([pending, data]);
      let at = 0;
      while (pending.length - at >= 2) {
        const length = pending.readUInt16BE(at);
        if (pending.length - at - 2 < length) break;
        this.deliver(encoder, pending.subarray(at + 2, at + 2 + length));
        at += 2 + length;
      }
      pending = pending.subarray(at);
    });
    socket.on("error", (err) => this.log.debug({ err }, "encoder feed error"));
    socket.on("close", () => {
      if (encoder.feed === socket) encoder.feed = undefined;
    });
  }

  private deliver(encoder: Encoder, packet: Buffer): void {
    clearTimeout(encoder.watchdog);
    if (!this.parameters) {
      const found = parameterSetsIn(packet);
      this.pendingSps = found.sps ?? this.pendingSps;
      this.pendingPps = found.pps ?? this.pendingPps;
      if (this.pendingSps && this.pendingPps) {
        const sets = { sps: Buffer.from(this.pendingSps), pps: Buffer.from(this.pendingPps) };
        this.parameters = sets;
        for (const wake of this.parameterWaiters) wake(sets);
        this.parameterWaiters.clear();
      }
    }
    for (const listener of this.listeners) listener(packet);
  }

  /** Points the crop and the caption of a pipeline at the camera's current view, touching only what changed. */
  private showView(pipeline: GstPipeline, shown: { crop: string; caption: string }): void {
    const view = this.currentView();
    const window = viewWindow(view);
    const crop = `${window.left},${window.right},${window.top},${window.bottom}`;
    if (crop !== shown.crop) {
      Object.assign(child(pipeline, "crop"), window);
      shown.crop = crop;
    }
    const caption = captionOf(this.options.name, view);
    if (caption !== shown.caption) {
      child(pipeline, "caption").text = caption;
      shown.caption = caption;
    }
  }

  private async takeSnapshot(): Promise<Buffer> {
    if (this.closed) throw new Error("camera picture is closed");
    const world = await this.worldPicture();
    this.snapshotPipeline ??= launch(
      `appsrc name=world format=time caps=${WORLD_CAPS} ! videocrop name=crop` +
        ` ! videoscale add-borders=false ! video/x-raw,width=${this.width},height=${this.height},pixel-aspect-ratio=1/1` +
        ` ! textoverlay name=caption ${CAPTION} ! jpegenc quality=85 ! appsink name=jpeg sync=false`,
    );
    const pipeline = this.snapshotPipeline;
    this.showView(pipeline, { crop: "", caption: "" });
    pipeline.play();
    // Each picture gets the next frame time so no element takes it for a repeat.
    const pts = Buffer.alloc(8);
    pts.writeBigUInt64BE(BigInt(this.snapshotCount++) * 1_000_000_000n);
    try {
      return await pullOne(pipeline, "jpeg", () => child(pipeline, "world").push?.(world, pts), SNAPSHOT_TIMEOUT_MS);
    } catch (err) {
      // A stuck pipeline is thrown away; the next snapshot builds a new one.
      pipeline.stop();
      this.snapshotPipeline = undefined;
      throw err;
    }
  }
}

/** Pushes one input (after the pull is waiting) and resolves with the one buffer that comes out of the appsink. */
function pullOne(pipeline: GstPipeline, sinkName: string, push: () => void, timeoutMs = 10_000): Promise<Buffer> {
  const sink = child(pipeline, sinkName);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      pipeline.stop(); // releases the pool thread blocked in the pull
      reject(new Error(`no picture from GStreamer within ${timeoutMs} ms`));
    }, timeoutMs);
    sink.pull?.((buffer) => {
      clearTimeout(timer);
      if (buffer) resolve(buffer);
      else reject(new Error("GStreamer pipeline ended without a picture"));
    });
    push();
  });
}
