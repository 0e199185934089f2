// Reception sessions (DESIGN §3.6, issue 13): the store owns them; every change is checked here, written whole, then
// pushed (socket.io) and turned into the rooms' desired states by the planner. A session ends only when asked: no
// timer and no clock reading ends it, so a clock jump (NTP) cannot cut a hearing short.
import { randomBytes } from "node:crypto";
import { EventEmitter } from "node:events";
import {
  type AttendanceInterval,
  isValidId,
  type RoomChange,
  type RoomView,
  type SessionChange,
  type SessionPoint,
  type SessionView,
  type StatePayload,
} from "@rc/protocol";
import type { Logger } from "pino";
import type { DesiredStates } from "./desired-states.ts";
import { ProblemError } from "./problem.ts";
import { localDate } from "./reception-time.ts";
import type { RoomRegistry } from "./registry.ts";
import type { GuestInput } from "./session-input.ts";
import { plannedSessions, reconcileDesired } from "./session-planner.ts";
import type { SessionRecord, Store, StoreData } from "./store.ts";

/** A refusal with its HTTP status and the input field it is about. */
export class SessionError extends ProblemError {
  constructor(status: 400 | 404 | 409, field: string | null, message: string) {
    super(status, message, field);
  }
}

/** Everything a session is made of, checked as a whole on create, on PATCH and for each session of a schedule. */
export interface SessionDraft {
  title: string;
  kind: "periodic" | "ad_hoc";
  scheduleId: string | null;
  start: string;
  end: string;
  host: string;
  hostHead: string | null;
  points: { room: string; head: string | null }[];
  guests: GuestInput[];
  presiding: { name: string; title: string };
  caseRef: string | null;
  confidential: boolean;
  crossLevel: boolean;
  crossLevelReason: string | null;
}

const ACTIVE = (point: SessionPoint) => point.removedAt === null;

/** The session as people may see it: without the SRT passphrases. */
export function sessionView(session: SessionRecord): SessionView {
  const { passphrase: _secret, guests, ...rest } = session;
  return { ...rest, guests: guests.map(({ passphrase: _guestSecret, ...guest }) => guest) };
}

/** As lists and pushes show it: a confidential session without its title and case reference (the citizen's identity). */
export function sessionListView(session: SessionRecord): SessionView {
  const view = sessionView(session);
  return session.confidential ? { ...view, title: "(bảo mật)", caseRef: null } : view;
}

/** The points of a draft, checked against the registered rooms and the level tree; throws naming the field. */
export function checkDraft(
  draft: SessionDraft,
  rooms: Readonly<Record<string, StoreData["rooms"][string]>>,
  now: string,
  previous: readonly SessionPoint[] = [],
): { points: SessionPoint[]; crossLevelReason: string | null } {
  if (Date.parse(draft.end) <= Date.parse(draft.start)) {
    throw new SessionError(400, "end", `end (${draft.end}) is not after start (${draft.start})`);
  }
  const known = (room: string) => isValidId(room) && Object.hasOwn(rooms, room);
  if (!known(draft.host)) throw new SessionError(404, "host", `no room "${draft.host}"`);
  const seen = new Set<string>([draft.host]);
  const kept = (room: string) => previous.find((point) => point.room === room);
  const points: SessionPoint[] = [
    {
      room: draft.host,
      role: "central",
      head: draft.hostHead,
      headInPerson: kept(draft.host)?.headInPerson ?? null,
      crossLevel: false,
      addedAt: kept(draft.host)?.addedAt ?? now,
      removedAt: null,
      attendance: [],
      linked: [],
    },
  ];
  let crossing = false;
  draft.points.forEach((point, index) => {
    const field = `points.${index}.room`;
    if (point.room === draft.host) {
      throw new SessionError(400, field, `the host ${draft.host} is not among the components`);
    }
    if (!known(point.room)) throw new SessionError(404, field, `no room "${point.room}"`);
    if (seen.has(point.room)) throw new SessionError(400, field, `room ${point.room} is listed twice`);
    seen.add(point.room);
    const parent = rooms[point.room]!.parent;
    const crossLevel = parent !== draft.host;
    if (crossLevel && !draft.crossLevel) {
      throw new SessionError(
        400,
        field,
        `${point.room} is not a direct subordinate of the host ${draft.host} (its parent is ${parent ?? "none"}): ` +
          "set crossLevel: true with a crossLevelReason",
      );
    }
    crossing ||= crossLevel;
    points.push({
      room: point.room,
      role: "component",
      head: point.head,
      headInPerson: kept(point.room)?.headInPerson ?? null,
      crossLevel,
      addedAt: kept(point.room)?.addedAt ?? now,
      removedAt: null,
      attendance: [],
      linked: [],
    });
  });
  if (draft.crossLevel && draft.crossLevelReason === null) {
    throw new SessionError(400, "crossLevelReason", "crossLevel: true needs a reason");
  }
  const guestIds = new Set<string>();
  draft.guests.forEach((guest, index) => {
    if (seen.has(guest.id) || guestIds.has(guest.id)) {
      throw new SessionError(400, `guests.${index}.id`, `point ${guest.id} is listed twice`);
    }
    guestIds.add(guest.id);
  });
  return { points, crossLevelReason: crossing || draft.crossLevel ? draft.crossLevelReason : null };
}

