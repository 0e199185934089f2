import express, { type NextFunction, type Request, type Response, type Router } from "express";
import { z } from "zod";
import {
  type AuditLog,
  type AuditResult,
  type AuditTarget,
  type AuditTargetKind,
  type AuditWho,
  queryAudit,
} from "./audit-log.ts";
import { callerOf } from "./auth.ts";
import { parseInput } from "./problem.ts";
import { instantOf } from "./reception-time.ts";

/** A command of the API: method, path pattern, the audit action, and which path segments name its targets. */
interface AuditedRoute {
  method: string;
  pattern: RegExp;
  action: string;
  /** The target kind of each captured group, in order. */
  targets: AuditTargetKind[];
  /** A created thing's id, read from the answer. */
  created?: (body: unknown) => AuditTarget;
  /** Targets named in the request's body (a login's user, a PIN's room). */
  named?: (body: unknown) => AuditTarget;
}

const segment = "([^/]+)";
const idOf = (body: unknown) => (body as { id?: unknown } | undefined)?.id;
const stringOr = (value: unknown) => (typeof value === "string" ? value : undefined);

/**
 * What is audited. Not here: reads (GET), and the agents' archive uploads (PUT /api/archive/uploads/…, a room's own
 * data in many pieces, not a person's command; the archive logs them).
 */
const AUDITED_ROUTES: AuditedRoute[] = [
  {
    method: "POST",
    pattern: /^\/api\/auth\/login$/,
    action: "auth.login",
    targets: [],
    named: (body) => ({ user: stringOr((body as { user?: unknown } | undefined)?.user)?.slice(0, 64) }),
  },
  {
    method: "POST",
    pattern: /^\/api\/auth\/pin$/,
    action: "auth.pin",
    targets: [],
    named: (body) => ({ room: stringOr((body as { room?: unknown } | undefined)?.room)?.slice(0, 64) }),
  },
  { method: "POST", pattern: /^\/api\/auth\/logout$/, action: "auth.logout", targets: [] },
  {
    method: "POST",
    pattern: /^\/api\/auth\/tokens$/,
    action: "token.create",
    targets: [],
    created: (body) => ({
      token: stringOr(idOf(body)),
      user: stringOr((body as { user?: unknown } | undefined)?.user),
    }),
  },
  {
    method: "DELETE",
    pattern: new RegExp(`^/api/auth/tokens/${segment}$`),
    action: "token.revoke",
    targets: ["token"],
  },
  {
    method: "POST",
    pattern: /^\/api\/users$/,
    action: "user.add",
    targets: [],
    named: (body) => ({ user: stringOr((body as { name?: unknown } | undefined)?.name)?.slice(0, 64) }),
  },
  {
    method: "POST",
    pattern: new RegExp(`^/api/users/${segment}/password$`),
    action: "user.passwd",
    targets: ["user"],
  },
  { method: "DELETE", pattern: new RegExp(`^/api/users/${segment}$`), action: "user.remove", targets: ["user"] },
  { method: "PUT", pattern: new RegExp(`^/api/rooms/${segment}/pin$`), action: "room.pin", targets: ["room"] },
  { method: "POST", pattern: /^\/api\/rooms\/([^/]+)\/requests$/, action: "room.request", targets: ["room"] },
  {
    method: "POST",
    pattern: /^\/api\/sessions$/,
    action: "session.create",
    targets: [],
    created: (body) => ({ session: stringOr(idOf(body)) }),
  },
  { method: "PATCH", pattern: new RegExp(`^/api/sessions/${segment}$`), action: "session.patch", targets: ["session"] },
  {
    method: "POST",
    pattern: new RegExp(`^/api/sessions/${segment}/start$`),
    action: "session.start",
    targets: ["session"],
  },
  {
    method: "POST",
    pattern: new RegExp(`^/api/sessions/${segment}/end$`),
    action: "session.end",
    targets: ["session"],
  },
  {
    method: "POST",
    pattern: new RegExp(`^/api/sessions/${segment}/cancel$`),
    action: "session.cancel",
    targets: ["session"],
  },
  {
    method: "POST",
    pattern: new RegExp(`^/api/sessions/${segment}/points$`),
    action: "session.point.add",
    targets: ["session"],
  },
  {
    method: "PATCH",
    pattern: new RegExp(`^/api/sessions/${segment}/points/${segment}$`),
    action: "session.point.patch",
    targets: ["session", "room"],
  },
  {
    method: "DELETE",
    pattern: new RegExp(`^/api/sessions/${segment}/points/${segment}$`),
    action: "session.point.remove",
    targets: ["session", "room"],
  },
  {
    method: "POST",
    pattern: new RegExp(`^/api/sessions/${segment}/notes$`),
    action: "session.note",
    targets: ["session"],
  },
  {
    method: "POST",
    pattern: new RegExp(`^/api/sessions/${segment}/recordings/hold$`),
    action: "session.recordings.hold",
    targets: ["session"],
  },
  {
    method: "POST",
    pattern: new RegExp(`^/api/recordings/${segment}/hold$`),
    action: "recording.hold",
    targets: ["recording"],
  },
  {
    method: "POST",
    pattern: /^\/api\/schedules$/,
    action: "schedule.create",
    targets: [],
    created: (body) => ({ schedule: stringOr(idOf((body as { schedule?: unknown } | undefined)?.schedule)) }),
  },
  {
    method: "PATCH",
    pattern: new RegExp(`^/api/schedules/${segment}$`),
    action: "schedule.patch",
    targets: ["schedule"],
  },
  { method: "POST", pattern: new RegExp(`^/api/alarms/${segment}/ack$`), action: "alarm.ack", targets: ["alarm"] },
  {
    method: "POST",
    pattern: /^\/api\/maintenance$/,
    action: "maintenance.create",
    targets: [],
    created: (body) => ({
      maintenance: stringOr(idOf(body)),
      room: stringOr((body as { room?: unknown } | undefined)?.room),
    }),
  },
  {
    method: "DELETE",
    pattern: new RegExp(`^/api/maintenance/${segment}$`),
    action: "maintenance.remove",
    targets: ["maintenance"],
  },
  {
    method: "POST",
    pattern: new RegExp(`^/api/rooms/${segment}/devices/${segment}/restart$`),
    action: "device.restart",
    targets: ["room", "device"],
  },
];

