// REST: rooms, requests to a room's agent, reception sessions, health and metrics.
import { actionParams, describeZodError, isActionName } from "@rc/protocol";
import express, { type ErrorRequestHandler, type Express } from "express";
import { mayDriveFarEnd, mayReachRoom, reachesAllRooms } from "./access.ts";
import { type ArchiveRouteParts, archiveRoutes } from "./archive-api.ts";
import { auditCommands, auditRoutes } from "./audit-api.ts";
import type { AuditLog } from "./audit-log.ts";
import { type Authenticator, actorOf, authorize, authRoutes, callerOf } from "./auth.ts";
import type { DesiredStates } from "./desired-states.ts";
import { type HealthRouteParts, healthRoutes } from "./health-api.ts";
import { jsonBody } from "./json-body.ts";
import { type Metrics, requireMetricsToken } from "./metrics.ts";
import { openApiDocument, ROUTES } from "./openapi.ts";
import { idPageQuery, pageById } from "./paging.ts";
import { panelFiles } from "./panel-files.ts";
import { parseInput, sendProblem, withStatus } from "./problem.ts";
import type { RoomRegistry } from "./registry.ts";
import { type RoomRequests, roomRequestBody, unreachableReason } from "./room-requests.ts";
import { type SessionRouteParts, sessionRoutes } from "./session-api.ts";
import { usersRoutes } from "./users-api.ts";

export interface HttpApiParts {
  /** Who may call what (auth.ts): every route but /healthz, the logins and the agents' uploads needs a caller. */
  auth: Authenticator;
  registry: RoomRegistry;
  requests: RoomRequests;
  metrics: Metrics;
  /** With it, /metrics answers only this bearer token (`--metrics-token`). */
  metricsToken?: string;
  brokerConnected: () => boolean;
  desired: DesiredStates;
  /** Reception sessions, schedules and reports (absent in tests of the rooms' routes alone). */
  sessions?: SessionRouteParts;
  /** The recording archive (absent in tests of the rooms' routes alone). */
  archive?: ArchiveRouteParts;
  /** The audit log every command is recorded in, and its folder (absent in tests of the rooms' routes alone). */
  audit?: { log: AuditLog; dir: string };
  /** Device health: roll-ups, alarms, maintenance, history, restarts (absent in tests of the rooms' routes alone). */
  health?: HealthRouteParts;
}

/** What went wrong before a route could answer, in words that name the real fault (the URL, the body, its size…). */
export function describeHttpFailure(failure: unknown): { status: number; message: string } {
  const fields = (typeof failure === "object" && failure !== null ? failure : {}) as {
    status?: unknown;
    type?: unknown;
    message?: unknown;
  };
  const detail = typeof fields.message === "string" ? fields.message : String(failure);
  // The router decodes path parameters with decodeURIComponent and passes its URIError on with status 400.
  if (failure instanceof URIError) return { status: 400, message: `malformed URL: ${detail}` };
  switch (fields.type) {
    case "entity.parse.failed":
      return { status: 400, message: `body is not valid JSON: ${detail}` };
    case "entity.too.large":
      return { status: 413, message: `body is too large: ${detail}` };
    case "entity.verify.failed":
    case "request.size.invalid":
    case "request.aborted":
      return { status: 400, message: `body could not be read: ${detail}` };
    case "encoding.unsupported":
    case "charset.unsupported":
      return { status: 415, message: `body encoding not supported: ${detail}` };
  }
  const status = typeof fields.status === "number" && fields.status >= 400 && fields.status < 500 ? fields.status : 500;
  return { status, message: detail };
}

