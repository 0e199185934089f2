import { describe, expect, it } from "vitest";
import { decodeMessage } from "./codec.ts";
import { parseTopic, topics } from "./topics.ts";

describe("topics", () => {
  it("builds and parses every room topic the same way", () => {
    for (const kind of [
      "availability",
      "info",
      "state",
      "telemetry",
      "events",
      "response",
      "desired",
      "request",
    ] as const) {
      const topic = topics.room("xa-an-phu", kind);
      expect(topic).toBe(`rc/v1/rooms/xa-an-phu/${kind}`);
      expect(parseTopic(topic)).toEqual({ kind, room: "xa-an-phu" });
    }
    expect(parseTopic(topics.health("xa-an-phu", "cam-1"))).toEqual({
      kind: "health",
      room: "xa-an-phu",
      device: "cam-1",
    });
    expect(parseTopic(topics.controllerResync)).toEqual({ kind: "controllerResync" });
  });

  it("refuses ids that would break a topic or impersonate the controller", () => {
    for (const bad of ["", "A", "a/b", "a+", "#", "controller", "-x", "x".repeat(64)]) {
      expect(() => topics.room(bad, "state")).toThrow(/invalid room id/);
    }
  });

  it("does not recognise foreign or malformed topics", () => {
    for (const topic of [
      "rc/v2/rooms/a/state",
      "rc/v1/rooms/a/unknown",
      "rc/v1/rooms/A/state",
      "rc/v1/rooms/a/devices/b",
      "x",
    ]) {
      expect(parseTopic(topic)).toBeNull();
    }
  });
});

describe("decodeMessage", () => {
  it("accepts a valid availability and names the problem of an invalid one", () => {
    const topic = topics.room("a", "availability");
    expect(decodeMessage(topic, JSON.stringify({ state: "online", boot: 3, bootId: "x7Kp2mQ9a" }))).toMatchObject({
      ok: true,
      value: { boot: 3, bootId: "x7Kp2mQ9a" },
    });
    expect(decodeMessage(topic, JSON.stringify({ state: "online", boot: 3 }))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/bootId/),
    });
    expect(decodeMessage(topic, "{")).toMatchObject({ ok: false, reason: expect.stringMatching(/not JSON/) });
    expect(decodeMessage(topic, JSON.stringify({ state: "up", boot: 3 }))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/state/),
    });
    expect(decodeMessage(topic, JSON.stringify({ state: "online", boot: -1, extra: 1 }))).toMatchObject({ ok: false });
  });

  it("gives one flat discriminant with the topic's room and device beside the payload", () => {
    const health = { status: "ok", since: "2026-12-03T08:00:00.000Z", detail: "", rttMs: 3, counters: {} };
    const decoded = decodeMessage(topics.health("a", "cam-1"), JSON.stringify(health));
    expect(decoded).toEqual({ ok: true, kind: "health", room: "a", device: "cam-1", value: health });
    expect(decodeMessage(topics.controllerResync, JSON.stringify({ at: "2026-12-03T08:00:00.000Z" }))).toEqual({
      ok: true,
      kind: "controllerResync",
      value: { at: "2026-12-03T08:00:00.000Z" },
    });
  });

  it("checks a response's error code against the closed list", () => {
    const topic = topics.room("a", "response");
    expect(decodeMessage(topic, JSON.stringify({ id: "1", ok: false, error: { code: "nope", message: "" } })).ok).toBe(
      false,
    );
    expect(decodeMessage(topic, JSON.stringify({ id: "1", ok: true, result: { x: 1 } })).ok).toBe(true);
  });
});
