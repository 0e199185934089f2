// 10,000 random CONNECTs against the embedded broker over raw TCP (issue 11, fault 1 and 8): JavaScript built-in
// names, long, empty and binary usernames, passwords and client ids, random protocol levels, truncated packets and
// plain garbage. Afterwards the controller still answers /healthz and this process's memory has not run away.
// The controller runs in this process, so process.memoryUsage() measures it.
import { randomBytes } from "node:crypto";
import { connect as tcpConnect } from "node:net";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { clientIdOf } from "@rc/protocol";
import mqtt from "mqtt";
import mqttPacket, { type IConnectPacket } from "mqtt-packet";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { BUILT_IN_NAMES, mqttField, rawPacket } from "./support/raw-mqtt.ts";
import { TestSite } from "./support/test-site.ts";
import { waitFor } from "./support/wait-for.ts";

const PACKETS = 10_000;
const CONCURRENCY = 48;
const WARM_UP = 2_000;
/** Time to wait for the broker's answer to one packet before giving up on the socket. */
const ANSWER_MS = 400;

/** A GC to call between measurements: vitest's workers are not started with --expose-gc. */
function garbageCollector(): () => void {
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
}

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;
const chance = (p: number) => Math.random() < p;

function randomText(): string {
  const roll = Math.random();
  if (roll < 0.4) return pick(BUILT_IN_NAMES);
  if (roll < 0.55) return "";
  if (roll < 0.65) return "x".repeat(1 + Math.floor(Math.random() * 70_000));
  if (roll < 0.95) return randomBytes(Math.floor(Math.random() * 64)).toString("latin1");
  // Now and then a real login with a wrong password: each costs a scrypt, as it would for an attacker.
  return roll < 0.98 ? "fz-room" : "controller";
}

/** A CONNECT by hand, for what mqtt-packet refuses to generate: binary fields, any protocol name and level. */
function handMadeConnect(): Buffer {
  const binary = () => (chance(0.5) ? randomBytes(Math.floor(Math.random() * 300)) : Buffer.from(randomText()));
  const username = binary();
  const flags = (Math.random() * 256) & 0xfe;
  const body = Buffer.concat([
    mqttField(Buffer.from(pick(["MQTT", "MQIsdp", "", "MQTX"]))),
    Buffer.from([Math.floor(Math.random() * 256), flags | 0xc0, Math.floor(Math.random() * 256), 10]),
    mqttField(chance(0.5) ? Buffer.from(clientIdOf(username.toString(), "f")) : binary()),
    ...(flags & 0x04 ? [mqttField(binary()), mqttField(binary())] : []),
    mqttField(username),
    mqttField(binary()),
  ]);
  return rawPacket(0x10, body);
}

function validConnect(): Buffer {
  const username = randomText();
  const packet: IConnectPacket = {
    cmd: "connect",
    protocolId: "MQTT",
    protocolVersion: pick([3, 4, 4, 4, 5] as const),
    clean: chance(0.8),
    keepalive: Math.floor(Math.random() * 65_536),
    clientId: chance(0.7) ? clientIdOf(username, randomBytes(4).toString("hex")) : randomText().slice(0, 65_000),
    username: username.slice(0, 65_000),
    password: chance(0.5) ? randomBytes(Math.floor(Math.random() * 200)) : Buffer.from(randomText().slice(0, 65_000)),
    ...(chance(0.2)
      ? { will: { topic: "rc/v1/rooms/fz-room/availability", payload: randomBytes(50), qos: 1 as const, retain: true } }
      : {}),
  };
  try {
    return mqttPacket.generate(packet);
  } catch {
    return handMadeConnect(); // a combination mqtt-packet will not write (e.g. no client id before 3.1.1)
  }
}

/** One packet of the fuzz: mostly CONNECTs, valid or hand-made, some cut short, some with garbage after, some garbage. */
function fuzzPacket(): Buffer {
  const kind = Math.random();
  if (kind < 0.1) return randomBytes(1 + Math.floor(Math.random() * 2000));
  const packet = chance(0.5) ? validConnect() : handMadeConnect();
  if (kind < 0.3) return packet.subarray(0, Math.floor(Math.random() * packet.length));
  if (kind < 0.4) return Buffer.concat([packet, randomBytes(Math.floor(Math.random() * 500))]);
  return packet;
}

