// The rooms as the controller pushes them over socket.io: one connection, re-subscribed after every reconnect (a
// controller restart included), so a stale page catches up by itself. No polling: every change arrives as an event.
import type {
  ClientToServerEvents,
  EventPayload,
  RoomView,
  ServerToClientEvents,
  SessionChange,
  SessionView,
} from "@rc/protocol";
import { io, type Socket } from "socket.io-client";

export type LinkState = "connecting" | "connected" | "lost";

export interface LiveListener {
  rooms?: (rooms: ReadonlyMap<string, RoomView>) => void;
  link?: (state: LinkState) => void;
  session?: (change: SessionChange, session: SessionView) => void;
  /** A room's live event (meters, cuts), for a socket subscribed to that room by name. */
  event?: (room: string, event: EventPayload) => void;
  /** An alarm of a subscribed room changed (the list is read from GET /api/alarms). */
  alarm?: () => void;
  /** Only from a room agent's own panel server: whether the agent reaches the centre (the controller never says). */
  centre?: (reachable: boolean) => void;
  /** The controller refused the socket's credentials (the session ended): the face asks for a login again. */
  unauthorized?: () => void;
}

export class LiveRooms {
  readonly rooms = new Map<string, RoomView>();
  link: LinkState = "connecting";
  private socket: Socket<ServerToClientEvents, ClientToServerEvents> | undefined;

  constructor(
    private readonly filter: { rooms: string[] | "all" },
    private readonly listener: LiveListener,
  ) {}

  start(): void {
    // Same origin, so the session cookie goes along; reconnects forever with socket.io's capped backoff.
    const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io({
      reconnectionDelay: 500,
      reconnectionDelayMax: 5000,
      withCredentials: true,
    });
    socket.on("connect", () => {
      socket.emit("subscribe", this.filter, (rooms) => {
        if (this.filter.rooms === "all") this.rooms.clear();
        for (const room of rooms) this.rooms.set(room.id, room);
        this.setLink("connected");
        this.listener.rooms?.(this.rooms);
      });
    });
    socket.on("disconnect", () => this.setLink("lost"));
    socket.on("connect_error", (error) => {
      // Refused by the controller, the socket does not try again by itself: only a new login helps.
      if (error.message === "unauthorized") this.listener.unauthorized?.();
      else this.setLink("lost");
    });
    socket.on("room", ({ room }) => {
      this.rooms.set(room.id, room);
      this.listener.rooms?.(this.rooms);
    });
    socket.on("session", ({ change, session }) => this.listener.session?.(change, session));
    socket.on("roomEvent", ({ room, event }) => this.listener.event?.(room, event));
    socket.on("alarm", () => this.listener.alarm?.());
    socket.on("centre", ({ reachable }) => this.listener.centre?.(reachable === true));
    this.socket = socket;
  }

  /** After a login: the server decides what the socket may see when it connects, so connect again. */
  restart(): void {
    this.socket?.disconnect().connect();
  }

  stop(): void {
    this.socket?.disconnect();
    this.socket = undefined;
  }

  private setLink(state: LinkState): void {
    if (this.link === state) return;
    this.link = state;
    this.listener.link?.(state);
  }
}
