// The media device on the supervisor's life cycle: connect = start the worker (GStreamer in its own process), probe =
// it answers, lost = it crashed or hung (the supervisor starts a new one, and the recording goes on in a new
// segment), reapply = send it the room's media config. The driver turns room facts (cameras' streams, the session
// with its peers and passphrase, recording, the program camera) into that config, owns the program-camera fact
// (it is the switcher), writes the segments' sidecars, and stops recording before the disk fills.
import { mkdirSync, rmSync, statSync } from "node:fs";
import { statfs } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";
import type { MediaDeviceEntry, RoomProfile } from "@rc/hardware-profiles";
import type { CapabilityDescriptor } from "@rc/protocol";
import type { Logger } from "pino";
import { AgentError, BadConfigError } from "../../agent-error.ts";
import { audioLine, cameraLine, sessionPoints } from "../../media-worker/launch-lines.ts";
import { workerSocketPath } from "../../media-worker/worker-channel.ts";
import type { FromWorker, MediaConfig, MediaStatus, SnapshotResult } from "../../media-worker/worker-messages.ts";
import type { RoomFacts } from "../../room-facts.ts";
import type { DeviceRoles, ProgramSwitcher } from "../device-roles.ts";
import type { DeviceDriver, DeviceKindModule, DriverContext, DriverHooks, Reading } from "../driver-contract.ts";
import { folderName, SegmentLog, type SegmentTrack, sidecarPath } from "./recording-segments.ts";
import { MediaWorkerProcess, SpareWorker, type WorkerReady } from "./worker-process.ts";

/** How long the worker may take to load GStreamer and say it is ready, at its first try. */
const START_TIMEOUT_MS = 8000;
/** The most a start may take once earlier ones ran out of time. */
const START_TIMEOUT_MAX_MS = 64_000;

/**
 * The time a worker start gets after `failures` starts that failed in a row: doubling from 8 s. On a loaded machine
 * a start may need longer than the first allowance; killing it at the same limit every time would never let it
 * finish (seen with six rooms' workers starting at once on two cores: they never came up).
 */
export function startAllowanceMs(failures: number): number {
  return Math.min(START_TIMEOUT_MAX_MS, START_TIMEOUT_MS * 2 ** failures);
}
/** A spare worker is started this long after a worker came up, not while that one's pipelines start (CPU). */
const SPARE_AFTER_MS = 5000;
/** How long an adopted worker is left untouched while the room's desired state is still unknown. */
const ADOPTED_HOLD_MS = 30_000;
/** Free space is looked at this often while recording. */
const DISK_EVERY_MS = 5000;
/** Recordings and their folders: the hearing's sound and pictures are for the agent's user only. */
const OWNER_ONLY_FOLDER = 0o700;
/** A recording stopped for a full disk resumes with at most this much to spare above the minimum. */
const RESUME_MARGIN_MAX_MB = 256;

/**
 * The free space (MB) at which a recording stopped for a full disk resumes: some room to spare above the minimum, so
 * that it does not flap around it, but no more than 5 % of the disk (of the minimum while the disk's size is
 * unknown) nor half of what the minimum leaves of it, so that a small disk can get there.
 */
export function resumeFreeMb(minimumMb: number, diskMb: number | null): number {
  let margin = Math.min(RESUME_MARGIN_MAX_MB, 0.05 * (diskMb ?? minimumMb));
  if (diskMb !== null) margin = Math.min(margin, (diskMb - minimumMb) / 2);
  return minimumMb + Math.max(1, Math.floor(margin));
}

/** Numbers alone (bitrates, round trips, bytes) change the reported state at most this often. */
const NUMBERS_EVERY_MS = 10_000;
/** A program that keeps failing this long makes the probe fail: the supervisor then starts a new worker. */
const PROGRAM_FAILING_MS = 10_000;

