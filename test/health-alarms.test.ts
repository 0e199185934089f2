// Device health that IT can run on (issue 14 part 3), end to end: the real controller and broker, a real agent with a
// simulated ONVIF camera, a local webhook server and a local SMTP server (smtp-server) started here.
//   - the camera silenced → its device offline → one alarm after the debounce; the webhook hangs once and answers
//     500 once, the SMTP server refuses once: each is retried, one webhook (HMAC-signed) and one e-mail arrive, the
//     alarm is shown all along; recovery clears it; it is acknowledged with a note (audited); the history has it all;
//   - inside a maintenance window, the camera silenced again raises no alarm;
//   - IT restarts a device's driver through REST: the agent restarts it, and the audit log has it.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { RoomView } from "@rc/protocol";
import { OnvifCamera } from "@rc/simulators";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signBody } from "../controller/src/alarm-notifications.ts";
import type { Alarm } from "../controller/src/alarms.ts";
import { stopAll } from "./support/processes.ts";
import { SITE_CAMERA_PASSWORD, TestSite } from "./support/test-site.ts";
import { waitFor } from "./support/wait-for.ts";

const ROOM = "xa-canh-bao";
const DEBOUNCE_MS = 1000;
const WEBHOOK_SECRET = "webhook-secret-never-logged";
const SMTP_PASSWORD = "smtp-password-never-logged";

interface WebhookCall {
  body: string;
  signature: string | null;
  answer: number | "hang";
}

const cleanups: (() => Promise<unknown>)[] = [];
let site: TestSite;
let camera: OnvifCamera;
/** What the webhook answers, call by call (then 200): it hangs once, fails once, then takes it. */
const webhookScript: (number | "hang")[] = ["hang", 500];
const webhookCalls: WebhookCall[] = [];
const hanging: ServerResponse[] = [];
/** The SMTP server refuses the first MAIL FROM (451), then accepts. */
let smtpRefusals = 1;
let smtpAttempts = 0;
const mails: string[] = [];

async function startWebhook(): Promise<Server> {
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const answer = webhookScript[webhookCalls.length] ?? 200;
      const signature = request.headers["x-rc-signature"];
      webhookCalls.push({
        body: Buffer.concat(chunks).toString("utf8"),
        signature: typeof signature === "string" ? signature : null,
        answer,
      });
      if (answer === "hang") {
        hanging.push(response);
        return;
      }
      response.statusCode = answer;
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return server;
}

async function startSmtp(): Promise<SMTPServer> {
  const smtp = new SMTPServer({
    disabledCommands: ["STARTTLS"],
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === "alarms" && auth.password === SMTP_PASSWORD) return callback(null, { user: "alarms" });
      callback(new Error("wrong login"));
    },
    onMailFrom(_address, _session, callback) {
      smtpAttempts++;
      if (smtpRefusals > 0) {
        smtpRefusals--;
        return callback(Object.assign(new Error("mailbox busy, try again later"), { responseCode: 451 }));
      }
      callback();
    },
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        mails.push(Buffer.concat(chunks).toString("utf8"));
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, "127.0.0.1", resolve));
  return smtp;
}

const call = (method: string, path: string, body?: unknown) => site.call(method, path, body);

const view = (): RoomView => site.controller.registry.get(ROOM)!;
const activeAlarms = async () => ((await call("GET", "/api/alarms?active=true")).body.items as Alarm[]) ?? [];
/** The webhook calls about one alarm, those it answered 200, and the e-mails accepted about it. */
const callsFor = (id: string) =>
  webhookCalls.filter((each) => (JSON.parse(each.body) as { alarm?: { id?: string } }).alarm?.id === id);
const deliveredFor = (id: string) => callsFor(id).filter((each) => each.answer === 200);
const mailsFor = (id: string) => mails.filter((mail) => mail.includes(`Alarm ${id}.`));
/** Whether a webhook call was about the camera. */
const aboutCamera = (call: WebhookCall) =>
  (JSON.parse(call.body) as { alarm?: { device?: string } }).alarm?.device === "cam";

