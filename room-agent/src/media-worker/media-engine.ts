// The worker's side of the media: converges the room's pipelines to the config the agent sends (a pipeline is
// rebuilt only when its launch line changes), switches the program, watches links through SRT's statistics and the
// decoded frames, reports segments, and keeps the latest snapshot of every picture. Runs only in the media worker.

import { ActivePoint, loudestChannelDb } from "./active-point.ts";
import { parseCallerStatistics, parseListenerStatistics } from "./gstreamer-text.ts";
import {
  audioLine,
  cameraLine,
  displayLine,
  guestSenderLine,
  guestSends,
  levelElement,
  linkLine,
  type ProgramPorts,
  programLine,
  recordingLine,
  redact,
  SPEAKER_SELECTOR,
  senderLine,
  sessionLine,
  sessionPoints,
  srtElement,
} from "./launch-lines.ts";
import { type GstBusMessage, type Gstreamer, PipelinePart } from "./pipeline-part.ts";
import type {
  FromWorker,
  LinkStatus,
  MediaConfig,
  MediaStatus,
  PartStatus,
  SnapshotResult,
} from "./worker-messages.ts";

type Rgb = [number, number, number];
/** Which recording a segment belongs to: the room's own program, or a relay host's session program. */
type Recorded = "program" | "session";

/** The latest frames of one picture (program, display or a link). */
class Picture {
  frames = 0;
  lastFrameAt = 0;
  colour: Rgb = [0, 0, 0];
  /** The latest frame shrunk to 8×8, row by row: where in the picture which colour is (a session program's tiles). */
  cells: Rgb[] = [];
  reported: Rgb | null = null;
  jpeg: { data: Buffer; at: number; width: number; height: number } | null = null;

  constructor(
    readonly source: string,
    private readonly emit: (message: FromWorker) => void,
  ) {}

  taps(prefix: string) {
    return {
      [`${prefix}-probe`]: (buffer: Buffer) => this.probe(buffer),
      [`${prefix}-jpeg`]: (buffer: Buffer, caps: Record<string, unknown>) => {
        this.jpeg = { data: buffer, at: Date.now(), width: Number(caps.width), height: Number(caps.height) };
      },
    };
  }

  private probe(buffer: Buffer): void {
    const now = performance.timeOrigin + performance.now();
    this.frames++;
    this.lastFrameAt = now;
    let r = 0;
    let g = 0;
    let b = 0;
    const pixels = Math.floor(buffer.length / 3);
    const cells: Rgb[] = [];
    for (let i = 0; i < pixels * 3; i += 3) {
      r += buffer[i]!;
      g += buffer[i + 1]!;
      b += buffer[i + 2]!;
      cells.push([buffer[i]!, buffer[i + 1]!, buffer[i + 2]!]);
    }
    this.cells = cells;
    this.colour = [Math.round(r / pixels), Math.round(g / pixels), Math.round(b / pixels)];
    // A clear change of the whole picture's colour: a cut (here or at the far end), not a person moving.
    const last = this.reported;
    if (!last || Math.max(...this.colour.map((value, index) => Math.abs(value - last[index]!))) >= 48) {
      this.reported = this.colour;
      this.emit({ type: "picture", source: this.source, rgb: this.colour, at: now });
    }
  }

  /** Whether a frame came within the last `ms`. */
  fresh(ms: number): boolean {
    return performance.timeOrigin + performance.now() - this.lastFrameAt < ms;
  }
}

/** A link's memory between two looks at its statistics. */
interface LinkWatch {
  part: PipelinePart | undefined;
  picture: Picture;
  config: MediaConfig["links"][number];
  status: LinkStatus;
  connected: boolean;
  /** Since when the link has had a connection (ms, performance clock). */
  upSince: number;
  /** Since when the link has been without a connection (ms, performance clock). */
  downSince: number;
  bytes: number;
  packets: number;
  lost: number;
  lookedAt: number;
  /** The latest warning GStreamer logged for the link's SRT caller. */
  warning: string | null;
}

/** How long a link may call without an answer before it counts as offline rather than connecting. */
const LINK_OFFLINE_AFTER_MS = 10_000;
/** No decoded frame for this long on a connected link: degraded. */
const PICTURE_STALE_MS = 2000;
/** How long a new connection may take to its first decoded picture (a GOP and the SRT latency, with room). */
const FIRST_PICTURE_MS = 6000;
/** SRT statistics are read this often: each read costs the binding ~2 KB it never frees. */
const STATISTICS_EVERY_MS = 3000;

