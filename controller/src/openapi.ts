// The REST API described as OpenAPI 3.1, from the zod schemas the routes check their input with (zod's own JSON
// Schema output, draft 2020-12, which OpenAPI 3.1 takes as it is). ROUTES is the one list of what the controller's
// express app serves; openapi.test.ts walks the app's router and fails on a route missing here, or listed and not served.
import { z } from "zod";
import { type Access, ANY_ROLE, DEFAULT_ACCESS } from "./access.ts";
import { holdBody } from "./archive-api.ts";
import { auditQuery } from "./audit-api.ts";
import { loginBody, pinBody, SESSION_COOKIE, tokenBody } from "./auth.ts";
import { HEALTH_ROUTES } from "./health-api.ts";
import { idPageQuery } from "./paging.ts";
import { problemDetails, RETRY_AFTER_SECONDS } from "./problem.ts";
import { roomRequestBody } from "./room-requests.ts";
import {
  guestPointBody,
  newSessionBody,
  noteBody,
  pointPatchBody,
  reportQuery,
  roomPointBody,
  scheduleBody,
  schedulePatchBody,
  sessionListQuery,
  sessionPatchBody,
} from "./session-input.ts";
import { newUserBody, roomPinBody } from "./users-api.ts";

export type HttpMethod = "get" | "head" | "post" | "put" | "patch" | "delete";

export interface DocumentedRoute {
  method: HttpMethod;
  /** In express's form (`/api/rooms/:id`). */
  path: string;
  tag: "system" | "auth" | "rooms" | "sessions" | "schedules" | "reports" | "archive" | "audit" | "health";
  summary: string;
  /** A JSON body, checked by this schema (a body of another type: 415). */
  body?: z.ZodType;
  /** A body that is not JSON: its media type (an upload's bytes). */
  rawBody?: string;
  /** The query, an object schema: each of its keys a parameter. */
  query?: z.ZodObject;
  /** Answers by status; 4xx and 5xx are problem+json. */
  responses: Record<number, string>;
  /**
   * Who may call it (access.ts; auth.ts applies it before any route runs). Without it: admin alone. 401 and 403 are
   * documented from it.
   */
  access?: Access;
}

/** Users and PINs, schedules: admin alone. */
const ADMIN: Access = { roles: ["admin"] };
/** Reads that need no room: every role. */
const EVERYONE: Access = { roles: ANY_ROLE };
/** Reads of a room, a session or a recording: every role, an operator only for their rooms. */
const READ_ROOM: Access = { roles: ANY_ROLE, scope: "room" };
const READ_SESSION: Access = { roles: ANY_ROLE, scope: "session" };
/** Running a session: admin, and the operators of its host. */
const RUN_SESSION: Access = { roles: ["admin", "operator"], scope: "session" };
/** Reads across every room (reports, metrics): not for operators, who are bound to rooms. */
const READ_ALL_ROOMS: Access = { roles: ["admin", "it", "viewer"] };

const NOT_FOUND = "no such thing (problem+json)";
const INVALID = "input refused, `field` names it (problem+json)";
const UPLOAD = "/api/archive/uploads/:session/:room/:file";

