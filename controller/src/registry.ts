// Every registered room, what the controller wants of it, and the last thing its agent said on each retained topic.
// Availability carries the agent's boot id: `online` comes only from a live agent, so it is always believed (also
// from a replaced PC whose boot counter started again at 1); `offline` is believed only from the boot we know, so a
// late will of an older connection is recognised and ignored (DESIGN §3.1).
import { EventEmitter } from "node:events";
import type {
  AvailabilityPayload,
  DesiredView,
  HealthPayload,
  InfoPayload,
  RoomChange,
  RoomView,
  StatePayload,
  TelemetryPayload,
} from "@rc/protocol";
import type { Logger } from "pino";
import type { RoomRecord } from "./store.ts";

const AGENT_GONE = "the room's agent is not connected";

/** A device's health while its room's agent is gone: offline, naming what the agent last reported. */
function agentGone(health: HealthPayload, since: string): HealthPayload {
  if (health.status === "offline" && health.detail.startsWith(AGENT_GONE)) return health;
  const last = health.detail ? `${health.status}, ${health.detail}` : health.status;
  return { ...health, status: "offline", since, rttMs: null, detail: `${AGENT_GONE} (last reported: ${last})` };
}

export class RoomRegistry extends EventEmitter<{ change: [RoomChange, RoomView] }> {
  private readonly rooms = new Map<string, RoomView>();
  private readonly warnedUnregistered = new Set<string>();
  /** Each room's last telemetry: read by the readiness check, not pushed to browsers (it comes every 10 s). */
  private readonly telemetries = new Map<string, TelemetryPayload>();

  constructor(private readonly log: Logger) {
    super();
  }

  /** Adopts the store's registrations: new rooms appear (availability unknown), removed ones disappear. */
  setRegistrations(records: RoomRecord[]): void {
    const ids = new Set(records.map((record) => record.id));
    for (const id of this.rooms.keys()) {
      if (ids.has(id)) continue;
      this.rooms.delete(id);
      this.telemetries.delete(id);
    }
    for (const record of records) {
      const view = this.rooms.get(record.id);
      if (view) {
        Object.assign(view, { name: record.name, level: record.level, kind: record.kind, parent: record.parent });
        continue;
      }
      this.rooms.set(record.id, {
        id: record.id,
        name: record.name,
        level: record.level,
        kind: record.kind,
        parent: record.parent,
        availability: { state: "unknown", boot: null, bootId: null, since: new Date().toISOString() },
        desired: null,
        stale: true,
        info: null,
        state: null,
        health: {},
        lastSeen: null,
      });
    }
  }

  list(): RoomView[] {
    return [...this.rooms.values()];
  }

  get(id: string): RoomView | undefined {
    return this.rooms.get(id);
  }

  availability(room: string, payload: AvailabilityPayload): void {
    const view = this.seen(room);
    if (!view) return;
    const known = view.availability.bootId;
    if (payload.state === "offline" && known !== null && payload.bootId !== known) {
      this.log.info({ room, boot: payload.boot, bootId: payload.bootId, known }, "will of another boot ignored");
      return;
    }
    if (view.availability.state === payload.state && known === payload.bootId) return;
    if (
      payload.state === "online" &&
      known !== null &&
      payload.bootId !== known &&
      payload.boot < view.availability.boot!
    ) {
      this.log.warn(
        { room, boot: payload.boot, was: view.availability.boot },
        "room's boot counter went back: new PC?",
      );
    }
    view.availability = {
      state: payload.state,
      boot: payload.boot,
      bootId: payload.bootId,
      since: new Date().toISOString(),
    };
    this.log.info({ room, state: payload.state, boot: payload.boot }, "room availability");
    this.setStale(view, payload.state !== "online");
    this.emit("change", "availability", view);
  }

  desired(room: string, desired: DesiredView): void {
    const view = this.rooms.get(room);
    if (!view) return;
    view.desired = desired;
    this.emit("change", "desired", view);
  }

  info(room: string, payload: InfoPayload): void {
    const view = this.seen(room);
    if (!view) return;
    view.info = payload;
    this.emit("change", "info", view);
  }

  state(room: string, payload: StatePayload): void {
    const view = this.seen(room);
    if (!view) return;
    // A retained state of another boot than the one online, or an older one of the same boot, must not win.
    const current = view.availability.bootId;
    if (current !== null && payload.bootId !== current) return;
    if (view.state && payload.bootId === view.state.bootId && payload.seq < view.state.seq) return;
    view.state = payload;
    this.emit("change", "state", view);
  }

  health(room: string, device: string, payload: HealthPayload): void {
    const view = this.seen(room);
    if (!view) return;
    view.health[device] =
      view.availability.state === "offline" ? agentGone(payload, new Date().toISOString()) : payload;
    this.emit("change", "health", view);
  }

  telemetry(room: string, payload: TelemetryPayload): void {
    if (this.seen(room)) this.telemetries.set(room, payload);
  }

  lastTelemetry(room: string): TelemetryPayload | undefined {
    return this.telemetries.get(room);
  }

  /** Any message from the room counts as a sign of life. */
  touch(room: string): void {
    this.seen(room);
  }

  /** The controller lost the broker: nothing it shows about availability is current any more. */
  markAllUnknown(): void {
    for (const view of this.rooms.values()) {
      if (view.availability.state === "unknown") continue;
      view.availability = { ...view.availability, state: "unknown", since: new Date().toISOString() };
      this.setStale(view, true);
      this.emit("change", "availability", view);
    }
  }

  /** After a resync, a room still unknown has no agent answering: call it offline. */
  markUnknownOffline(): void {
    for (const view of this.rooms.values()) {
      if (view.availability.state !== "unknown") continue;
      view.availability = { ...view.availability, state: "offline", since: new Date().toISOString() };
      this.log.info({ room: view.id }, "room did not answer the resync: offline");
      this.setStale(view, true);
      this.emit("change", "availability", view);
    }
  }

  /**
   * While its agent is not online, a room's state and health are only the last thing it said: the view says so, and
   * every device shows `offline` (naming what it last reported), so nobody reads an old `ok` or `playing` as current.
   * The agent's next health messages put them right when it is back.
   */
  private setStale(view: RoomView, stale: boolean): void {
    view.stale = stale;
    if (!stale) return;
    const since = new Date().toISOString();
    for (const [device, health] of Object.entries(view.health)) view.health[device] = agentGone(health, since);
  }

  private seen(room: string): RoomView | undefined {
    const view = this.rooms.get(room);
    if (!view) {
      if (!this.warnedUnregistered.has(room)) {
        this.warnedUnregistered.add(room);
        this.log.warn({ room }, "messages from an unregistered room ignored (register it with `controller rooms add`)");
      }
      return undefined;
    }
    view.lastSeen = new Date().toISOString();
    return view;
  }
}
