// Issue 11, fault 6: requests matched by (room, id) and checked against their action and params, concurrent copies
// answered once, a deadline the agent respects, and an honest 503 when the controller itself lost the broker.
// Real agents as processes, through the embedded broker and Mosquitto.
import type { RoomView } from "@rc/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ManagedProcess, stopAll } from "./support/processes.ts";
import { type BrokerKind, TestSite } from "./support/test-site.ts";
import { waitFor } from "./support/wait-for.ts";

const REQUEST_TIMEOUT_MS = 2000;
/** Long enough that freezing an agent past a request's deadline does not end its broker connection. */
const KEEPALIVE_S = 30;

describe.each<BrokerKind>(["embedded", "mosquitto"])("requests through the %s broker", (broker) => {
  let site: TestSite;
  const agents = new Map<string, ManagedProcess>();
  beforeAll(async () => {
    site = await TestSite.create(broker, ["rq-a", "rq-b"], { requestTimeoutMs: REQUEST_TIMEOUT_MS });
    for (const room of site.rooms.keys()) agents.set(room, site.startAgent(room, { keepaliveS: KEEPALIVE_S }));
    await waitFor("both rooms ready", () => [...site.rooms.keys()].every(ready), 20_000).catch((error: Error) => {
      const agentLines = [...agents.values()].flatMap((agent) => agent.lines.slice(-10));
      throw new Error(`${error.message}\n${agentLines.join("\n")}\n${site.controllerLog.slice(-10).join("\n")}`);
    });
  }, 40_000);
  afterAll(async () => {
    await stopAll();
    await site?.stop();
  });

  const view = (room: string): RoomView => site.controller.registry.get(room)!;
  const ready = (room: string) => view(room).availability.state === "online" && view(room).health.thu?.status === "ok";
  let counter = 0;
  const freshId = (what: string) => `${what}-${broker}-${++counter}-${Math.random().toString(16).slice(2, 8)}`;
  const set = (value: number, id: string) => ({ action: "test.set", params: { device: "thu", value }, id });

  it("fault 6: five concurrent copies of one id all get the one answer, and it is applied once", async () => {
    const device = site.room("rq-a").device;
    const before = device.sets;
    const body = set(5, freshId("five"));
    const answers = await Promise.all(Array.from({ length: 5 }, () => site.post("rq-a", body)));
    for (const answer of answers) {
      expect(answer).toEqual({ status: 200, body: { id: body.id, ok: true, result: { value: 5 } } });
    }
    expect(device.sets - before).toBe(1);
  });

  it("fault 6: the same id sent to two rooms is answered by each room and applied in each", async () => {
    const a = site.room("rq-a").device;
    const b = site.room("rq-b").device;
    const before = { a: a.sets, b: b.sets };
    const id = freshId("two-rooms");
    const [fromA, fromB] = await Promise.all([site.post("rq-a", set(11, id)), site.post("rq-b", set(12, id))]);
    expect(fromA).toEqual({ status: 200, body: { id, ok: true, result: { value: 11 } } });
    expect(fromB).toEqual({ status: 200, body: { id, ok: true, result: { value: 12 } } });
    expect({ a: a.sets - before.a, b: b.sets - before.b }).toEqual({ a: 1, b: 1 });
    expect({ a: a.value, b: b.value }).toEqual({ a: 11, b: 12 });
  });

  it("fault 6: an id reused for another action or other params is refused (409), neither applied nor answered from memory", async () => {
    const device = site.room("rq-a").device;
    const id = freshId("reused");
    expect(await site.post("rq-a", set(21, id))).toMatchObject({ status: 200, body: { ok: true } });
    const before = device.sets;
    const otherParams = await site.post("rq-a", set(22, id));
    expect(otherParams).toMatchObject({
      status: 409,
      body: { id, ok: false, error: { code: "conflict", message: expect.stringMatching(/reused/) } },
    });
    const otherAction = await site.post("rq-a", { action: "test.delay", params: { device: "thu", ms: 1 }, id });
    expect(otherAction).toMatchObject({ status: 409, body: { ok: false, error: { code: "conflict" } } });
    expect(device.sets).toBe(before);
    expect(device.value).toBe(21);
    // The same request again is still answered with its one outcome.
    expect(await site.post("rq-a", set(21, id))).toEqual({
      status: 200,
      body: { id, ok: true, result: { value: 21 } },
    });
  });

  it("fault 6: an id reused with other params while the first is still running is refused at once", async () => {
    const device = site.room("rq-a").device;
    const before = device.sets;
    const id = freshId("pending");
    const running = site.post("rq-a", { action: "test.delay", params: { device: "thu", ms: 800 }, id });
    let firstAnswered = false;
    void running.then(() => (firstAnswered = true));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const reused = await site.post("rq-a", set(31, id));
    expect(reused).toMatchObject({ status: 409, body: { id, ok: false, error: { code: "conflict" } } });
    // At once: not kept waiting for the first to end.
    expect(firstAnswered).toBe(false);
    expect(await running).toEqual({ status: 200, body: { id, ok: true, result: { waitedMs: 800 } } });
    expect(device.sets).toBe(before);
  });

  it("fault 6: a request that got its 504 is never applied afterwards (agent frozen past the deadline)", async () => {
    const device = site.room("rq-b").device;
    const agent = agents.get("rq-b")!;
    const before = device.sets;
    const body = set(41, freshId("late"));
    agent.signal("SIGSTOP");
    let timedOut: Awaited<ReturnType<TestSite["post"]>>;
    try {
      timedOut = await site.post("rq-b", body);
    } finally {
      agent.signal("SIGCONT");
    }
    expect(timedOut).toMatchObject({ status: 504, body: { ok: false, error: { code: "timeout" } } });
    // The woken agent reads the request and answers it; the controller, no longer waiting, drops the answer.
    await waitFor("the late answer", () =>
      site.controllerLog.some((line) => line.includes(body.id) && /response to no pending request dropped/.test(line)),
    );
    expect(device.sets).toBe(before);
    // A retry with the same id gets a fresh deadline: applied now, once.
    expect(await site.post("rq-b", body)).toEqual({
      status: 200,
      body: { id: body.id, ok: true, result: { value: 41 } },
    });
    expect(device.sets - before).toBe(1);
  });

  it("fault 6/9: a controller cut off from the broker says so (503), not that the room's agent is not connected", async () => {
    const restarting = site.restartBroker(3000);
    try {
      await waitFor("the controller sees the broker gone", () => view("rq-a").availability.state === "unknown");
      const answer = await site.post("rq-a", set(51, freshId("cut-off")));
      expect(answer.status).toBe(503);
      expect(answer.body).toMatchObject({
        ok: false,
        error: { message: expect.stringMatching(/controller is not connected to the broker/) },
      });
      expect(JSON.stringify(answer.body)).not.toMatch(/agent is not connected/);
    } finally {
      await restarting;
    }
    await waitFor("both rooms back", () => [...site.rooms.keys()].every(ready), 20_000);
  });
});
