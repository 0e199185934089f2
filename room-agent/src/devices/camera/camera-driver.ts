// An ONVIF PTZ camera under the device supervisor: connect (learning the camera's clock), pick the PTZ profile, probe
// with GetStatus, moves with a dead-man stop, presets by our names (vendor specials refused), and move-complete —
// reported by MoveStatus or, where the camera has none, inferred from the position settling.
//
// A head must never be left moving. PTZ commands go to the camera one at a time, in the order asked (a camera that
// handles requests concurrently applied a Stop before the ContinuousMove sent ahead of it); a Stop asked while a move
// was unanswered is sent again a moment later (the move may have been applied after its late reply, or after we gave
// up on it). A connection lost with a move armed gets a best-effort Stop, and the next connect stops the head when
// GetStatus says it moves or when it was moving when the connection went — some cameras ignore the move's Timeout.
import type { CameraDeviceEntry, CameraModelProfile, RoomProfile } from "@rc/hardware-profiles";
import type { CapabilityDescriptor } from "@rc/protocol";
import type { Logger } from "pino";
import { AgentError, BadConfigError, withTimeout } from "../../agent-error.ts";
import type { DeviceRoles, PresetFramer } from "../device-roles.ts";
import type { DeviceDriver, DeviceKindModule, DriverHooks, Reading } from "../driver-contract.ts";
import {
  CameraFault,
  CameraLoginRefused,
  type CameraPreset,
  OnvifClient,
  type PtzVector,
  STORABLE_PRESET_NAME,
} from "./onvif-client.ts";

/** A touch panel repeats ptz.move while the finger is down; a lost finger-up must not leave the head turning. */
export const DEAD_MAN_MS = 500;
/** How often a moving head is asked where it is, to tell when it arrived. */
const MOVE_POLL_MS = 150;
/** A move that never reports idle is called finished after this long (a camera stuck MOVING). */
const MOVE_GIVE_UP_MS = 20_000;
/** Without MoveStatus: the head has arrived when two polls in a row see it still (generic space units). */
const STILL_EPSILON = 0.002;
/** The second Stop after one asked while a move was unanswered: late enough to follow a move applied late. */
export const SECOND_STOP_MS = 250;
/** How long a Stop sent as the connection goes may take (it is best effort: the camera may be gone). */
const PARTING_STOP_MS = 1000;

export interface CameraRoomHooks {
  /** A move finished: an event for the panel and the director. */
  moveComplete: (position: PtzVector, what: string) => void;
  /** The camera's stream URI for the media worker (undefined when it has none). */
  streamChanged: (uri: string | undefined) => void;
}

/** What the driver is built with besides its entry and model; the room's hooks default to none. */
export interface CameraContext extends Partial<CameraRoomHooks> {
  room: RoomProfile;
  log: Logger;
}

interface Watch {
  what: string;
  since: number;
  timer: NodeJS.Timeout | undefined;
  last: PtzVector | undefined;
  waiters: { resolve: () => void; reject: (error: Error) => void }[];
}

export class CameraDriver implements DeviceDriver, PresetFramer {
  readonly kind = "camera";
  /** The director frames its seats' presets on it. */
  readonly roles: DeviceRoles = { framer: this };
  private readonly room: RoomProfile;
  private readonly log: Logger;
  private readonly hooks: CameraRoomHooks;
  private client: OnvifClient | undefined;
  private supervisor: DriverHooks | undefined;
  private position: PtzVector | undefined;
  private moving = false;
  /** Our presets by name → the camera's token (vendor specials and unnamed slots left out). */
  private presetTokens = new Map<string, string>();
  /** Tokens the camera holds at all, also unnamed slots (numeric cameras store into a free one). */
  private slots: CameraPreset[] = [];
  private deadMan: NodeJS.Timeout | undefined;
  private watch: Watch | undefined;
  /** PTZ commands in the order asked, one at a time: each waits for the answer to the one before. */
  private ptzChain: Promise<unknown> = Promise.resolve();
  /** A ContinuousMove waiting its turn: a newer ptz.move updates it, a stop or another command drops it. */
  private queuedMove: { velocity: PtzVector; dropped: boolean; done: Promise<void> } | undefined;
  /** ContinuousMoves sent and not answered yet. */
  private movesUnanswered = 0;
  /** A continuous move was sent and no Stop (nor another command that replaces it) has been answered since. */
  private moveArmed = false;
  /** Bumped by every move: a second Stop is not sent over a newer move. */
  private moveCount = 0;
  private secondStop: NodeJS.Timeout | undefined;
  /** The head was moving (or a move armed) when the connection went: the next connect stops it. */
  private movingWhenLost = false;
  counters = { deadManStops: 0, refusedPresets: 0, faults: 0, secondStops: 0, reconnectStops: 0, partingStops: 0 };