export function createHttpApi({
  auth,
  registry,
  requests,
  metrics,
  metricsToken,
  brokerConnected,
  desired,
  sessions,
  archive,
  audit,
  health,
}: HttpApiParts): Express {
  const app = express();
  app.disable("x-powered-by");
  // The web app's files (the IT dashboard at /, a room's panel at /panel/:room): public, before any login check.
  app.use(panelFiles());
  // Outermost, around the audit log too: every answer is timed, refusals by any later layer included.
  app.use(metrics.observeRequests());
  // First: every command is recorded with its answer, refusals by any later layer included.
  if (audit) app.use(auditCommands(audit.log));
  // Before any route and body parser: 401 without credentials, 403 for a role or room that may not (ROUTES' access).
  // With a metrics token, /metrics checks that token itself (a scraper need not be a user).
  const routes = ROUTES.map((route) =>
    route.path === "/metrics" && metricsToken !== undefined
      ? { ...route, access: { own: "the metrics token (--metrics-token)" } }
      : route,
  );
  app.use(
    authorize(auth, routes, {
      session: (id) => sessions?.sessions.get(id),
      recordingSession: (id) => archive?.archive.get(id)?.session,
      liveSessions: () => sessions?.sessions.all() ?? [],
    }),
  );
  app.use(authRoutes(auth, () => metrics.loginFailed()));
  app.use(usersRoutes(auth.store));
  // Before the JSON parser: an upload's body is the file, streamed to disk as it arrives.
  if (archive) app.use(archiveRoutes(archive));
  app.use(jsonBody("64kb"));

  app.get("/healthz", (_request, response) => {
    const connected = brokerConnected();
    withStatus(response, connected ? 200 : 503).json({
      ok: connected,
      broker: connected ? "connected" : "disconnected",
    });
  });

  app.get("/metrics", requireMetricsToken(metricsToken), async (_request, response) => {
    response.type(metrics.contentType).send(await metrics.render());
  });

  let document: Record<string, unknown> | undefined;
  app.get("/api/openapi.json", (_request, response) => {
    document ??= openApiDocument();
    response.json(document);
  });

  app.get("/api/rooms", (request, response) => {
    const query = parseInput(idPageQuery, request.query, response);
    if (!query) return;
    const caller = callerOf(request)!;
    const rooms = reachesAllRooms(caller)
      ? registry.list()
      : registry.list().filter((room) => mayReachRoom(caller, room.id));
    response.json(pageById(rooms, query) ?? rooms);
  });

  app.get("/api/rooms/:id", (request, response) => {
    const room = registry.get(request.params.id);
    if (!room) return sendProblem(response, 404, "not_found", `no room "${request.params.id}"`);
    response.json(room);
  });

  app.post("/api/rooms/:id/requests", async (request, response) => {
    const room = registry.get(request.params.id);
    if (!room) return sendProblem(response, 404, "not_found", `no room "${request.params.id}"`);
    const body = roomRequestBody.safeParse(request.body);
    if (!body.success) return sendProblem(response, 400, "invalid_params", describeZodError(body.error));
    const { action, params, id } = body.data;
    if (!isActionName(action)) return sendProblem(response, 400, "unknown_action", `unknown action "${action}"`);
    // An operator not bound to the room got past authorize only for a session they host: cameras alone, while live.
    const caller = callerOf(request)!;
    if (!mayReachRoom(caller, room.id) && !mayDriveFarEnd(caller, room.id, action, sessions?.sessions.all() ?? [])) {
      return sendProblem(
        response,
        403,
        "forbidden",
        `${caller.name} may only move the cameras of ${room.id} (a point of a live session they host), not ${action}`,
        "action",
      );
    }
    const checked = actionParams[action].safeParse(params);
    if (!checked.success) {
      return sendProblem(response, 400, "invalid_params", describeZodError(checked.error), "params");
    }
    const unreachable = unreachableReason(room, brokerConnected());
    if (unreachable) return sendProblem(response, 503, "device_unavailable", unreachable);
    // A reused id is refused before anything acts on it, a wanted fact changed in the store included.
    const refused = id === undefined ? null : requests.refusal(room.id, id, action, checked.data);
    if (refused) {
      return void withStatus(response, refused.status).json(refused.body);
    }
    const from = `rest:${actorOf(request)}`;
    // A wanted fact (recording) changes in the store first; the agent's answer then says whether it took effect.
    await desired.wish(room, action, checked.data, from);
    const outcome = await requests.send(room.id, action, checked.data, from, id);
    withStatus(response, outcome.status).json(outcome.body);
  });

  if (sessions) app.use(sessionRoutes(sessions));
  if (audit) app.use(auditRoutes(audit.dir));
  if (health) app.use(healthRoutes(health));

  app.use((_request, response) => {
    sendProblem(response, 404, "not_found", "no such endpoint");
  });

  const handleError: ErrorRequestHandler = (failure, _request, response, _next) => {
    const { status, message } = describeHttpFailure(failure);
    sendProblem(
      response,
      status,
      status >= 500 ? "internal" : "invalid_params",
      message,
      message.startsWith("body") ? "body" : null,
    );
  };
  app.use(handleError);
  return app;
}