export const ROUTES: readonly DocumentedRoute[] = [
  {
    method: "get",
    path: "/healthz",
    tag: "system",
    summary: "Whether the controller is connected to its broker",
    responses: { 200: "connected", 503: "not connected to the broker" },
    access: { open: "liveness, for a supervisor that has no login" },
  },
  {
    method: "get",
    path: "/metrics",
    tag: "system",
    summary: "Prometheus metrics (text exposition format); with `--metrics-token`, only for `Bearer` that token",
    responses: { 200: "the metrics", 401: "the metrics token is missing or wrong (problem+json)" },
    // With --metrics-token the route checks that token itself (createHttpApi); without, an API token of these roles.
    access: READ_ALL_ROOMS,
  },
  {
    method: "get",
    path: "/api/openapi.json",
    tag: "system",
    summary: "This document",
    responses: { 200: "the OpenAPI 3.1 document" },
    access: EVERYONE,
  },
  {
    method: "get",
    path: "/api/rooms",
    tag: "rooms",
    summary: "The rooms and their state; paged (`{items, nextCursor}`, by id) once `cursor` or `limit` is given",
    query: idPageQuery,
    responses: { 200: "all rooms as an array, or a page `{items, nextCursor}`", 400: INVALID },
    // An operator sees only their rooms in it.
    access: EVERYONE,
  },
  {
    method: "get",
    path: "/api/rooms/:id",
    tag: "rooms",
    summary: "One room: registration, availability, devices, last state",
    responses: { 200: "the room", 404: NOT_FOUND },
    access: READ_ROOM,
  },
  {
    method: "post",
    path: "/api/rooms/:id/requests",
    tag: "rooms",
    summary: "A request to the room's agent (an action of the contract with its params); audited",
    body: roomRequestBody,
    responses: {
      200: "the agent's answer `{id, ok, result}`",
      400: INVALID,
      404: NOT_FOUND,
      409: "the id was used lately for another request",
      503: "the broker or the room's agent is not connected",
      504: "the agent did not answer in time",
    },
    // An operator: their rooms, and a component point's cameras while a session they host is live (far-end).
    access: { roles: ["admin", "it", "operator"], scope: "room" },
  },
  {
    method: "post",
    path: "/api/sessions",
    tag: "sessions",
    summary: "Plans a reception session; audited",
    body: newSessionBody,
    responses: { 201: "the session (`Location` names it)", 400: INVALID, 409: "a room is taken" },
    // An operator: hosted by a room of theirs (checked on the body).
    access: { roles: ["admin", "operator"] },
  },
  {
    method: "get",
    path: "/api/sessions",
    tag: "sessions",
    summary: "Sessions in order of planned start, paged",
    query: sessionListQuery,
    responses: { 200: "`{items, nextCursor}`", 400: INVALID },
    // An operator sees only the sessions of their rooms.
    access: EVERYONE,
  },
  {
    method: "get",
    path: "/api/sessions/:id",
    tag: "sessions",
    summary: "One session (a confidential one without its title and case for who may not see it)",
    responses: { 200: "the session", 404: NOT_FOUND },
    access: READ_SESSION,
  },
  {
    method: "patch",
    path: "/api/sessions/:id",
    tag: "sessions",
    summary: "Changes a scheduled session; audited",
    body: sessionPatchBody,
    responses: { 200: "the session", 400: INVALID, 404: NOT_FOUND, 409: "no longer scheduled" },
    access: RUN_SESSION,
  },
  ...(["start", "end", "cancel"] as const).map(
    (transition): DocumentedRoute => ({
      method: "post",
      path: `/api/sessions/:id/${transition}`,
      tag: "sessions",
      summary: `${transition[0]!.toUpperCase()}${transition.slice(1)}s the session (idempotent); audited`,
      responses: { 200: "the session", 404: NOT_FOUND, 409: "the session's state does not allow it" },
      access: RUN_SESSION,
    }),
  ),
  {
    method: "post",
    path: "/api/sessions/:id/points",
    tag: "sessions",
    summary: "A room (`{room, head?}`) or a guest point (`{guest}`) joins; audited",
    body: z.union([roomPointBody, guestPointBody]),
    responses: { 200: "the session", 400: INVALID, 404: NOT_FOUND, 409: "the room is taken or the session ended" },
    access: RUN_SESSION,
  },
  {
    method: "patch",
    path: "/api/sessions/:id/points/:room",
    tag: "sessions",
    summary: "Who came for a point: its head, and whether in person; audited",
    body: pointPatchBody,
    responses: { 200: "the session", 400: INVALID, 404: NOT_FOUND },
    access: { roles: ["admin", "operator"], scope: "session-point" },
  },
  {
    method: "delete",
    path: "/api/sessions/:id/points/:room",
    tag: "sessions",
    summary: "A point leaves (kept in the record with its attendance); audited",
    responses: { 200: "the session", 404: NOT_FOUND, 409: "the session's state does not allow it" },
    access: RUN_SESSION,
  },
  {
    method: "post",
    path: "/api/sessions/:id/notes",
    tag: "sessions",
    summary: "A note or a direction, time-coded from the start; audited",
    body: noteBody,
    responses: { 201: "the note", 400: INVALID, 404: NOT_FOUND },
    access: RUN_SESSION,
  },
  {
    method: "get",
    path: "/api/sessions/:id/readiness",
    tag: "sessions",
    summary: "Per point: availability, required devices, free disk, SRT address, link quality, problems",
    responses: { 200: "the readiness", 404: NOT_FOUND },
    access: READ_SESSION,
  },
  {
    method: "post",
    path: "/api/schedules",
    tag: "schedules",
    summary: "A recurring session (RFC 5545 RRULE) and the sessions of its horizon; audited",
    body: scheduleBody,
    responses: { 201: "`{schedule, sessions}` (`Location` names it)", 400: INVALID },
    access: { roles: ["admin"] },
  },
  {
    method: "get",
    path: "/api/schedules",
    tag: "schedules",
    summary: "The schedules; paged (`{items, nextCursor}`, by id) once `cursor` or `limit` is given",
    query: idPageQuery,
    responses: { 200: "all schedules as an array, or a page `{items, nextCursor}`", 400: INVALID },
    access: EVERYONE,
  },
  {
    method: "get",
    path: "/api/schedules/:id",
    tag: "schedules",
    summary: "One schedule",
    responses: { 200: "the schedule", 404: NOT_FOUND },
    access: EVERYONE,
  },
  {
    method: "patch",
    path: "/api/schedules/:id",
    tag: "schedules",
    summary: "Changes a schedule; remakes only its sessions still scheduled; audited",
    body: schedulePatchBody,
    responses: { 200: "`{schedule, sessions}`", 400: INVALID, 404: NOT_FOUND },
    access: { roles: ["admin"] },
  },
  {
    method: "get",
    path: "/api/reports/sessions",
    tag: "reports",
    summary: "Sessions report: JSON `{summary, points, directions}` or one table as CSV (`format=csv` or Accept)",
    query: reportQuery,
    responses: { 200: "the report (application/json or text/csv)", 400: INVALID },
    access: READ_ALL_ROOMS,
  },
  ...(["get", "head"] as const).map(
    (method): DocumentedRoute => ({
      method,
      path: UPLOAD,
      tag: "archive",
      summary: "An agent's upload: how much the archive has (`Upload-Offset`); the room's broker login (Basic)",
      responses: { 200: "`{received, complete, sha256}`", 400: INVALID, 401: "no login", 403: "another room's login" },
      access: { own: "the room's broker login (HTTP Basic), checked by the archive" },
    }),
  ),
  {
    method: "put",
    path: UPLOAD,
    tag: "archive",
    summary: "A piece of an agent's upload (`Content-Range`, `X-Content-SHA256`); the room's broker login (Basic)",
    rawBody: "application/octet-stream",
    responses: {
      200: "partial: `{received, complete: false}`",
      201: "archived whole",
      400: INVALID,
      401: "no login",
      403: "another room's login",
      409: "out of step: `received` says where to go on",
      413: "over 4 GB",
      422: "wrong checksum or sidecar",
      429: "too many logins not yet proven from this address",
    },
    access: { own: "the room's broker login (HTTP Basic), checked by the archive" },
  },
  {
    method: "get",
    path: "/api/sessions/:id/recordings",
    tag: "archive",
    summary: "The hearing's record: each archived segment with its sha256, times, cuts, tracks and hold",
    responses: { 200: "`{session, hold, recordings}`", 403: "a confidential session's", 404: NOT_FOUND },
    access: READ_SESSION,
  },
  ...(["get", "head"] as const).map(
    (method): DocumentedRoute => ({
      method,
      path: "/api/recordings/:id/file",
      tag: "archive",
      summary: "A recording's file, with HTTP Range",
      responses: {
        200: "the file (video/x-matroska)",
        206: "the range asked for",
        403: "a confidential session's",
        404: NOT_FOUND,
        416: "a range outside the file",
      },
      access: { roles: ANY_ROLE, scope: "recording" },
    }),
  ),
  {
    method: "post",
    path: "/api/recordings/:id/hold",
    tag: "archive",
    summary: "Legal hold on a recording (never deleted while held); audited",
    body: holdBody,
    responses: { 200: "the recording", 400: INVALID, 403: "a confidential session's", 404: NOT_FOUND },
    access: { roles: ["admin", "operator"], scope: "recording" },
  },
  {
    method: "post",
    path: "/api/sessions/:id/recordings/hold",
    tag: "archive",
    summary: "Legal hold on a session's recordings, later arrivals too; audited",
    body: holdBody,
    responses: { 200: "`{session, hold}`", 400: INVALID, 404: NOT_FOUND },
    access: RUN_SESSION,
  },
  {
    method: "get",
    path: "/api/audit",
    tag: "audit",
    summary: "The audit log, newest first, paged (`nextCursor`: the last entry's seq)",
    query: auditQuery,
    responses: { 200: "`{items, nextCursor}`", 400: INVALID, 403: "for admin and it" },
    access: { roles: ["admin", "it"] },
  },
  {
    method: "post",
    path: "/api/auth/login",
    tag: "auth",
    summary: "Logs in with a password: an httpOnly, SameSite=Strict session cookie; audited",
    body: loginBody,
    responses: {
      200: "`{user, role, rooms, expiresAt}` and the cookie",
      400: INVALID,
      401: "wrong user name or password (which one is not said)",
      429: "too many wrong tries for this user or address (`Retry-After`)",
    },
    access: { open: "the login itself" },
  },
  {
    method: "post",
    path: "/api/auth/pin",
    tag: "auth",
    summary: "Logs a room's panel in with its PIN: an operator session for that room alone; audited",
    body: pinBody,
    responses: {
      200: "`{user, role, rooms, expiresAt}` and the cookie",
      400: INVALID,
      401: "wrong room or PIN",
      429: "too many wrong PINs for this room or address (`Retry-After`)",
    },
    access: { open: "the panel's login itself" },
  },
  {
    method: "post",
    path: "/api/auth/logout",
    tag: "auth",
    summary: "Ends the browser session of the cookie; audited",
    responses: { 200: "`{ok: true}`, the cookie cleared" },
    access: EVERYONE,
  },
  {
    method: "get",
    path: "/api/auth/me",
    tag: "auth",
    summary: "Who the credentials are: user, role, rooms, credential",
    responses: { 200: "`{user, role, rooms, credential}`" },
    access: EVERYONE,
  },
  {
    method: "get",
    path: "/api/auth/tokens",
    tag: "auth",
    summary: "The caller's API tokens (admin: everyone's), without their secrets",
    responses: { 200: "`[{id, user, label, createdAt}]`", 403: "a panel's PIN session" },
    access: EVERYONE,
  },
  {
    method: "post",
    path: "/api/auth/tokens",
    tag: "auth",
    summary: "A new API token for scripts (`Authorization: Bearer …`), shown once; another user's for admin; audited",
    body: tokenBody,
    responses: {
      201: "`{id, user, label, token}`",
      400: INVALID,
      403: "another user's, or a panel's PIN session",
      404: NOT_FOUND,
    },
    access: EVERYONE,
  },
  {
    method: "delete",
    path: "/api/auth/tokens/:id",
    tag: "auth",
    summary: "Revokes an API token at once (one's own; admin: anyone's); audited",
    responses: { 200: "`{id, revoked: true}`", 404: NOT_FOUND },
    access: EVERYONE,
  },
  {
    method: "get",
    path: "/api/users",
    tag: "auth",
    summary: "The users: name, role, rooms, when made and changed (never a password)",
    responses: { 200: "`[{name, role, rooms, createdAt, changedAt}]`" },
    access: ADMIN,
  },
  {
    method: "post",
    path: "/api/users",
    tag: "auth",
    summary: "Adds a user (an operator bound to `rooms`); its password is drawn and answered once; audited",
    body: newUserBody,
    responses: {
      201: "the user and `password`",
      400: INVALID,
      404: "a room that does not exist",
      409: "the name is taken",
    },
    access: ADMIN,
  },
  {
    method: "post",
    path: "/api/users/:name/password",
    tag: "auth",
    summary: "Draws a new password for a user, answered once; their browser sessions end; audited",
    responses: { 200: "`{name, password}`", 404: NOT_FOUND },
    access: ADMIN,
  },
  {
    method: "delete",
    path: "/api/users/:name",
    tag: "auth",
    summary: "Removes a user and their tokens (never the last admin); audited",
    responses: { 200: "`{name, removed: true}`", 404: NOT_FOUND, 409: "the last admin" },
    access: ADMIN,
  },
  {
    method: "put",
    path: "/api/rooms/:id/pin",
    tag: "auth",
    summary: "Sets a room's panel PIN (4 to 8 digits); panels logged in with the old one are logged out; audited",
    body: roomPinBody,
    responses: { 200: '`{room, pin: "set"}`', 400: INVALID, 404: NOT_FOUND },
    access: ADMIN,
  },
  ...HEALTH_ROUTES,
];

