// Garbage on every topic the controller and an agent subscribe to: nothing crashes, every message is logged, and
// the room keeps working.
import { randomBytes } from "node:crypto";
import { decodeMessage, topics } from "@rc/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ManagedProcess, stopAll } from "./support/processes.ts";
import { TestSite } from "./support/test-site.ts";
import { waitFor } from "./support/wait-for.ts";

const PER_TOPIC = 1000;
const ROOM = "xa-rac";

/** Valid payloads of other topics, to be sent where they do not belong. */
const misplaced = [
  { state: "online", boot: 1 },
  { id: "x", ok: true, result: null },
  { rev: 1, session: null, recording: false },
  { at: new Date().toISOString() },
  { status: "ok", since: new Date().toISOString(), detail: "", rttMs: null, counters: {} },
];

/** The i-th malformed payload: a rotation through the ways payloads go wrong in the field. */
function malformed(i: number): Buffer | string {
  const kinds = [
    () => randomBytes(1 + (i % 300)),
    () => JSON.stringify(misplaced[i % misplaced.length]).slice(0, 5 + (i % 20)), // cut short
    () => JSON.stringify([null, 0, "", true, [], "online"][i % 6]),
    () => JSON.stringify(misplaced[i % misplaced.length]),
    () => JSON.stringify({ state: "maybe", boot: -i, id: 5, ok: "yes", rev: "x", status: "fine" }),
    () => `"${"x".repeat(100_000)}"`,
    () => `${"[".repeat(5000)}${"]".repeat(5000)}`,
    () => "\u0000\uFEFF{\u202E}",
    () => "",
    () => JSON.stringify({ ...misplaced[0], extra: "field" }),
  ];
  return kinds[i % kinds.length]!();
}

/** Payloads that are really invalid on this topic (a misplaced payload can happen to be valid). */
function garbageFor(topic: string): (Buffer | string)[] {
  const payloads: (Buffer | string)[] = [];
  for (let i = 0; payloads.length < PER_TOPIC; i++) {
    const payload = malformed(i);
    // An empty retained `desired` is MQTT's way of deleting it: meaningful, not malformed.
    const deletion = payload.length === 0 && topic.endsWith("/desired");
    if (!deletion && !decodeMessage(topic, payload).ok) payloads.push(payload);
  }
  return payloads;
}

describe("malformed payloads", () => {
  let site: TestSite;
  let agent: ManagedProcess;
  beforeAll(async () => {
    site = await TestSite.create("embedded", [ROOM]);
    agent = site.startAgent(ROOM);
    await waitFor("agent online", () => site.controller.registry.get(ROOM)!.availability.state === "online");
  });
  afterAll(async () => {
    await stopAll();
    await site?.stop();
  });

  it(`logs and drops ${PER_TOPIC} malformed payloads on every subscribed topic, and keeps working`, {
    timeout: 90_000,
  }, async () => {
    const controllerTopics = [
      ...(["availability", "info", "state", "events", "telemetry", "response"] as const).map((kind) =>
        topics.room(ROOM, kind),
      ),
      topics.health(ROOM, "thu"),
    ];
    const agentTopics = [topics.room(ROOM, "desired"), topics.room(ROOM, "request"), topics.controllerResync];
    const publisher = await site.connectClient();
    for (const topic of [...controllerTopics, ...agentTopics]) {
      await Promise.all(garbageFor(topic).map((payload) => publisher.publishAsync(topic, payload, { qos: 1 })));
    }
    await publisher.endAsync();

    const controllerDropped = (topic: string) =>
      site.controllerLog.filter(
        (line) => line.includes("invalid message dropped") && line.includes(`"topic":"${topic}"`),
      ).length;
    const agentDropped = () => agent.count(/invalid (message|request) dropped/);
    // The availability topic is read by both; the agent logs what it reads of it too.
    const agentExpected = (agentTopics.length + 1) * PER_TOPIC;
    await waitFor(
      "every payload logged",
      () => controllerTopics.every((t) => controllerDropped(t) >= PER_TOPIC) && agentDropped() >= agentExpected,
      60_000,
      200,
    );
    for (const topic of controllerTopics) expect(controllerDropped(topic), topic).toBe(PER_TOPIC);
    expect(agentDropped()).toBe(agentExpected);

    expect(agent.exited).toBe(false);
    expect(site.controller.registry.get(ROOM)!.availability.state).toBe("online");
    const response = await site.post(ROOM, { action: "test.set", params: { device: "thu", value: 9 } });
    expect(response).toMatchObject({ status: 200, body: { ok: true, result: { value: 9 } } });
    const metrics = await (await site.fetch("/metrics")).text();
    expect(metrics).toContain(`rc_mqtt_invalid_messages_total ${controllerTopics.length * PER_TOPIC}`);
  });
});