/** The live session a room is an active point of, other than `except`. */
function liveSessionOf(data: StoreData, room: string, except?: string): SessionRecord | undefined {
  return Object.values(data.sessions).find(
    (session) =>
      session.state === "live" &&
      session.id !== except &&
      session.points.some((point) => point.room === room && ACTIVE(point)),
  );
}

function refuseIfLiveElsewhere(data: StoreData, room: string, session: string, field: string): void {
  const other = liveSessionOf(data, room, session);
  if (other) throw new SessionError(409, field, `room ${room} is already live in session ${other.id}`);
}

/** The session's draft, as PATCH and schedules change it. */
export function draftOf(session: SessionRecord): SessionDraft {
  const host = session.points.find((point) => point.role === "central")!;
  return {
    title: session.title,
    kind: session.kind,
    scheduleId: session.scheduleId,
    start: session.start,
    end: session.end,
    host: session.host,
    hostHead: host.head,
    points: session.points
      .filter((point) => point.role === "component" && ACTIVE(point))
      .map(({ room, head }) => ({ room, head })),
    guests: session.guests,
    presiding: session.presiding,
    caseRef: session.caseRef,
    confidential: session.confidential,
    crossLevel: session.crossLevelReason !== null,
    crossLevelReason: session.crossLevelReason,
  };
}

/** A new session record from a checked draft. */
export function newSessionRecord(
  id: string,
  draft: SessionDraft,
  checked: ReturnType<typeof checkDraft>,
  by: string,
  now: string,
): SessionRecord {
  return {
    id,
    title: draft.title,
    kind: draft.kind,
    scheduleId: draft.scheduleId,
    start: draft.start,
    end: draft.end,
    host: draft.host,
    points: checked.points,
    guests: draft.guests,
    presiding: draft.presiding,
    caseRef: draft.caseRef,
    confidential: draft.confidential,
    crossLevelReason: checked.crossLevelReason,
    state: "scheduled",
    transitions: [{ state: "scheduled", at: now, by }],
    notes: [],
    passphrase: null,
  };
}

function openInterval(intervals: AttendanceInterval[], at: string): boolean {
  if (intervals.some((interval) => interval.leftAt === null)) return false;
  intervals.push({ joinedAt: at, leftAt: null });
  return true;
}

function closeInterval(intervals: AttendanceInterval[], at: string): boolean {
  const open = intervals.find((interval) => interval.leftAt === null);
  if (open) open.leftAt = at;
  return open !== undefined;
}

/** A point leaves or its session ends: its attendance and its link both stop. */
function closeIntervals(point: SessionPoint, at: string): void {
  closeInterval(point.attendance, at);
  closeInterval(point.linked, at);
}

/** Whether the host's media link to a room is up, from the host agent's reported readings (`link.{room}.status`). */
export function hostLinkUp(hostState: StatePayload | null, room: string): boolean {
  const key = `link.${room}.status`;
  for (const readings of Object.values(hostState?.devices ?? {})) {
    if (Object.hasOwn(readings, key)) return readings[key] === "ok" || readings[key] === "degraded";
  }
  return false;
}

export interface SessionsOptions {
  store: Store;
  desired: DesiredStates;
  registry: RoomRegistry;
  log: Logger;
  clock?: () => Date;
}