/** `/api/rooms/:id` → `/api/rooms/{id}`. */
export function openApiPath(expressPath: string): string {
  return expressPath.replace(/:(\w+)/g, "{$1}");
}

/** What a caller may send: defaults are filled in, so a field with one is not required. */
function inputSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _dialect, ...json } = z.toJSONSchema(schema, {
    io: "input",
    target: "draft-2020-12",
    unrepresentable: "any",
  }) as Record<string, unknown>;
  return json;
}

function queryParameters(query: z.ZodObject) {
  const json = inputSchema(query) as { properties?: Record<string, object>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, schema]) => ({
    name,
    in: "query",
    required: json.required?.includes(name) ?? false,
    schema,
  }));
}

function operationOf(route: DocumentedRoute) {
  const parameters = [
    ...[...route.path.matchAll(/:(\w+)/g)].map((match) => ({
      name: match[1],
      in: "path",
      required: true,
      schema: { type: "string" },
    })),
    ...(route.query ? queryParameters(route.query) : []),
  ];
  const statuses: Record<number, string> = { ...route.responses };
  if (route.body) statuses[415] = "a body that is not JSON (problem+json)";
  const access = route.access ?? DEFAULT_ACCESS;
  if ("roles" in access) {
    statuses[401] ??= "no valid credentials (problem+json)";
    statuses[403] ??= `not for this role${access.scope ? " or room" : ""} (problem+json)`;
  }
  const responses = Object.fromEntries(
    Object.entries(statuses).map(([status, description]) => {
      if (Number(status) < 400) return [status, { description }];
      return [
        status,
        {
          description,
          ...(status === "503"
            ? {
                headers: {
                  "Retry-After": {
                    description: `seconds to wait before retrying (${RETRY_AFTER_SECONDS})`,
                    schema: { type: "integer" },
                  },
                },
              }
            : {}),
          content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } },
        },
      ];
    }),
  );
  return {
    tags: [route.tag],
    summary: route.summary,
    "x-roles": "roles" in access ? access.roles : [],
    ...("roles" in access && access.scope ? { "x-scope": access.scope } : {}),
    ...("roles" in access
      ? {}
      : {
          security: "own" in access ? [{ roomLogin: [] }] : [],
          description: "own" in access ? access.own : access.open,
        }),
    operationId: `${route.method}${openApiPath(route.path).replace(/[^A-Za-z0-9]+(.)?/g, (_all, next: string | undefined) => (next ?? "").toUpperCase())}`,
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(route.body
      ? { requestBody: { required: true, content: { "application/json": { schema: inputSchema(route.body) } } } }
      : {}),
    ...(route.rawBody
      ? {
          requestBody: {
            required: true,
            content: { [route.rawBody]: { schema: { type: "string", format: "binary" } } },
          },
        }
      : {}),
    responses,
  };
}