export class MediaDriver implements DeviceDriver, ProgramSwitcher {
  readonly kind = "media";
  readonly model = "gstreamer";
  /** Its program is the room's outgoing picture: the director cuts here. */
  readonly roles: DeviceRoles = { switcher: this };
  private worker: MediaWorkerProcess | undefined;
  /** The worker that takes over when this one dies (SpareWorker); kept across connections, ended by shutdown. */
  private spare: SpareWorker | undefined;
  private spareTimer: NodeJS.Timeout | undefined;
  private status: MediaStatus | null = null;
  private diskTimer: NodeJS.Timeout | undefined;
  private configureTimer: NodeJS.Timeout | undefined;
  /** Why recording is held off although wanted (too little free space), or null. */
  private diskBlocked: string | null = null;
  private freeMb: number | null = null;
  private segmentBytes: number | null = null;
  private stopping = false;
  /** Worker starts that failed in a row: each next one gets longer (startAllowanceMs). */
  private startFailures = 0;
  private programFailingSince: number | null = null;
  /** Until when an adopted worker is left as it is while the room's desired state is unknown (ms, wall clock). */
  private holdUntil = 0;
  private shape = "";
  private numbersAt = 0;
  /** The sidecars of the room's own program's segments, and of a relay host's session program's. */
  private readonly segments: SegmentLog;
  private readonly sessionSegments: SegmentLog;
  private readonly pictureListeners = new Set<(message: Extract<FromWorker, { type: "picture" }>) => void>();
  private readonly facts: RoomFacts;
  private readonly room: RoomProfile;
  private readonly log: Logger;
  private readonly onFacts = () => this.configureSoon();

  constructor(
    private readonly entry: MediaDeviceEntry,
    _model: undefined,
    private readonly context: Pick<DriverContext, "room" | "facts" | "log" | "emitEvent" | "dataDir">,
  ) {
    this.facts = context.facts;
    this.room = context.room;
    this.log = context.log;
    const session = () => this.facts.get().session?.id ?? "no-session";
    this.segments = new SegmentLog(() => ({
      session: session(),
      room: this.room.id,
      camera: this.status?.program.camera ?? null,
      tracks: [
        { type: "video", content: "program" },
        { type: "audio", content: "point", room: this.room.id },
      ],
    }));
    // The session program's tracks as the worker records them: the picture, the mix, then each point's sound.
    this.sessionSegments = new SegmentLog(() => ({
      session: session(),
      room: this.room.id,
      camera: null,
      tracks: [
        { type: "video", content: "session-program" },
        { type: "audio", content: "mix" },
        ...sessionPoints(this.config()).map((room): SegmentTrack => ({ type: "audio", content: "point", room })),
      ],
    }));
  }

  get id(): string {
    return this.entry.id;
  }

  /** The program's inputs: the room's cameras, then pictures the profile adds (a document camera, a PC). */
  get cameras(): string[] {
    const devices = this.room.devices.filter((device) => device.kind === "camera" && device.enabled).map((d) => d.id);
    return [...devices, ...Object.keys(this.entry.inputs).filter((id) => !devices.includes(id))];
  }

  capabilities(): CapabilityDescriptor[] {
    const device = this.entry.id;
    // Named as their readings are (program.camera, recording.on), so a panel finds a control's value by its name.
    return [
      {
        name: "program.camera",
        type: "enum",
        values: this.cameras,
        readable: true,
        writable: true,
        set: { action: "media.cut", params: { device }, value: "camera" },
      },
      {
        name: "recording.on",
        type: "boolean",
        readable: true,
        writable: true,
        set: { action: "media.record", params: { device }, value: "on" },
      },
      // A JPEG of the chosen picture, in the answer (a peer room's id is taken too), never a reading: as a camera's.
      {
        name: "snapshot",
        type: "enum",
        values: ["program", "display"],
        readable: false,
        writable: true,
        set: { action: "media.snapshot", params: { device }, value: "source" },
      },
    ];
  }

