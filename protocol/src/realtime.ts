// What the controller pushes to browsers over socket.io, and what browsers may ask.
import type { HealthPayload, InfoPayload, RoomLevel, StatePayload } from "./messages.ts";

export type Availability = "online" | "offline" | "unknown";

/** The controller's view of one room: its registration plus the last thing its agent reported on each topic. */
export interface RoomView {
  id: string;
  name: string;
  level: RoomLevel;
  parent: string | null;
  availability: { state: Availability; boot: number | null; since: string };
  info: InfoPayload | null;
  state: StatePayload | null;
  health: Record<string, HealthPayload>;
  lastSeen: string | null;
}

export type RoomChange = "availability" | "info" | "state" | "health";

export interface ServerToClientEvents {
  room: (update: { change: RoomChange; room: RoomView }) => void;
}

export interface ClientToServerEvents {
  /** Subscribe to some rooms, or all of them; the answer is their current views. */
  subscribe: (filter: { rooms: string[] | "all" }, answer: (rooms: RoomView[]) => void) => void;
}
