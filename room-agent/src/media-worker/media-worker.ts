// The media worker: a process of its own, started by the agent, that owns every GStreamer pipeline of the room, so a
// GStreamer crash or hang cannot take camera or mixer control down. It listens on a unix socket (worker-channel.ts)
// and speaks the typed messages of worker-messages.ts there, its log lines included. It outlives an agent that dies:
// the pipelines and the recording go on, and the next agent connects and adopts it (its socket is put back if the
// data folder was wiped); with no agent for 30 s it closes the recording and ends. Otherwise it never exits by
// itself: the agent ends it (see the note on exits below).
// Started with --standby it is the agent's spare: it loads GStreamer and waits, not listening yet, for a "go" line on
// its stdin, which the agent writes when the running worker died; then it goes on as any worker, the slow part of its
// start already done. The agent gone before that (its end of stdin closed), the spare ends.
//   dev: node --import tsx room-agent/src/media-worker/media-worker.ts [--standby] SOCKET
//   bundle: node dist/media-worker.mjs [--standby] SOCKET
import { execFileSync } from "node:child_process";
import { constants, mkdirSync, openSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer, Socket } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { freeUdpPorts } from "./free-udp-port.ts";
import { parseElementMessage } from "./gstreamer-text.ts";
import { GUEST_SENDS } from "./launch-lines.ts";
import { MediaEngine } from "./media-engine.ts";
import type { Gstreamer } from "./pipeline-part.ts";
import { WorkerChannel } from "./worker-channel.ts";
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

/** How long the worker goes on without an agent: time for a supervisor to start the next one, which adopts it. */
const ADOPT_WITHIN_MS = 30_000;
/** What waits for the next agent while none is connected (segments, cuts, log lines): the newest this many. */
const BACKLOG_MAX = 200;
/** How often the socket file is looked at (an agent restarted by a supervisor looks for it within a second). */
const SOCKET_CHECK_MS = 200;

/** The connected agent, or null between one agent's death and the next one's adoption. */
let agent: WorkerChannel | null = null;
const backlog: FromWorker[] = [];

/** To the agent; without one, what the next agent must know waits for it (statuses and pictures are only current). */
function send(message: FromWorker): void {
  if (agent?.send(message)) return;
  if (message.type !== "segment" && message.type !== "cut" && message.type !== "log") return;
  backlog.push(message);
  if (backlog.length > BACKLOG_MAX) backlog.shift();
}