export interface EngineOptions {
  gst: Gstreamer;
  ports: ProgramPorts;
  emit: (message: FromWorker) => void;
  log: (level: "info" | "warn", message: string, data?: object) => void;
  /** Whether a window can be opened (a display server is there). */
  canShowWindow: boolean;
}

export class MediaEngine {
  private config: MediaConfig | undefined;
  private readonly parts = new Map<string, PipelinePart>();
  private readonly program: Picture;
  private readonly display: Picture;
  private readonly links = new Map<string, LinkWatch>();
  private programCamera: string | null = null;
  /** The segments being written, program's and (at a relay host) session program's, and when they opened (wall ms). */
  private readonly segments = new Map<Recorded, { file: string; at: number }>();
  private statusTimer: NodeJS.Timeout | undefined;
  /** The recording being closed (its stream ended, its file not yet finalised). */
  private recordingClosing: { part: PipelinePart; done: Promise<void> } | undefined;
  private watchTimer: NodeJS.Timeout | undefined;
  private lastStatus = "";
  /** The recording's folder, segment length and session points, to tell whether a new config changes it. */
  private recordingKey = "";
  private senderCallers = 0;
  private senderLookedAt = 0;
  /** At a relay host: the session program's points (own room first, then the peers) and the one shown large. */
  private sessionPoints: string[] = [];
  private activePoint: ActivePoint | undefined;

  constructor(private readonly options: EngineOptions) {
    this.program = new Picture("program", options.emit);
    this.display = new Picture("display", options.emit);
  }

  start(): void {
    this.watchTimer = setInterval(() => this.watch(), 1000);
  }

  /** Converges every pipeline to the config: parts whose launch line is unchanged keep running untouched. */
  async configure(config: MediaConfig): Promise<void> {
    this.config = config;
    const wanted = new Map<string, { launch: string; create: (launch: string) => PipelinePart }>();
    const want = (name: string, build: () => string, create: (launch: string) => PipelinePart) => {
      try {
        wanted.set(name, { launch: build(), create });
      } catch (error) {
        this.options.log("warn", "pipeline not built", { part: name, reason: (error as Error).message });
      }
    };
    for (const camera of config.cameras) {
      if (camera.uri === null) {
        // Not known yet: an agent that adopted this worker asks its cameras again. A running stream stays on air.
        const running = this.parts.get(`camera:${camera.id}`);
        if (running) wanted.set(`camera:${camera.id}`, { launch: running.launch, create: () => running });
        continue;
      }
      const uri = camera.uri;
      want(
        `camera:${camera.id}`,
        () => cameraLine(config, camera.id, uri),
        (launch) => this.part(`camera:${camera.id}`, launch),
      );
    }
    want(
      "audio",
      () => audioLine(config.audio.input),
      (launch) => this.part("audio", launch),
    );
    want(
      "program",
      () => programLine(config, this.options.ports),
      (launch) =>
        this.part("program", launch, { taps: this.program.taps("program"), changed: () => this.onProgramChange() }),
    );
    // A relay host sends its session program (every point), anyone else its own program.
    const relayHost = config.layout === "grid" && config.links.length > 0;
    if (config.sender) {
      const sender = config.sender;
      const port = relayHost ? this.options.ports.session : this.options.ports.sender;
      want(
        "sender",
        () => senderLine(sender, port),
        (launch) => this.part("sender", launch),
      );
    }
    for (const link of config.links) {
      if (link.host === null || link.port === null) continue;
      want(
        `link:${link.peer}`,
        () => linkLine(config, link),
        (launch) => this.linkPart(link, launch),
      );
    }
    const window = config.display === "window" && this.options.canShowWindow;
    if (relayHost) {
      want(
        "display",
        () => sessionLine(config, window, this.options.ports),
        (launch) => this.sessionPart(config, launch),
      );
    } else if (config.links.length > 0) {
      want(
        "display",
        () => displayLine(config, window),
        (launch) => this.part("display", launch, { taps: this.display.taps("display") }),
      );
    }
    if (!relayHost) this.activePoint = undefined;
    if (relayHost) {
      try {
        for (const { link, port } of guestSends(config, this.options.ports)) {
          want(
            `send:${link.peer}`,
            () => guestSenderLine(link, port),
            (launch) => this.part(`send:${link.peer}`, launch),
          );
        }
      } catch (error) {
        this.options.log("warn", "session program not sent to the guests", { reason: (error as Error).message });
      }
    }
    // Links the config no longer names.
    for (const peer of this.links.keys()) if (!config.links.some((link) => link.peer === peer)) this.links.delete(peer);
    for (const link of config.links) this.watchLink(link);

    for (const [name, part] of this.parts) {
      if (name === "recording") continue;
      if (wanted.get(name)?.launch !== part.launch) {
        part.stop();
        this.parts.delete(name);
      }
    }
    // A new recorder listens before the program starts, so it records from the encoder's first key frame instead of
    // waiting for the next one (a restarted worker's recording resumes up to a key-frame interval sooner).
    if (!this.parts.has("recording")) await this.configureRecording(config);
    for (const [name, { launch, create }] of wanted) {
      if (this.parts.has(name)) continue;
      const part = create(launch);
      this.parts.set(name, part);
      if (name.startsWith("link:")) this.links.get(name.slice("link:".length))!.part = part;
      this.options.log("info", "pipeline", { part: name, launch: redact(launch) });
      part.start();
    }
    await this.configureRecording(config);
    if (config.programCamera && config.programCamera !== this.programCamera) {
      try {
        this.cut(config.programCamera);
      } catch (error) {
        this.options.log("warn", "program camera not applied", { reason: (error as Error).message });
      }
    }
    this.statusSoon();
  }