  constructor(
    private readonly entry: CameraDeviceEntry,
    private readonly profile: CameraModelProfile,
    context: CameraContext,
  ) {
    this.room = context.room;
    this.log = context.log;
    this.hooks = {
      moveComplete: context.moveComplete ?? (() => {}),
      streamChanged: context.streamChanged ?? (() => {}),
    };
  }

  get id(): string {
    return this.entry.id;
  }

  get model(): string {
    return this.profile.model;
  }

  capabilities(): CapabilityDescriptor[] {
    const device = this.entry.id;
    // Each axis alone is an absolute move in ONVIF's generic space (ptz.absolute takes any one of them).
    const axis = (name: "pan" | "tilt" | "zoom", min: number) => ({
      name,
      type: "number" as const,
      min,
      max: 1,
      readable: true,
      writable: true,
      set: { action: "ptz.absolute", params: { device }, value: name },
    });
    return [
      axis("pan", -1),
      axis("tilt", -1),
      axis("zoom", 0),
      { name: "moving", type: "boolean", readable: true, writable: false },
      // Goes to a preset by our name; the camera does not say which one it is at, so it is no reading.
      {
        name: "preset",
        type: "string",
        readable: false,
        writable: true,
        set: { action: "ptz.goto", params: { device }, value: "preset" },
      },
      // A JPEG of what this camera sees, in the answer: a request without a value, never a reading.
      {
        name: "snapshot",
        type: "action",
        readable: false,
        writable: true,
        set: { action: "camera.snapshot", params: { device } },
      },
    ];
  }

  async connect(supervisor: DriverHooks): Promise<void> {
    const { host, port, username, passwordEnv } = this.entry.connection;
    const password = passwordEnv === undefined ? undefined : process.env[passwordEnv];
    if (passwordEnv !== undefined && password === undefined) {
      throw new BadConfigError(`the camera password variable ${passwordEnv} is not set`);
    }
    let client: OnvifClient;
    try {
      client = await OnvifClient.connect({
        host,
        port,
        username,
        password,
        auth: this.profile.auth,
        timeoutMs: this.profile.replyTimeoutS * 1000,
      });
    } catch (error) {
      const message = (error as Error).message;
      // Retrying wrong credentials only locks the account on real cameras: stop and say so, after this one attempt.
      if (
        error instanceof CameraLoginRefused ||
        /NotAuthorized|authentication failed|not authorized|401/i.test(message)
      ) {
        throw new BadConfigError(`the camera refused the credentials: ${message}`);
      }
      throw error;
    }
    this.client = client;
    this.ptzChain = Promise.resolve();
    this.queuedMove = undefined;
    this.movesUnanswered = 0;
    this.supervisor = supervisor;
    this.log.info(
      {
        profile: this.client.profile,
        clockOffsetMs: this.client.clockOffsetMs,
        stream: this.client.streamUri,
        identity: this.client.identity,
      },
      "camera connected",
    );
    // First of all: a head that may have gone on moving since the connection went (a camera that ignores the
    // move's Timeout, an agent that died mid-move) is stopped.
    const status = await this.refreshStatus();
    if (status.moving === true || this.movingWhenLost) {
      this.log.warn(
        { moving: status.moving, movingWhenLost: this.movingWhenLost },
        "the head may still be moving from before: stopping it",
      );
      this.counters.reconnectStops++;
      await this.ptz((c) => c.stop());
      this.moveArmed = false;
      this.movingWhenLost = false;
      this.setMoving(false);
      await this.refreshStatus();
    }
    await this.readPresets();
    const missing = this.missingPresets();
    if (missing.length > 0) {
      this.log.warn({ missing }, "presets the room's seats or wide shot need are not stored on this camera");
    }
    this.hooks.streamChanged(client.streamUri);
  }

