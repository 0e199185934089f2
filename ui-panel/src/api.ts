// The controller's REST API as the app uses it (same origin, the session cookie): requests to a room's agent with a
// request id, logins, sessions, alarms. Every failure becomes an ApiError with a code from the protocol's closed list
// (or "network"), which the catalogue turns into words and what to do; nothing else of it reaches the screen.
import type { ErrorCode, SessionView } from "@rc/protocol";

export type FailureCode = ErrorCode | "network";

export class ApiError extends Error {
  constructor(
    readonly code: FailureCode,
    readonly status: number,
    /** Seconds to wait, from Retry-After (429, 503). */
    readonly retryAfterS: number | null = null,
  ) {
    super(code);
  }
}

/** The protocol's error codes (a type import: the protocol's schemas stay out of the browser bundle). */
const ERROR_CODES: Record<ErrorCode, true> = {
  invalid_params: true,
  unknown_action: true,
  not_found: true,
  conflict: true,
  device_unavailable: true,
  device_error: true,
  timeout: true,
  internal: true,
  unauthorized: true,
  forbidden: true,
  rate_limited: true,
};

function codeOf(status: number, body: unknown): ErrorCode {
  const code = (body as { code?: unknown } | null)?.code;
  if (typeof code === "string" && Object.hasOwn(ERROR_CODES, code)) return code as ErrorCode;
  if (status === 401) return "unauthorized";
  if (status === 403) return "forbidden";
  if (status === 404) return "not_found";
  if (status === 429) return "rate_limited";
  if (status === 503) return "device_unavailable";
  if (status === 504) return "timeout";
  return status >= 500 ? "internal" : "invalid_params";
}

/** Called on any 401: the face shows its lock screen or login. */
let onUnauthorized: () => void = () => {};
export function whenUnauthorized(handler: () => void): void {
  onUnauthorized = handler;
}

export async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      credentials: "same-origin",
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError("network", 0);
  }
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (!response.ok) {
    const retryAfter = Number(response.headers.get("retry-after"));
    const error = new ApiError(codeOf(response.status, parsed), response.status, retryAfter > 0 ? retryAfter : null);
    // A wrong PIN or password is the login form's own answer, not a session that ended.
    if (response.status === 401 && !path.startsWith("/api/auth/")) onUnauthorized();
    throw error;
  }
  return parsed as T;
}

/** Requests in flight by what they ask: a second tap on the same control while the first is on its way sends nothing. */
const inFlight = new Map<string, Promise<unknown>>();

/**
 * Sends a request to the room's agent (POST /api/rooms/:id/requests) with a fresh request id; the same request asked
 * again while it is in flight joins the first one instead of sending another, and the controller answers a copy of
 * an id without applying it twice.
 */
export function sendRequest(room: string, action: string, params: Record<string, unknown>): Promise<unknown> {
  const key = JSON.stringify([room, action, params]);
  const pending = inFlight.get(key);
  if (pending) return pending;
  const id = `panel-${crypto.randomUUID()}`;
  const sent = call("POST", `/api/rooms/${encodeURIComponent(room)}/requests`, { id, action, params }).finally(() =>
    inFlight.delete(key),
  );
  inFlight.set(key, sent);
  return sent;
}

export function loginWithPin(room: string, pin: string): Promise<unknown> {
  return call("POST", "/api/auth/pin", { room, pin });
}

export function loginWithPassword(user: string, password: string): Promise<unknown> {
  return call("POST", "/api/auth/login", { user, password });
}

export function logout(): Promise<unknown> {
  return call("POST", "/api/auth/logout");
}

/** The room's session to show: the live one, else the next scheduled one. */
export async function currentSession(room: string): Promise<SessionView | null> {
  for (const state of ["live", "scheduled"] as const) {
    const page = await call<{ items: SessionView[] }>(
      "GET",
      `/api/sessions?room=${encodeURIComponent(room)}&state=${state}&limit=1`,
    );
    if (page.items[0]) return page.items[0];
  }
  return null;
}

export function sessionTransition(session: string, transition: "start" | "end"): Promise<SessionView> {
  return call("POST", `/api/sessions/${encodeURIComponent(session)}/${transition}`);
}
