// socket.io: browsers subscribe to some rooms (or all) and get each change of availability, state, health, info, and
// of the sessions those rooms are points of. A socket connects with a session cookie or an API token (`auth: {token}`),
// else it is refused ("unauthorized"); an operator's socket joins only rooms of theirs, whatever it asks for.
import type { Server as HttpServer, IncomingHttpHeaders } from "node:http";
import type { Socket } from "node:net";
import type {
  ClientToServerEvents,
  EventPayload,
  RoomChange,
  RoomView,
  ServerToClientEvents,
  SessionChange,
} from "@rc/protocol";
import type { Logger } from "pino";
import { Server } from "socket.io";
import { z } from "zod";
import { type Caller, mayReachRoom, reachesAllRooms } from "./access.ts";
import type { Authenticator } from "./auth.ts";
import type { RoomRegistry } from "./registry.ts";
import { type Sessions, sessionListView } from "./sessions.ts";
import type { SessionRecord } from "./store.ts";

const subscribeFilter = z.strictObject({ rooms: z.union([z.literal("all"), z.array(z.string()).max(10_000)]) });
const ALL = "all";
/** The events a room's panels show live. */
const PANEL_EVENTS: ReadonlySet<EventPayload["type"]> = new Set(["meters", "cut", "speaker_changed"]);

/** How often every socket's credentials are checked again: a revoked token or a removed user loses its socket. */
const RECHECK_MS = 1000;
const STOP_GRACE_MS = 1000;

export class Realtime {
  private io: Server<ClientToServerEvents, ServerToClientEvents> | undefined;
  private recheck: NodeJS.Timeout | undefined;
  private http: HttpServer | undefined;
  /** Every connection the HTTP server took, upgraded ones too (a WebSocket is no longer the server's to close). */
  private readonly connections = new Set<Socket>();
  private readonly onChange = (change: RoomChange, room: RoomView): void => {
    this.io?.to(`room:${room.id}`).to(ALL).emit("room", { change, room });
  };
  private readonly onSession = (change: SessionChange, session: SessionRecord): void => {
    if (!this.io) return;
    let to = this.io.to(ALL);
    for (const point of session.points) to = to.to(`room:${point.room}`);
    to.emit("session", { change, session: sessionListView(session) });
  };

  constructor(
    private readonly registry: RoomRegistry,
    private readonly sessions: Sessions,
    private readonly auth: Authenticator,
    private readonly log: Logger,
  ) {}

  start(http: HttpServer): void {
    this.http = http;
    http.on("connection", (connection: Socket) => {
      this.connections.add(connection);
      connection.once("close", () => this.connections.delete(connection));
    });
    const io = new Server<ClientToServerEvents, ServerToClientEvents>(http, { serveClient: false });
    const callers = new WeakMap<object, Caller>();
    const authenticate = (socket: { handshake: { auth: unknown }; request: { headers: IncomingHttpHeaders } }) => {
      try {
        const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
        return this.auth.authenticate(socket.request.headers, token);
      } catch {
        return "invalid";
      }
    };
    io.use((socket, next) => {
      const caller = authenticate(socket);
      if (caller === null || caller === "invalid") {
        this.log.warn({ ip: socket.handshake.address }, "socket.io connection refused: no valid credentials");
        return next(new Error("unauthorized"));
      }
      callers.set(socket, caller);
      next();
    });
    io.on("connection", (socket) => {
      const caller = callers.get(socket)!;
      socket.on("subscribe", (filter, answer) => {
        const parsed = subscribeFilter.safeParse(filter);
        if (!parsed.success || typeof answer !== "function") {
          this.log.warn({ socket: socket.id }, "invalid socket.io subscribe ignored");
          if (typeof answer === "function") answer([]);
          return;
        }
        const { rooms: asked } = parsed.data;
        if (asked === ALL && reachesAllRooms(caller)) {
          void socket.join(ALL);
          answer(this.registry.list());
          return;
        }
        // An operator's "all" is their rooms; rooms not theirs are left out.
        const rooms = (asked === ALL ? caller.rooms : asked).filter((id) => mayReachRoom(caller, id));
        for (const id of rooms) void socket.join(`room:${id}`);
        answer(rooms.map((id) => this.registry.get(id)).filter((room) => room !== undefined));
      });
    });
    this.recheck = setInterval(() => {
      for (const socket of io.sockets.sockets.values()) {
        const caller = authenticate(socket);
        if (caller === null || caller === "invalid") {
          this.log.info({ socket: socket.id }, "socket.io connection closed: its credentials are no longer valid");
          socket.disconnect(true);
        }
      }
    }, RECHECK_MS);
    this.registry.on("change", this.onChange);
    this.sessions.on("change", this.onSession);
    this.io = io;
  }

  /** A room's event for its panels (see `roomEvent`); the others are for the controller alone. */
  event(room: string, event: EventPayload): void {
    if (PANEL_EVENTS.has(event.type)) this.io?.to(`room:${room}`).emit("roomEvent", { room, event });
  }

  /** An alarm changed: its id to the room's sockets and the all-rooms ones (the list is GET /api/alarms). */
  alarm(change: "raised" | "changed" | "cleared" | "acknowledged", room: string, id: string): void {
    this.io?.to(`room:${room}`).to(ALL).emit("alarm", { change, room, id });
  }

  /** Closes socket.io and the HTTP server; a client still in a request after 1 s is cut off, so a stop never hangs. */
  async stop(): Promise<void> {
    clearInterval(this.recheck);
    this.registry.off("change", this.onChange);
    this.sessions.off("change", this.onSession);
    const io = this.io;
    this.io = undefined;
    if (!io) return;
    const cutOff = setTimeout(() => this.http?.closeAllConnections(), STOP_GRACE_MS);
    await new Promise<void>((resolve) => io.close(() => resolve()));
    clearTimeout(cutOff);
    // A WebSocket caught mid-upgrade by the close is left open by it, and its browser would hear of the stop only at
    // its ping time-out (45 s): a panel showed no lost connection for a whole controller restart.
    for (const connection of this.connections) connection.destroy();
  }
}
