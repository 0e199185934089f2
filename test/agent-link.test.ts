// Agents and the controller through a real broker — the embedded Aedes and Mosquitto 2 with the repository's ACL —
// with the agents as real processes: death, late wills, broker restarts, idempotent requests, REST errors.
import type { RoomView } from "@rc/protocol";
import { topics } from "@rc/protocol";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { stopAll } from "./support/processes.ts";
import { type BrokerKind, TestSite } from "./support/test-site.ts";
import { waitFor } from "./support/wait-for.ts";

const KEEPALIVE_S = 2;

describe.each<BrokerKind>(["embedded", "mosquitto"])("agent ⇄ controller through %s broker", (broker) => {
  let site: TestSite;
  beforeAll(async () => {
    site = await TestSite.create(broker, ["xa-a", "xa-b"]);
  });
  afterEach(async () => {
    await stopAll();
    // Each test starts from rooms whose last agent is known to be gone.
    await waitFor("every room offline", () =>
      [...site.rooms.keys()].every((room) => view(room).availability.state !== "online"),
    );
  });
  afterAll(async () => {
    await stopAll();
    await site?.stop();
  });

  const view = (room: string): RoomView => site.controller.registry.get(room)!;
  const online = (room: string, boot?: number) => {
    const availability = view(room).availability;
    return availability.state === "online" && (boot === undefined || availability.boot === boot);
  };

  it("shows an agent online with its info, state and device health", async () => {
    site.startAgent("xa-a", { keepaliveS: KEEPALIVE_S });
    await waitFor("xa-a online with its device ok", () => online("xa-a") && view("xa-a").health.thu?.status === "ok");
    expect(view("xa-a").info).toMatchObject({ room: { id: "xa-a" }, devices: [{ id: "thu", kind: "test" }] });
    expect(view("xa-a").state).toMatchObject({ devices: { thu: { value: null } } });
  });

  it("applies a request repeated with the same id once, and answers both", async () => {
    site.startAgent("xa-a", { keepaliveS: KEEPALIVE_S });
    await waitFor("xa-a ok", () => online("xa-a") && view("xa-a").health.thu?.status === "ok");
    const device = site.room("xa-a").device;
    const before = device.sets;
    const body = { action: "test.set", params: { device: "thu", value: 42 }, id: `same-${broker}` };
    const first = await site.post("xa-a", body);
    const second = await site.post("xa-a", body);
    expect(first).toEqual({ status: 200, body: { id: body.id, ok: true, result: { value: 42 } } });
    expect(second).toEqual(first);
    expect(device.sets - before).toBe(1);
  });

  it("reports a SIGKILLed agent offline within 1.5 × keep-alive, and online again after a restart", async () => {
    const agent = site.startAgent("xa-a", { keepaliveS: KEEPALIVE_S });
    await waitFor("xa-a online", () => online("xa-a"));
    const boot = view("xa-a").availability.boot!;
    const killedAt = Date.now();
    agent.signal("SIGKILL");
    await waitFor(
      "xa-a offline",
      () => view("xa-a").availability.state === "offline",
      1.5 * KEEPALIVE_S * 1000 + 500,
      20,
    );
    expect(Date.now() - killedAt).toBeLessThanOrEqual(1.5 * KEEPALIVE_S * 1000 + 500);
    site.startAgent("xa-a", { keepaliveS: KEEPALIVE_S });
    await waitFor("xa-a back online with the next boot", () => online("xa-a", boot + 1));
  });

  it("reports a frozen agent offline by keep-alive, and never lets its late will mark the new agent offline", async () => {
    const old = site.startAgent("xa-b", { keepaliveS: KEEPALIVE_S });
    await waitFor("xa-b online", () => online("xa-b"));
    const oldBoot = view("xa-b").availability.boot!;
    old.signal("SIGSTOP"); // the connection stays open and silent: only the broker's keep-alive can end it
    const fresh = site.startAgent("xa-b", { keepaliveS: KEEPALIVE_S });
    await waitFor("the new xa-b online", () => online("xa-b", oldBoot + 1));
    // The old connection's will comes once the broker's keep-alive check ends it (Aedes: 1.5 × keep-alive; Mosquitto
    // checks more coarsely): watch the new agent's availability until the will has come and a second beyond.
    const seen = new Set<string>();
    const staleWillSeen = () => site.controllerLog.some((line) => /will of another boot ignored/.test(line));
    const deadline = Date.now() + 10_000;
    let until = deadline;
    while (Date.now() < until) {
      seen.add(view("xa-b").availability.state);
      if (until === deadline && staleWillSeen()) until = Date.now() + 1000;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(staleWillSeen()).toBe(true);
    expect([...seen]).toEqual(["online"]);
    // A reader arriving now (a restarted controller) must also find the new agent online on the broker.
    const retained = await readRetained(site, topics.room("xa-b", "availability"));
    expect(retained).toEqual({ state: "online", boot: oldBoot + 1, bootId: view("xa-b").availability.bootId });
    old.signal("SIGKILL");
    await fresh.stop();
  });

  it("says online again when its own older connection's will comes after it said online (a broker that stalled)", async () => {
    site.startAgent("xa-a", { keepaliveS: KEEPALIVE_S });
    await waitFor("xa-a online", () => online("xa-a"));
    const { boot, bootId } = view("xa-a").availability;
    const states: string[] = [];
    const follow = (kind: string, room: RoomView) => {
      if (kind === "availability" && room.id === "xa-a") states.push(room.availability.state);
    };
    site.controller.registry.on("change", follow);
    try {
      // What the broker publishes when it ends this boot's previous connection only after the new one said online.
      const late = await site.connectClient("xa-a");
      await late.publishAsync(topics.room("xa-a", "availability"), JSON.stringify({ state: "offline", boot, bootId }), {
        qos: 1,
        retain: true,
      });
      await late.endAsync(true);
      await waitFor(
        "xa-a offline by the late will, then online again",
        () => states.includes("offline") && states.at(-1) === "online",
        10_000,
      );
    } finally {
      site.controller.registry.off("change", follow);
    }
    expect(await readRetained(site, topics.room("xa-a", "availability"))).toEqual({ state: "online", boot, bootId });
  });

  it("has every agent and the controller back and the registry complete within 10 s of a broker restart", async () => {
    site.startAgent("xa-a", { keepaliveS: KEEPALIVE_S });
    site.startAgent("xa-b", { keepaliveS: KEEPALIVE_S });
    await waitFor("both online", () => online("xa-a") && online("xa-b"));
    const boots = { a: view("xa-a").availability.boot, b: view("xa-b").availability.boot };
    await site.restartBroker();
    const restartedAt = Date.now();
    await waitFor("registry complete again", () => ["xa-a", "xa-b"].every((room) => online(room)), 10_000);
    const complete = (room: string) =>
      view(room).info !== null && view(room).state !== null && view(room).health.thu?.status === "ok";
    await waitFor(
      "info, state and health again",
      () => complete("xa-a") && complete("xa-b"),
      10_000 - (Date.now() - restartedAt),
    );
    expect(Date.now() - restartedAt).toBeLessThan(10_000);
    // The same processes came back: reconnects, not restarts.
    expect(view("xa-a").availability.boot).toBe(boots.a);
    expect(view("xa-b").availability.boot).toBe(boots.b);
    const response = await site.post("xa-a", { action: "test.set", params: { device: "thu", value: 7 } });
    expect(response.status).toBe(200);
  });

  it("answers REST errors at once: 400 for a bad body, 404 for an unknown room, 503 for an offline room, 504 on time-out", async () => {
    expect((await site.post("xa-z", { action: "state.resync" })).status).toBe(404);
    await waitFor("xa-a not online", () => !online("xa-a"));
    const startedAt = Date.now();
    const offline = await site.post("xa-a", { action: "state.resync" });
    expect(offline.status).toBe(503);
    expect(Date.now() - startedAt).toBeLessThan(500);
    site.startAgent("xa-a", { keepaliveS: KEEPALIVE_S });
    await waitFor("xa-a ok", () => online("xa-a") && view("xa-a").health.thu?.status === "ok");
    expect(await site.post("xa-a", "{not json")).toMatchObject({
      status: 400,
      body: { error: { code: "invalid_params" } },
    });
    expect(await site.post("xa-a", { action: "test.set", params: { device: "thu", value: "loud" } })).toMatchObject({
      status: 400,
      body: { error: { code: "invalid_params", message: expect.stringMatching(/value/) } },
    });
    expect(await site.post("xa-a", { action: "ptz.fly" })).toMatchObject({
      status: 400,
      body: { error: { code: "unknown_action" } },
    });
    expect(await site.post("xa-a", { action: "test.set", params: { device: "nope", value: 1 } })).toMatchObject({
      status: 404,
      body: { error: { code: "not_found" } },
    });
    expect(await site.post("xa-a", { action: "test.delay", params: { device: "thu", ms: 4000 } })).toMatchObject({
      status: 504,
      body: { error: { code: "timeout" } },
    });
  });

  it("converges to the desired state the controller's store owns, also after the agent restarts", async () => {
    const session = {
      id: "phien-2026-11-28",
      role: "component" as const,
      peers: [{ room: "xa-b" }],
      passphrase: "mat-khau-phien-rat-dai",
    };
    const { rev } = await site.controller.desired.change("xa-a", () => ({ session, recording: true }), "test");
    const converged = (wanted: number) =>
      view("xa-a").state?.desiredRev === wanted &&
      view("xa-a").state?.recording === true &&
      view("xa-a").state?.session?.id === "phien-2026-11-28";
    const agent = site.startAgent("xa-a", { keepaliveS: KEEPALIVE_S });
    await waitFor("xa-a converged", () => online("xa-a") && converged(rev));
    expect(JSON.stringify(view("xa-a").state)).not.toContain(session.passphrase); // never reported back
    const boot = view("xa-a").availability.boot!;
    await agent.stop();
    const restarted = site.startAgent("xa-a", { keepaliveS: KEEPALIVE_S });
    await waitFor(
      "the restarted xa-a converged again",
      () => online("xa-a", boot + 1) && view("xa-a").state?.boot === boot + 1 && converged(rev),
    );
    // A deleted retained desired (MQTT's empty message) is no wish: the room stays in its hearing.
    const controller = await site.connectClient();
    await controller.publishAsync(topics.room("xa-a", "desired"), "", { qos: 1, retain: true });
    await controller.endAsync();
    await restarted.waitForLine(/deleted desired state ignored/);
    expect(converged(rev)).toBe(true);
    const ended = await site.controller.desired.change("xa-a", () => ({ session: null, recording: false }), "test");
    await waitFor(
      "the session gone from the state",
      () => view("xa-a").state?.session === null && view("xa-a").state?.desiredRev === ended.rev,
    );
    expect(site.controller.registry.get("xa-a")!.desired).toMatchObject({ rev: ended.rev, session: null });
  });

  it("keeps each room to its own topics: room A cannot publish into room B nor read room B's desired", async () => {
    const desiredOfB = topics.room("xa-b", "desired");
    const controller = await site.connectClient();
    await controller.publishAsync(desiredOfB, JSON.stringify({ rev: 1, session: null, recording: false }), {
      qos: 1,
      retain: true,
    });
    const intruder = await site.connectClient("xa-a", site.room("xa-a").password);
    const received: string[] = [];
    intruder.on("message", (topic) => received.push(topic));
    const subscribed = await intruder.subscribeAsync([desiredOfB, "rc/v1/rooms/+/desired", "rc/v1/#"], { qos: 1 }).then(
      () => "granted",
      (error: Error) => error.message,
    );
    // Aedes refuses the subscriptions (SUBACK 128); Mosquitto grants them but delivers nothing the ACL forbids.
    expect(subscribed).toBe(broker === "embedded" ? "Subscribe error: Unspecified error" : "granted");
    const watcher = await site.connectClient();
    const seenByController: string[] = [];
    watcher.on("message", (topic, payload) => seenByController.push(`${topic} ${payload}`));
    await watcher.subscribeAsync("rc/v1/rooms/xa-b/#", { qos: 1 });
    // Aedes closes the connection of a client that publishes where it may not: the acknowledgement never comes.
    await settled(intruder.publishAsync(topics.room("xa-b", "state"), JSON.stringify({ forged: true }), { qos: 1 }));
    await settled(intruder.publishAsync(desiredOfB, "forged", { qos: 0 }));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(received.filter((topic) => topic.includes("xa-b"))).toEqual([]);
    expect(seenByController.filter((line) => line.includes("forged"))).toEqual([]);
    await controller.publishAsync(desiredOfB, "", { qos: 1, retain: true }); // clear the retained message
    for (const client of [controller, intruder, watcher]) await client.endAsync(true);
  });
});

/** Waits for a promise to settle, or a second, whichever comes first. */
async function settled(promise: Promise<unknown>): Promise<void> {
  await Promise.race([promise.catch(() => {}), new Promise((resolve) => setTimeout(resolve, 1000))]);
}

async function readRetained(site: TestSite, topic: string): Promise<unknown> {
  const client = await site.connectClient();
  const payload = await new Promise<Buffer>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no retained message on ${topic}`)), 3000);
    client.on("message", (_topic, message) => {
      clearTimeout(timer);
      resolve(message);
    });
    void client.subscribeAsync(topic, { qos: 1 });
  });
  await client.endAsync(true);
  return JSON.parse(payload.toString());
}