  /** Switches the program to a camera at its next frame; throws when the camera is unknown or has no picture. */
  cut(camera: string): { camera: string; at: number } {
    const config = this.config;
    const index = config?.cameras.findIndex((c) => c.id === camera) ?? -1;
    if (!config || index < 0) throw new Error(`no camera "${camera}" among the program's inputs`);
    const input = this.parts.get(`camera:${camera}`);
    if (!input) throw new Error(`camera "${camera}" has no stream yet`);
    if (input.status().state === "failed")
      throw new Error(`camera "${camera}" gives no picture: ${input.status().detail}`);
    const program = this.parts.get("program")?.live;
    if (!program) throw new Error("the program is not running");
    const at = performance.timeOrigin + performance.now();
    program.setPad("switch", "active-pad", `sink_${index}`);
    this.programCamera = camera;
    this.options.emit({ type: "cut", camera, at });
    this.statusSoon();
    return { camera, at };
  }

  snapshot(source: string): SnapshotResult {
    const picture =
      source === "program" ? this.program : source === "display" ? this.display : this.links.get(source)?.picture;
    if (!picture) throw new Error(`no picture "${source}": program, display or a peer of the session`);
    const link = this.links.get(source);
    if (link && link.status.status !== "ok" && link.status.status !== "degraded")
      throw new Error(`no picture from ${source}: ${link.status.detail}`);
    if (!picture.jpeg || !picture.fresh(PICTURE_STALE_MS)) throw new Error(`no recent picture from ${source}`);
    return {
      source,
      at: picture.jpeg.at,
      width: picture.jpeg.width,
      height: picture.jpeg.height,
      jpegBase64: picture.jpeg.data.toString("base64"),
      meanRgb: picture.colour,
      cells: picture.cells,
    };
  }

  /** What an agent adopting this worker must take over: the camera on air and the segments being written. */
  handover(): { programCamera: string | null; segments: { recording: Recorded; file: string; at: number }[] } {
    const segments = [...this.segments].map(([recording, segment]) => ({ recording, ...segment }));
    return { programCamera: this.programCamera, segments };
  }

  /** Closes the recording cleanly and stops everything. */
  async stop(): Promise<void> {
    clearInterval(this.watchTimer);
    clearTimeout(this.statusTimer);
    await this.stopRecording();
    for (const part of this.parts.values()) part.stop();
    this.parts.clear();
  }

