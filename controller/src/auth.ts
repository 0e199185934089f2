// Authentication and authorization of the REST API and socket.io (issue 14; the roles and rules: access.ts).
//
// HOW A ROUTE SAYS WHO MAY CALL IT: by its `access` in ROUTES (openapi.ts), the one list of what the app serves:
//   access: { roles: ["admin", "it"] }                    these roles
//   access: { roles: ANY_ROLE, scope: "room" }            any role, and an operator only for a room of theirs
//   access: { open: "why" } / { own: "why" }              anyone / the route checks credentials of its own
// A route without `access`, and a path in no route, is for admin alone: nothing new is served to anyone by mistake.
// `authorize` checks it before any route or body parser runs: no credentials → 401, the wrong role or room → 403.
// A route reads who called with `callerOf(request)`.
//
// Credentials: a browser session (POST /api/auth/login or /api/auth/pin → an httpOnly, SameSite=Strict cookie, kept
// in memory, so a restart logs browsers out), or an API token (`Authorization: Bearer rc_…`, users.ts). socket.io
// takes the same cookie, or the token as `auth: {token}`.
import { randomBytes } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { LoginThrottle } from "@rc/protocol";
import express, { type NextFunction, type Request, type RequestHandler, type Response, type Router } from "express";
import type { Logger } from "pino";
import { z } from "zod";
import {
  type Access,
  type Caller,
  DEFAULT_ACCESS,
  type LiveSessionFacts,
  mayDriveFarEnd,
  mayReachRoom,
  maySessionAction,
  type SessionFacts,
} from "./access.ts";
import { ConnectRateLimit } from "./connection-guard.ts";
import { verifyPassword } from "./credentials.ts";
import { jsonBody } from "./json-body.ts";
import { parseInput, sendProblem } from "./problem.ts";
import type { Store, UserRecord } from "./store.ts";
import { addToken, findUser, revokeToken, tokenOf, UserChangeError } from "./users.ts";

export const SESSION_COOKIE = "rc_session";
/** A browser session lasts a working day; then its user logs in again. */
export const BROWSER_SESSION_MS = 12 * 3600_000;
/** Browser sessions kept at most: past that, the oldest is dropped. */
const MAX_BROWSER_SESSIONS = 10_000;
/** Five wrong tries a minute per user name or room PIN (the sixth is refused with 429), then a growing lock. */
export const PER_NAME_LIMITS = { maxFailures: 5, windowMs: 60_000, maxLockMs: 3600_000 };
/** An address may fail more (an office behind one NAT address has many people). */
export const PER_ADDRESS_LIMITS = { maxFailures: 20, windowMs: 60_000, maxLockMs: 3600_000 };
/**
 * Requests refused for their credentials, per address: past this, 429 (each refusal of a command is an audit entry,
 * so a flood without credentials must not grow the log at will).
 */
export const UNAUTHENTICATED_BUDGET = { burst: 200, perSecond: 20 };

interface BrowserSession {
  /** The user logged in with a password, or null for a panel's PIN. */
  user: string | null;
  /** The room a panel's PIN opened. */
  room: string | null;
  /** The stored hash the password or PIN matched: a changed one ends the session. */
  proof: string;
  expiresAt: number;
}

export const loginBody = z.strictObject({
  user: z.string().min(1).max(64),
  password: z.string().min(1).max(256),
});
export const pinBody = z.strictObject({
  room: z.string().min(1).max(64),
  pin: z.string().min(1).max(16),
});
export const tokenBody = z.strictObject({
  label: z.string().max(200).default(""),
  /** Whose token: the caller's own by default; another user's only for admin. */
  user: z.string().min(1).max(64).optional(),
});

/** Who each request was authenticated as (set by `authorize`). */
const callers = new WeakMap<Request, Caller>();

/** Who called: set for every route that is not open. */
export function callerOf(request: Request): Caller | undefined {
  return callers.get(request);
}

/** The caller's name for records (changedBy, transitions, holds). */
export function actorOf(request: Request): string {
  return callerOf(request)?.name ?? `anonymous:${request.ip ?? "?"}`;
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header || header.length > 8192) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The users, tokens and PINs of the store, browser sessions in memory, and the throttles of logins. */
export class Authenticator {
  private readonly browserSessions = new Map<string, BrowserSession>();
  readonly perName: LoginThrottle;
  readonly perAddress: LoginThrottle;

  constructor(
    readonly store: Store,
    readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.perName = new LoginThrottle(PER_NAME_LIMITS, now);
    this.perAddress = new LoginThrottle(PER_ADDRESS_LIMITS, now);
  }

