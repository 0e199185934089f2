// The embedded broker as an attacker meets it (issue 11, faults 1, 5 and 8): JavaScript built-in names as logins,
// oversized packets and connect floods before any login, and client ids that belong to somebody else — each refused
// while the controller and the rightful clients carry on.
import { randomBytes } from "node:crypto";
import { type Socket, connect as tcpConnect } from "node:net";
import { clientIdOf } from "@rc/protocol";
import mqtt, { type MqttClient } from "mqtt";
import mqttPacket from "mqtt-packet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestSite } from "./support/test-site.ts";
import { waitFor } from "./support/wait-for.ts";

const ROOMS = ["hb-a", "hb-b"];

describe("embedded broker hardening", () => {
  let site: TestSite;
  beforeAll(async () => {
    site = await TestSite.create("embedded", ROOMS);
    await waitFor("the controller connected to its broker", async () => (await healthz()) === 200);
  });
  afterAll(async () => {
    await site?.stop();
  });

  const healthz = async () => (await fetch(`${site.httpUrl}/healthz`)).status;
  const login = (username: string, password: string, clientId: string, localAddress = "127.0.0.1") =>
    mqtt.connectAsync(site.brokerUrl, {
      protocolVersion: 4,
      username,
      password,
      clientId,
      reconnectPeriod: 0,
      connectTimeout: 3000,
      localAddress,
    } as mqtt.IClientOptions);
  const refusalOf = async (attempt: Promise<MqttClient>): Promise<number | string> => {
    try {
      const client = await attempt;
      await client.endAsync(true);
      return "accepted";
    } catch (error) {
      return (error as { code?: number }).code ?? (error as Error).message;
    }
  };

  it("fault 1: a CONNECT whose username is a JavaScript built-in name is refused and the controller keeps serving", async () => {
    expect(await healthz()).toBe(200);
    for (const username of ["toString", "__proto__", "constructor", "hasOwnProperty", "valueOf"]) {
      const code = await refusalOf(login(username, "anything", clientIdOf(username, "x"), "127.0.1.1"));
      expect(code, username).toBe(4); // bad user name or password
    }
    await new Promise((resolve) => setTimeout(resolve, 200)); // a crash would come from a promise settling late
    expect(await healthz()).toBe(200);
  });

  it("fault 8: a packet bigger than a CONNECT can be, sent before login, is refused and the socket closed", async () => {
    const socket = await openSocket(site.mqttPort, "127.0.1.2");
    // A CONNECT header announcing 200 MB: without a limit the broker buffers it all, waiting for the rest.
    const header = Buffer.from([0x10, 0x80, 0x80, 0x80, 0x64]);
    let sent = 0;
    const closed = closedWithin(socket, 5000);
    socket.write(header);
    const chunk = randomBytes(16 * 1024);
    while (!socket.destroyed && sent < 1024 * 1024) {
      if (!socket.write(chunk)) await new Promise((resolve) => setTimeout(resolve, 5));
      sent += chunk.length;
    }
    expect(await closed).toBe(true);
    expect(await healthz()).toBe(200);
  });

  it("fault 8: a whole CONNECT of 60 KB (a long password) before login is refused without a CONNACK", async () => {
    const socket = await openSocket(site.mqttPort, "127.0.1.3");
    const received: Buffer[] = [];
    socket.on("data", (data) => received.push(data));
    const closed = closedWithin(socket, 3000);
    socket.write(
      mqttPacket.generate({
        cmd: "connect",
        protocolId: "MQTT",
        protocolVersion: 4,
        clean: true,
        keepalive: 10,
        clientId: clientIdOf("hb-a", "long"),
        username: "hb-a",
        password: randomBytes(60 * 1024),
      }),
    );
    expect(await closed).toBe(true);
    expect(Buffer.concat(received).length).toBe(0);
  });

  it("fault 8: a logged-in room may send a large info, but not a packet above the post-login limit", async () => {
    const room = site.room("hb-a");
    const client = await login("hb-a", room.password, clientIdOf("hb-a", "big"));
    await client.publishAsync("rc/v1/rooms/hb-a/telemetry", Buffer.alloc(100 * 1024, "x"), { qos: 1 });
    const closed = new Promise<boolean>((resolve) => {
      client.once("close", () => resolve(true));
      setTimeout(() => resolve(false), 3000);
    });
    client.publish("rc/v1/rooms/hb-a/telemetry", Buffer.alloc(1024 * 1024, "x"), { qos: 0 });
    expect(await closed).toBe(true);
    await client.endAsync(true);
  });

  it("fault 8: a connect flood from one address is cut off before any login is tried, and other addresses still get in", async () => {
    const sockets = await Promise.all(
      Array.from({ length: 60 }, () => openSocket(site.mqttPort, "127.0.1.4").catch(() => null)),
    );
    const outcomes = await Promise.all(sockets.map((socket) => (socket ? closedWithin(socket, 1000) : true)));
    const cut = outcomes.filter(Boolean).length;
    expect(cut).toBeGreaterThanOrEqual(30); // a burst of 20 is allowed, the rest closed at once
    expect(cut).toBeLessThan(60);
    for (const socket of sockets) socket?.destroy();
    const room = site.room("hb-b");
    const other = await login("hb-b", room.password, clientIdOf("hb-b", "after-flood"), "127.0.1.5");
    await other.endAsync(true);
  });

  it("fault 5: a room's login with another room's client id is refused and the victim stays connected", async () => {
    const victim = await login("hb-b", site.room("hb-b").password, clientIdOf("hb-b", "victim"), "127.0.2.1");
    let victimClosed = false;
    victim.on("close", () => (victimClosed = true));
    const code = await refusalOf(login("hb-a", site.room("hb-a").password, clientIdOf("hb-b", "victim"), "127.0.2.2"));
    expect(code).toBe(2); // identifier rejected
    // A client id without a login part belongs to nobody, so nobody may use it either.
    expect(await refusalOf(login("hb-a", site.room("hb-a").password, "hb-b", "127.0.2.2"))).toBe(2);
    await victim.publishAsync("rc/v1/rooms/hb-b/telemetry", "{}", { qos: 1 }); // still there, a round trip later
    expect(victimClosed).toBe(false);
    await victim.endAsync(true);
  });

  it("fault 5: nobody but the controller login may use a client id starting with controller:", async () => {
    const victim = await login("controller", site.controllerPassword, clientIdOf("controller", "victim"), "127.0.2.3");
    let victimClosed = false;
    victim.on("close", () => (victimClosed = true));
    const code = await refusalOf(
      login("hb-a", site.room("hb-a").password, clientIdOf("controller", "victim"), "127.0.2.4"),
    );
    expect(code).toBe(2);
    await victim.publishAsync("rc/v1/controller/resync", "{}", { qos: 1 });
    expect(victimClosed).toBe(false);
    await victim.endAsync(true);
    expect(await healthz()).toBe(200); // the real controller was never kicked either
    expect(site.controllerLog.some((line) => line.includes("client id of another login"))).toBe(true);
  });
});

