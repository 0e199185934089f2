// The room's operator panel served by its own agent (issue 15, DESIGN §3.7), for the room's wall screen: the same web
// app and the same room API shape as at the controller (`/api/rooms/:id`, `/api/rooms/:id/requests`, `/api/auth/pin`,
// socket.io's `subscribe` / `room` / `roomEvent`), so the panel needs no mode of its own and keeps driving the room
// (cameras, sound, director, recording) while the controller is unreachable; socket.io's `centre` event tells it
// whether the controller is, for its banner. Requests go through the agent's one dispatcher, the path a request from
// the controller takes: the same checks, and the same answer memory, so a double tap is applied once.
//
// Hostile input: loopback by default; every /api route but the PIN's needs a session cookie; the PIN is checked
// against the scrypt hash the controller sent (never the PIN), with wrong tries throttled per room and per address
// and at most a few scrypts at a time; bodies are small and parsed by schema; one room only, no other path.
import { randomBytes, randomUUID } from "node:crypto";
import { createServer, type Server as HttpServer, type IncomingHttpHeaders, STATUS_CODES } from "node:http";
import type { AddressInfo } from "node:net";
import {
  type ClientToServerEvents,
  describeZodError,
  type ErrorCode,
  type EventPayload,
  httpStatusOfError,
  LoginThrottle,
  type PinHash,
  type RequestPayload,
  type ResponsePayload,
  type RoomView,
  requestId,
  type ServerToClientEvents,
} from "@rc/protocol";
import { dummyHash, verifyPassword } from "@rc/protocol/password-hash";
import { appFiles, PANEL_PATH } from "@rc/ui-panel/app-files";
import express, { type ErrorRequestHandler, type Request, type Response } from "express";
import type { Logger } from "pino";
import { Server } from "socket.io";
import { z } from "zod";
import type { RoomFeature } from "./room-feature.ts";

export interface LocalPanelOptions {
  /** Where it listens: loopback unless the room's screen is another machine. */
  host: string;
  /** 0: any free port (tests). */
  port: number;
  room: string;
  /** The room as a panel sees it, built from the agent's own parts. */
  view: () => RoomView;
  /** The hash of the room's panel PIN, from the controller's last desired state (null: none, the panel stays locked). */
  pinHash: () => PinHash | null;
  /** The agent's request dispatcher. */
  dispatch: (request: RequestPayload) => Promise<ResponsePayload | null>;
  log: Logger;
  /** The built web app (default: ui-panel/dist). */
  dir?: string;
}

/** Not the controller's name: a browser keeps cookies per host, not per port, and the demo runs both on 127.0.0.1. */
const COOKIE = "rc_room_session";
/** A panel session lasts a working day, as at the controller. */
const SESSION_MS = 12 * 3600_000;
/** A room has a screen or two; past this many sessions the oldest is dropped. */
const MAX_SESSIONS = 50;
const MAX_SOCKETS = 20;
/** Wrong PINs, as at the controller: five a minute per room, twenty per address, then a lock that grows. */
const PER_ROOM_LIMITS = { maxFailures: 5, windowMs: 60_000, maxLockMs: 3600_000 };
const PER_ADDRESS_LIMITS = { maxFailures: 20, windowMs: 60_000, maxLockMs: 3600_000 };
/** scrypt costs 16 MB and tens of ms: more at once are refused (429) rather than queued. */
const MAX_PIN_CHECKS = 2;
/** As the controller's request time-out: a request not started by then is never applied. */
const REQUEST_DEADLINE_MS = 5000;
/** What a panel's socket may send: a subscribe of one room's worth. */
const MAX_SOCKET_MESSAGE_BYTES = 16_384;
/** How often every socket's session is checked again: a PIN changed by the controller or a logout ends it. */
const RECHECK_MS = 1000;
const PANEL_EVENTS: ReadonlySet<EventPayload["type"]> = new Set(["meters", "cut", "speaker_changed"]);

const pinBody = z.strictObject({ room: z.string().min(1).max(64), pin: z.string().min(1).max(16) });
const requestBody = z.strictObject({
  action: z.string().min(1).max(64),
  params: z.record(z.string(), z.unknown()).default({}),
  id: requestId.optional(),
});
const subscribeFilter = z.strictObject({ rooms: z.union([z.literal("all"), z.array(z.string().max(64)).max(100)]) });

interface Session {
  /** The PIN hash it was opened with: a new PIN from the controller ends it. */
  proof: string;
  expiresAt: number;
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header || header.length > 8192) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The controller's problem+json shape (RFC 9457, with `ok`/`error` as its API's first clients read them). */
function problem(response: Response, status: number, code: ErrorCode, detail: string): void {
  response
    .status(status)
    .type("application/problem+json")
    .json({
      type: "about:blank",
      title: STATUS_CODES[status] ?? "Error",
      status,
      detail,
      ok: false,
      error: { code, message: detail },
    });
}

