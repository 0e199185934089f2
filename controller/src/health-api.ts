// REST of device health (issue 14 part 3): the roll-ups and counts, alarms and their acknowledgement, maintenance
// windows, a room's history and telemetry series, and IT's remote restart of a device's driver. Who may call each
// route is in HEALTH_ROUTES: reads for every role, acknowledgements, maintenance and restarts for admin and it.
import { ID_PATTERN, type RoomView } from "@rc/protocol";
import express, { type Request, type Router } from "express";
import { z } from "zod";
import { type Access, ANY_ROLE } from "./access.ts";
import type { Alarm } from "./alarms.ts";
import { restCaller } from "./audit-api.ts";
import type { Health } from "./health.ts";
import type { DocumentedRoute } from "./openapi.ts";
import { ProblemError, parseInput, problemRoute, sendProblem, withStatus } from "./problem.ts";
import { instantOf } from "./reception-time.ts";
import type { RoomRegistry } from "./registry.ts";
import { HISTORY_CURSOR } from "./room-history.ts";
import { type RoomRequests, unreachableReason } from "./room-requests.ts";
import { timeBound } from "./session-input.ts";

export interface HealthRouteParts {
  health: Health;
  registry: RoomRegistry;
  requests: RoomRequests;
  brokerConnected: () => boolean;
}

const id = z.string().regex(ID_PATTERN, "expected a lower-case id: letters, digits, '-'");
const limit = z.coerce.number().int().min(1).max(500).default(100);
/** The longest maintenance window: a quarter (a refit); anything longer is a room taken out of service. */
const MAX_WINDOW_DAYS = 92;

export const healthQuery = z.strictObject({
  /** The `nextCursor` of the page before: the last room id it showed. */
  cursor: z.string().regex(ID_PATTERN, "not a cursor this API gave").optional(),
  limit,
});

export const alarmListQuery = z.strictObject({
  active: z.enum(["true", "false"]).optional(),
  /** The `nextCursor` of the page before: the last (oldest) alarm id it showed. */
  cursor: z
    .string()
    .regex(/^alarm-[0-9a-z]{9}-[0-9a-f]{6}$/, "not a cursor this API gave")
    .optional(),
  limit,
});

export const ackBody = z.strictObject({ note: z.string().trim().min(1).max(1000) });

export const maintenanceBody = z
  .strictObject({
    room: id,
    /** Without it, the whole room. */
    device: id.optional(),
    /** Without it, now. */
    from: timeBound.optional(),
    until: timeBound,
    reason: z.string().trim().min(1).max(500),
  })
  .superRefine((body, context) => {
    const from = body.from ? instantOf(body.from).getTime() : Date.now();
    const until = instantOf(body.until).getTime();
    if (until <= from) context.addIssue({ code: "custom", path: ["until"], message: "until must be after from" });
    else if (until <= Date.now()) context.addIssue({ code: "custom", path: ["until"], message: "until is past" });
    else if (until - from > MAX_WINDOW_DAYS * 24 * 3600_000)
      context.addIssue({ code: "custom", path: ["until"], message: `a window lasts at most ${MAX_WINDOW_DAYS} days` });
  });

export const maintenanceListQuery = z.strictObject({
  room: id.optional(),
  cursor: z
    .string()
    .regex(/^mw-[0-9a-z]{9}-[0-9a-f]{6}$/, "not a cursor this API gave")
    .optional(),
  limit,
});

export const historyQuery = z.strictObject({
  from: timeBound.optional(),
  to: timeBound.optional(),
  /** The `nextCursor` of the page before. */
  cursor: z.string().regex(HISTORY_CURSOR, "not a cursor this API gave").optional(),
  limit,
});

/**
 * A page of a list sorted by id (ascending, or descending for newest first), after the id `cursor`: compared, not
 * looked up, so a page goes on where it was even if that item has since left the list.
 */
function pageAfter<T extends { id: string }>(
  sorted: T[],
  cursor: string | undefined,
  size: number,
  order: "ascending" | "descending",
) {
  const after =
    cursor === undefined
      ? sorted
      : sorted.filter((item) => (order === "ascending" ? item.id > cursor : item.id < cursor));
  const items = after.slice(0, size);
  return { items, nextCursor: after.length > size ? items.at(-1)!.id : null };
}

/** A path parameter (express 5 types them as possibly repeated). */
function param(request: Request, name: string): string {
  return String(request.params[name]);
}

function roomOf(registry: RoomRegistry, room: string): RoomView {
  const view = registry.get(room);
  if (!view) throw new ProblemError(404, `no room "${room}"`);
  return view;
}

