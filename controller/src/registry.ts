// Every registered room and the last thing its agent said on each retained topic. Availability carries the agent's
// boot counter: a will from an older boot than the one we know is stale and ignored (DESIGN §3.1).
import { EventEmitter } from "node:events";
import type { AvailabilityPayload, HealthPayload, InfoPayload, RoomChange, RoomView, StatePayload } from "@rc/protocol";
import type { Logger } from "pino";
import type { RoomRecord } from "./store.ts";

export class RoomRegistry extends EventEmitter<{ change: [RoomChange, RoomView] }> {
  private readonly rooms = new Map<string, RoomView>();
  private readonly warnedUnregistered = new Set<string>();

  constructor(private readonly log: Logger) {
    super();
  }

  /** Adopts the store's registrations: new rooms appear (availability unknown), removed ones disappear. */
  setRegistrations(records: RoomRecord[]): void {
    const ids = new Set(records.map((record) => record.id));
    for (const id of this.rooms.keys()) if (!ids.has(id)) this.rooms.delete(id);
    for (const record of records) {
      const view = this.rooms.get(record.id);
      if (view) {
        Object.assign(view, { name: record.name, level: record.level, parent: record.parent });
        continue;
      }
      this.rooms.set(record.id, {
        id: record.id,
        name: record.name,
        level: record.level,
        parent: record.parent,
        availability: { state: "unknown", boot: null, since: new Date().toISOString() },
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
    const known = view.availability.boot;
    if (known !== null && payload.boot < known) {
      this.log.info({ room, boot: payload.boot, known }, "stale availability from an older boot ignored");
      return;
    }
    if (view.availability.state === payload.state && known === payload.boot) return;
    view.availability = { state: payload.state, boot: payload.boot, since: new Date().toISOString() };
    this.log.info({ room, state: payload.state, boot: payload.boot }, "room availability");
    this.emit("change", "availability", view);
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
    // A retained state of an older boot, delivered after a newer one, must not win.
    if (
      view.state &&
      (payload.boot < view.state.boot || (payload.boot === view.state.boot && payload.seq < view.state.seq))
    ) {
      return;
    }
    view.state = payload;
    this.emit("change", "state", view);
  }

  health(room: string, device: string, payload: HealthPayload): void {
    const view = this.seen(room);
    if (!view) return;
    view.health[device] = payload;
    this.emit("change", "health", view);
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
      this.emit("change", "availability", view);
    }
  }

  /** After a resync, a room still unknown has no agent answering: call it offline. */
  markUnknownOffline(): void {
    for (const view of this.rooms.values()) {
      if (view.availability.state !== "unknown") continue;
      view.availability = { ...view.availability, state: "offline", since: new Date().toISOString() };
      this.log.info({ room: view.id }, "room did not answer the resync: offline");
      this.emit("change", "availability", view);
    }
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