export class LocalPanel implements RoomFeature {
  readonly name = "local panel";
  private http: HttpServer | undefined;
  private io: Server<ClientToServerEvents, ServerToClientEvents> | undefined;
  private recheck: NodeJS.Timeout | undefined;
  private readonly sessions = new Map<string, Session>();
  private readonly perRoom = new LoginThrottle(PER_ROOM_LIMITS);
  private readonly perAddress = new LoginThrottle(PER_ADDRESS_LIMITS);
  private pinChecks = 0;
  private reachable = false;

  constructor(private readonly options: LocalPanelOptions) {}

  /** The address it listens on (http://host:port), once started. */
  get url(): string | undefined {
    const address = this.http?.address() as AddressInfo | null | undefined;
    return address ? `http://${this.options.host}:${address.port}` : undefined;
  }

  async start(): Promise<void> {
    const http = createServer(this.app());
    const io = new Server<ClientToServerEvents, ServerToClientEvents>(http, {
      serveClient: false,
      maxHttpBufferSize: MAX_SOCKET_MESSAGE_BYTES,
    });
    io.use((socket, next) => {
      if (io.engine.clientsCount > MAX_SOCKETS) return next(new Error("too many connections"));
      if (!this.sessionOf(socket.request.headers)) return next(new Error("unauthorized"));
      next();
    });
    io.on("connection", (socket) => {
      socket.emit("centre", { reachable: this.reachable });
      socket.on("subscribe", (filter, answer) => {
        if (typeof answer !== "function") return;
        const parsed = subscribeFilter.safeParse(filter);
        const asked = parsed.success ? parsed.data.rooms : [];
        if (asked !== "all" && !asked.includes(this.options.room)) return answer([]);
        void socket.join("room");
        answer([this.options.view()]);
      });
    });
    this.recheck = setInterval(() => {
      for (const socket of io.sockets.sockets.values()) {
        if (!this.sessionOf(socket.request.headers)) socket.disconnect(true);
      }
    }, RECHECK_MS);
    this.io = io;
    this.http = http;
    await new Promise<void>((resolve, reject) => {
      http.once("error", reject);
      http.listen(this.options.port, this.options.host, () => {
        http.off("error", reject);
        resolve();
      });
    });
    this.options.log.info({ url: `${this.url}/panel/${this.options.room}` }, "local panel listening");
  }

  async stop(): Promise<void> {
    clearInterval(this.recheck);
    const io = this.io;
    this.io = undefined;
    if (!io) return;
    // A client still in a request after a second is cut off, so a stop never hangs.
    const cutOff = setTimeout(() => this.http?.closeAllConnections(), 1000);
    await new Promise<void>((resolve) => io.close(() => resolve()));
    clearTimeout(cutOff);
  }

  /** The room changed (state, health, info): its view to the open panels. */
  changed(): void {
    // Built only for an open panel: most of the time nobody looks at the room's own screen.
    if (!this.io?.of("/").adapter.rooms.get("room")?.size) return;
    this.io.to("room").emit("room", { change: "state", room: this.options.view() });
  }

  /** A room event; the ones a panel shows live (meters, cuts) go to the open panels. */
  event(event: EventPayload): void {
    if (PANEL_EVENTS.has(event.type)) this.io?.to("room").emit("roomEvent", { room: this.options.room, event });
  }

  /** Whether the agent reaches the controller: the panels show a banner while it does not. */
  centre(reachable: boolean): void {
    if (this.reachable === reachable) return;
    this.reachable = reachable;
    this.io?.emit("centre", { reachable });
  }

  private sessionOf(headers: IncomingHttpHeaders): Session | undefined {
    const sid = cookieValue(headers.cookie, COOKIE);
    const session = sid === undefined ? undefined : this.sessions.get(sid);
    if (!session) return undefined;
    if (session.expiresAt > Date.now() && session.proof === this.options.pinHash()?.hash) return session;
    this.sessions.delete(sid!);
    return undefined;
  }