export function healthRoutes({ health, registry, requests, brokerConnected }: HealthRouteParts): Router {
  const router = express.Router();

  router.get(
    "/api/health",
    problemRoute((request, response) => {
      const query = parseInput(healthQuery, request.query, response);
      if (!query) return;
      const rollups = health.rollups().sort((a, b) => (a.room < b.room ? -1 : a.room > b.room ? 1 : 0));
      const start = query.cursor === undefined ? 0 : rollups.findIndex((rollup) => rollup.room > query.cursor!);
      const items = start < 0 ? [] : rollups.slice(start, start + query.limit);
      const more = start >= 0 && start + query.limit < rollups.length;
      response.json({ counts: health.counts(), items, nextCursor: more ? items.at(-1)!.room : null });
    }),
  );

  router.get(
    "/api/rooms/:id/health",
    problemRoute((request, response) => {
      roomOf(registry, param(request, "id"));
      response.json(health.rollup(param(request, "id")));
    }),
  );

  router.get(
    "/api/alarms",
    problemRoute((request, response) => {
      const query = parseInput(alarmListQuery, request.query, response);
      if (!query) return;
      const alarms = health.alarms(query.active === undefined ? {} : { active: query.active === "true" });
      response.json(pageAfter(alarms, query.cursor, query.limit, "descending"));
    }),
  );

  router.post(
    "/api/alarms/:id/ack",
    problemRoute((request, response) => {
      const body = parseInput(ackBody, request.body, response);
      if (!body) return;
      const alarm: Alarm | undefined = health.alarm(param(request, "id"));
      if (!alarm) throw new ProblemError(404, `no alarm "${param(request, "id")}"`);
      const by = restCaller(request).user ?? "anonymous";
      if (!health.acknowledge(alarm, by, body.note)) {
        throw new ProblemError(409, `alarm ${alarm.id} was acknowledged by ${alarm.ack!.by} at ${alarm.ack!.at}`);
      }
      response.json(alarm);
    }),
  );

  router.get(
    "/api/maintenance",
    problemRoute((request, response) => {
      const query = parseInput(maintenanceListQuery, request.query, response);
      if (!query) return;
      const windows = health.maintenanceWindows().filter((window) => !query.room || window.room === query.room);
      response.json(pageAfter(windows, query.cursor, query.limit, "ascending"));
    }),
  );

  router.post(
    "/api/maintenance",
    problemRoute((request, response) => {
      const body = parseInput(maintenanceBody, request.body, response);
      if (!body) return;
      const view = registry.get(body.room);
      if (!view) throw new ProblemError(404, `no room "${body.room}"`, "room");
      if (body.device && view.info && !view.info.devices.some((device) => device.id === body.device)) {
        throw new ProblemError(404, `room ${body.room} has no device "${body.device}"`, "device");
      }
      const window = health.addMaintenance({
        room: body.room,
        device: body.device ?? null,
        from: (body.from ? instantOf(body.from) : new Date()).toISOString(),
        until: instantOf(body.until).toISOString(),
        reason: body.reason,
        createdBy: restCaller(request).user ?? "anonymous",
      });
      if (!window) throw new ProblemError(409, "too many maintenance windows: remove some first");
      withStatus(response, 201).location(`/api/maintenance/${window.id}`).json(window);
    }),
  );

  router.delete(
    "/api/maintenance/:id",
    problemRoute((request, response) => {
      const removed = health.removeMaintenance(param(request, "id"), restCaller(request).user ?? "anonymous");
      if (!removed) throw new ProblemError(404, `no maintenance window "${param(request, "id")}"`);
      response.json(removed);
    }),
  );

  router.get(
    "/api/rooms/:id/history",
    problemRoute(async (request, response) => {
      const query = parseInput(historyQuery, request.query, response);
      if (!query) return;
      const room = roomOf(registry, param(request, "id")).id;
      response.json(await health.roomHistory(room, pageQuery(query)));
    }),
  );

  router.get(
    "/api/rooms/:id/telemetry",
    problemRoute(async (request, response) => {
      const query = parseInput(historyQuery, request.query, response);
      if (!query) return;
      const room = roomOf(registry, param(request, "id")).id;
      response.json(await health.roomTelemetry(room, pageQuery(query)));
    }),
  );

  router.post(
    "/api/rooms/:id/devices/:device/restart",
    problemRoute(async (request, response) => {
      const view = roomOf(registry, param(request, "id"));
      const device = param(request, "device");
      if (!view.info?.devices.some((each) => each.id === device)) {
        throw new ProblemError(404, `room ${view.id} has no device "${device}"`, "device");
      }
      const unreachable = unreachableReason(view, brokerConnected());
      if (unreachable) return sendProblem(response, 503, "device_unavailable", unreachable);
      const from = `rest:${restCaller(request).user ?? "anonymous"}`;
      const outcome = await requests.send(view.id, "device.restart", { device }, from);
      withStatus(response, outcome.status).json(outcome.body);
    }),
  );

  return router;
}