  async probe(): Promise<void> {
    // The package's own time-out is the long command one; a dead camera must be noticed sooner.
    await withTimeout(this.refreshStatus(), this.profile.probeTimeoutS * 1000, "GetStatus");
  }

  async disconnect(): Promise<void> {
    const client = this.client;
    const armed = this.moveArmed || this.deadMan !== undefined || this.queuedMove !== undefined;
    if (armed || this.moving) this.movingWhenLost = true;
    clearTimeout(this.deadMan);
    this.deadMan = undefined;
    clearTimeout(this.secondStop);
    this.secondStop = undefined;
    if (this.queuedMove) this.queuedMove.dropped = true;
    this.queuedMove = undefined;
    this.endWatch(new AgentError("device_unavailable", "the camera went away during the move"));
    this.client = undefined;
    this.supervisor = undefined;
    if (client && armed) {
      // Best effort, after whatever is in flight: the camera may be gone (then the next connect stops the head).
      this.counters.partingStops++;
      const parting = this.ptzChain.then(() => client.stop());
      this.ptzChain = parting.catch(() => {});
      await withTimeout(parting, PARTING_STOP_MS, "Stop").then(
        () => {
          this.moveArmed = false;
        },
        (error: Error) => this.log.info({ err: error.message }, "the Stop sent as the connection went failed"),
      );
    }
  }

  /** Presets live in the camera: nothing of the room's to put back after a power cut; they are read again at connect. */
  async reapply(): Promise<void> {}

  readings(): Record<string, Reading> {
    const round = (v: number | undefined) => (v === undefined ? null : Math.round(v * 1000) / 1000);
    return {
      pan: round(this.position?.pan),
      tilt: round(this.position?.tilt),
      zoom: round(this.position?.zoom),
      moving: this.moving,
      presets: [...this.presetTokens.keys()].sort(),
      missingPresets: this.missingPresets(),
      stream: this.client?.streamUri ?? null,
      clockOffsetMs: this.client?.clockOffsetMs ?? null,
    };
  }

  /** Continuous move at a velocity; the head stops by itself unless this is repeated within DEAD_MAN_MS. */
  async move(velocity: PtzVector): Promise<void> {
    this.connected();
    const scaled = {
      pan: velocity.pan * this.profile.maxPanTiltSpeed,
      tilt: velocity.tilt * this.profile.maxPanTiltSpeed,
      zoom: velocity.zoom * this.profile.maxZoomSpeed,
    };
    if (scaled.pan === 0 && scaled.tilt === 0 && scaled.zoom === 0) return this.stop();
    this.endWatch();
    this.moveCount++;
    clearTimeout(this.secondStop);
    this.secondStop = undefined;
    clearTimeout(this.deadMan);
    // Armed before the request goes out: a slow answer must not stretch the window.
    this.deadMan = setTimeout(() => {
      this.deadMan = undefined;
      this.counters.deadManStops++;
      this.log.info("no ptz.move refresh within the dead-man time: stopping the head");
      void this.stop().catch((error: Error) => this.log.warn({ err: error.message }, "dead-man stop failed"));
    }, DEAD_MAN_MS);
    this.setMoving(true);
    // A refresh while the previous one still waits its turn replaces it: the camera gets the newest velocity once.
    if (this.queuedMove) {
      this.queuedMove.velocity = scaled;
      return this.queuedMove.done;
    }
    const entry = { velocity: scaled, dropped: false, done: Promise.resolve() };
    this.queuedMove = entry;
    entry.done = this.ptz(async (client) => {
      if (this.queuedMove === entry) this.queuedMove = undefined;
      if (entry.dropped) return;
      this.moveArmed = true;
      this.movesUnanswered++;
      try {
        // The camera's own Timeout is the second line: it stops the head if this agent dies mid-move.
        await client.continuousMove(entry.velocity, DEAD_MAN_MS * 2);
      } finally {
        this.movesUnanswered--;
      }
    });
    return entry.done;
  }