function log(level: "info" | "warn" | "error", msg: string, data: object = {}): void {
  send({ type: "log", level, msg, data: { ...data } });
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

/** A spare's wait: resolves on the agent's "go"; the agent gone first (stdin closed), the spare ends. */
function promoted(): Promise<void> {
  return new Promise((resolve) => {
    let going = false;
    const lines = createInterface({ input: process.stdin });
    lines.on("line", (line) => {
      if (line.trim() !== "go") return;
      going = true;
      lines.close();
      // The agent's end may close from now on (the agent dies and the next one adopts this worker): no concern.
      process.stdin.destroy();
      resolve();
    });
    lines.on("close", () => {
      if (!going) die();
    });
  });
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const standby = args[0] === "--standby";
  const socketPath = args.at(-1);
  if (!socketPath || args.length !== (standby ? 2 : 1)) {
    process.stderr.write("media-worker: started by the room agent only: media-worker [--standby] <socket path>\n");
    process.exitCode = 2;
    return;
  }
  // splitmuxsink creates the segments with the process's umask: owner-only, whatever the agent's was. The socket too.
  process.umask(0o077);
  // The agent that started this worker may be gone, and its end of stdout/stderr with it: that is no crash.
  for (const stream of [process.stdout, process.stderr]) stream.on("error", () => {});
  let engine: MediaEngine | undefined;
  const fifo = openGstreamerLog((line) => {
    const message = parseElementMessage(line);
    if (message) engine?.elementProblem(message.element, message.level, message.text);
    else if (!line.includes("GST_ERROR_SYSTEM")) process.stderr.write(`${line}\n`);
  });
  let ready: (engine: MediaEngine) => void;
  let unavailable: (reason: string) => void;
  const started = new Promise<MediaEngine>((resolve, reject) => {
    ready = resolve;
    unavailable = (reason) => reject(new Error(reason));
  });
  started.catch(() => {});
  /** Whether an agent configured the pipelines: the next agent that connects adopts them. */
  let served = false;
  let stopping = false;
  /** The segments being written when the last agent went away: the next one takes their sidecars over. */
  let segmentsWhenLost: ReturnType<MediaEngine["handover"]>["segments"] = [];
  // Configurations apply one after the other: each may wait for the recording to close.
  let queue = Promise.resolve();
  /** Since when no agent has been connected (performance clock), or null while one is. */
  let orphanSince: number | null = performance.now();
  const orphaned = () => {
    // An agent that asked us to stop ends us; if it died before doing so, end once the stop is done.
    if (stopping) void queue.finally(die);
    else orphanSince = performance.now();
  };
  const end = (why: string) => {
    stopping = true;
    process.stderr.write(`media-worker: ${why}: closing the recording and ending\n`);
    void (engine ? engine.stop() : Promise.resolve()).finally(die);
  };

  const onMessage = (channel: WorkerChannel, raw: unknown) => {
    const parsed = toWorker.safeParse(raw);
    if (!parsed.success) {
      log("warn", "message from the agent dropped", { reason: parsed.error.message.slice(0, 300) });
      return;
    }
    const running = engine;
    if (!running) {
      log("warn", "message from the agent dropped: the worker is not ready yet", { type: parsed.data.type });
      return;
    }
    const message = parsed.data;
    const reply = (run: () => unknown) => {
      if (!("id" in message)) return;
      try {
        channel.send({ type: "reply", id: message.id, result: run() });
      } catch (error) {
        channel.send({ type: "reply", id: message.id, result: null, error: (error as Error).message });
      }
    };
    switch (message.type) {
      case "configure":
        served = true;
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
        stopping = true;
        queue = queue.then(async () => {
          await running.stop();
          channel.send({ type: "reply", id: message.id, result: "stopped" });
        });
    }
  };

  const accept = (channel: WorkerChannel) => {
    if (agent) {
      log("warn", "another agent connected: the earlier one's connection is closed");
      agent.close();
    }
    agent = channel;
    orphanSince = null;
    channel.on("message", (raw) => onMessage(channel, raw));
    channel.on("close", () => {
      if (agent !== channel) return;
      agent = null;
      segmentsWhenLost = engine?.handover().segments ?? [];
      if (!stopping)
        log("warn", `the agent went away: everything goes on for ${ADOPT_WITHIN_MS / 1000} s for the next`);
      orphaned();
    });
    started.then(
      (running) => {
        if (agent !== channel) return;
        channel.send({
          type: "ready",
          pid: process.pid,
          adopted: served,
          programCamera: running.handover().programCamera,
        });
        // The segments the last agent was writing the sidecars of, then what happened since, in order.
        for (const { recording, file, at } of segmentsWhenLost)
          channel.send({ type: "segment", recording, phase: "opened", file, at });
        segmentsWhenLost = [];
        for (const message of backlog.splice(0)) channel.send(message);
        // Statuses go out when they change, and none waited for this agent: it learns the current one now (an
        // adopting agent would read "not recording" until something changed).
        running.statusAgain();
      },
      (error: Error) => {
        channel.send({ type: "unavailable", reason: error.message });
        // Let the message go out before ending.
        setTimeout(die, 200);
      },
    );
  };
  /** The inode of the socket file agents find this worker by. */
  let listening: number | undefined;
  const listen = async () => {
    mkdirSync(dirname(socketPath), { recursive: true, mode: 0o700 });
    const server = createServer((socket) => accept(new WorkerChannel(socket)));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(socketPath, resolve);
    });
    listening = statSync(socketPath).ino;
  };
  let gst: Gstreamer | undefined;
  if (standby) {
    // A spare that cannot load GStreamer just ends: the agent then starts a worker the usual way, which says why.
    try {
      gst = loadGstreamer();
    } catch (error) {
      process.stderr.write(`media-worker: spare not ready: ${(error as Error).message}\n`);
      die();
    } finally {
      if (fifo) rmSync(fifo, { force: true });
    }
    await promoted();
  }
  try {
    await listen();
  } catch (error) {
    process.stderr.write(`media-worker: cannot listen on ${socketPath}: ${(error as Error).message}\n`);
    die();
  }
  // The socket file removed (the data folder wiped) is put back, so the next agent still adopts the recording; the
  // old listener stays open, unreachable, rather than be closed (closing unlinks whatever file is there now).
  // Taken by another worker, this one can no longer be found: without an agent, it ends.
  let checking = false;
  setInterval(async () => {
    if (checking) return;
    checking = true;
    try {
      const now = statSync(socketPath, { throwIfNoEntry: false });
      let taken = now !== undefined && now.ino !== listening;
      if (!now) {
        await listen().then(
          () => log("warn", "the socket was removed (the data folder wiped?): put back", { socket: socketPath }),
          (error: Error) => {
            taken = true;
            log("warn", "the socket was removed and could not be put back", { err: error.message });
          },
        );
      }
      if (orphanSince === null || stopping) return;
      if (taken) end("no agent, and another worker took the socket");
      else if (performance.now() - orphanSince > ADOPT_WITHIN_MS) end(`no agent for ${ADOPT_WITHIN_MS / 1000} s`);
    } finally {
      checking = false;
    }
  }, SOCKET_CHECK_MS);

  try {
    gst ??= loadGstreamer();
  } catch (error) {
    if (fifo) rmSync(fifo, { force: true });
    unavailable!((error as Error).message);
    return;
  }
  // Both ends are open now (GStreamer opened its end when it loaded): the name is no longer needed.
  if (fifo) rmSync(fifo, { force: true });
  const [sender, recording, session, sessionRecording, ...guests] = await freeUdpPorts(4 + GUEST_SENDS);
  const ports = {
    sender: sender!,
    recording: recording!,
    session: session!,
    sessionRecording: sessionRecording!,
    guests,
  };
  engine = new MediaEngine({
    gst,
    ports,
    emit: send,
    log,
    canShowWindow: Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY),
  });
  engine.start();
  process.on("uncaughtException", (error) => {
    process.stderr.write(`media-worker crashed: ${error.stack ?? error.message}\n`);
    log("error", "media worker crashed", { err: error.stack ?? error.message });
    die();
  });
  log("info", "media worker ready", { pid: process.pid, ports });
  ready!(engine);
}

await main();
