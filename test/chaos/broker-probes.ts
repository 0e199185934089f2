// What a room PC (or anyone on the network) can throw at the broker: a login of one room with another's client id or
// the controller's, and a burst of CONNECTs no broker should choke on — JavaScript built-in names as user names,
// empty, long and binary ones, bytes that are no MQTT, and packets announcing hundreds of megabytes.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { hostname } from "node:os";
import { join } from "node:path";
import { CONTROLLER_USERNAME, clientIdOf } from "@rc/protocol";
import mqtt from "mqtt";
import { BUILT_IN_NAMES, mqttField, rawPacket, remainingLength } from "../support/raw-mqtt.ts";

/** Tries to connect as `username` with `clientId`; says whether the broker let it in (and then leaves at once). */
export function tryLogin(
  mqttPort: number,
  login: { username: string; password: string },
  clientId: string,
): Promise<"accepted" | string> {
  const client = mqtt.connect(`mqtt://127.0.0.1:${mqttPort}`, {
    ...login,
    clientId,
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 5000,
    clean: true,
  });
  return new Promise<"accepted" | string>((resolve) => {
    client.once("connect", () => resolve("accepted"));
    client.once("error", (error) => resolve(error.message || "refused"));
    client.once("close", () => resolve("closed without an answer"));
  }).finally(() => client.end(true));
}

export function roomLogin(dir: string, room: string): { username: string; password: string } {
  return JSON.parse(readFileSync(join(dir, "credentials", `${room}.json`), "utf8"));
}

/**
 * The client ids a room's agent and the controller may be using now: any `clientId` their logs mention, the
 * schemes in use before and after client ids were bound to logins (`agent-{room}-b{boot}`, `{room}:…`,
 * `controller-{host}-{pid}`, `controller:…`), and one made up under each prefix. Every one must be refused to
 * another room's login.
 */
export function clientIdsToSteal(
  dir: string,
  victim: { room: string; boot: number | null; bootId: string | null },
  controllerPid: number | undefined,
): string[] {
  const fromLog = (file: string) => {
    try {
      return [...readFileSync(join(dir, "logs", file), "utf8").matchAll(/"clientId":"([^"]{1,200})"/g)].map(
        (m) => m[1]!,
      );
    } catch {
      return [];
    }
  };
  const suffix = randomBytes(4).toString("hex");
  const ids = [
    ...fromLog(`agent-${victim.room}.log`).slice(-1),
    ...(victim.boot === null ? [] : [`agent-${victim.room}-b${victim.boot}`]),
    ...(victim.bootId === null ? [] : [clientIdOf(victim.room, victim.bootId)]),
    clientIdOf(victim.room, suffix),
    ...fromLog("controller.log")
      .filter((id) => id.startsWith("controller"))
      .slice(-1),
    ...(controllerPid === undefined ? [] : [`controller-${hostname()}-${controllerPid}`]),
    clientIdOf(CONTROLLER_USERNAME, suffix),
  ];
  return [...new Set(ids)];
}

/** One MQTT 3.1.1 CONNECT with a user name and a password (bytes, so that they can be anything). */
function connectPacket(clientId: string, username: Buffer, password: Buffer): Buffer {
  const body = Buffer.concat([
    mqttField(Buffer.from("MQTT")),
    Buffer.from([4, 0b1100_0010, 0, 30]), // level 4; user name, password, clean session; keep-alive 30 s
    mqttField(Buffer.from(clientId)),
    mqttField(username),
    mqttField(password),
  ]);
  return rawPacket(0x10, body);
}

/** The burst's packets: built-in names with any password, odd user names, no MQTT at all, and huge announcements. */
function garbagePackets(count: number): { what: string; bytes: Buffer; hugeBytes?: number }[] {
  const packets: { what: string; bytes: Buffer; hugeBytes?: number }[] = [];
  for (let i = 0; i < count; i++) {
    const id = `garbage-${i}`;
    const password = randomBytes(12);
    const kind = i % 6;
    if (kind <= 2)
      packets.push({
        what: "built-in name",
        bytes: connectPacket(id, Buffer.from(BUILT_IN_NAMES[i % BUILT_IN_NAMES.length]!), password),
      });
    else if (kind === 3) packets.push({ what: "empty user name", bytes: connectPacket(id, Buffer.alloc(0), password) });
    else if (kind === 4)
      packets.push({ what: "long binary user name", bytes: connectPacket(id, randomBytes(60_000), password) });
    else packets.push({ what: "not MQTT", bytes: randomBytes(64 + (i % 512)) });
  }
  // A CONNECT announcing ~256 MB, of which 16 MB really come: a broker without a packet limit buffers it all.
  for (let i = 0; i < 3; i++)
    packets.push({
      what: "huge packet",
      bytes: Buffer.concat([Buffer.from([0x10]), remainingLength(268_435_455)]),
      hugeBytes: 16 * 1024 * 1024,
    });
  return packets;
}

/** Sends each packet on its own connection, a few at a time, and closes each after an answer or a second. */
export async function connectBurst(mqttPort: number, count: number): Promise<{ sent: number; closedByBroker: number }> {
  const packets = garbagePackets(count);
  let closedByBroker = 0;
  const sendOne = (packet: (typeof packets)[number]) =>
    new Promise<void>((resolve) => {
      const socket = connect(mqttPort, "127.0.0.1");
      const timer = setTimeout(() => socket.destroy(), packet.hugeBytes ? 5000 : 1000);
      socket.on("error", () => {});
      socket.on("close", () => {
        clearTimeout(timer);
        resolve();
      });
      socket.on("end", () => closedByBroker++);
      socket.on("data", () => {}); // a CONNACK refusing it, read and dropped
      socket.on("connect", async () => {
        socket.write(packet.bytes);
        if (!packet.hugeBytes) return;
        const chunk = Buffer.alloc(64 * 1024, 0x41);
        for (let sent = 0; sent < packet.hugeBytes && !socket.destroyed; sent += chunk.length)
          if (!socket.write(chunk))
            await new Promise((drained) => socket.once("drain", drained).once("close", drained));
        socket.end();
      });
    });
  const queue = [...packets];
  const workers = Array.from({ length: 16 }, async () => {
    for (let packet = queue.shift(); packet; packet = queue.shift()) await sendOne(packet);
  });
  await Promise.all(workers);
  return { sent: packets.length, closedByBroker };
}