export class Sessions extends EventEmitter<{ change: [SessionChange, SessionRecord] }> {
  private readonly store: Store;
  private readonly desired: DesiredStates;
  private readonly registry: RoomRegistry;
  private readonly log: Logger;
  private readonly clock: () => Date;
  private readonly onRoomChange = (change: RoomChange, room: RoomView): void => {
    if (change === "state") {
      void this.links(room.id, room.state).catch((error: Error) =>
        this.log.error({ room: room.id, err: error.message }, "link state not recorded"),
      );
    }
    if (change !== "availability" || room.availability.state === "unknown") return;
    void this.attendance(room.id, room.availability.state === "online").catch((error: Error) =>
      this.log.error({ room: room.id, err: error.message }, "attendance not recorded"),
    );
  };

  constructor(options: SessionsOptions) {
    super();
    this.store = options.store;
    this.desired = options.desired;
    this.registry = options.registry;
    this.log = options.log;
    this.clock = options.clock ?? (() => new Date());
  }

  /** Follows the rooms' availability for attendance, and makes every room's desired state agree with the sessions. */
  async start(): Promise<void> {
    this.registry.on("change", this.onRoomChange);
    await this.reconcile("sessions");
  }

  stop(): void {
    this.registry.off("change", this.onRoomChange);
  }

  get(id: string): SessionRecord | undefined {
    const sessions = this.store.data.sessions;
    return isValidId(id) && Object.hasOwn(sessions, id) ? sessions[id] : undefined;
  }

  all(): SessionRecord[] {
    return Object.values(this.store.data.sessions);
  }

  /** Creates a scheduled session; its id is drawn here. */
  async create(draft: SessionDraft, by: string): Promise<SessionRecord> {
    const now = this.clock().toISOString();
    const id = `phien-${localDate(new Date(draft.start)).replaceAll("-", "")}-${randomBytes(4).toString("hex")}`;
    let created: SessionRecord | undefined;
    await this.store.update((data) => {
      created = newSessionRecord(id, draft, checkDraft(draft, data.rooms, now), by, now);
      data.sessions[id] = created;
    });
    this.announce("created", created!);
    return created!;
  }

  /** Changes a session before it starts (409 once live or over). */
  patch(id: string, change: Partial<SessionDraft>, by: string): Promise<SessionRecord> {
    return this.update(id, by, "patch", "changed", (session, data, now) => {
      if (session.state !== "scheduled") {
        throw new SessionError(409, null, `session ${id} is ${session.state}: only a scheduled session can be changed`);
      }
      const draft = { ...draftOf(session), ...change };
      const checked = checkDraft(draft, data.rooms, now, session.points);
      const { transitions, notes, state, passphrase } = session;
      return { ...newSessionRecord(id, draft, checked, by, now), transitions, notes, state, passphrase };
    });
  }

  /** Goes live (idempotent: a live session is answered as it is). */
  begin(id: string, by: string): Promise<SessionRecord> {
    return this.update(id, by, "start", "state", (session, data, now) => {
      if (session.state === "live") return null;
      if (session.state !== "scheduled") throw new SessionError(409, null, `session ${id} is ${session.state}`);
      for (const point of session.points.filter(ACTIVE)) refuseIfLiveElsewhere(data, point.room, id, "points");
      session.state = "live";
      session.transitions.push({ state: "live", at: now, by });
      session.passphrase = randomBytes(24).toString("base64url");
      for (const point of session.points.filter(ACTIVE))
        if (this.isOnline(point.room)) openInterval(point.attendance, now);
      return session;
    });
  }

  /** Ends a live session (idempotent: an ended one is answered as it is). */
  end(id: string, by: string): Promise<SessionRecord> {
    return this.update(id, by, "end", "state", (session, _data, now) => {
      if (session.state === "ended") return null;
      if (session.state !== "live") {
        throw new SessionError(409, null, `session ${id} is ${session.state}: only a live session ends (cancel it)`);
      }
      session.state = "ended";
      session.transitions.push({ state: "ended", at: now, by });
      session.passphrase = null; // its links are gone; the secret need not be kept
      for (const point of session.points) closeIntervals(point, now);
      return session;
    });
  }

  /** Calls off a scheduled session (idempotent). */
  cancel(id: string, by: string): Promise<SessionRecord> {
    return this.update(id, by, "cancel", "state", (session, _data, now) => {
      if (session.state === "cancelled") return null;
      if (session.state !== "scheduled") {
        throw new SessionError(409, null, `session ${id} is ${session.state}: only a scheduled session is cancelled`);
      }
      session.state = "cancelled";
      session.transitions.push({ state: "cancelled", at: now, by });
      return session;
    });
  }