function pageQuery(query: z.output<typeof historyQuery>) {
  return {
    ...(query.from ? { from: instantOf(query.from) } : {}),
    ...(query.to ? { to: instantOf(query.to) } : {}),
    ...(query.cursor ? { cursor: query.cursor } : {}),
    limit: query.limit,
  };
}

const NOT_FOUND = "no such thing (problem+json)";
const INVALID = "input refused, `field` names it (problem+json)";

/** Who may call them (access.ts): IT runs the devices, alarms and maintenance; lists across rooms are not for operators. */
const IT: Access = { roles: ["admin", "it"] };
const ALL_ROOMS_READ: Access = { roles: ["admin", "it", "viewer"] };
const ROOM_READ: Access = { roles: ANY_ROLE, scope: "room" };

/** The routes above for the OpenAPI document (openapi.ts adds them to ROUTES). */
export const HEALTH_ROUTES: DocumentedRoute[] = [
  {
    method: "get",
    path: "/api/health",
    tag: "health",
    summary:
      "Counts (rooms by availability and roll-up, devices by status, active alarms by severity) and each room's roll-up, paged by room id",
    query: healthQuery,
    responses: { 200: "`{counts, items, nextCursor}`", 400: INVALID },
    access: ALL_ROOMS_READ,
  },
  {
    method: "get",
    path: "/api/rooms/:id/health",
    tag: "health",
    summary: "One room's roll-up: the worst required device wins; optional devices absent are not_present",
    responses: { 200: "`{room, status, worst, devices}`", 404: NOT_FOUND },
    access: ROOM_READ,
  },
  {
    method: "get",
    path: "/api/alarms",
    tag: "health",
    summary: "Alarms newest first (`active=true`: raised and not cleared; `false`: the last cleared), paged",
    query: alarmListQuery,
    responses: { 200: "`{items, nextCursor}`", 400: INVALID },
    access: ALL_ROOMS_READ,
  },
  {
    method: "post",
    path: "/api/alarms/:id/ack",
    tag: "health",
    summary: "Acknowledges an alarm with a note; audited",
    body: ackBody,
    responses: { 200: "the alarm", 400: INVALID, 404: NOT_FOUND, 409: "already acknowledged" },
    access: IT,
  },
  {
    method: "get",
    path: "/api/maintenance",
    tag: "health",
    summary: "Maintenance windows not yet over, paged",
    query: maintenanceListQuery,
    responses: { 200: "`{items, nextCursor}`", 400: INVALID },
    access: ALL_ROOMS_READ,
  },
  {
    method: "post",
    path: "/api/maintenance",
    tag: "health",
    summary: "A maintenance window for a room or one of its devices: no alarm is raised for it inside; audited",
    body: maintenanceBody,
    responses: { 201: "the window (`Location` names it)", 400: INVALID, 404: NOT_FOUND, 409: "too many windows" },
    access: IT,
  },
  {
    method: "delete",
    path: "/api/maintenance/:id",
    tag: "health",
    summary: "Ends a maintenance window; audited",
    responses: { 200: "the window removed", 404: NOT_FOUND },
    access: IT,
  },
  {
    method: "get",
    path: "/api/rooms/:id/history",
    tag: "health",
    summary: "A room's history newest first: status changes, alarms, maintenance, the agent's events; paged",
    query: historyQuery,
    responses: { 200: "`{items, nextCursor}`", 400: INVALID, 404: NOT_FOUND },
    access: ROOM_READ,
  },
  {
    method: "get",
    path: "/api/rooms/:id/telemetry",
    tag: "health",
    summary: "A room's telemetry series newest first (one sample a minute, 7 days), paged",
    query: historyQuery,
    responses: { 200: "`{items, nextCursor}`", 400: INVALID, 404: NOT_FOUND },
    access: ROOM_READ,
  },
  {
    method: "post",
    path: "/api/rooms/:id/devices/:device/restart",
    tag: "health",
    summary: "Restarts a device's driver in the room's agent (`device.restart`); audited",
    responses: {
      200: "the agent's answer `{id, ok, result}`",
      404: NOT_FOUND,
      503: "the broker or the room's agent is not connected",
      504: "the agent did not answer in time",
    },
    access: IT,
  },
];
