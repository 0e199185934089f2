import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { mayPublish, maySubscribe, renderMosquittoAcl } from "./acl.ts";

describe("broker ACL", () => {
  it("lets an agent publish only its own room's agent topics", () => {
    for (const kind of ["availability", "info", "state", "telemetry", "events", "response"]) {
      expect(mayPublish("xa-a", `rc/v1/rooms/xa-a/${kind}`)).toBe(true);
      expect(mayPublish("xa-a", `rc/v1/rooms/xa-b/${kind}`)).toBe(false);
    }
    expect(mayPublish("xa-a", "rc/v1/rooms/xa-a/devices/cam-1/health")).toBe(true);
    expect(mayPublish("xa-a", "rc/v1/rooms/xa-b/devices/cam-1/health")).toBe(false);
    expect(mayPublish("xa-a", "rc/v1/rooms/xa-a/devices/+/health")).toBe(false);
    expect(mayPublish("xa-a", "rc/v1/rooms/xa-a/desired")).toBe(false);
    expect(mayPublish("xa-a", "rc/v1/rooms/xa-a/request")).toBe(false);
    expect(mayPublish("xa-a", "rc/v1/controller/resync")).toBe(false);
    expect(mayPublish("", "rc/v1/rooms//state")).toBe(false);
  });

  it("lets an agent read only its own desired, request and availability, and the controller's topics", () => {
    expect(maySubscribe("xa-a", "rc/v1/rooms/xa-a/desired")).toBe(true);
    expect(maySubscribe("xa-a", "rc/v1/rooms/xa-a/request")).toBe(true);
    expect(maySubscribe("xa-a", "rc/v1/controller/resync")).toBe(true);
    expect(maySubscribe("xa-a", "rc/v1/rooms/xa-b/desired")).toBe(false);
    expect(maySubscribe("xa-a", "rc/v1/rooms/+/desired")).toBe(false);
    expect(maySubscribe("xa-a", "rc/v1/rooms/xa-a/#")).toBe(false);
    expect(maySubscribe("xa-a", "#")).toBe(false);
  });

  it("lets the controller do everything under rc/v1 and nothing else", () => {
    expect(mayPublish("controller", "rc/v1/rooms/xa-b/desired")).toBe(true);
    expect(maySubscribe("controller", "rc/v1/rooms/+/state")).toBe(true);
    expect(mayPublish("controller", "other/topic")).toBe(false);
  });

  it("is the same rule set as the Mosquitto ACL file in the repository", () => {
    const file = readFileSync(new URL("../mosquitto/acl", import.meta.url), "utf8");
    expect(file).toBe(renderMosquittoAcl());
  });
});
