// Who may do what (DESIGN §3.6, issue 14): the roles, the caller a request was authenticated as, what a route asks of
// it, and the rules that need more than a route's path (confidential sessions, far-end camera control). Pure: no
// store, no express; auth.ts applies these to requests and sockets.
//
//   admin     everything, users and tokens included
//   it        every room's devices, alarms, restarts, the audit log; not a confidential session's content or record
//   operator  the rooms bound to them: drive them and run the sessions they host; while a session they host is live,
//             the component points' cameras too (far-end camera control)
//   viewer    reads, never writes; not a confidential session's content or record
import type { SessionPoint } from "@rc/protocol";

export const ROLES = ["admin", "it", "operator", "viewer"] as const;
export type Role = (typeof ROLES)[number];

/** Every role: a read anyone logged in may make. */
export const ANY_ROLE: readonly Role[] = ROLES;

/** Who a request or a socket was authenticated as. */
export interface Caller {
  /** The user's name; a panel PIN's session is "panel:ROOM". */
  name: string;
  role: Role;
  /** The rooms an operator is bound to (other roles reach every room). */
  rooms: readonly string[];
  /** How they proved it: "password" (a browser session), "token:ID" (an API token), "pin:ROOM" (a panel PIN). */
  credential: string;
}

/**
 * Which rooms a route's request concerns, for an operator (the other roles are not bound to rooms):
 * - room: the path's `:id` is a room;
 * - session: the path's `:id` is a session: a read for an operator of any of its points, a change for the host's;
 * - session-point: as session, and also for the operator of the path's `:room` (who came for that point);
 * - recording: the path's `:id` is a recording: as session, for the session it belongs to.
 */
export type Scope = "room" | "session" | "session-point" | "recording";

/**
 * What a route asks of its caller (see auth.ts for how a route declares it):
 * - `{open}`: anyone, logged in or not (why, in words);
 * - `{own}`: the route checks credentials of its own (the agents' archive uploads: their room's broker login);
 * - `{roles, scope?}`: one of these roles, and for an operator a room of theirs (see Scope).
 */
export type Access = { open: string } | { own: string } | { roles: readonly Role[]; scope?: Scope };

/** Who a route without a declared access is for: admin alone (deny by default). */
export const DEFAULT_ACCESS: Access = { roles: ["admin"] };

/** Whether the caller reaches every room (only operators are bound to rooms). */
export function reachesAllRooms(caller: Caller): boolean {
  return caller.role !== "operator";
}

export function mayReachRoom(caller: Caller, room: string): boolean {
  return reachesAllRooms(caller) || caller.rooms.includes(room);
}

/** A session as the rules need it. */
export interface SessionFacts {
  confidential: boolean;
  points: readonly Pick<SessionPoint, "room" | "role" | "removedAt">[];
}

export function hostOf(session: SessionFacts): string | undefined {
  return session.points.find((point) => point.role === "central")?.room;
}

/**
 * Whether the caller may see a session's content and its recordings. A confidential session (a denunciation: the
 * citizen's identity is protected by law) is for admin and the operators of its own points alone: not for it (who
 * keeps the devices running, not the hearings) nor for viewers. Any other session: every role that reaches one of
 * its rooms.
 */
export function maySeeSession(caller: Caller, session: SessionFacts): boolean {
  if (caller.role === "admin") return true;
  const ofItsRooms = session.points.some((point) => mayReachRoom(caller, point.room));
  if (session.confidential) return caller.role === "operator" && ofItsRooms;
  return ofItsRooms;
}

/** The recordings of a session: the same rule as its content (an unknown session's: admin alone). */
export function mayReadRecordings(caller: Caller, session: SessionFacts | undefined): boolean {
  return session ? maySeeSession(caller, session) : caller.role === "admin";
}

export type SessionAction = "read" | "create" | "change";

/**
 * Whether the caller may act on a session: read it (an operator of any of its points), create or change it (an
 * operator of its host). Admin always; it and viewer only read (they hold no session right); the route's roles
 * have already said who may change.
 */
export function maySessionAction(caller: Caller, action: SessionAction, session: SessionFacts): boolean {
  if (caller.role === "admin") return true;
  if (action === "read") return session.points.some((point) => mayReachRoom(caller, point.room));
  const host = hostOf(session);
  return caller.role === "operator" && host !== undefined && caller.rooms.includes(host);
}

/**
 * Camera actions the host's operator may send to a component point of its live session (far-end camera control):
 * moving and framing, not storing or removing the point's own presets.
 */
export const FAR_END_ACTIONS: ReadonlySet<string> = new Set([
  "ptz.move",
  "ptz.stop",
  "ptz.goto",
  "ptz.home",
  "ptz.absolute",
  "ptz.relative",
  "ptz.presets",
  "camera.snapshot",
]);

/** A live session as far-end camera control needs it. */
export interface LiveSessionFacts extends SessionFacts {
  state: string;
}

/**
 * Whether an operator not bound to `room` may still send it `action` (undefined: any action, for the coarse check
 * before the body is read): only while a session hosted by a room of theirs is live with `room` among its active
 * points, and only a camera action.
 */
export function mayDriveFarEnd(
  caller: Caller,
  room: string,
  action: string | undefined,
  sessions: Iterable<LiveSessionFacts>,
): boolean {
  if (caller.role !== "operator") return false;
  if (action !== undefined && !FAR_END_ACTIONS.has(action)) return false;
  for (const session of sessions) {
    if (session.state !== "live") continue;
    const host = hostOf(session);
    if (host === undefined || !caller.rooms.includes(host)) continue;
    if (session.points.some((point) => point.room === room && point.removedAt === null)) return true;
  }
  return false;
}