  /** A GStreamer log line about an element: a link's SRT caller refused or warning. */
  elementProblem(element: string, level: "error" | "warning", text: string): void {
    for (const watch of this.links.values()) {
      if (srtElement(watch.config.peer) !== element) continue;
      watch.warning = text;
      // Lines still in the log from a run that already failed would only push the retry further out.
      if (watch.part?.status().state === "failed") return;
      if (/authenticat|passphrase/i.test(text)) {
        // Calling again at once would only be refused again (SRT retries every 10 ms): wait, then ask again.
        watch.part?.fail(`the peer refused our passphrase (SRT: ${text.replace(/\. Trying to reconnect$/, "")})`);
      }
      this.statusSoon();
      return;
    }
    if (level === "error") this.options.log("warn", "GStreamer error", { element, text });
  }

  private part(name: string, launch: string, hooks: ConstructorParameters<typeof PipelinePart>[3] = {}): PipelinePart {
    return new PipelinePart(
      this.options.gst,
      name,
      launch,
      {
        ...hooks,
        changed: () => {
          hooks.changed?.();
          this.statusSoon();
        },
      },
      this.options.log,
    );
  }

  /** The session program of a relay host: its level elements choose the point shown large. */
  private sessionPart(config: MediaConfig, launch: string): PipelinePart {
    const points = [config.room, ...config.links.map((link) => link.peer)];
    const now = performance.now();
    const shown = this.activePoint?.current;
    // The point shown stays through a change of the session (a point joining); one that left gives way to the host.
    this.activePoint = new ActivePoint(shown && points.includes(shown) ? shown : config.room, now);
    this.sessionPoints = points;
    const part = this.part("display", launch, {
      taps: this.display.taps("display"),
      message: (message) => this.onLevel(part, message),
      changed: () => {
        if (part.status().state === "playing") this.showSpeaker(part);
      },
    });
    return part;
  }

  private onLevel(part: PipelinePart, message: GstBusMessage): void {
    if (message.name !== "level" || !this.activePoint) return;
    const index = this.sessionPoints.findIndex((_, i) => levelElement(i) === message._src_element_name);
    const db = loudestChannelDb(message.rms);
    if (index < 0 || db === null) return;
    if (this.activePoint.hear(this.sessionPoints[index]!, db, performance.now())) {
      this.showSpeaker(part);
      this.statusSoon();
    }
  }

  private showSpeaker(part: PipelinePart): void {
    const index = this.activePoint ? this.sessionPoints.indexOf(this.activePoint.current) : -1;
    if (index >= 0) part.live?.setPad(SPEAKER_SELECTOR, "active-pad", `sink_${index}`);
  }

  private linkPart(link: MediaConfig["links"][number], launch: string): PipelinePart {
    const watch = this.links.get(link.peer)!;
    return this.part(`link:${link.peer}`, launch, { taps: watch.picture.taps("link") });
  }

  private watchLink(link: MediaConfig["links"][number]): void {
    const existing = this.links.get(link.peer);
    if (existing) {
      existing.config = link;
      return;
    }
    this.links.set(link.peer, {
      part: undefined,
      picture: new Picture(link.peer, this.options.emit),
      config: link,
      status: {
        status: "connecting",
        detail: "starting",
        bitrateKbps: null,
        rttMs: null,
        lossPercent: null,
        frames: 0,
      },
      connected: false,
      upSince: 0,
      downSince: performance.now(),
      bytes: 0,
      packets: 0,
      lost: 0,
      lookedAt: 0,
      warning: null,
    });
  }

  private onProgramChange(): void {
    // A (re)started program starts on its first input: put the chosen camera back.
    const program = this.parts.get("program");
    if (program?.status().state !== "playing" || !this.config) return;
    const camera = this.programCamera ?? this.config.programCamera;
    const index = this.config.cameras.findIndex((c) => c.id === camera);
    if (index >= 0) program.live?.setPad("switch", "active-pad", `sink_${index}`);
    this.programCamera = index >= 0 ? camera : (this.config.cameras[0]?.id ?? null);
  }

