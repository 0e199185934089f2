// RoomRequests against a stand-in MQTT client: what goes on the wire, and how answers are matched.
import { type ResponsePayload, requestPayload } from "@rc/protocol";
import type { MqttClient } from "mqtt";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { RoomRequests } from "./room-requests.ts";

const TIMEOUT_MS = 300;

function requestsWithWire() {
  const published: { topic: string; request: ReturnType<typeof requestPayload.parse> }[] = [];
  const client = {
    connected: true,
    publish: (topic: string, payload: string) => {
      published.push({ topic, request: requestPayload.parse(JSON.parse(payload)) });
    },
  } as unknown as MqttClient;
  const requests = new RoomRequests(() => client, TIMEOUT_MS, pino({ level: "silent" }));
  return { requests, published };
}

const ok = (id: string, result: unknown): ResponsePayload => ({ id, ok: true, result });

describe("room requests", () => {
  it("fault 6: sends each request with a deadline of now + the time-out", async () => {
    const { requests, published } = requestsWithWire();
    const before = Date.now();
    const outcome = requests.send("xa-a", "state.resync", {}, "test", "r1");
    expect(published).toHaveLength(1);
    expect(published[0]!.topic).toBe("rc/v1/rooms/xa-a/request");
    expect(published[0]!.request.deadline).toBeGreaterThanOrEqual(before + TIMEOUT_MS);
    expect(published[0]!.request.deadline).toBeLessThanOrEqual(Date.now() + TIMEOUT_MS);
    requests.response("xa-a", ok("r1", { republished: true }));
    expect(await outcome).toEqual({ status: 200, body: { id: "r1", ok: true, result: { republished: true } } });
  });

  it("fault 6: copies of one request share one answer and one message on the wire", async () => {
    const { requests, published } = requestsWithWire();
    const copies = Array.from({ length: 5 }, () =>
      requests.send("xa-a", "test.set", { device: "thu", value: 1 }, "test", "r1"),
    );
    // Key order is no difference.
    copies.push(requests.send("xa-a", "test.set", { value: 1, device: "thu" }, "test", "r1"));
    expect(published).toHaveLength(1);
    requests.response("xa-a", ok("r1", { value: 1 }));
    for (const outcome of await Promise.all(copies)) {
      expect(outcome).toEqual({ status: 200, body: { id: "r1", ok: true, result: { value: 1 } } });
    }
  });

  it("answers a repeat of an answered request from its memory, never sending it again (the agent may have restarted)", async () => {
    const { requests, published } = requestsWithWire();
    const first = requests.send("xa-a", "test.set", { device: "thu", value: 1 }, "test", "r1");
    requests.response("xa-a", ok("r1", { value: 1 }));
    expect(await first).toMatchObject({ status: 200 });
    const retry = await requests.send("xa-a", "test.set", { device: "thu", value: 1 }, "test", "r1");
    expect(retry).toEqual({ status: 200, body: { id: "r1", ok: true, result: { value: 1 } } });
    expect(published).toHaveLength(1);
    // A refusal of a request never applied (the device was not ready) is no answer to keep: the retry goes again.
    const refused = requests.send("xa-a", "test.set", { device: "thu", value: 3 }, "test", "r3");
    requests.response("xa-a", { id: "r3", ok: false, error: { code: "device_unavailable", message: "connecting" } });
    expect((await refused).status).toBe(409);
    void requests.send("xa-a", "test.set", { device: "thu", value: 3 }, "test", "r3");
    expect(published).toHaveLength(3);
    // A request that got no answer (504) is sent again: the agent's deadline kept it from being applied late.
    const unanswered = await requests.send("xa-a", "test.set", { device: "thu", value: 2 }, "test", "r2");
    expect(unanswered.status).toBe(504);
    void requests.send("xa-a", "test.set", { device: "thu", value: 2 }, "test", "r2");
    expect(published).toHaveLength(5);
  });

  it("fault 6: matches answers by (room, id): the same id in two rooms, an answer from the wrong room", async () => {
    const { requests, published } = requestsWithWire();
    const a = requests.send("xa-a", "test.set", { device: "thu", value: 1 }, "test", "r1");
    const b = requests.send("xa-b", "test.set", { device: "thu", value: 2 }, "test", "r1");
    expect(published.map((entry) => entry.topic)).toEqual(["rc/v1/rooms/xa-a/request", "rc/v1/rooms/xa-b/request"]);
    requests.response("xa-c", ok("r1", { value: 3 })); // no request of xa-c: dropped
    requests.response("xa-b", ok("r1", { value: 2 }));
    requests.response("xa-a", ok("r1", { value: 1 }));
    expect((await a).body).toEqual({ id: "r1", ok: true, result: { value: 1 } });
    expect((await b).body).toEqual({ id: "r1", ok: true, result: { value: 2 } });
  });

  it("fault 6: refuses an id reused for another action or other params, while pending and after, sending nothing", async () => {
    const { requests, published } = requestsWithWire();
    const first = requests.send("xa-a", "test.set", { device: "thu", value: 1 }, "test", "r1");
    const conflict = {
      status: 409,
      body: { id: "r1", ok: false, error: { code: "conflict", message: "request id reused for another action" } },
    };
    expect(await requests.send("xa-a", "test.set", { device: "thu", value: 2 }, "test", "r1")).toEqual(conflict);
    requests.response("xa-a", ok("r1", { value: 1 }));
    await first;
    expect(requests.refusal("xa-a", "r1", "state.resync", {})).toEqual(conflict);
    expect(await requests.send("xa-a", "state.resync", {}, "test", "r1")).toEqual(conflict);
    expect(requests.refusal("xa-a", "r1", "test.set", { device: "thu", value: 1 })).toBeNull();
    expect(requests.refusal("xa-b", "r1", "state.resync", {})).toBeNull();
    expect(published).toHaveLength(1);
  });

  it("answers 504 at the deadline, and drops the late answer", async () => {
    const { requests } = requestsWithWire();
    const outcome = await requests.send("xa-a", "state.resync", {}, "test", "r1");
    expect(outcome).toMatchObject({ status: 504, body: { ok: false, error: { code: "timeout" } } });
    requests.response("xa-a", ok("r1", null)); // nobody waits: no throw
  });

  it("says so when the controller is not connected to the broker (503)", async () => {
    const requests = new RoomRequests(() => undefined, TIMEOUT_MS, pino({ level: "silent" }));
    expect(await requests.send("xa-a", "state.resync", {}, "test", "r1")).toEqual({
      status: 503,
      body: {
        id: "r1",
        ok: false,
        error: { code: "device_unavailable", message: "the controller is not connected to the broker" },
      },
    });
  });
});