  /** Stops the head, after every command asked before (the dead-man's, a finger-up, a lost connection's). */
  async stop(): Promise<void> {
    this.connected();
    this.supersedeMove();
    // A move still unanswered now may be applied after this Stop (a late reply, one we gave up on): a second follows.
    const unanswered = this.movesUnanswered > 0;
    const moveCount = this.moveCount;
    await this.ptz((client) => client.stop());
    this.moveArmed = false;
    if (unanswered && !this.secondStop) {
      this.secondStop = setTimeout(() => {
        this.secondStop = undefined;
        if (this.moveCount !== moveCount || !this.client) return;
        this.counters.secondStops++;
        void this.ptz((client) => client.stop()).catch((error: Error) =>
          this.log.warn({ err: error.message }, "second stop failed"),
        );
      }, SECOND_STOP_MS);
    }
    this.follow("stop");
  }

  async absolute(target: Partial<PtzVector>): Promise<void> {
    this.supersedeMove();
    await this.ptz((client) => client.absoluteMove(target));
    this.moveArmed = false;
    this.follow("absolute move");
  }

  async relative(translation: PtzVector): Promise<void> {
    this.supersedeMove();
    await this.ptz((client) => client.relativeMove(translation));
    this.moveArmed = false;
    this.follow("relative move");
  }

  async home(): Promise<void> {
    this.supersedeMove();
    await this.ptz((client) => client.home());
    this.moveArmed = false;
    this.follow("home");
  }

  /** Recalls a preset and resolves when the camera got there (the director's framing, before it cuts). */
  framePreset(preset: string): Promise<{ preset: string }> {
    return this.goto(preset, true);
  }

  /** Recalls a preset by our name; resolves at once (the move-complete event follows), or, with `arrive`, on arrival. */
  async goto(name: string, arrive = false): Promise<{ preset: string }> {
    this.connected();
    const token = this.presetTokens.get(name);
    if (token === undefined) throw new AgentError("not_found", `camera ${this.id} has no preset "${name}"`);
    this.refuseReserved(token);
    this.supersedeMove();
    await this.ptz((client) => client.gotoPreset(token));
    this.moveArmed = false;
    const arrived = this.follow(`preset ${name}`);
    if (arrive) await arrived;
    return { preset: name };
  }

  /** Stores the current position under a name: the same preset again if the name exists, else a new one. */
  async store(name: string): Promise<{ preset: string }> {
    this.connected();
    if (!STORABLE_PRESET_NAME.test(name)) {
      throw new AgentError(
        "invalid_params",
        `preset name "${name}": up to 32 of A-Z a-z 0-9 _ . - (what every camera takes; no spaces or accents)`,
      );
    }
    const existing = this.presetTokens.get(name);
    const token = existing ?? this.freeSlot();
    if (token !== undefined) this.refuseReserved(token);
    const made = await this.ptz((client) => client.setPreset(name, token));
    this.refuseReserved(made);
    this.presetTokens.set(name, made);
    this.supervisor?.changed();
    return { preset: name };
  }

  async remove(name: string): Promise<{ removed: string }> {
    const token = this.presetTokens.get(name);
    if (token === undefined) throw new AgentError("not_found", `camera ${this.id} has no preset "${name}"`);
    this.refuseReserved(token);
    await this.ptz((client) => client.removePreset(token));
    this.presetTokens.delete(name);
    this.supervisor?.changed();
    return { removed: name };
  }

  async presets(): Promise<{ presets: string[] }> {
    await this.readPresets();
    return { presets: [...this.presetTokens.keys()].sort() };
  }

  async snapshot(): Promise<{ contentType: string; base64: string; bytes: number }> {
    const jpeg = await this.guard(this.connected().snapshot());
    return { contentType: "image/jpeg", base64: jpeg.toString("base64"), bytes: jpeg.length };
  }