/** The API's version in the document: its shape, not the package's release. */
const API_VERSION = "0.1.0";

/** The OpenAPI 3.1 document of ROUTES. */
export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of ROUTES) {
    const path = openApiPath(route.path);
    paths[path] ??= {};
    paths[path][route.method] = operationOf(route);
  }
  return {
    openapi: "3.1.1",
    info: {
      title: "Room controller for online citizen-reception rooms",
      version: API_VERSION,
      description:
        "Every operation needs an API token (`Authorization: Bearer …`) or a session cookie unless it says otherwise; " +
        "`x-roles` lists the roles it is for (an operator only for their rooms): 401 without valid credentials, 403 " +
        "for another role or room; 429 past 200 requests (20 a second) without valid credentials from one address. " +
        "Errors are RFC 9457 problem+json naming the `field` at fault. A JSON body of another Content-Type is " +
        `refused with 415. Every 503 carries Retry-After (${RETRY_AFTER_SECONDS} s).`,
    },
    jsonSchemaDialect: "https://json-schema.org/draft/2020-12/schema",
    paths,
    security: [{ token: [] }, { session: [] }],
    components: {
      schemas: { Problem: inputSchema(problemDetails) },
      securitySchemes: {
        token: {
          type: "http",
          scheme: "bearer",
          description: "an API token (`controller tokens add`, POST /api/auth/tokens)",
        },
        session: {
          type: "apiKey",
          in: "cookie",
          name: SESSION_COOKIE,
          description: "POST /api/auth/login or /api/auth/pin",
        },
        roomLogin: { type: "http", scheme: "basic", description: "a room agent's broker login" },
      },
    },
  };
}