  private app(): express.Express {
    const { room, log } = this.options;
    const app = express();
    app.disable("x-powered-by");
    app.disable("etag");
    app.get("/", (_request, response) => response.redirect(`/panel/${room}`));
    app.use(
      appFiles({
        ...(this.options.dir ? { dir: this.options.dir } : {}),
        isAppPath: (path) => PANEL_PATH.exec(path)?.[1] === room,
        notBuilt: (response) => problem(response, 404, "not_found", "the web app is not built: run scripts/build.sh"),
      }),
    );
    app.use(express.json({ limit: "16kb" }));

    app.post("/api/auth/pin", (request, response) => void this.pin(request, response));
    app.post("/api/auth/logout", (request, response) => {
      const sid = cookieValue(request.headers.cookie, COOKIE);
      if (sid !== undefined) this.sessions.delete(sid);
      response.setHeader("Set-Cookie", `${COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`);
      response.json({ ok: true });
    });
    // Everything else of the API is for an unlocked panel.
    app.use("/api", (request, response, next) => {
      if (this.sessionOf(request.headers)) return next();
      problem(response, 401, "unauthorized", "enter the room's panel PIN");
    });
    app.get("/api/auth/me", (_request, response) => {
      response.json({ user: `panel:${room}`, role: "operator", rooms: [room], credential: `pin:${room}` });
    });
    app.get("/api/rooms", (_request, response) => void response.json([this.options.view()]));
    app.get("/api/rooms/:id", (request, response) => {
      if (request.params.id !== room) return problem(response, 404, "not_found", "this panel serves its own room only");
      response.json(this.options.view());
    });
    app.post("/api/rooms/:id/requests", (request, response) => void this.request(request, response));
    // The centre keeps the sessions: the room's own panel shows none of its own.
    app.get("/api/sessions", (_request, response) => void response.json({ items: [] }));
    app.use("/api", (_request, response) => {
      problem(response, 404, "not_found", "not served by the room's own panel: the controller has it");
    });
    app.use((_request, response) => problem(response, 404, "not_found", "no such page"));
    const failed: ErrorRequestHandler = (failure, _request, response, _next) => {
      const { type, message } = (failure ?? {}) as { type?: unknown; message?: unknown };
      if (type === "entity.too.large") return problem(response, 413, "invalid_params", "body is too large");
      if (type === "entity.parse.failed") return problem(response, 400, "invalid_params", "body is not valid JSON");
      log.warn({ err: String(message).slice(0, 200) }, "local panel request failed");
      problem(response, 400, "invalid_params", "request could not be read");
    };
    app.use(failed);
    return app;
  }

  private async pin(request: Request, response: Response): Promise<void> {
    const { room, log } = this.options;
    const body = pinBody.safeParse(request.body);
    if (!body.success) return problem(response, 400, "invalid_params", describeZodError(body.error));
    const address = request.socket.remoteAddress ?? "?";
    const wait = Math.max(this.perRoom.retryAfterS(room), this.perAddress.retryAfterS(address));
    if (wait > 0 || this.pinChecks >= MAX_PIN_CHECKS) {
      log.warn({ ip: address }, "local panel PIN refused: too many tries");
      response.setHeader("Retry-After", String(Math.max(wait, 1)));
      return problem(response, 429, "rate_limited", `too many wrong PINs lately: retry in ${Math.max(wait, 1)} s`);
    }
    const stored = this.options.pinHash();
    this.pinChecks += 1;
    let right = false;
    try {
      // A wrong room or no PIN yet costs the same scrypt as a wrong PIN.
      right =
        (await verifyPassword(body.data.pin, stored ?? dummyHash())) && stored !== null && body.data.room === room;
    } catch (error) {
      log.error({ err: (error as Error).message }, "local panel PIN not checked");
    } finally {
      this.pinChecks -= 1;
    }
    if (!right || !stored) {
      this.perRoom.fail(room);
      this.perAddress.fail(address);
      log.warn({ ip: address, pinKnown: stored !== null }, "local panel PIN refused");
      return problem(response, 401, "unauthorized", stored ? "wrong room or PIN" : "no PIN from the controller yet");
    }
    this.perRoom.succeed(room);
    if (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
    const sid = randomBytes(32).toString("base64url");
    this.sessions.set(sid, { proof: stored.hash, expiresAt: Date.now() + SESSION_MS });
    log.info({ ip: address }, "local panel unlocked");
    response.setHeader(
      "Set-Cookie",
      `${COOKIE}=${sid}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${SESSION_MS / 1000}`,
    );
    response.json({
      user: `panel:${room}`,
      role: "operator",
      rooms: [room],
      credential: `pin:${room}`,
      expiresAt: new Date(Date.now() + SESSION_MS).toISOString(),
    });
  }

  /** A panel's request, through the agent's dispatcher as one from the controller would go. */
  private async request(request: Request, response: Response): Promise<void> {
    if (request.params.id !== this.options.room) {
      return problem(response, 404, "not_found", "this panel serves its own room only");
    }
    const body = requestBody.safeParse(request.body);
    if (!body.success) return problem(response, 400, "invalid_params", describeZodError(body.error));
    const { action, params, id = randomUUID() } = body.data;
    let answer: ResponsePayload | null;
    try {
      answer = await this.options.dispatch({
        id,
        action,
        params,
        from: `local-panel:${this.options.room}`,
        deadline: Date.now() + REQUEST_DEADLINE_MS,
      });
    } catch (error) {
      this.options.log.error({ id, action, err: (error as Error).message }, "local panel request not dispatched");
      answer = null;
    }
    if (!answer) return problem(response, 500, "internal", "the request could not be dispatched");
    if (answer.ok) return void response.json(answer);
    response.status(httpStatusOfError[answer.error.code]).json(answer);
  }
}