  /**
   * Who the credentials of a request or socket are: a Caller; null when there are none; "invalid" when some were
   * given and are not right (a revoked token, an expired session, a user gone).
   */
  authenticate(headers: IncomingHttpHeaders, token?: unknown): Caller | null | "invalid" {
    const authorization = headers.authorization;
    const bearer = typeof token === "string" ? token : /^Bearer (\S{1,200})$/.exec(authorization ?? "")?.[1];
    if (bearer !== undefined) return this.tokenCaller(bearer) ?? "invalid";
    if (authorization !== undefined) return "invalid"; // another scheme (Basic is only for the agents' uploads)
    const sid = cookieValue(headers.cookie, SESSION_COOKIE);
    if (sid === undefined) return null;
    return this.sessionCaller(sid) ?? "invalid";
  }

  private tokenCaller(presented: string): Caller | undefined {
    const token = tokenOf(this.store.data.tokens, presented);
    const user = token && findUser(this.store.data.users, token.user);
    return user ? userCaller(user, `token:${token!.id}`) : undefined;
  }

  private sessionCaller(sid: string): Caller | undefined {
    const session = this.browserSessions.get(sid);
    if (!session) return undefined;
    if (session.expiresAt <= this.now()) {
      this.browserSessions.delete(sid);
      return undefined;
    }
    if (session.user !== null) {
      const user = findUser(this.store.data.users, session.user);
      if (!user || user.password.hash !== session.proof) return undefined;
      return userCaller(user, "password");
    }
    const room = session.room!;
    const pins = this.store.data.pins;
    if (!Object.hasOwn(pins, room) || pins[room]!.hash !== session.proof) return undefined;
    return { name: `panel:${room}`, role: "operator", rooms: [room], credential: `pin:${room}` };
  }

  /** Seconds the keys must wait before another try (0: go on). */
  retryAfterS(name: string, address: string): number {
    return Math.max(this.perName.retryAfterS(name), this.perAddress.retryAfterS(address));
  }

  /** Checks a user's password; a session id when right. An unknown user costs the same scrypt as a known one. */
  async login(name: string, password: string, address: string): Promise<string | undefined> {
    const user = findUser(this.store.data.users, name);
    const right = await verifyPassword(password, user?.password ?? DUMMY_HASH);
    return this.settle(
      `user:${name}`,
      address,
      user && right ? { user: name, room: null, proof: user.password.hash } : undefined,
    );
  }

  /** Checks a room's panel PIN; a session id (an operator of that room alone) when right. */
  async pin(room: string, pin: string, address: string): Promise<string | undefined> {
    const pins = this.store.data.pins;
    const stored = Object.hasOwn(pins, room) ? pins[room] : undefined;
    const right = await verifyPassword(pin, stored ?? DUMMY_HASH);
    return this.settle(`pin:${room}`, address, stored && right ? { user: null, room, proof: stored.hash } : undefined);
  }

  private settle(key: string, address: string, session: Omit<BrowserSession, "expiresAt"> | undefined) {
    if (!session) {
      this.perName.fail(key);
      this.perAddress.fail(address);
      return undefined;
    }
    this.perName.succeed(key);
    if (this.browserSessions.size >= MAX_BROWSER_SESSIONS) this.dropOldest();
    const sid = randomBytes(32).toString("base64url");
    this.browserSessions.set(sid, { ...session, expiresAt: this.now() + BROWSER_SESSION_MS });
    return sid;
  }

  logout(headers: IncomingHttpHeaders): void {
    const sid = cookieValue(headers.cookie, SESSION_COOKIE);
    if (sid !== undefined) this.browserSessions.delete(sid);
  }

  private dropOldest(): void {
    const now = this.now();
    for (const [sid, session] of this.browserSessions) if (session.expiresAt <= now) this.browserSessions.delete(sid);
    const oldest = this.browserSessions.keys().next();
    if (this.browserSessions.size >= MAX_BROWSER_SESSIONS && !oldest.done) this.browserSessions.delete(oldest.value);
  }
}

/** Compared against when there is no user or PIN, so that a wrong name takes as long as a wrong password. */
const DUMMY_HASH = {
  algorithm: "scrypt" as const,
  salt: randomBytes(16).toString("base64"),
  hash: randomBytes(32).toString("base64"),
};

function userCaller(user: UserRecord, credential: string): Caller {
  return { name: user.name, role: user.role, rooms: user.rooms, credential };
}

function refuseUnauthenticated(response: Response, invalid: boolean): void {
  response.setHeader("WWW-Authenticate", 'Bearer realm="controller"');
  sendProblem(
    response,
    401,
    "unauthorized",
    invalid ? "the credentials given are not valid (or no longer)" : "log in, or send an API token",
  );
}

/** What `authorize` needs to know to decide a route's scope for an operator. */
export interface ScopeFacts {
  session(id: string): SessionFacts | undefined;
  /** The session a recording belongs to. */
  recordingSession(id: string): string | undefined;
  liveSessions(): Iterable<LiveSessionFacts>;
}