  private async configureRecording(config: MediaConfig): Promise<void> {
    const wanted = config.recording;
    // A relay host records its session program too, with a sound track per point: a point joining starts new segments.
    const session =
      config.layout === "grid" && config.links.length > 0
        ? { port: this.options.ports.sessionRecording, points: sessionPoints(config).length }
        : null;
    const points = session ? sessionPoints(config).join(",") : "";
    const key = wanted ? `${wanted.folder}\n${wanted.segmentS}\n${points}` : "";
    if (this.parts.has("recording") && key === this.recordingKey) return;
    await this.stopRecording();
    this.recordingKey = key;
    if (!wanted) return;
    // Basic ISO 8601 (no colons), so the names are valid on every file system the recordings may be copied to.
    const start = new Date()
      .toISOString()
      .replace(/[-:]/g, "")
      .replace(/\.\d+Z$/, "Z");
    const launch = recordingLine(wanted.folder, start, wanted.segmentS, this.options.ports.recording, session);
    const part = this.part("recording", launch, { message: (message) => this.onRecordingMessage(part, message) });
    this.parts.set("recording", part);
    this.options.log("info", "recording", { launch });
    part.start();
  }

  /** Ends the recording; until its file is finalised the status still shows it, so "stopped" means "complete". */
  private stopRecording(): Promise<void> {
    const part = this.parts.get("recording");
    if (!part) return this.recordingClosing?.done ?? Promise.resolve();
    this.parts.delete("recording");
    const done = part.finish(5000).then(() => {
      for (const [recording, segment] of this.segments)
        this.segmentEvent(recording, "closed", segment.file, Date.now());
      this.recordingClosing = undefined;
      this.statusSoon();
    });
    this.recordingClosing = { part, done };
    return done;
  }

  private onRecordingMessage(part: PipelinePart, message: GstBusMessage): void {
    const name = String(message.name ?? "");
    if (!name.startsWith("splitmuxsink-fragment-")) return;
    const file = String(message.location);
    const recording: Recorded = message._src_element_name === "session-recorder" ? "session" : "program";
    // Running time 0 is when the pipeline started playing (a live source): wall time = start + running time.
    const at = part.startedAt + Number(message["running-time"]) / 1e6;
    if (name === "splitmuxsink-fragment-opened") {
      this.segments.set(recording, { file, at });
      this.segmentEvent(recording, "opened", file, at);
    } else if (name === "splitmuxsink-fragment-closed") {
      this.segmentEvent(recording, "closed", file, at);
    }
    this.statusSoon();
  }

  private segmentEvent(recording: Recorded, phase: "opened" | "closed", file: string, at: number): void {
    if (phase === "closed" && this.segments.get(recording)?.file === file) this.segments.delete(recording);
    this.options.emit({ type: "segment", recording, phase, file, at });
  }

  /** Once a second: the links' and the sender's statistics, and the status if anything moved. */
  private watch(): void {
    const now = performance.now();
    for (const watch of this.links.values()) this.watchOne(watch, now);
    const sender = this.parts.get("sender");
    if (sender && now - this.senderLookedAt >= STATISTICS_EVERY_MS) {
      this.senderLookedAt = now;
      this.senderCallers = parseListenerStatistics(String(sender.element("sender-srt")?.stats ?? "")).callers;
    }
    this.statusSoon();
  }