  /** A room joins (also a live session: its links are planned at once). */
  addRoomPoint(id: string, point: { room: string; head: string | null }, by: string): Promise<SessionRecord> {
    return this.update(id, by, "points.add", "changed", (session, data, now) => {
      this.refuseIfOver(session);
      if (!isValidId(point.room) || !Object.hasOwn(data.rooms, point.room)) {
        throw new SessionError(404, "room", `no room "${point.room}"`);
      }
      const existing = session.points.find((entry) => entry.room === point.room);
      if (existing && ACTIVE(existing)) throw new SessionError(409, "room", `room ${point.room} is already a point`);
      if (session.guests.some((guest) => guest.id === point.room)) {
        throw new SessionError(409, "room", `a guest point is already called ${point.room}`);
      }
      const parent = data.rooms[point.room]!.parent;
      const crossLevel = parent !== session.host;
      if (crossLevel && session.crossLevelReason === null) {
        throw new SessionError(
          400,
          "room",
          `${point.room} is not a direct subordinate of the host ${session.host} (its parent is ${parent ?? "none"}) ` +
            "and the session gives no crossLevelReason",
        );
      }
      if (session.state === "live") refuseIfLiveElsewhere(data, point.room, id, "room");
      if (existing) {
        existing.removedAt = null; // back in the session, with the attendance it had
        existing.head = point.head ?? existing.head;
      } else {
        session.points.push({
          room: point.room,
          role: "component",
          head: point.head,
          headInPerson: null,
          crossLevel,
          addedAt: now,
          removedAt: null,
          attendance: [],
          linked: [],
        });
      }
      const added = session.points.find((entry) => entry.room === point.room)!;
      if (session.state === "live" && this.isOnline(point.room)) openInterval(added.attendance, now);
      return session;
    });
  }

  /** A guest point (no agent of ours) joins. */
  addGuestPoint(id: string, guest: GuestInput, by: string): Promise<SessionRecord> {
    return this.update(id, by, "points.add", "changed", (session) => {
      this.refuseIfOver(session);
      if (session.points.some((point) => point.room === guest.id) || session.guests.some((g) => g.id === guest.id)) {
        throw new SessionError(409, "guest.id", `point ${guest.id} is already in the session`);
      }
      session.guests.push(guest);
      return session;
    });
  }

  /** A point leaves: dropped from a scheduled session; from a live one it leaves with its attendance kept. */
  removePoint(id: string, pointId: string, by: string): Promise<SessionRecord> {
    return this.update(id, by, "points.remove", "changed", (session, _data, now) => {
      this.refuseIfOver(session);
      if (pointId === session.host) throw new SessionError(409, "room", "the host cannot leave its own session");
      const guestIndex = session.guests.findIndex((guest) => guest.id === pointId);
      if (guestIndex >= 0) {
        session.guests.splice(guestIndex, 1);
        return session;
      }
      const point = session.points.find((entry) => entry.room === pointId && ACTIVE(entry));
      if (!point) throw new SessionError(404, "room", `${pointId} is not a point of session ${id}`);
      if (session.state === "scheduled") {
        session.points = session.points.filter((entry) => entry !== point);
      } else {
        point.removedAt = now;
        closeIntervals(point, now);
      }
      return session;
    });
  }

  /** The operator says who came for a point: its head, and whether they attended in person. */
  setPointHead(
    id: string,
    room: string,
    change: { head?: string | null | undefined; headInPerson?: boolean | null | undefined },
    by: string,
  ): Promise<SessionRecord> {
    return this.update(id, by, "points.head", "changed", (session) => {
      if (session.state === "cancelled") throw new SessionError(409, null, `session ${id} is cancelled`);
      const point = session.points.find((entry) => entry.room === room);
      if (!point) throw new SessionError(404, "room", `${room} is not a point of session ${id}`);
      if (change.head !== undefined) point.head = change.head;
      if (change.headInPerson !== undefined) point.headInPerson = change.headInPerson;
      return session;
    });
  }

  /** A time-coded note or direction (not on a cancelled session). */
  addNote(
    id: string,
    note: { kind: "note" | "direction"; text: string; responsible: string | null; due: string | null },
    by: string,
  ): Promise<SessionRecord> {
    return this.update(id, by, "notes.add", "changed", (session, _data, now) => {
      if (session.state === "cancelled") throw new SessionError(409, null, `session ${id} is cancelled`);
      const startedAt = session.transitions.find((entry) => entry.state === "live")?.at;
      const offsetS = startedAt ? Math.max(0, (Date.parse(now) - Date.parse(startedAt)) / 1000) : null;
      session.notes.push({ id: `n${session.notes.length + 1}`, at: now, offsetS, by, ...note });
      return session;
    });
  }