export interface AuthorizedRoute {
  method: string;
  /** In express's form (`/api/rooms/:id`). */
  path: string;
  access?: Access;
}

interface CompiledRoute {
  method: string;
  pattern: RegExp;
  names: string[];
  access: Access;
}

function compile(route: AuthorizedRoute): CompiledRoute {
  const names: string[] = [];
  const source = route.path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/:(\w+)/g, (_all, name: string) => {
    names.push(name);
    return "([^/]+)";
  });
  return {
    method: route.method.toUpperCase(),
    pattern: new RegExp(`^${source}/?$`),
    names,
    access: route.access ?? DEFAULT_ACCESS,
  };
}

function decoded(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/** Whether an operator's request concerns a room of theirs (see Scope in access.ts). */
function inScope(
  caller: Caller,
  method: string,
  access: { scope?: string },
  params: Map<string, string>,
  facts: ScopeFacts,
) {
  const read = method === "GET" || method === "HEAD";
  const sessionAllows = (id: string | undefined) => {
    const session = id === undefined ? undefined : facts.session(id);
    return session !== undefined && maySessionAction(caller, read ? "read" : "change", session);
  };
  switch (access.scope) {
    case undefined:
      return true;
    case "room": {
      const room = params.get("id") ?? "";
      // A room not theirs: only a camera of a component point of a live session they host (the route checks the action).
      return mayReachRoom(caller, room) || (!read && mayDriveFarEnd(caller, room, undefined, facts.liveSessions()));
    }
    case "session":
      return sessionAllows(params.get("id"));
    case "session-point":
      return sessionAllows(params.get("id")) || mayReachRoom(caller, params.get("room") ?? "");
    case "recording":
      return sessionAllows(facts.recordingSession(params.get("id") ?? ""));
    default:
      return false;
  }
}

/**
 * The check in front of every route: finds the request's route in `routes` and applies its access; 401 without
 * valid credentials, 403 for a role or room that may not. Mount it before every route and body parser.
 */
export function authorize(auth: Authenticator, routes: readonly AuthorizedRoute[], facts: ScopeFacts): RequestHandler {
  const compiled = routes.map(compile);
  const refusals = new ConnectRateLimit(UNAUTHENTICATED_BUDGET);
  return (request: Request, response: Response, next: NextFunction) => {
    const method = request.method;
    let route: CompiledRoute | undefined;
    let match: RegExpExecArray | null = null;
    for (const each of compiled) {
      // A GET route also serves HEAD (express answers it).
      if (each.method !== method && !(method === "HEAD" && each.method === "GET")) continue;
      match = each.pattern.exec(request.path);
      if (match) {
        route = each;
        break;
      }
    }
    const access = route?.access ?? DEFAULT_ACCESS;
    if ("open" in access || "own" in access) return next();
    let caller: Caller | null | "invalid";
    try {
      caller = auth.authenticate(request.headers);
    } catch {
      caller = "invalid";
    }
    if (caller === null || caller === "invalid") {
      if (!refusals.take(addressOf(request))) {
        response.setHeader("Retry-After", "1");
        return sendProblem(response, 429, "rate_limited", "too many requests without valid credentials: retry later");
      }
      return refuseUnauthenticated(response, caller === "invalid");
    }
    callers.set(request, caller);
    if (!access.roles.includes(caller.role)) {
      return sendProblem(
        response,
        403,
        "forbidden",
        `for ${access.roles.join(", ")}; ${caller.name} is ${caller.role}`,
      );
    }
    const params = new Map<string, string>();
    for (const [index, name] of (route?.names ?? []).entries()) params.set(name, decoded(match![index + 1]!));
    if (caller.role === "operator" && !inScope(caller, method, access, params, facts)) {
      return sendProblem(response, 403, "forbidden", `${caller.name} is not an operator of the room this concerns`);
    }
    next();
  };
}

function sessionCookie(request: Request, sid: string, maxAgeS: number): string {
  const secure = request.secure ? "; Secure" : "";
  return `${SESSION_COOKIE}=${sid}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${secure}`;
}

function addressOf(request: Request): string {
  return request.ip ?? request.socket.remoteAddress ?? "?";
}

/**
 * POST /api/auth/login · /api/auth/pin · /api/auth/logout · GET /api/auth/me · GET|POST /api/auth/tokens ·
 * DELETE /api/auth/tokens/:id. Mounted after `authorize` (login and PIN are open; the rest need a caller).
 */
export function authRoutes(auth: Authenticator, onLoginFailed: () => void = () => {}): Router {
  const { store, log } = auth;
  const router = express.Router();
  const tooMany = (response: Response, retryAfterS: number, what: string) => {
    response.setHeader("Retry-After", String(retryAfterS));
    sendProblem(response, 429, "rate_limited", `too many wrong ${what} lately: retry in ${retryAfterS} s`);
  };
  const loggedIn = (request: Request, response: Response, sid: string, caller: Caller) => {
    callers.set(request, caller);
    response.setHeader("Set-Cookie", sessionCookie(request, sid, BROWSER_SESSION_MS / 1000));
    response.json({ ...whoView(caller), expiresAt: new Date(Date.now() + BROWSER_SESSION_MS).toISOString() });
  };

  router.post("/api/auth/login", ...jsonBody("4kb"), async (request, response) => {
    const body = parseInput(loginBody, request.body, response);
    if (!body) return;
    const address = addressOf(request);
    const wait = auth.retryAfterS(`user:${body.user}`, address);
    if (wait > 0) {
      onLoginFailed();
      return tooMany(response, wait, "logins");
    }
    const sid = await auth.login(body.user, body.password, address);
    if (!sid) {
      onLoginFailed();
      log.warn({ user: body.user.slice(0, 64), ip: address }, "login refused");
      return sendProblem(response, 401, "unauthorized", "wrong user name or password");
    }
    const user = findUser(store.data.users, body.user)!;
    loggedIn(request, response, sid, userCaller(user, "password"));
  });

  router.post("/api/auth/pin", ...jsonBody("4kb"), async (request, response) => {
    const body = parseInput(pinBody, request.body, response);
    if (!body) return;
    const address = addressOf(request);
    const wait = auth.retryAfterS(`pin:${body.room}`, address);
    if (wait > 0) {
      onLoginFailed();
      log.warn({ room: body.room.slice(0, 64), ip: address }, "panel PIN refused: too many wrong PINs");
      return tooMany(response, wait, "PINs");
    }
    const sid = await auth.pin(body.room, body.pin, address);
    if (!sid) {
      onLoginFailed();
      log.warn({ room: body.room.slice(0, 64), ip: address }, "panel PIN refused");
      return sendProblem(response, 401, "unauthorized", "wrong room or PIN");
    }
    loggedIn(request, response, sid, {
      name: `panel:${body.room}`,
      role: "operator",
      rooms: [body.room],
      credential: `pin:${body.room}`,
    });
  });

  router.post("/api/auth/logout", (request, response) => {
    auth.logout(request.headers);
    response.setHeader("Set-Cookie", sessionCookie(request, "", 0));
    response.json({ ok: true });
  });

  router.get("/api/auth/me", (request, response) => {
    response.json(whoView(callerOf(request)!));
  });

  const mayManageTokens = (caller: Caller, response: Response): boolean => {
    if (!caller.credential.startsWith("pin:")) return true;
    sendProblem(response, 403, "forbidden", "a panel's PIN session has no API tokens");
    return false;
  };

  router.get("/api/auth/tokens", (request, response) => {
    const caller = callerOf(request)!;
    if (!mayManageTokens(caller, response)) return;
    const tokens = Object.values(store.data.tokens).filter(
      (token) => caller.role === "admin" || token.user === caller.name,
    );
    response.json(tokens.map(({ sha256: _secret, ...token }) => token));
  });

  router.post("/api/auth/tokens", ...jsonBody("4kb"), async (request, response) => {
    const caller = callerOf(request)!;
    if (!mayManageTokens(caller, response)) return;
    const body = parseInput(tokenBody, request.body, response);
    if (!body) return;
    const user = body.user ?? caller.name;
    if (user !== caller.name && caller.role !== "admin") {
      return sendProblem(response, 403, "forbidden", "only admin makes tokens for another user", "user");
    }
    try {
      const { id, token } = await addToken(store, user, body.label);
      response.location(`/api/auth/tokens/${id}`);
      response.status(201).json({ id, user, label: body.label, token });
    } catch (error) {
      if (!(error instanceof UserChangeError)) throw error;
      sendProblem(
        response,
        error.status,
        error.status === 404 ? "not_found" : "invalid_params",
        error.message,
        error.field,
      );
    }
  });

  router.delete("/api/auth/tokens/:id", async (request, response) => {
    const caller = callerOf(request)!;
    if (!mayManageTokens(caller, response)) return;
    const id = String(request.params.id);
    const tokens = store.data.tokens;
    const token = Object.hasOwn(tokens, id) ? tokens[id] : undefined;
    // Another user's token is "not found" to a non-admin: its existence is not theirs to learn.
    if (!token || (token.user !== caller.name && caller.role !== "admin")) {
      return sendProblem(response, 404, "not_found", `no token "${id.slice(0, 64)}"`);
    }
    await revokeToken(store, id);
    response.json({ id, revoked: true });
  });

  return router;
}

function whoView(caller: Caller) {
  return { user: caller.name, role: caller.role, rooms: caller.rooms, credential: caller.credential };
}