  /**
   * What the room's profile expects this camera to hold (its seats' presets and the wide shot) and it does not: the
   * installer must store them (`ptz.store`), or the director and the panel's seat buttons cannot use this camera.
   */
  private missingPresets(): string[] {
    const wanted = this.room.seats.flatMap((seat) =>
      seat.camera === this.id && seat.preset !== undefined ? [seat.preset] : [],
    );
    const wide = this.room.director?.wideShot;
    if (wide?.camera === this.id) wanted.push(wide.preset);
    return [...new Set(wanted)].filter((name) => !this.presetTokens.has(name)).sort();
  }

  /** The preset name a seat of this room uses (the same name on whichever camera is asked). */
  presetOfSeat(seatId: string): string {
    const seat = this.room.seats.find((s) => s.id === seatId);
    if (!seat) throw new AgentError("not_found", `no seat "${seatId}" in room ${this.room.id}`);
    if (seat.preset === undefined) throw new AgentError("not_found", `seat "${seatId}" has no camera preset`);
    return seat.preset;
  }

  /** A command that replaces a continuous move (a stop, a preset, an absolute move): the dead-man and a queued move go. */
  private supersedeMove(): void {
    clearTimeout(this.deadMan);
    this.deadMan = undefined;
    if (this.queuedMove) this.queuedMove.dropped = true;
    this.queuedMove = undefined;
  }

  /** Runs a PTZ command after every one asked before it has been answered (or failed): one in flight per camera. */
  private ptz<T>(run: (client: OnvifClient) => Promise<T>): Promise<T> {
    this.connected();
    const next = this.ptzChain.then(() => {
      // The connection may have gone while this waited its turn: nothing is sent to a camera we let go of.
      const client = this.client;
      if (!client) throw new AgentError("device_unavailable", `camera ${this.id} is not connected`);
      return run(client);
    });
    this.ptzChain = next.catch(() => {});
    return this.guard(next);
  }

  private connected(): OnvifClient {
    if (!this.client) throw new AgentError("device_unavailable", `camera ${this.id} is not connected`);
    return this.client;
  }

  /** Counts camera faults; a lost connection hands the camera back to the supervisor at once. */
  private async guard<T>(promise: Promise<T>): Promise<T> {
    try {
      return await promise;
    } catch (error) {
      if (error instanceof CameraFault) {
        this.counters.faults++;
        throw error;
      }
      if (error instanceof AgentError) throw error;
      const message = (error as Error).message;
      if (/ECONNREFUSED|ECONNRESET|socket hang up|EHOSTUNREACH|timeout/i.test(message)) {
        this.supervisor?.lost(`camera unreachable: ${message}`);
        throw new AgentError("device_unavailable", `camera ${this.id} unreachable: ${message}`);
      }
      throw new AgentError("device_error", `camera ${this.id}: ${message}`);
    }
  }

  private refuseReserved(token: string): void {
    if (this.profile.presetTokens !== "numeric") return;
    const slot = Number(token);
    if (this.profile.reservedPresets.some(([from, to]) => slot >= from && slot <= to)) {
      this.counters.refusedPresets++;
      throw new AgentError("conflict", `preset slot ${token} is a ${this.profile.vendor} special function; refused`);
    }
  }

  private isReserved(token: string): boolean {
    const slot = Number(token);
    return (
      this.profile.presetTokens === "numeric" &&
      this.profile.reservedPresets.some(([from, to]) => slot >= from && slot <= to)
    );
  }

  /** Numeric cameras (Hikvision) have fixed slots: store into the lowest unnamed, ordinary one. Others make a token. */
  private freeSlot(): string | undefined {
    if (this.profile.presetTokens !== "numeric") return undefined;
    const free = this.slots
      .filter((p) => p.name === "" && !this.isReserved(p.token))
      .map((p) => Number(p.token))
      .filter(Number.isInteger)
      .sort((a, b) => a - b)[0];
    if (free === undefined) throw new AgentError("conflict", `camera ${this.id} has no free preset slot`);
    return String(free);
  }

  private async readPresets(): Promise<void> {
    const all = await this.guard(this.connected().presets());
    this.slots = all;
    const named = new Map<string, string>();
    for (const preset of all) {
      if (preset.name === "" || this.isReserved(preset.token)) continue;
      if (named.has(preset.name)) {
        this.log.warn({ name: preset.name, token: preset.token }, "two presets share a name; the first is used");
        continue;
      }
      named.set(preset.name, preset.token);
    }
    this.presetTokens = named;
  }