// Mosquitto 2, as a real site runs it: the repository's plugin (controller/mosquitto/client-id-plugin.c) applies the
// same rule before the password is checked, and Mosquitto takes a session over only after a successful login.
describe("Mosquitto with the client-id plugin", () => {
  let site: TestSite;
  beforeAll(async () => {
    site = await TestSite.create("mosquitto", ROOMS);
  });
  afterAll(async () => {
    await site?.stop();
  });

  const login = (username: string, password: string, clientId: string) =>
    mqtt.connectAsync(site.brokerUrl, { protocolVersion: 4, username, password, clientId, reconnectPeriod: 0 });
  const refused = (attempt: Promise<MqttClient>) =>
    attempt.then(
      (client) => client.endAsync(true).then(() => "accepted"),
      (error: { code?: number }) => error.code,
    );

  it("fault 5: a room cannot take over another room's or the controller's client id; the victims stay connected", async () => {
    const victim = await login("hb-b", site.room("hb-b").password, clientIdOf("hb-b", "victim"));
    let victimClosed = false;
    victim.on("close", () => (victimClosed = true));
    const password = site.room("hb-a").password;
    expect(await refused(login("hb-a", password, clientIdOf("hb-b", "victim")))).toBe(5); // not authorised
    expect(await refused(login("hb-a", password, "hb-b"))).toBe(5);
    expect(await refused(login("hb-a", password, clientIdOf("controller", "anything")))).toBe(5);
    expect(await refused(login("hb-a", "wrong-password", clientIdOf("hb-a", "x")))).toBe(5); // passwords still count
    expect(await refused(login("hb-a", password, clientIdOf("hb-a", "x")))).toBe("accepted");
    await victim.publishAsync("rc/v1/rooms/hb-b/telemetry", "{}", { qos: 1 });
    expect(victimClosed).toBe(false);
    await victim.endAsync(true);
    expect((await fetch(`${site.httpUrl}/healthz`)).status).toBe(200);
  });
});

/** A raw TCP connection to the broker from one of loopback's addresses (each has its own connect budget). */
function openSocket(port: number, localAddress: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host: "127.0.0.1", port, localAddress });
    socket.on("error", () => {}); // a reset by the broker is an expected outcome here
    socket.once("connect", () => resolve(socket));
    socket.once("close", () => reject(new Error("closed before connecting")));
  });
}

/** Resolves true when the broker closes the socket within `ms`, false otherwise. */
function closedWithin(socket: Socket, ms: number): Promise<boolean> {
  if (socket.destroyed) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    socket.once("close", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}
