// /metrics as a Prometheus server reads it, from a real controller with a real agent and broker: strict text format,
// and figures that follow what happens (a room going offline, a bad payload, a REST call, a session going live, the
// agent's own memory and disk), labelled by route pattern and topic kind, never by raw input.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, statfs } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { topics } from "@rc/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import controllerPackage from "../controller/package.json" with { type: "json" };
import { freePort, type ManagedProcess, startTs, stopAll } from "./support/processes.ts";
import { parsePrometheusText, type Scrape } from "./support/prometheus-text.ts";
import { TestSite } from "./support/test-site.ts";
import { waitFor } from "./support/wait-for.ts";

const HOST = "met-tinh";
const COMPONENT = "met-xa";
const DURATION = "rc_http_request_duration_seconds";

describe("Prometheus metrics", () => {
  let site: TestSite;
  let agent: ManagedProcess;

  beforeAll(async () => {
    // A short debounce, so a room that goes offline raises its alarm within the test.
    site = await TestSite.create("embedded", [HOST, COMPONENT], { health: { alarmDebounceMs: 300 } });
    agent = site.startAgent(HOST);
    await waitFor("agent online", () => site.controller.registry.get(HOST)!.availability.state === "online");
    // A request before its device is up is refused (409): wait for it.
    await waitFor("device ok", () => site.controller.registry.get(HOST)!.health.thu?.status === "ok");
  });
  afterAll(async () => {
    await stopAll();
    await site?.stop();
  });

  /** Every HTTP call of the site's controller in this file, as the site's admin. */
  const http = (path: string, init?: RequestInit) => site.fetch(path, init);

  async function scrape(): Promise<Scrape> {
    const response = await http("/metrics");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    return parsePrometheusText(await response.text());
  }

  async function call(method: string, path: string, body?: unknown) {
    const response = await http(path, {
      method,
      headers: { "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  /** A value that is there (0 for a counter series not yet seen is the caller's to say). */
  const present = (scraped: Scrape, name: string, labels: Record<string, string> = {}) => {
    const value = scraped.value(name, labels);
    expect(value, `${name}${JSON.stringify(labels)}`).toBeDefined();
    return value!;
  };

  it("is the text format, strictly, with build info and every family typed", async () => {
    const scraped = await scrape();
    expect(scraped.select("rc_build_info")).toEqual([
      {
        name: "rc_build_info",
        labels: { version: controllerPackage.version, node: process.version, commit: "unknown" },
        value: 1,
      },
    ]);
    for (const [name, type] of [
      ["rc_rooms", "gauge"],
      ["rc_devices", "gauge"],
      ["rc_sessions_live", "gauge"],
      ["rc_alarms_active", "gauge"],
      ["rc_room_agent_rss_bytes", "gauge"],
      [DURATION, "histogram"],
      ["rc_mqtt_messages_received_total", "counter"],
      ["rc_mqtt_messages_sent_total", "counter"],
      ["rc_mqtt_invalid_messages_total", "counter"],
      ["rc_logins_failed_total", "counter"],
    ] as const) {
      expect(scraped.families.get(name)?.type, name).toBe(type);
    }
  });

  it("gives each online room's telemetry as gauges that agree with the agent's process and disk", async () => {
    const scraped = await waitFor("telemetry", async () => {
      const scraped = await scrape();
      return scraped.value("rc_room_agent_rss_bytes", { room: HOST }) === undefined ? null : scraped;
    });
    const vmRssKb = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${agent.child.pid}/status`, "utf8"))![1]);
    const rss = present(scraped, "rc_room_agent_rss_bytes", { room: HOST });
    expect(rss / (vmRssKb * 1024)).toBeGreaterThan(0.7);
    expect(rss / (vmRssKb * 1024)).toBeLessThan(1.3);
    const disk = await statfs(site.room(HOST).dataDir);
    const diskFree = present(scraped, "rc_room_disk_free_bytes", { room: HOST });
    expect(Math.abs(diskFree - disk.bavail * disk.bsize)).toBeLessThan(0.02 * disk.blocks * disk.bsize);
    expect(present(scraped, "rc_room_agent_cpu_percent", { room: HOST })).toBeGreaterThanOrEqual(0);
    expect(present(scraped, "rc_room_agent_uptime_seconds", { room: HOST })).toBeGreaterThanOrEqual(0);
    // A room without an agent has no figures.
    expect(scraped.select("rc_room_agent_rss_bytes", { room: COMPONENT })).toEqual([]);
  });

  it("counts a bad payload as received and invalid, a command as one request sent and one response received", async () => {
    const before = await scrape();
    const publisher = await site.connectClient();
    const droppedBefore = site.controllerLog.filter((line) => line.includes("invalid message dropped")).length;
    await publisher.publishAsync(topics.room(HOST, "events"), '{"at": "not a time"}', { qos: 1 });
    await waitFor(
      "dropped",
      () => site.controllerLog.filter((line) => line.includes("invalid message dropped")).length > droppedBefore,
    );
    const response = await site.post(HOST, { action: "test.set", params: { device: "thu", value: 4 } });
    // The agent's answer (an id), whether the device took it or was down at that moment (a loaded machine).
    expect(response.body.id, JSON.stringify(response.body)).toBeDefined();
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string> = {}) =>
      present(after, name, labels) - (before.value(name, labels) ?? 0);
    expect(delta("rc_mqtt_invalid_messages_total")).toBe(1);
    expect(delta("rc_mqtt_messages_received_total", { kind: "events" })).toBeGreaterThanOrEqual(1);
    expect(delta("rc_mqtt_messages_sent_total", { kind: "request" })).toBe(1);
    expect(delta("rc_mqtt_messages_received_total", { kind: "response" })).toBe(1);
  });

  it("times REST calls by route pattern, never by the raw URL", async () => {
    const stranger = `la-${randomBytes(6).toString("hex")}`;
    const count = (scraped: Scrape, route: string, status: string, method = "GET") =>
      scraped.value(`${DURATION}_count`, { method, route, status }) ?? 0;
    const sum = (scraped: Scrape, route: string, status: string, method = "POST") =>
      scraped.value(`${DURATION}_sum`, { method, route, status }) ?? 0;
    const before = await scrape();
    expect((await call("GET", `/api/rooms/${HOST}`)).status).toBe(200);
    expect((await call("GET", `/api/rooms/${stranger}`)).status).toBe(404);
    expect((await call("GET", `/${stranger}/x`)).status).toBe(404);
    const sentAt = performance.now();
    const command = await site.post(HOST, { action: "test.set", params: { device: "thu", value: 5 } });
    const status = String(command.status);
    const elapsedS = (performance.now() - sentAt) / 1000;
    const response = await http("/metrics");
    const text = await response.text();
    const after = parsePrometheusText(text);
    expect(text).not.toContain(stranger);
    expect(count(after, "/api/rooms/:id", "200") - count(before, "/api/rooms/:id", "200")).toBe(1);
    expect(count(after, "/api/rooms/:id", "404") - count(before, "/api/rooms/:id", "404")).toBe(1);
    expect(count(after, "unmatched", "404", "other") - count(before, "unmatched", "404", "other")).toBe(1);
    const requests = "/api/rooms/:id/requests";
    expect(count(after, requests, status, "POST") - count(before, requests, status, "POST")).toBe(1);
    // The server's time for the command is there, and no more than what the client waited.
    const took = sum(after, requests, status) - sum(before, requests, status);
    expect(took).toBeGreaterThan(0);
    expect(took).toBeLessThanOrEqual(elapsedS);
    for (const sample of after.select(DURATION)) expect(sample.labels.route ?? "").not.toContain(stranger);
  });

  it("counts the sessions live", async () => {
    expect(present(await scrape(), "rc_sessions_live")).toBe(0);
    const created = await call("POST", "/api/sessions", {
      title: "Tiếp công dân định kỳ",
      start: "2027-01-20T08:00:00+07:00",
      end: "2027-01-20T11:00:00+07:00",
      host: HOST,
      points: [{ room: COMPONENT }],
      crossLevel: true,
      crossLevelReason: "the test site's rooms have no parents",
      presiding: { name: "Nguyễn Văn A", title: "Chủ tịch UBND tỉnh" },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const session = String(created.body.id);
    expect((await call("POST", `/api/sessions/${session}/start`)).status).toBe(200);
    expect(present(await scrape(), "rc_sessions_live")).toBe(1);
    expect((await call("POST", `/api/sessions/${session}/end`)).status).toBe(200);
    expect(present(await scrape(), "rc_sessions_live")).toBe(0);
  });

  it("counts a refused login", async () => {
    const before = present(await scrape(), "rc_logins_failed_total");
    const refused = await fetch(`${site.httpUrl}/api/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ user: "admin", password: "not the password" }),
    });
    expect(refused.status).toBe(401);
    expect(present(await scrape(), "rc_logins_failed_total")).toBe(before + 1);
  });

  // Last: it stops the agent.
  it("moves a room that goes offline between the availability gauges, its devices to offline, its telemetry away", {
    timeout: 30_000,
  }, async () => {
    // Its one device up first (on a loaded machine a probe can time out now and then).
    await waitFor("device ok", () => site.controller.registry.get(HOST)!.health.thu?.status === "ok");
    const before = await scrape();
    const alarms = (scraped: Scrape) =>
      scraped.select("rc_alarms_active").reduce((sum, sample) => sum + sample.value, 0);
    expect(present(before, "rc_rooms", { availability: "online" })).toBe(1);
    expect(present(before, "rc_devices", { status: "ok" })).toBe(1);
    await agent.stop();
    let after = before;
    await waitFor("room offline", async () => {
      after = await scrape();
      return after.value("rc_rooms", { availability: "online" }) === 0;
    });
    const offlineBefore = present(before, "rc_rooms", { availability: "offline" });
    expect(present(after, "rc_rooms", { availability: "offline" })).toBeGreaterThan(offlineBefore);
    expect(present(after, "rc_devices", { status: "ok" })).toBe(0);
    // The site's one device (the room without an agent never had one) is offline with its agent.
    expect(present(after, "rc_devices", { status: "offline" })).toBe(1);
    expect(after.select("rc_room_agent_rss_bytes")).toEqual([]);
    // After the debounce, the room's alarm is among the active ones.
    await waitFor("an alarm", async () => alarms(await scrape()) > alarms(before));
  });
});

