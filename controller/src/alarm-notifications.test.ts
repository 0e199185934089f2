// Notifications against a real local HTTP server: in digest mode the alarms raised in a period go out as one signed
// webhook; a webhook that stays down is given up on after the last attempt, and raising alarms never waits for it.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "../../test/support/wait-for.ts";
import { AlarmNotifications, emailOf, type NotificationSettings, signBody } from "./alarm-notifications.ts";
import type { Alarm } from "./alarms.ts";

const SECRET = "a-webhook-secret-of-16+";
const servers: Server[] = [];
const notifiers: AlarmNotifications[] = [];
afterEach(async () => {
  for (const notifier of notifiers.splice(0)) notifier.stop();
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function webhook(status: number) {
  const calls: { body: string; signature: string | undefined }[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      calls.push({
        body: Buffer.concat(chunks).toString("utf8"),
        signature: request.headers["x-rc-signature"] as string,
      });
      response.statusCode = status;
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  servers.push(server);
  return { calls, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

function alarm(device: string): Alarm {
  return {
    id: `alarm-0mx83ub15-${device.padStart(6, "0")}`,
    key: `device:xa:${device}`,
    kind: "device",
    room: "xa",
    device,
    session: null,
    point: null,
    status: "offline",
    severity: "major",
    detail: `${device} does not answer`,
    raisedAt: "2026-12-03T01:00:00.000Z",
    clearedAt: null,
    ack: null,
  };
}

function notifier(url: string, digestMs: number, logLines: string[] = []) {
  const settings: NotificationSettings = {
    webhook: { url, secret: SECRET },
    email: null,
    digestMs,
    retry: { attempts: 3, firstDelayMs: 50, maxDelayMs: 100, attemptTimeoutMs: 500 },
    maxQueued: 10,
  };
  const log = pino({ level: "info" }, { write: (line: string) => void logLines.push(line) });
  const made = new AlarmNotifications(settings, log);
  made.start();
  notifiers.push(made);
  return made;
}

describe("alarm notifications", () => {
  it("in digest mode, send the alarms raised in a period as one signed webhook", async () => {
    const hook = await webhook(200);
    const notifications = notifier(hook.url, 300);
    for (const device of ["aa", "bb", "cc"]) notifications.raised(alarm(device));
    await waitFor("the digest", () => hook.calls.length === 1, 3000);
    await new Promise((resolve) => setTimeout(resolve, 700)); // periods with nothing raised send nothing
    expect(hook.calls).toHaveLength(1);
    const [call] = hook.calls;
    expect(call!.signature).toBe(signBody(SECRET, call!.body));
    const digest = JSON.parse(call!.body);
    expect(digest).toMatchObject({ type: "digest", more: 0 });
    expect(digest.alarms.map((each: Alarm) => each.device)).toEqual(["aa", "bb", "cc"]);
    expect(emailOf(digest).subject).toMatch(/^\[RC alarms\] 3 raised between /);
  });

  it("give up on a webhook that keeps failing after the last attempt, logging it without the secret", async () => {
    const hook = await webhook(500);
    const lines: string[] = [];
    const notifications = notifier(hook.url, 0, lines);
    notifications.raised(alarm("aa"));
    // Raising never waits for a delivery: when it returns, the delivery is still to come.
    expect(notifications.waiting).toBe(1);
    expect(hook.calls).toHaveLength(0);
    await waitFor("given up", () => lines.some((line) => line.includes("gave up")), 3000);
    expect(hook.calls).toHaveLength(3);
    expect(notifications.waiting).toBe(0);
    expect(lines.join("")).not.toContain(SECRET);
  });
});