  /**
   * Makes every room's desired state agree with the live sessions: at start (a session live before a restart is
   * live after it, and a change cut short between the session and the desired state is finished), after every
   * session change and when the registrations change (a room's SRT address).
   */
  async reconcile(by: string): Promise<void> {
    const data = this.store.data;
    const planned = plannedSessions(Object.values(data.sessions), data.rooms);
    const isKnown = (session: string) => Object.hasOwn(this.store.data.sessions, session);
    for (const room of new Set([...planned.keys(), ...Object.keys(data.desired)])) {
      const wanted = planned.get(room) ?? null;
      if (!reconcileDesired(this.desired.get(room), wanted, isKnown)) continue;
      await this.desired.change(
        room,
        (current) =>
          reconcileDesired(current, wanted, isKnown) ?? { session: current.session, recording: current.recording },
        by,
      );
    }
  }

  /** A point's agent came online or went away during a live session: its attendance, from what the registry saw. */
  private async attendance(room: string, online: boolean): Promise<void> {
    const live = liveSessionOf(this.store.data, room);
    if (!live) return;
    await this.update(live.id, "availability", "attendance", "changed", (session, _data, now) => {
      const point = session.points.find((entry) => entry.room === room && ACTIVE(entry));
      if (session.state !== "live" || !point) return null;
      if (online) {
        if (!openInterval(point.attendance, now)) return null;
      } else if (!closeInterval(point.attendance, now)) {
        return null;
      }
      return session;
    });
  }

  /** The host reported its state: each component's link interval opens or closes with the host's link to it. */
  private async links(host: string, state: StatePayload | null): Promise<void> {
    const live = liveSessionOf(this.store.data, host);
    if (!live || live.host !== host) return;
    const changed = (session: SessionRecord) =>
      session.points.filter(ACTIVE).some((point) => {
        if (point.role === "central") return false;
        const open = point.linked.some((interval) => interval.leftAt === null);
        return open !== hostLinkUp(state, point.room);
      });
    if (!changed(live)) return; // most state reports change no link: no store write
    await this.update(live.id, "state", "links", "changed", (session, _data, now) => {
      if (session.state !== "live" || !changed(session)) return null;
      for (const point of session.points.filter(ACTIVE)) {
        if (point.role === "central") continue;
        if (hostLinkUp(state, point.room)) openInterval(point.linked, now);
        else closeInterval(point.linked, now);
      }
      return session;
    });
  }

  private isOnline(room: string): boolean {
    return this.registry.get(room)?.availability.state === "online";
  }

  private refuseIfOver(session: SessionRecord): void {
    if (session.state === "ended" || session.state === "cancelled") {
      throw new SessionError(409, null, `session ${session.id} is ${session.state}`);
    }
  }

  /**
   * Reads the session, lets `change` return its new content (a copy; null for "nothing to do", which answers the
   * session as it is) and writes it. A refusal is thrown before anything is written.
   */
  private async update(
    id: string,
    by: string,
    action: string,
    kind: SessionChange,
    change: (session: SessionRecord, data: StoreData, now: string) => SessionRecord | null,
  ): Promise<SessionRecord> {
    if (!this.get(id)) throw new SessionError(404, null, `no session "${id}"`);
    let result: SessionRecord | undefined;
    let changed = false;
    await this.store.update((data) => {
      if (!Object.hasOwn(data.sessions, id)) throw new SessionError(404, null, `no session "${id}"`);
      const next = change(structuredClone(data.sessions[id]!), data, this.clock().toISOString());
      changed = next !== null;
      if (next) data.sessions[id] = next;
      result = data.sessions[id];
    });
    if (!changed) return result!;
    this.log.info({ session: id, action, state: result!.state, by }, "session");
    this.announce(kind, result!);
    // Only a change of state or of a live session's points changes what rooms should do.
    if (kind === "state" || (result!.state === "live" && action.startsWith("points."))) await this.reconcile(by);
    return result!;
  }

  /** Tells socket.io (and whoever listens) that a session was created or changed. */
  announce(kind: SessionChange, session: SessionRecord): void {
    this.emit("change", kind, session);
  }
}
