// Prometheus metrics at /metrics through prom-client: what IT's monitoring scrapes. Each controller has a registry of
// its own (not prom-client's global one), so several controllers in one process (tests) do not share counters.
// Gauges of things the controller already knows (rooms, devices, sessions, alarms, telemetry) are read at scrape time
// by collect functions, so no code path has to remember to update them.
import { createHash, timingSafeEqual } from "node:crypto";
import { DEVICE_STATUSES, parseTopic, type TelemetryPayload } from "@rc/protocol";
import type { RequestHandler } from "express";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import controllerPackage from "../package.json" with { type: "json" };
import { ROUTES } from "./openapi.ts";
import { sendProblem } from "./problem.ts";
import type { RoomRegistry } from "./registry.ts";
import type { Sessions } from "./sessions.ts";

/** The git commit the bundle was built from: scripts/build.sh defines it; from source it is unknown. */
declare const RC_GIT_COMMIT: string | undefined;

/** Active alarms by severity, asked at every scrape; the alarms module provides it (Metrics.activeAlarmsFrom). */
export type ActiveAlarmCounts = () => Readonly<Record<string, number>>;

/** The route label of a request that matches no documented route: raw paths would make label values unbounded. */
export const UNMATCHED_ROUTE = "unmatched";

interface RoutePattern {
  method: string;
  route: string;
  pattern: RegExp;
}

/**
 * ROUTES (the OpenAPI list, which a test keeps equal to what express serves) as patterns, the most literal first so
 * `/api/sessions/:id/points` is not taken for a parameter. Case-insensitive with an optional trailing slash, as express
 * matches.
 */
const ROUTE_PATTERNS: readonly RoutePattern[] = ROUTES.map((route) => ({
  method: route.method.toUpperCase(),
  route: route.path,
  pattern: new RegExp(
    `^${route.path
      .split("/")
      .map((level) => (level.startsWith(":") ? "[^/]+" : level.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
      .join("/")}/?$`,
    "i",
  ),
  params: route.path.split(":").length,
}))
  .sort((a, b) => a.params - b.params)
  .map(({ method, route, pattern }) => ({ method, route, pattern }));

/** A request's route pattern and method as labels (a HEAD without a route of its own is served by the GET route). */
export function routeLabelsOf(method: string, path: string): { method: string; route: string } {
  const find = (wanted: string) => ROUTE_PATTERNS.find((route) => route.method === wanted && route.pattern.test(path));
  const found = find(method) ?? (method === "HEAD" ? find("GET") : undefined);
  return found ? { method: found.method, route: found.route } : { method: "other", route: UNMATCHED_ROUTE };
}

/** The kind of an MQTT topic as a label: one of the contract's topic kinds, or "unknown" (never the raw topic). */
function topicKindOf(topic: string): string {
  return parseTopic(topic)?.kind ?? "unknown";
}

export class Metrics {
  readonly registry = new Registry();
  private activeAlarms: ActiveAlarmCounts | undefined;
  private readonly httpDuration: Histogram<"method" | "route" | "status">;
  private readonly mqttReceivedTotal: Counter<"kind">;
  private readonly mqttSentTotal: Counter<"kind">;
  private readonly mqttInvalidTotal: Counter;
  private readonly loginsFailedTotal: Counter;

