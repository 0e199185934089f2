import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { Metrics, routeLabelsOf, UNMATCHED_ROUTE } from "./metrics.ts";
import { ROUTES } from "./openapi.ts";
import { RoomRegistry } from "./registry.ts";

const registry = () => new RoomRegistry(pino({ level: "silent" }));

describe("metrics", () => {
  it("keeps each controller's figures in its own registry", async () => {
    const first = new Metrics(registry());
    const second = new Metrics(registry()); // prom-client's global registry would refuse the second set of names
    first.loginFailed();
    first.loginFailed();
    second.mqttInvalid();
    expect(await first.render()).toContain("rc_logins_failed_total 2\n");
    expect(await first.render()).toContain("rc_mqtt_invalid_messages_total 0\n");
    expect(await second.render()).toContain("rc_logins_failed_total 0\n");
    expect(await second.render()).toContain("rc_mqtt_invalid_messages_total 1\n");
  });

  it("asks the alarms module for the active alarms at every scrape", async () => {
    const metrics = new Metrics(registry());
    expect(await metrics.render()).not.toMatch(/^rc_alarms_active\{/m);
    let active: Record<string, number> = { critical: 2, warning: 1 };
    metrics.activeAlarmsFrom(() => active);
    expect(await metrics.render()).toContain('rc_alarms_active{severity="critical"} 2\n');
    active = { warning: 3 };
    const text = await metrics.render();
    expect(text).toContain('rc_alarms_active{severity="warning"} 3\n');
    expect(text).not.toContain('severity="critical"');
  });

  it("labels an MQTT message by its topic's kind, never by the topic", async () => {
    const metrics = new Metrics(registry());
    metrics.mqttReceived("rc/v1/rooms/xa-1/telemetry");
    metrics.mqttReceived("rc/v1/rooms/xa-2/devices/cam-1/health");
    metrics.mqttReceived("rc/v1/rooms/xa-3/whatever-an-attacker-says");
    metrics.mqttSent("rc/v1/rooms/xa-1/desired");
    const text = await metrics.render();
    expect(text).toContain('rc_mqtt_messages_received_total{kind="telemetry"} 1\n');
    expect(text).toContain('rc_mqtt_messages_received_total{kind="health"} 1\n');
    expect(text).toContain('rc_mqtt_messages_received_total{kind="unknown"} 1\n');
    expect(text).toContain('rc_mqtt_messages_sent_total{kind="desired"} 1\n');
    expect(text).not.toMatch(/xa-|attacker/);
  });

  it("finds every documented route's pattern from a concrete path, and nothing else", () => {
    for (const route of ROUTES) {
      const concrete = route.path.replace(/:[a-z]+/gi, "x-1");
      expect(routeLabelsOf(route.method.toUpperCase(), concrete), `${route.method} ${concrete}`).toEqual({
        method: route.method.toUpperCase(),
        route: route.path,
      });
    }
    expect(routeLabelsOf("HEAD", "/api/rooms/xa-1")).toEqual({ method: "GET", route: "/api/rooms/:id" });
    expect(routeLabelsOf("GET", "/API/Rooms/xa-1/")).toEqual({ method: "GET", route: "/api/rooms/:id" });
    expect(routeLabelsOf("DELETE", "/api/rooms/xa-1")).toEqual({ method: "other", route: UNMATCHED_ROUTE });
    expect(routeLabelsOf("GET", "/api/rooms/xa-1/a/b")).toEqual({ method: "other", route: UNMATCHED_ROUTE });
    expect(routeLabelsOf("GET", "/api/openapi-json")).toEqual({ method: "other", route: UNMATCHED_ROUTE });
  });
});