beforeAll(async () => {
  const webhook = await startWebhook();
  cleanups.push(async () => {
    for (const response of hanging) response.destroy();
    webhook.closeAllConnections();
    await new Promise((resolve) => webhook.close(resolve));
  });
  const smtp = await startSmtp();
  cleanups.push(() => new Promise((resolve) => smtp.close(() => resolve(undefined))));
  camera = new OnvifCamera({ name: "Camera chủ trì", password: SITE_CAMERA_PASSWORD, picture: false });
  await camera.start();
  cleanups.push(() => camera.stop());
  site = await TestSite.create("embedded", [ROOM], {
    health: {
      alarmDebounceMs: DEBOUNCE_MS,
      notifications: {
        webhook: { url: `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/hook`, secret: WEBHOOK_SECRET },
        email: {
          smtpUrl: `smtp://alarms:${SMTP_PASSWORD}@127.0.0.1:${(smtp.server.address() as AddressInfo).port}`,
          from: "controller@tiepcongdan.local",
          to: ["it@tiepcongdan.local"],
        },
        digestMs: 0,
        retry: { attempts: 5, firstDelayMs: 300, maxDelayMs: 2000, attemptTimeoutMs: 1500 },
        maxQueued: 100,
      },
    },
    extend: () => ({
      devices: [
        {
          id: "cam",
          kind: "camera",
          model: "generic-onvif-ptz",
          connection: { host: "127.0.0.1", port: camera.port, username: "admin", passwordEnv: "RC_CAMERA_PASSWORD" },
        },
      ],
    }),
  });
  cleanups.push(() => site.stop());
  cleanups.push(() => stopAll());
  site.startAgent(ROOM);
  await waitFor(
    "the camera ok",
    () => view()?.health.cam?.status === "ok" && view().health.thu?.status === "ok",
    60_000, // agents start slowly on a loaded machine
  );
}, 90_000);

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe("alarms of a real room", () => {
  it("a silenced camera raises one alarm after the debounce, told once by webhook and e-mail despite their failures, cleared on recovery", async () => {
    const silencedAt = new Date().toISOString();
    camera.behaviour = "silent";
    await waitFor("the camera offline", () => view().health.cam?.status === "offline", 30_000);
    const alarm = await waitFor("the camera's alarm", async () =>
      (await activeAlarms()).find((each) => each.device === "cam"),
    );
    expect(alarm).toMatchObject({ kind: "device", room: ROOM, device: "cam", status: "offline", severity: "major" });
    // Raised no sooner than the debounce after the camera's first bad status, as the history has it.
    await site.controller.health.history.flush();
    const since = (await call("GET", `/api/rooms/${ROOM}/history?from=${encodeURIComponent(silencedAt)}`)).body
      .items as { at: string; kind: string; device?: string; status?: string }[];
    const firstBad = since
      .filter((line) => line.kind === "device" && line.device === "cam" && line.status !== "ok")
      .at(-1);
    expect(Date.parse(alarm.raisedAt) - Date.parse(firstBad!.at)).toBeGreaterThanOrEqual(DEBOUNCE_MS);

    // The webhook hung (time-out), then answered 500, then took it; the SMTP server refused once, then took it.
    // (Counted per alarm: on a loaded machine an agent may miss its keep-alive and its room raise an alarm too.)
    await waitFor("the webhook delivered", () => deliveredFor(alarm.id).length === 1, 30_000);
    await waitFor("the e-mail delivered", () => mailsFor(alarm.id).length === 1, 30_000);
    expect(webhookCalls.slice(0, 2).map((each) => each.answer)).toEqual(["hang", 500]);
    expect(callsFor(alarm.id).at(-1)?.answer).toBe(200);
    for (const each of webhookCalls) expect(each.signature).toBe(signBody(WEBHOOK_SECRET, each.body));
    expect(JSON.parse(deliveredFor(alarm.id)[0]!.body)).toMatchObject({ type: "alarm", alarm: { device: "cam" } });
    expect(smtpAttempts).toBeGreaterThanOrEqual(2);
    expect(mailsFor(alarm.id)[0]).toMatch(/^Subject: \[RC alarm\] MAJOR xa-canh-bao: device cam offline/m);
    // While they failed, the alarm was shown all along, and the failures were logged without any secret.
    expect((await activeAlarms()).map((each) => each.id)).toContain(alarm.id);
    const log = site.controllerLog.join("\n");
    expect(log).toMatch(/"channel":"webhook 127\.0\.0\.1:\d+".*"msg":"notification failed"/);
    expect(log).toMatch(/"channel":"e-mail 127\.0\.0\.1:\d+".*mailbox busy.*"msg":"notification failed"/);
    expect(log).not.toContain(WEBHOOK_SECRET);
    expect(log).not.toContain(SMTP_PASSWORD);

    camera.behaviour = "normal";
    await waitFor(
      "the alarm cleared",
      async () => !(await activeAlarms()).some((each) => each.id === alarm.id),
      40_000,
    );
    const cleared = (await call("GET", "/api/alarms?active=false")).body.items as Alarm[];
    expect(cleared.find((each) => each.id === alarm.id)).toMatchObject({ clearedAt: expect.any(String) });
    // One notification per alarm: nothing more was sent for its clearing.
    expect(deliveredFor(alarm.id)).toHaveLength(1);
    expect(mailsFor(alarm.id)).toHaveLength(1);

    // Acknowledged with a note, once; the acknowledgement is audited.
    expect((await call("POST", `/api/alarms/${alarm.id}/ack`, {})).body).toMatchObject({ status: 400, field: "note" });
    const acked = await call("POST", `/api/alarms/${alarm.id}/ack`, { note: "Đã kiểm tra nguồn camera" });
    expect(acked).toMatchObject({ status: 200, body: { ack: { note: "Đã kiểm tra nguồn camera" } } });
    expect((await call("POST", `/api/alarms/${alarm.id}/ack`, { note: "again" })).status).toBe(409);
    expect((await call("POST", "/api/alarms/alarm-000000000-000000/ack", { note: "x" })).status).toBe(404);

    // The history: the camera's status changes and the alarm's, newest first.
    await site.controller.health.history.flush();
    const history = (await call("GET", `/api/rooms/${ROOM}/history?limit=500`)).body;
    const lines = (history.items as { kind: string; device?: string; status?: string; change?: string }[]).reverse();
    const story = lines
      .filter((line) => (line.kind === "device" && line.device === "cam") || line.kind === "alarm")
      .map((line) => (line.kind === "alarm" ? `alarm ${line.change}` : `cam ${line.status}`));
    expect(story.slice(story.indexOf("cam offline"))).toEqual(
      expect.arrayContaining(["cam offline", "alarm raised", "alarm cleared", "alarm acknowledged", "cam ok"]),
    );
    expect(story.indexOf("alarm raised")).toBeGreaterThan(story.indexOf("cam offline"));
    expect(story.indexOf("alarm cleared")).toBeGreaterThan(story.indexOf("alarm raised"));
    expect((await call("GET", `/api/rooms/${ROOM}/history?cursor=nonsense`)).body).toMatchObject({
      status: 400,
      field: "cursor",
    });
    expect((await call("GET", "/api/rooms/no-such-room/history")).status).toBe(404);
  }, 120_000);

  it("inside a maintenance window, the silenced camera raises no alarm", async () => {
    const until = new Date(Date.now() + 10 * 60_000).toISOString();
    expect(
      (await call("POST", "/api/maintenance", { room: ROOM, until: "2020-01-01", reason: "x" })).body,
    ).toMatchObject({ status: 400, field: "until" });
    expect((await call("POST", "/api/maintenance", { room: "no-such-room", until, reason: "x" })).status).toBe(404);
    const made = await call("POST", "/api/maintenance", { room: ROOM, device: "cam", until, reason: "Thay camera" });
    expect(made).toMatchObject({ status: 201, body: { room: ROOM, device: "cam", reason: "Thay camera" } });
    const listed = (await call("GET", "/api/maintenance")).body.items as { id: string }[];
    expect(listed.map((window) => window.id)).toEqual([made.body.id]);

    const notifiedBefore = webhookCalls.filter(aboutCamera).length;
    camera.behaviour = "silent";
    await waitFor("the camera offline", () => view().health.cam?.status === "offline", 30_000);
    await new Promise((resolve) => setTimeout(resolve, DEBOUNCE_MS * 3));
    expect((await activeAlarms()).filter((each) => each.device === "cam")).toEqual([]);
    expect(webhookCalls.filter(aboutCamera)).toHaveLength(notifiedBefore);
    camera.behaviour = "normal";
    await waitFor("the camera back", () => view().health.cam?.status === "ok", 40_000);
    expect((await call("DELETE", `/api/maintenance/${String(made.body.id)}`)).status).toBe(200);
    expect((await call("GET", "/api/maintenance")).body.items).toEqual([]);
  }, 120_000);

  it("reads are for every role (an operator: their rooms, not lists across rooms); acknowledging, maintenance and restarts for admin and it", async () => {
    const as = async (token: string, method: string, path: string, body?: unknown) =>
      (
        await site.fetch(path, {
          method,
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        })
      ).status;
    const viewer = await site.user("xem", "viewer");
    const it = await site.user("kythuat", "it");
    const operator = await site.user("vanhanh", "operator", [ROOM]);
    const until = new Date(Date.now() + 60_000).toISOString();
    expect(await as(viewer.token, "GET", "/api/alarms")).toBe(200);
    expect(await as(viewer.token, "GET", `/api/rooms/${ROOM}/history`)).toBe(200);
    expect(await as(viewer.token, "POST", "/api/maintenance", { room: ROOM, until, reason: "x" })).toBe(403);
    expect(await as(viewer.token, "POST", `/api/rooms/${ROOM}/devices/thu/restart`)).toBe(403);
    expect(await as(operator.token, "GET", `/api/rooms/${ROOM}/history`)).toBe(200);
    expect(await as(operator.token, "POST", `/api/rooms/${ROOM}/devices/thu/restart`)).toBe(403);
    expect(await as(operator.token, "GET", "/api/alarms")).toBe(403);
    expect(await as("not-a-token", "GET", "/api/alarms")).toBe(401);
    const made = await site.fetch("/api/maintenance", {
      method: "POST",
      headers: { authorization: `Bearer ${it.token}`, "content-type": "application/json" },
      body: JSON.stringify({ room: ROOM, until, reason: "Kiểm tra định kỳ" }),
    });
    expect(made.status).toBe(201);
    const window = (await made.json()) as { id: string; createdBy: string };
    expect(window.createdBy).toBe("kythuat");
    expect(await as(it.token, "DELETE", `/api/maintenance/${window.id}`)).toBe(200);
  }, 60_000);

  it("IT restarts a device's driver in the agent; the restart is audited", async () => {
    const since = view().health.thu!.since;
    const restarted = await call("POST", `/api/rooms/${ROOM}/devices/thu/restart`);
    expect(restarted).toMatchObject({ status: 200, body: { ok: true, result: { restarted: "thu" } } });
    await waitFor(
      "the device reconnected",
      () => view().health.thu?.status === "ok" && view().health.thu?.since !== since,
    );
    expect((await call("POST", `/api/rooms/${ROOM}/devices/nope/restart`)).body).toMatchObject({
      status: 404,
      field: "device",
    });
    // The room's roll-up and the site's counts; the agent's telemetry kept as a series (one sample a minute).
    await waitFor("the room ok", async () => (await call("GET", `/api/rooms/${ROOM}/health`)).body.status === "ok");
    expect((await call("GET", `/api/rooms/${ROOM}/health`)).body).toMatchObject({ room: ROOM, worst: [] });
    const overview = (await call("GET", "/api/health")).body;
    expect(overview).toMatchObject({
      counts: { rooms: { total: 1 }, devices: { ok: 2 }, alarms: { bySeverity: expect.any(Object) } },
      items: [{ room: ROOM, devices: [{ id: "cam" }, { id: "thu" }] }],
      nextCursor: null,
    });
    await site.controller.health.telemetrySeries.flush();
    const telemetry = (await call("GET", `/api/rooms/${ROOM}/telemetry`)).body.items as Record<string, unknown>[];
    expect(telemetry[0]).toMatchObject({
      at: expect.any(String),
      cpuPercent: expect.any(Number),
      uptimeS: expect.any(Number),
    });

    await site.controller.audit.flush();
    const audit = (await call("GET", "/api/audit?limit=50")).body.items as {
      what: { action: string; target: Record<string, string> };
      result: { ok: boolean };
    }[];
    const actions = audit.map(
      (entry) => `${entry.what.action} ${JSON.stringify(entry.what.target)} ${entry.result.ok}`,
    );
    expect(actions).toEqual(
      expect.arrayContaining([
        `device.restart {"device":"thu","room":"${ROOM}"} true`,
        `device.restart {"device":"nope","room":"${ROOM}"} false`,
        expect.stringMatching(/^alarm\.ack \{"alarm":"alarm-[^"]+"\} true$/),
        expect.stringMatching(/^maintenance\.create \{"maintenance":"mw-[^"]+","room":"xa-canh-bao"\} true$/),
        expect.stringMatching(/^maintenance\.remove \{"maintenance":"mw-[^"]+"\} true$/),
      ]),
    );
  }, 60_000);
});
