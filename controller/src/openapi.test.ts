// The OpenAPI document against the app itself: every route the express app serves is in ROUTES (so a new route cannot
// forget it), and nothing is documented that is not served.
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import type { ArchiveRouteParts } from "./archive-api.ts";
import type { AuditLog } from "./audit-log.ts";
import { Authenticator } from "./auth.ts";
import type { DesiredStates } from "./desired-states.ts";
import type { Health } from "./health.ts";
import type { HealthRouteParts } from "./health-api.ts";
import { createHttpApi } from "./http-api.ts";
import { Metrics } from "./metrics.ts";
import { openApiDocument, openApiPath, ROUTES } from "./openapi.ts";
import { RoomRegistry } from "./registry.ts";
import { RoomRequests } from "./room-requests.ts";
import type { SessionRouteParts } from "./session-api.ts";
import type { Store } from "./store.ts";

interface Layer {
  route?: { path: unknown; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

/** "METHOD path" of every route in the router's stack, routers mounted inside it included. */
function servedRoutes(stack: Layer[]): string[] {
  return stack.flatMap((layer) => {
    if (layer.route) {
      if (typeof layer.route.path !== "string")
        throw new Error(`a route path that is not a string: ${layer.route.path}`);
      const path = layer.route.path;
      return Object.keys(layer.route.methods)
        .filter((method) => layer.route!.methods[method])
        .map((method) => `${method.toUpperCase()} ${path}`);
    }
    return layer.handle?.stack ? servedRoutes(layer.handle.stack) : [];
  });
}

describe("the OpenAPI document", () => {
  const log = pino({ level: "silent" });
  const registry = new RoomRegistry(log);
  // Every optional part given, so that every router is mounted; none of them is called while routes are registered.
  const app = createHttpApi({
    auth: new Authenticator({} as Store, log),
    registry,
    requests: new RoomRequests(() => undefined, 1000, log),
    metrics: new Metrics(registry),
    brokerConnected: () => false,
    desired: {} as DesiredStates,
    sessions: { sessions: {} } as SessionRouteParts,
    archive: { log } as ArchiveRouteParts,
    audit: { log: {} as AuditLog, dir: "/nonexistent" },
    health: { health: {} as Health } as HealthRouteParts,
  });
  const served = servedRoutes(app.router.stack as unknown as Layer[]);

  it("lists every route the app serves", () => {
    // The walk reached every router: the app's own routes, sessions', the archive's and the audit log's.
    expect(served).toEqual(
      expect.arrayContaining([
        "GET /api/rooms",
        "POST /api/sessions",
        "PUT /api/archive/uploads/:session/:room/:file",
        "GET /api/audit",
        "POST /api/alarms/:id/ack",
      ]),
    );
    const documented = new Set(ROUTES.map((route) => `${route.method.toUpperCase()} ${route.path}`));
    expect(served.filter((route) => !documented.has(route))).toEqual([]);
  });

  it("lists no route the app does not serve (HEAD is served by each GET)", () => {
    const servedSet = new Set(served);
    const stale = ROUTES.filter((route) => {
      const method = route.method === "head" ? "GET" : route.method.toUpperCase();
      return !servedSet.has(`${method} ${route.path}`);
    });
    expect(stale).toEqual([]);
  });

  it("is OpenAPI 3.1 with the routes' zod schemas as its request bodies and queries", () => {
    const document = openApiDocument() as {
      openapi: string;
      paths: Record<string, Record<string, { requestBody?: unknown; parameters?: { name: string; in: string }[] }>>;
    };
    expect(document.openapi).toMatch(/^3\.1\.\d+$/);
    const operationIds = Object.values(document.paths).flatMap((operations) =>
      Object.values(operations).map((operation) => (operation as { operationId: string }).operationId),
    );
    expect(new Set(operationIds).size).toBe(ROUTES.length);
    expect(openApiPath("/api/sessions/:id/points/:room")).toBe("/api/sessions/{id}/points/{room}");
    const create = document.paths["/api/sessions"]!.post!;
    expect(create.requestBody).toMatchObject({
      content: {
        "application/json": {
          schema: { type: "object", required: expect.arrayContaining(["title", "host", "start", "end"]) },
        },
      },
    });
    const list = document.paths["/api/sessions"]!.get!;
    expect(list.parameters?.map((parameter) => `${parameter.in}:${parameter.name}`)).toEqual(
      expect.arrayContaining(["query:cursor", "query:limit", "query:state"]),
    );
    expect(document.paths["/api/rooms/{id}/requests"]!.post!).toMatchObject({
      parameters: [{ name: "id", in: "path", required: true }],
      responses: { 503: { headers: { "Retry-After": expect.any(Object) } }, 415: expect.any(Object) },
    });
  });
});