describe("fault 1 and 8: random CONNECTs", () => {
  let site: TestSite;
  beforeAll(async () => {
    site = await TestSite.create("embedded", ["fz-room"]);
    await waitFor("the controller connected", async () => (await healthz()) === 200);
  });
  afterAll(async () => {
    await site?.stop();
  });

  const healthz = async () => (await fetch(`${site.httpUrl}/healthz`)).status;

  it("10,000 random CONNECT packets leave the controller serving and its memory bounded", async () => {
    // In the controller's own process an unhandled rejection ends Node; vitest's worker only reports it, so count.
    const crashes: unknown[] = [];
    const onCrash = (error: unknown) => crashes.push(error);
    process.on("unhandledRejection", onCrash);
    process.on("uncaughtException", onCrash);
    onTestFinished(() => {
      process.off("unhandledRejection", onCrash);
      process.off("uncaughtException", onCrash);
    });
    const gc = garbageCollector();
    gc();
    const before = process.memoryUsage();
    const outcomes = { answered: 0, closedByBroker: 0, leftOpen: 0, refusedAtConnect: 0 };
    let next = 0;
    const send = (index: number) =>
      new Promise<void>((resolve) => {
        // Spread over loopback's addresses: this is a fuzz of the packet handling, not of the connect budget
        // (which allows a burst of 20 per address; each address gets about 13 here).
        const localAddress = `127.0.${1 + (index % 3)}.${1 + (((index / 3) % 250) | 0)}`;
        const socket = tcpConnect({ host: "127.0.0.1", port: site.mqttPort, localAddress });
        let answered = false;
        let connected = false;
        const timer = setTimeout(() => {
          outcomes.leftOpen += 1;
          socket.destroy();
        }, ANSWER_MS);
        socket.on("error", () => {});
        socket.on("data", () => (answered = true));
        socket.once("connect", () => {
          connected = true;
          socket.write(fuzzPacket());
        });
        socket.once("close", () => {
          clearTimeout(timer);
          if (!connected) outcomes.refusedAtConnect += 1;
          else if (answered) outcomes.answered += 1;
          else outcomes.closedByBroker += 1;
          resolve();
        });
      });
    /** Sends packets up to `until` (an index) over CONCURRENCY sockets at a time. */
    const fuzzUntil = async (until: number) => {
      const worker = async () => {
        while (next < until) await send(next++);
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      await new Promise((resolve) => setTimeout(resolve, 500)); // let the last sockets close on the broker's side
      gc();
      return process.memoryUsage();
    };
    const started = Date.now();
    // The first packets raise the allocator's high-water mark (RSS rarely shrinks); the rest show whether it grows.
    const warm = await fuzzUntil(WARM_UP);
    const after = await fuzzUntil(PACKETS);
    const seconds = (Date.now() - started) / 1000;
    expect(crashes).toEqual([]);
    expect(await healthz()).toBe(200);

    const mb = (bytes: number) => Math.round(bytes / 2 ** 20);
    const figures = (key: "rss" | "heapUsed" | "external") =>
      `${mb(before[key])} → ${mb(warm[key])} → ${mb(after[key])}`;
    process.stdout.write(
      `connect fuzz: ${PACKETS} packets in ${seconds.toFixed(1)} s, ${JSON.stringify(outcomes)}; MB at start → ` +
        `after ${WARM_UP} → after ${PACKETS}: rss ${figures("rss")}, heap ${figures("heapUsed")}, ` +
        `external ${figures("external")}\n`,
    );
    expect(mb(after.heapUsed - before.heapUsed)).toBeLessThan(50);
    expect(mb(after.rss - before.rss)).toBeLessThan(200);
    expect(mb(after.rss - warm.rss)).toBeLessThan(100);
    // The rightful room still gets in, with its own client id.
    const room = await mqtt.connectAsync(site.brokerUrl, {
      protocolVersion: 4,
      username: "fz-room",
      password: site.room("fz-room").password,
      clientId: clientIdOf("fz-room", randomBytes(8).toString("hex")),
      reconnectPeriod: 0,
    });
    await room.endAsync(true);
  }, 90_000);
});