describe("the metrics token", () => {
  it("the real controller with --metrics-token answers /metrics only to that bearer token, and never logs it", {
    timeout: 30_000,
  }, async () => {
    const data = await mkdtemp(join(tmpdir(), "rc-metrics-"));
    const token = randomBytes(24).toString("base64url");
    const httpPort = await freePort();
    const controller = startTs("controller", "controller/src/cli.ts", [
      "serve",
      "--data",
      data,
      "--http-port",
      String(httpPort),
      "--mqtt-port",
      String(await freePort()),
      "--metrics-token",
      token,
    ]);
    try {
      await controller.waitForLine(/controller started/);
      const url = `http://127.0.0.1:${httpPort}/metrics`;
      for (const authorization of [undefined, `Bearer ${token}x`, `Basic ${token}`, "Bearer "]) {
        const refused = await fetch(url, authorization ? { headers: { authorization } } : {});
        expect(refused.status, authorization).toBe(401);
        expect(refused.headers.get("www-authenticate")).toMatch(/^Bearer/);
        expect(await refused.json()).toMatchObject({ status: 401, error: { code: "unauthorized" } });
      }
      const answered = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      expect(answered.status).toBe(200);
      expect(parsePrometheusText(await answered.text()).value("rc_sessions_live")).toBe(0);
      // The rest of the API does not take the metrics token's place, nor need it.
      await waitFor("healthz without the token", async () => (await fetch(`http://127.0.0.1:${httpPort}/healthz`)).ok);
    } finally {
      await controller.stop();
      await rm(data, { recursive: true, force: true });
    }
    expect(controller.lines.join("\n")).not.toContain(token);
  });
});
