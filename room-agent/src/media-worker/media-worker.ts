// The media worker: a child process of the agent that owns every GStreamer pipeline of the room, so a GStreamer crash
// or hang cannot take camera or mixer control down. It speaks the typed messages of worker-messages.ts over Node's
// IPC channel, logs JSON lines on stderr, and never exits by itself: the agent ends it (see the note on exits below).
//   dev: node --import tsx room-agent/src/media-worker/media-worker.ts   bundle: node dist/media-worker.mjs
import { execFileSync } from "node:child_process";
import { constants, openSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { freeUdpPorts } from "./free-udp-port.ts";
import { parseElementMessage } from "./gstreamer-text.ts";
import { MediaEngine } from "./media-engine.ts";
import type { Gstreamer } from "./pipeline-part.ts";
import { type FromWorker, toWorker } from "./worker-messages.ts";

/** Elements every room needs; a camera's rtspsrc/decodebin are checked when that camera starts. */
const REQUIRED_ELEMENTS = [
  "videotestsrc",
  "audiotestsrc",
  "intervideosrc",
  "intervideosink",
  "interaudiosrc",
  "interaudiosink",
  "input-selector",
  "videoconvert",
  "videoscale",
  "videorate",
  "audioconvert",
  "audioresample",
  "x264enc",
  "h264parse",
  "avenc_aac",
  "aacparse",
  "mpegtsmux",
  "tsdemux",
  "multiudpsink",
  "udpsrc",
  "srtsink",
  "srtsrc",
  "avdec_h264",
  "avdec_aac",
  "splitmuxsink",
  "matroskamux",
  "compositor",
  "audiomixer",
  "jpegenc",
  "appsink",
  "fakesink",
];

function log(level: "info" | "warn" | "error", msg: string, data: object = {}): void {
  process.stderr.write(`${JSON.stringify({ level, msg, ...data })}\n`);
}

function send(message: FromWorker): void {
  if (process.connected) process.send!(message);
}

/**
 * Ends this process at once. Node's normal exit joins libuv's thread pool, where the binding keeps a thread waiting
 * on each pipeline's bus for ever: process.exit() would hang. Pipelines are stopped (files closed) before this.
 */
function die(): never {
  process.kill(process.pid, "SIGKILL");
  throw new Error("unreachable");
}

/**
 * GStreamer's log of element errors and warnings, through a FIFO this process reads: the only place where a
 * warning's text (an SRT caller's "Incorrect passphrase") survives the binding. Set up before GStreamer loads.
 */
function openGstreamerLog(onLine: (line: string) => void): string | null {
  const fifo = join(tmpdir(), `rc-media-gst-${process.pid}.log`);
  try {
    execFileSync("mkfifo", ["-m", "600", fifo]);
    // Non-blocking, so opening does not wait for a writer; GStreamer opens the writing end when it loads.
    const fd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const reader = new Socket({ fd, readable: true, writable: false });
    createInterface({ input: reader }).on("line", onLine);
    reader.on("error", (error) => log("warn", "GStreamer log reader failed", { err: error.message }));
    const levels = process.env.GST_DEBUG ? `${process.env.GST_DEBUG},` : "";
    process.env.GST_DEBUG = `${levels}GST_ERROR_SYSTEM:4`;
    process.env.GST_DEBUG_FILE = fifo;
    process.env.GST_DEBUG_NO_COLOR = "1";
    return fifo;
  } catch (error) {
    log("warn", "no GStreamer log: warnings will carry no text", { err: (error as Error).message });
    rmSync(fifo, { force: true });
    return null;
  }
}

function loadGstreamer(): Gstreamer {
  const require = createRequire(import.meta.url);
  let gst: Gstreamer;
  try {
    gst = require("gstreamer-superficial") as Gstreamer;
  } catch (error) {
    throw new Error(`GStreamer is not available: ${(error as Error).message.split("\n")[0]}`);
  }
  // All at once (a pipeline of unlinked elements); one by one only to name what is missing.
  const exists = (elements: string[]) => {
    try {
      new gst.Pipeline(elements.map((element) => `${element} name=check-${element}`).join(" "));
      return true;
    } catch {
      return false;
    }
  };
  const missing = exists(REQUIRED_ELEMENTS)
    ? []
    : REQUIRED_ELEMENTS.filter((element) => !exists([element, "identity"]));
  if (missing.length > 0) {
    throw new Error(
      `GStreamer lacks ${missing.join(", ")} (Debian: gstreamer1.0-plugins-base/-good/-bad/-ugly, gstreamer1.0-libav)`,
    );
  }
  return gst;
}

async function main(): Promise<void> {
  if (!process.send) {
    process.stderr.write("media-worker: started by the room agent only (it talks over an IPC channel)\n");
    process.exitCode = 2;
    return;
  }
  // splitmuxsink creates the segments with the process's umask: owner-only, whatever the agent's was.
  process.umask(0o077);
  let engine: MediaEngine | undefined;
  const fifo = openGstreamerLog((line) => {
    const message = parseElementMessage(line);
    if (message) engine?.elementProblem(message.element, message.level, message.text);
    else if (!line.includes("GST_ERROR_SYSTEM")) process.stderr.write(`${line}\n`);
  });
  let gst: Gstreamer;
  try {
    gst = loadGstreamer();
  } catch (error) {
    if (fifo) rmSync(fifo, { force: true });
    send({ type: "unavailable", reason: (error as Error).message });
    log("error", "media unavailable", { reason: (error as Error).message });
    // Let the IPC message go out before ending.
    setTimeout(die, 200);
    return;
  }
  // Both ends are open now (GStreamer opened its end when it loaded): the name is no longer needed.
  if (fifo) rmSync(fifo, { force: true });
  const [sender, recording] = await freeUdpPorts(2);
  const ports = { sender: sender!, recording: recording! };
  engine = new MediaEngine({
    gst,
    ports,
    emit: send,
    log,
    canShowWindow: Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY),
  });
  engine.start();
  const running = engine;
  // Configurations apply one after the other: each may wait for the recording to close.
  let queue = Promise.resolve();
  process.on("message", (raw) => {
    const parsed = toWorker.safeParse(raw);
    if (!parsed.success) {
      log("warn", "message from the agent dropped", { reason: parsed.error.message.slice(0, 300) });
      return;
    }
    const message = parsed.data;
    const reply = (run: () => unknown) => {
      if (!("id" in message)) return;
      try {
        send({ type: "reply", id: message.id, result: run() });
      } catch (error) {
        send({ type: "reply", id: message.id, result: null, error: (error as Error).message });
      }
    };
    switch (message.type) {
      case "configure":
        queue = queue.then(() =>
          running
            .configure(message.config)
            .catch((error: Error) => log("error", "configure failed", { err: error.message })),
        );
        return;
      case "cut":
        reply(() => running.cut(message.camera));
        return;
      case "snapshot":
        reply(() => running.snapshot(message.source));
        return;
      case "ping":
        reply(() => "pong");
        return;
      case "stop":
        queue = queue.then(async () => {
          await running.stop();
          send({ type: "reply", id: message.id, result: "stopped" });
        });
    }
  });
  // The agent went away (crashed or killed): close the recording, then end.
  process.on("disconnect", () => void running.stop().finally(die));
  process.on("uncaughtException", (error) => {
    log("error", "media worker crashed", { err: error.stack ?? error.message });
    die();
  });
  send({ type: "ready", pid: process.pid });
  log("info", "media worker ready", { pid: process.pid, ports });
}

await main();