  constructor(
    private readonly rooms: RoomRegistry,
    private readonly sessions?: Pick<Sessions, "all">,
  ) {
    const registers = [this.registry];
    new Gauge({
      name: "rc_build_info",
      help: "The controller's version, its Node.js and the git commit it was built from; always 1.",
      labelNames: ["version", "node", "commit"],
      registers,
    }).set(
      {
        version: controllerPackage.version,
        node: process.version,
        commit: typeof RC_GIT_COMMIT === "string" ? RC_GIT_COMMIT : "unknown",
      },
      1,
    );
    new Gauge({
      name: "rc_rooms",
      help: "Registered rooms by their agent's availability.",
      labelNames: ["availability"],
      registers,
      collect() {
        const counts = { online: 0, offline: 0, unknown: 0 };
        for (const room of rooms.list()) counts[room.availability.state]++;
        for (const [availability, count] of Object.entries(counts)) this.set({ availability }, count);
      },
    });
    new Gauge({
      name: "rc_devices",
      help: "Devices of registered rooms by status (a gone agent's devices are offline).",
      labelNames: ["status"],
      registers,
      collect() {
        const counts = new Map<string, number>(DEVICE_STATUSES.map((status) => [status, 0]));
        for (const room of rooms.list()) {
          for (const health of Object.values(room.health)) counts.set(health.status, counts.get(health.status)! + 1);
        }
        for (const [status, count] of counts) this.set({ status }, count);
      },
    });
    const metrics = this;
    new Gauge({
      name: "rc_sessions_live",
      help: "Reception sessions live now.",
      registers,
      collect() {
        this.set(metrics.sessions?.all().filter((session) => session.state === "live").length ?? 0);
      },
    });
    new Gauge({
      name: "rc_alarms_active",
      help: "Active alarms by severity.",
      labelNames: ["severity"],
      registers,
      collect() {
        this.reset();
        for (const [severity, count] of Object.entries(metrics.activeAlarms?.() ?? {})) this.set({ severity }, count);
      },
    });
    this.telemetryGauge(
      "rc_room_agent_cpu_percent",
      "The room agent's CPU use, percent of one core.",
      (t) => t.cpuPercent,
    );
    this.telemetryGauge("rc_room_agent_rss_bytes", "The room agent's resident memory.", (t) => t.rssBytes);
    this.telemetryGauge("rc_room_agent_uptime_seconds", "Time since the room agent started.", (t) => t.uptimeS);
    this.telemetryGauge("rc_room_memory_free_bytes", "The room PC's free memory.", (t) => t.memoryFreeBytes);
    this.telemetryGauge(
      "rc_room_disk_free_bytes",
      "Free space where the room agent keeps its data.",
      (t) => t.diskFreeBytes,
    );
    this.telemetryGauge("rc_room_temperature_celsius", "The room PC's first thermal zone.", (t) => t.temperatureC);
    this.httpDuration = new Histogram({
      name: "rc_http_request_duration_seconds",
      help: "REST requests by route pattern (not the raw URL), method and status: time to the answer's end.",
      labelNames: ["method", "route", "status"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.mqttReceivedTotal = new Counter({
      name: "rc_mqtt_messages_received_total",
      help: "MQTT messages the controller received, by topic kind (invalid ones included).",
      labelNames: ["kind"],
      registers,
    });
    this.mqttSentTotal = new Counter({
      name: "rc_mqtt_messages_sent_total",
      help: "MQTT messages the controller sent, by topic kind.",
      labelNames: ["kind"],
      registers,
    });
    this.mqttInvalidTotal = new Counter({
      name: "rc_mqtt_invalid_messages_total",
      help: "MQTT messages dropped because they failed their schema or came on an unknown topic.",
      registers,
    });
    this.loginsFailedTotal = new Counter({
      name: "rc_logins_failed_total",
      help: "Logins refused (wrong password, PIN or token).",
      registers,
    });
  }

  /** The alarms module says how many alarms are active by severity; asked at every scrape. */
  activeAlarmsFrom(count: ActiveAlarmCounts): void {
    this.activeAlarms = count;
  }

  loginFailed(): void {
    this.loginsFailedTotal.inc();
  }

  mqttReceived(topic: string): void {
    this.mqttReceivedTotal.inc({ kind: topicKindOf(topic) });
  }

  mqttSent(topic: string): void {
    this.mqttSentTotal.inc({ kind: topicKindOf(topic) });
  }

  mqttInvalid(): void {
    this.mqttInvalidTotal.inc();
  }

  /** Times every REST request, labelled by its route pattern. First in the app, so refusals by any layer count. */
  observeRequests(): RequestHandler {
    return (request, response, next) => {
      // Taken now: a router mounted under a prefix rewrites request.url while it handles the request.
      const labels = routeLabelsOf(request.method, request.path);
      const end = this.httpDuration.startTimer(labels);
      response.once("close", () => end({ status: String(response.statusCode) }));
      next();
    };
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  /**
   * A per-room gauge of the agents' telemetry (DESIGN §3.1), from each room's last message. Only rooms whose agent is
   * online: a gone agent's last figures would look current. A figure the agent does not know (null) is left out.
   */
  private telemetryGauge(name: string, help: string, read: (telemetry: TelemetryPayload) => number | null): void {
    const rooms = this.rooms;
    new Gauge({
      name,
      help,
      labelNames: ["room"],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const room of rooms.list()) {
          const telemetry = room.availability.state === "online" ? rooms.lastTelemetry(room.id) : undefined;
          const value = telemetry === undefined ? null : read(telemetry);
          if (value !== null) this.set({ room: room.id }, value);
        }
      },
    });
  }
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

/**
 * With a token, /metrics answers only `Authorization: Bearer <token>` (Prometheus's `authorization` scrape setting);
 * 401 otherwise. Compared as digests in constant time, so timing tells nothing of the token.
 */
export function requireMetricsToken(token: string | undefined): RequestHandler {
  const wanted = token === undefined ? undefined : digest(token);
  return (request, response, next) => {
    if (wanted === undefined) return next();
    const given = /^Bearer (.+)$/.exec(request.get("authorization") ?? "")?.[1];
    if (given !== undefined && timingSafeEqual(digest(given), wanted)) return next();
    response.set("WWW-Authenticate", 'Bearer realm="metrics"');
    sendProblem(response, 401, "unauthorized", "/metrics needs its bearer token");
  };
}