/**
 * Who calls over REST: the user (a panel's PIN: "panel:ROOM") and the credential they used; null before a login
 * (a refused or a failed one, whose tried name is in `params` and `target`).
 */
export function restCaller(request: Request): AuditWho {
  const caller = callerOf(request);
  return {
    user: caller?.name ?? null,
    via: "rest",
    address: request.ip ?? request.socket.remoteAddress ?? null,
    ...(caller ? { credential: caller.credential } : {}),
  };
}

function resultOf(status: number, body: unknown): AuditResult {
  if (status < 400) return { ok: true, status };
  const error = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  return {
    ok: false,
    status,
    code: typeof error?.code === "string" ? error.code : `http_${status}`,
    message: typeof error?.message === "string" ? error.message : "",
  };
}

function decoded(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/**
 * Records each command in AUDITED_ROUTES once its answer is given: when the route answers with JSON (also when the
 * caller has gone by then), or else when the answer is finished. Mounted before every route and body parser; it
 * reads the parsed body only then.
 */
export function auditCommands(audit: AuditLog): express.RequestHandler {
  return (request: Request, response: Response, next: NextFunction) => {
    const path = request.path;
    const route = AUDITED_ROUTES.find((each) => each.method === request.method && each.pattern.test(path));
    if (!route) return next();
    const groups = route.pattern.exec(path)!.slice(1);
    let done = false;
    const record = (body: unknown) => {
      if (done) return;
      done = true;
      const target: AuditTarget = {};
      route.targets.forEach((kind, index) => {
        target[kind] = decoded(groups[index]!).slice(0, 200);
      });
      const status = response.statusCode;
      if (route.named) Object.assign(target, route.named(request.body));
      if (route.created && status < 400) Object.assign(target, route.created(body));
      audit.record({
        who: restCaller(request),
        what: { action: route.action, target: JSON.parse(JSON.stringify(target)) as AuditTarget },
        params: request.body ?? {},
        result: resultOf(status, body),
      });
    };
    const json = response.json.bind(response);
    response.json = (body: unknown) => {
      record(body);
      return json(body);
    };
    response.once("finish", () => record(undefined));
    next();
  };
}

const isoOrDate = z.union([z.iso.date(), z.iso.datetime({ offset: true })]);
export const auditQuery = z.strictObject({
  from: isoOrDate.optional(),
  to: isoOrDate.optional(),
  room: z.string().min(1).max(200).optional(),
  user: z.string().min(1).max(200).optional(),
  /** The `nextCursor` of the page before: the sequence number of its last (oldest) entry. */
  cursor: z
    .string()
    .regex(/^\d{1,15}$/, "not a cursor this API gave")
    .optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export function auditRoutes(dir: string): Router {
  const router = express.Router();
  // For admin and it: ROUTES' access, checked by authorize.
  router.get("/api/audit", async (request, response) => {
    const query = parseInput(auditQuery, request.query, response);
    if (!query) return;
    const page = await queryAudit(dir, {
      ...(query.from ? { from: instantOf(query.from) } : {}),
      ...(query.to ? { to: instantOf(query.to) } : {}),
      ...(query.room ? { room: query.room } : {}),
      ...(query.user ? { user: query.user } : {}),
      ...(query.cursor ? { before: Number(query.cursor) } : {}),
      limit: query.limit,
    });
    response.json({ items: page.items, nextCursor: page.more ? String(page.items.at(-1)!.seq) : null });
  });
  return router;
}