  private async refreshStatus(): Promise<{ position: PtzVector; moving: boolean | undefined }> {
    const status = await this.guard(this.connected().status());
    const changed = JSON.stringify(status.position) !== JSON.stringify(this.position);
    this.position = status.position;
    if (changed) this.supervisor?.changed();
    return status;
  }

  private setMoving(moving: boolean): void {
    if (this.moving === moving) return;
    this.moving = moving;
    this.supervisor?.changed();
  }

  /** Polls the head after a command until it is idle; the returned promise resolves on arrival. */
  private follow(what: string): Promise<void> {
    this.endWatch(new AgentError("conflict", `the move was replaced by ${what}`));
    const watch: Watch = { what, since: Date.now(), timer: undefined, last: undefined, waiters: [] };
    this.watch = watch;
    this.setMoving(true);
    const arrived = new Promise<void>((resolve, reject) => watch.waiters.push({ resolve, reject }));
    arrived.catch(() => {}); // callers that do not wait must not see an unhandled rejection
    const poll = async () => {
      if (this.watch !== watch) return;
      try {
        const { position, moving } = await this.refreshStatus();
        if (this.watch !== watch) return;
        // Without MoveStatus the head has arrived when it stood still between two polls.
        const still =
          watch.last !== undefined &&
          Math.abs(position.pan - watch.last.pan) < STILL_EPSILON &&
          Math.abs(position.tilt - watch.last.tilt) < STILL_EPSILON &&
          Math.abs(position.zoom - watch.last.zoom) < STILL_EPSILON;
        watch.last = position;
        const idle = moving === undefined ? still : !moving;
        if (idle || Date.now() - watch.since > MOVE_GIVE_UP_MS) {
          this.endWatch();
          this.hooks.moveComplete(position, what);
          return;
        }
      } catch (error) {
        this.endWatch(error as Error);
        return;
      }
      watch.timer = setTimeout(() => void poll(), MOVE_POLL_MS);
    };
    watch.timer = setTimeout(() => void poll(), MOVE_POLL_MS);
    return arrived;
  }

  /** Ends the current watch: its waiters resolve (arrived) or reject (with the error). */
  private endWatch(error?: Error): void {
    const watch = this.watch;
    if (!watch) return;
    this.watch = undefined;
    clearTimeout(watch.timer);
    this.setMoving(false);
    for (const waiter of watch.waiters) {
      if (error) waiter.reject(error);
      else waiter.resolve();
    }
  }
}

export const cameraKind: DeviceKindModule<CameraDeviceEntry, CameraDriver> = {
  kind: "camera",
  create: (entry, model, context) =>
    new CameraDriver(entry, model, {
      room: context.room,
      log: context.log,
      moveComplete: (position, what) =>
        context.emitEvent({
          type: "move_complete",
          reason: `${entry.name ?? entry.id}: ${what} finished`,
          data: { pan: position.pan, tilt: position.tilt, zoom: position.zoom, what },
        }),
      streamChanged: (uri) => {
        const { [entry.id]: _old, ...others } = context.facts.get().cameraStreams;
        context.facts.set({ cameraStreams: uri === undefined ? others : { ...others, [entry.id]: uri } });
      },
    }),
  actions: {
    "ptz.move": (driver, params) => driver.move(params),
    "ptz.stop": (driver) => driver.stop(),
    "ptz.relative": (driver, params) => driver.relative(params),
    "ptz.absolute": (driver, params) => driver.absolute(params),
    "ptz.home": (driver) => driver.home(),
    "ptz.goto": (driver, params) => driver.goto(params.preset ?? driver.presetOfSeat(params.seat ?? "")),
    "ptz.store": (driver, params) => driver.store(params.preset ?? driver.presetOfSeat(params.seat ?? "")),
    "ptz.remove": (driver, params) => driver.remove(params.preset),
    "ptz.presets": (driver) => driver.presets(),
    "camera.snapshot": (driver) => driver.snapshot(),
  },
};
