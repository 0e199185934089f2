// What the controller pushes to browsers over socket.io, and what browsers may ask.
import type {
  DesiredPayload,
  EventPayload,
  HealthPayload,
  InfoPayload,
  RoomKind,
  RoomLevel,
  StatePayload,
} from "./messages.ts";
import type { SessionView } from "./sessions.ts";

export type Availability = "online" | "offline" | "unknown";

/** The controller's view of one room: its registration plus the last thing its agent reported on each topic. */
export interface RoomView {
  id: string;
  name: string;
  level: RoomLevel;
  kind: RoomKind;
  parent: string | null;
  availability: { state: Availability; boot: number | null; bootId: string | null; since: string };
  /** What the controller wants of the room (its store owns it), without secrets; null before anything was wanted. */
  desired: DesiredView | null;
  /** True while the room's agent is not online: info and state are the last it said, its devices show offline. */
  stale: boolean;
  info: InfoPayload | null;
  state: StatePayload | null;
  health: Record<string, HealthPayload>;
  lastSeen: string | null;
}

/** A room's desired state as people may see it: the SRT passphrase and the peers' addresses stay in the store. */
export interface DesiredView {
  rev: number;
  recording: boolean;
  session: { id: string; role: "central" | "component"; peers: string[] } | null;
  /** When and by whom it last changed. */
  changedAt: string;
  changedBy: string;
}

export function desiredView(desired: DesiredPayload, changedAt: string, changedBy: string): DesiredView {
  const session = desired.session && {
    id: desired.session.id,
    role: desired.session.role,
    peers: desired.session.peers.map((peer) => peer.room),
  };
  return { rev: desired.rev, recording: desired.recording, session, changedAt, changedBy };
}

export type RoomChange = "availability" | "desired" | "info" | "state" | "health";

/** What happened to a session: created or changed (PATCH, a point, a note, attendance) or a change of its state. */
export type SessionChange = "created" | "changed" | "state";

export interface ServerToClientEvents {
  room: (update: { change: RoomChange; room: RoomView }) => void;
  /**
   * To the sockets subscribed to any of the session's points or to all rooms. A confidential session comes without
   * its title and case reference, as in lists.
   */
  session: (update: { change: SessionChange; session: SessionView }) => void;
  /**
   * The events of a room that its panels show live — the microphones' meters (≤ 4 Hz) and the director's cuts —
   * to the sockets subscribed to that room by name; never to "all", so a dashboard of thousands of rooms is spared.
   */
  roomEvent: (update: { room: string; event: EventPayload }) => void;
  /**
   * An alarm of the room was raised, changed, cleared or acknowledged (GET /api/alarms has it), to the sockets
   * subscribed to that room or to all rooms: a dashboard reads its list again on it instead of asking from time to time.
   */
  alarm: (update: { change: "raised" | "changed" | "cleared" | "acknowledged"; room: string; id: string }) => void;
  /**
   * Only from a room agent's local panel server (never the controller): whether the agent reaches the centre (its
   * broker link is up and the controller online). Sent on connect and on every change; the panel shows a banner while
   * it is false and goes on driving the room through the agent.
   */
  centre: (update: { reachable: boolean }) => void;
}

export interface ClientToServerEvents {
  /** Subscribe to some rooms, or all of them; the answer is their current views. */
  subscribe: (filter: { rooms: string[] | "all" }, answer: (rooms: RoomView[]) => void) => void;
}