  private watchOne(watch: LinkWatch, now: number): void {
    const { config, part, picture } = watch;
    const target = `srt://${config.host}:${config.port}`;
    const set = (status: LinkStatus["status"], detail: string, numbers: Partial<LinkStatus> = {}) => {
      watch.status = {
        status,
        detail,
        bitrateKbps: null,
        rttMs: null,
        lossPercent: null,
        frames: picture.frames,
        ...numbers,
      };
    };
    if (!part) {
      set("offline", `the controller gave no SRT address for ${config.peer}`);
      return;
    }
    const partStatus = part.status();
    if (partStatus.state === "failed") {
      watch.connected = false;
      set("offline", partStatus.detail);
      return;
    }
    let numbers: Partial<LinkStatus> = {
      bitrateKbps: watch.status.bitrateKbps,
      rttMs: watch.status.rttMs,
      lossPercent: watch.status.lossPercent,
    };
    if (now - watch.lookedAt >= STATISTICS_EVERY_MS) {
      const statistics = parseCallerStatistics(String(part.element(srtElement(config.peer))?.stats ?? ""));
      const seconds = (now - watch.lookedAt) / 1000;
      const fresh = statistics.bytes < watch.bytes; // a new connection starts its counters again
      const bytes = fresh ? statistics.bytes : statistics.bytes - watch.bytes;
      const packets = fresh ? statistics.packets : statistics.packets - watch.packets;
      const lost = fresh ? statistics.packetsLost : statistics.packetsLost - watch.lost;
      numbers = statistics.connected
        ? {
            bitrateKbps: watch.lookedAt > 0 ? Math.round((bytes * 8) / seconds / 1000) : null,
            rttMs: statistics.rttMs,
            lossPercent: packets + lost > 0 ? Math.round((lost / (packets + lost)) * 1000) / 10 : 0,
          }
        : { bitrateKbps: null, rttMs: null, lossPercent: null };
      watch.bytes = statistics.bytes;
      watch.packets = statistics.packets;
      watch.lost = statistics.packetsLost;
      watch.lookedAt = now;
      if (statistics.connected !== watch.connected) {
        watch.connected = statistics.connected;
        if (!statistics.connected) watch.downSince = now;
        else {
          watch.upSince = now;
          part.resetBackoff();
        }
      }
    }
    // Frames prove the connection sooner than the statistics, which are read only every few seconds.
    if (picture.fresh(PICTURE_STALE_MS)) {
      if (!watch.connected) {
        watch.connected = true;
        watch.upSince = now;
      }
      const loss = numbers.lossPercent ?? 0;
      if (loss > 5) set("degraded", `receiving from ${target} with ${loss}% loss`, numbers);
      else set("ok", `receiving from ${target}`, numbers);
      watch.warning = null;
      return;
    }
    if (watch.connected) {
      // A new connection waits for its first key frame (up to a GOP): connecting, not yet a fault.
      if (now - watch.upSince < FIRST_PICTURE_MS)
        set("connecting", `connected to ${target}, waiting for a key frame`, numbers);
      else set("degraded", `connected to ${target}, but no picture decoded for ${PICTURE_STALE_MS / 1000} s`, numbers);
      return;
    }
    const waitedS = Math.round((now - watch.downSince) / 1000);
    const why = watch.warning ? ` (SRT: ${watch.warning})` : "";
    const detail = `no answer from ${target} for ${waitedS} s${why}: the peer's media is down or unreachable; calling again`;
    set(now - watch.downSince >= LINK_OFFLINE_AFTER_MS ? "offline" : "connecting", detail);
  }

  /** The status goes out once more, changed or not: for an agent that just connected. */
  statusAgain(): void {
    this.lastStatus = "";
    this.statusSoon();
  }

  private statusSoon(): void {
    if (this.statusTimer) return;
    this.statusTimer = setTimeout(() => {
      this.statusTimer = undefined;
      const status = this.status();
      const text = JSON.stringify(status);
      if (text === this.lastStatus) return;
      this.lastStatus = text;
      this.options.emit({ type: "status", status });
    }, 50);
  }

  status(): MediaStatus {
    const config = this.config;
    const recording = this.parts.get("recording") ?? this.recordingClosing?.part;
    const of = (name: string): PartStatus =>
      this.parts.get(name)?.status() ?? { state: "stopped", detail: "not running" };
    const cameras: MediaStatus["cameras"] = {};
    for (const camera of config?.cameras ?? []) {
      cameras[camera.id] =
        camera.uri === null
          ? { state: "stopped", detail: "no stream yet: the camera has not given its stream address" }
          : of(`camera:${camera.id}`);
    }
    const links: MediaStatus["links"] = {};
    for (const [peer, watch] of this.links) links[peer] = watch.status;
    const sender = this.parts.get("sender");
    return {
      program: { ...of("program"), camera: this.programCamera, frames: this.program.frames },
      cameras,
      audio: of("audio"),
      sender:
        sender && config?.sender
          ? {
              ...sender.status(),
              port: config.sender.port,
              callers: this.senderCallers,
            }
          : null,
      links,
      display: this.parts.has("display") ? of("display") : null,
      speaker: this.activePoint?.current ?? null,
      sends: Object.fromEntries(
        [...this.parts]
          .filter(([name]) => name.startsWith("send:"))
          .map(([name, part]) => [name.slice(5), part.status()]),
      ),
      recording: recording
        ? {
            ...recording.status(),
            segment: this.segments.get("program")?.file ?? null,
            sessionSegment: this.segments.get("session")?.file ?? null,
          }
        : null,
    };
  }
}