  async connect(link: DriverHooks): Promise<void> {
    this.checkProfile();
    let socket: string;
    try {
      socket = workerSocketPath(this.context.dataDir);
    } catch (error) {
      throw new BadConfigError(`media: ${(error as Error).message}`);
    }
    const worker = new MediaWorkerProcess(socket, this.log.child({ part: "media-worker" }));
    worker.on("message", (message) => this.onWorker(message, link));
    worker.on("exit", (reason) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.interruptSegment();
      link.lost(`the media worker ${reason}`);
    });
    this.stopping = false;
    let ready: WorkerReady;
    try {
      ready = await worker.start(startAllowanceMs(this.startFailures), this.spare);
    } catch (error) {
      this.startFailures++;
      throw error;
    }
    this.startFailures = 0;
    this.worker = worker;
    // An adopted worker kept the program on its camera: the room's fact follows, so the first config does not cut.
    if (ready.adopted && ready.programCamera) this.facts.set({ programCamera: ready.programCamera });
    this.holdUntil = ready.adopted ? Date.now() + ADOPTED_HOLD_MS : 0;
    this.facts.on("change", this.onFacts);
    this.diskTimer = setInterval(() => void this.watchDisk(), DISK_EVERY_MS);
    this.spareTimer = setTimeout(() => {
      if (this.worker === worker && !this.spare?.alive)
        this.spare = new SpareWorker(socket, this.log.child({ part: "media-worker" }));
    }, SPARE_AFTER_MS);
    if (ready.adopted)
      this.log.warn({ pid: worker.pid }, "media worker adopted: its pipelines and recording went on without an agent");
    else this.log.info({ pid: worker.pid }, "media worker started");
  }

  async probe(): Promise<void> {
    const worker = this.worker;
    if (!worker) throw new Error("the media worker is not running");
    await worker.request({ type: "ping" }, 1000);
    if (this.programFailingSince !== null && Date.now() - this.programFailingSince > PROGRAM_FAILING_MS)
      throw new Error(`the program pipeline keeps failing: ${this.status?.program.detail}`);
  }

  async disconnect(): Promise<void> {
    clearInterval(this.diskTimer);
    clearTimeout(this.spareTimer);
    clearTimeout(this.configureTimer);
    this.facts.off("change", this.onFacts);
    const worker = this.worker;
    this.worker = undefined;
    this.stopping = true;
    // The worker closes the recording (its last segment-closed message arrives before the stop's answer).
    await worker?.stop();
    this.interruptSegment();
    this.status = null;
    this.programFailingSince = null;
  }

  async shutdown(): Promise<void> {
    clearTimeout(this.spareTimer);
    this.spare?.kill();
    this.spare = undefined;
  }

  async reapply(): Promise<void> {
    await this.watchDisk();
    this.configure();
  }

  readings(): Record<string, Reading> {
    const status = this.status;
    const readings: Record<string, Reading> = {
      "program.camera": status?.program.camera ?? null,
      "program.status": status?.program.state ?? null,
      "program.detail": status?.program.detail ?? null,
      "audio.status": status ? `${status.audio.state}: ${status.audio.detail}` : null,
      "session.speaker": status?.speaker ?? null,
      "srt.port": status?.sender?.port ?? null,
      "srt.callers": status?.sender?.callers ?? null,
      "recording.on": status?.recording?.state === "playing",
      "recording.segment": status?.recording?.segment ?? null,
      "recording.sessionSegment": status?.recording?.sessionSegment ?? null,
      "recording.bytes": this.segmentBytes,
      "recording.freeMb": this.freeMb,
      // True while the disk guard holds the recording off (the controller raises an alarm on it).
      "recording.diskGuard": this.diskBlocked !== null,
      "recording.detail": this.diskBlocked ?? (status?.recording ? status.recording.detail : "off"),
    };
    for (const [id, camera] of Object.entries(status?.cameras ?? {})) {
      readings[`camera.${id}`] = camera.state === "playing" ? "ok" : `${camera.state}: ${camera.detail}`;
    }
    for (const [peer, send] of Object.entries(status?.sends ?? {})) {
      readings[`send.${peer}.status`] = send.state;
      readings[`send.${peer}.detail`] = send.detail;
    }
    for (const [peer, link] of Object.entries(status?.links ?? {})) {
      readings[`link.${peer}.status`] = link.status;
      readings[`link.${peer}.detail`] = link.detail;
      readings[`link.${peer}.bitrateKbps`] = link.bitrateKbps;
      readings[`link.${peer}.rttMs`] = link.rttMs;
      readings[`link.${peer}.lossPercent`] = link.lossPercent;
    }
    return readings;
  }

  /** Cuts the program to a camera of the room (the operator's media.cut, or the director). */
  async cut(camera: string): Promise<{ camera: string }> {
    if (!this.cameras.includes(camera))
      throw new AgentError("not_found", `no camera "${camera}" in the program (${this.cameras.join(", ")})`);
    const worker = this.running();
    try {
      await worker.request<{ camera: string; at: number }>({ type: "cut", camera });
    } catch (error) {
      throw new AgentError("conflict", (error as Error).message);
    }
    return { camera };
  }

  /** The operator's recording switch: the room's recording fact, then the worker's answer (or the reason it cannot). */
  async record(on: boolean): Promise<{ recording: boolean; segment: string | null }> {
    this.running();
    this.facts.set({ recording: on });
    await this.watchDisk();
    this.configure();
    const deadline = Date.now() + 5000;
    for (;;) {
      if (on && this.diskBlocked) throw new AgentError("conflict", this.diskBlocked);
      const state = this.status?.recording?.state;
      if (on ? state === "playing" : state === undefined) return { recording: on, segment: this.segments.current };
      if (Date.now() > deadline)
        throw new AgentError(
          "timeout",
          `recording did not ${on ? "start" : "stop"}: ${this.status?.recording?.detail}`,
        );
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async snapshot(source: string): Promise<SnapshotResult> {
    try {
      return await this.running().request<SnapshotResult>({ type: "snapshot", source });
    } catch (error) {
      throw new AgentError("conflict", (error as Error).message);
    }
  }

  /** Every clear change of a picture's colour (program, display or a peer's), as the worker saw it: for benchmarks. */
  onPicture(listener: (message: Extract<FromWorker, { type: "picture" }>) => void): () => void {
    this.pictureListeners.add(listener);
    return () => this.pictureListeners.delete(listener);
  }

  /** The worker's process id, for tests that kill it. */
  get workerPid(): number | undefined {
    return this.worker?.pid;
  }

  private running(): MediaWorkerProcess {
    if (!this.worker) throw new AgentError("device_unavailable", `${this.id}: the media worker is not running`);
    return this.worker;
  }

  /** Mistakes in the profile's media lines are bad config, not something a retry fixes. */
  private checkProfile(): void {
    const config = this.config();
    try {
      for (const camera of config.cameras) if (camera.uri) cameraLine(config, camera.id, camera.uri);
      audioLine(config.audio.input);
    } catch (error) {
      throw new BadConfigError(`media: ${(error as Error).message}`);
    }
  }

  private recordingsFolder(): string {
    const dir = this.entry.recordings.dir;
    return isAbsolute(dir) ? dir : resolve(dir);
  }

  /** The room's media as the worker should run it now. */
  private config(): MediaConfig {
    const facts = this.facts.get();
    const session = facts.desired?.session ?? null;
    const { srt, recordings } = this.entry;
    const cameras = this.cameras.map((id) => ({
      id,
      uri: this.entry.inputs[id] ?? facts.cameraStreams[id] ?? null,
      ...this.cameraLogin(id),
    }));
    const wide = this.room.director?.wideShot.camera;
    const programCamera = [facts.programCamera, wide, cameras[0]?.id].find(
      (id): id is string => typeof id === "string" && this.cameras.includes(id),
    );
    const recording = facts.recording && !this.diskBlocked;
    return {
      room: this.room.id,
      video: this.entry.video,
      audio: this.entry.audio,
      cameras,
      programCamera: programCamera ?? null,
      sender: session
        ? { bind: srt.bind, port: srt.port, latencyMs: srt.latencyMs, passphrase: session.passphrase }
        : null,
      links: (session?.peers ?? []).map((peer) => ({
        peer: peer.room,
        host: peer.srt?.host ?? null,
        port: peer.srt?.port ?? null,
        // A guest point (not our agent: a hardware codec, the central government's office) has its own passphrase.
        passphrase: peer.guest?.passphrase ?? session!.passphrase,
        latencyMs: srt.latencyMs,
        soundTrack: peer.soundTrack ?? null,
        send: peer.guest?.program ?? null,
      })),
      layout: session?.role === "central" ? "grid" : "single",
      display: this.entry.display,
      recording: recording
        ? {
            folder: join(this.recordingsFolder(), folderName(session?.id ?? "no-session"), this.room.id),
            segmentS: recordings.segmentS,
          }
        : null,
      snapshot: this.entry.snapshot,
    };
  }

  /**
   * The login a camera's RTSP stream asks for: the camera's own (its device line's username and password variable),
   * as real cameras want it on RTSP too. It goes to the worker for rtspsrc and is never logged nor reported.
   */
  private cameraLogin(id: string): { login?: { user: string; password: string } } {
    const entry = this.room.devices.find((device) => device.id === id);
    if (entry?.kind !== "camera" || entry.connection.username === undefined) return {};
    const { username, passwordEnv } = entry.connection;
    return { login: { user: username, password: (passwordEnv && process.env[passwordEnv]) || "" } };
  }

  private configureSoon(): void {
    clearTimeout(this.configureTimer);
    // Free space is looked at before recording starts, not only every few seconds after.
    this.configureTimer = setTimeout(() => void this.watchDisk().then(() => this.configure()), 20);
  }

  private configure(): void {
    const worker = this.worker;
    if (!worker) return;
    if (this.holdUntil > Date.now() && !this.facts.get().desired) {
      // Adopted before this agent knew the room's desired state (its data folder lost, the controller not heard
      // yet): the worker goes on as the last agent wanted, rather than stop a recording for want of knowing.
      clearTimeout(this.configureTimer);
      this.configureTimer = setTimeout(() => this.configure(), this.holdUntil - Date.now());
      return;
    }
    const config = this.config();
    if (config.recording) {
      try {
        mkdirSync(config.recording.folder, { recursive: true, mode: OWNER_ONLY_FOLDER });
      } catch (error) {
        this.diskBlocked = `cannot make the recordings folder: ${(error as Error).message}`;
        config.recording = null;
      }
    }
    worker.send({ type: "configure", config });
  }

  private onWorker(message: FromWorker, link: DriverHooks): void {
    switch (message.type) {
      case "status":
        this.onStatus(message.status, link);
        return;
      case "cut":
        this.facts.set({ programCamera: message.camera });
        this.segments.cut(message.camera, message.at);
        return;
      case "segment": {
        const log = message.recording === "session" ? this.sessionSegments : this.segments;
        if (message.phase === "opened") log.opened(message.file, message.at);
        else this.segmentClosed(log, message.file, message.at);
        link.changed();
        return;
      }
      case "picture":
        for (const listener of this.pictureListeners) listener(message);
        return;
      default:
    }
  }

  private onStatus(status: MediaStatus, link: DriverHooks): void {
    const before = this.status;
    this.status = status;
    if (status.program.state === "failed") this.programFailingSince ??= Date.now();
    else this.programFailingSince = null;
    for (const [peer, now] of Object.entries(status.links)) {
      const was = before?.links[peer]?.status;
      if (was !== now.status && (now.status === "offline" || now.status === "degraded")) {
        this.context.emitEvent({ type: "device_error", reason: `link to ${peer}: ${now.detail}`, data: { peer } });
      }
    }
    // Statuses and details go out at once; numbers alone (bitrate, round trip) at most every 10 s.
    const shape = JSON.stringify(status, (key, value) =>
      ["bitrateKbps", "rttMs", "lossPercent", "frames", "callers"].includes(key) ? undefined : value,
    );
    if (shape !== this.shape || Date.now() - this.numbersAt > NUMBERS_EVERY_MS) {
      this.shape = shape;
      this.numbersAt = Date.now();
      link.changed();
    }
  }

  private segmentClosed(log: SegmentLog, file: string, at: number): void {
    const how = this.stopping || !this.config().recording ? "stop" : "split";
    const sidecar = log.closed(file, at, how);
    if (!sidecar) return;
    this.context.emitEvent({
      type: "recording_segment_closed",
      reason: `segment ${sidecar.file} closed (${how})`,
      data: { ...sidecar, bytes: fileSize(file), sidecar: sidecarPath(file) },
    });
  }

  private interruptSegment(): void {
    for (const log of [this.segments, this.sessionSegments]) this.interruptOne(log);
  }

  private interruptOne(log: SegmentLog): void {
    const closed = log.interrupt(Date.now());
    if (!closed) return;
    if (fileSize(closed.path) === 0) {
      // The muxer holds its first pictures back until the sound lines up: a worker killed that early leaves an empty
      // file, which holds nothing of the hearing. It goes, with its sidecar, rather than stay as a file no player opens.
      rmSync(closed.path, { force: true });
      rmSync(sidecarPath(closed.path), { force: true });
      this.log.warn({ segment: closed.path }, "empty segment of an interrupted recording removed");
      this.context.emitEvent({
        type: "recording_segment_closed",
        reason: `segment ${closed.sidecar.file} interrupted before anything was written: removed`,
        data: { ...closed.sidecar, bytes: 0, removed: true },
      });
      return;
    }
    this.context.emitEvent({
      type: "recording_segment_closed",
      reason: `segment ${closed.sidecar.file} interrupted: the media worker stopped`,
      data: { ...closed.sidecar, bytes: fileSize(closed.path), sidecar: sidecarPath(closed.path) },
    });
  }

  /** Free space of the recordings' disk: below the profile's minimum, recording stops with an alarm. */
  private async watchDisk(): Promise<void> {
    const current = this.status?.recording?.segment;
    this.segmentBytes = current ? fileSize(current) : null;
    if (!this.facts.get().recording && !this.diskBlocked) return;
    let freeMb: number;
    let diskMb: number;
    try {
      const folder = this.recordingsFolder();
      mkdirSync(folder, { recursive: true, mode: OWNER_ONLY_FOLDER });
      const stats = await statfs(folder);
      freeMb = Math.floor((stats.bavail * stats.bsize) / 1024 / 1024);
      diskMb = Math.floor((stats.blocks * stats.bsize) / 1024 / 1024);
    } catch (error) {
      this.log.warn({ err: (error as Error).message }, "free space of the recordings folder unknown");
      return;
    }
    this.freeMb = freeMb;
    const minimum = this.entry.recordings.minFreeMb;
    const resume = resumeFreeMb(minimum, diskMb);
    if (!this.diskBlocked && freeMb < minimum) {
      this.diskBlocked = `recording stopped: ${freeMb} MB free on the recordings disk, under the ${minimum} MB minimum`;
      this.log.error({ freeMb, minimum }, "recording stopped: disk almost full");
      this.context.emitEvent({ type: "device_error", reason: this.diskBlocked, data: { freeMb, minimumMb: minimum } });
      this.configure();
    } else if (this.diskBlocked && freeMb >= resume) {
      this.log.info({ freeMb }, "free space back: recording resumes");
      this.diskBlocked = null;
      this.configure();
    }
  }
}

function fileSize(path: string): number | null {
  try {
    return statSync(path).size;
  } catch {
    return null;
  }
}

export const mediaKind: DeviceKindModule<MediaDeviceEntry, MediaDriver> = {
  kind: "media",
  create: (entry, model, context) => new MediaDriver(entry, model, context),
  actions: {
    "media.cut": (driver, params) => driver.cut(params.camera),
    "media.record": (driver, params) => driver.record(params.on),
    "media.snapshot": (driver, params) => driver.snapshot(params.source),
  },
};
