import { describe, expect, it } from "vitest";
import { actionParams, describeActions } from "./actions/index.ts";
import { capabilityDescriptor } from "./messages.ts";

describe("the contract a panel draws from", () => {
  it("describes each action with the JSON Schema of what a client may send", () => {
    const [goto, volume] = describeActions(["ptz.goto", "mixer.volume"]);
    expect(goto).toMatchObject({
      name: "ptz.goto",
      params: { type: "object", required: ["device"], additionalProperties: false },
    });
    expect(Object.keys(goto!.params.properties as object)).toEqual(["device", "preset", "seat"]);
    expect(volume!.params.properties).toMatchObject({ levelDb: { type: "number", minimum: -100, maximum: 12 } });
    expect(goto!.params).not.toHaveProperty("$schema");
    // Defaults are the client's to leave out.
    expect(describeActions(["media.snapshot"])[0]!.params.required).toEqual(["device"]);
    expect(describeActions(Object.keys(actionParams) as (keyof typeof actionParams)[])).toHaveLength(
      Object.keys(actionParams).length,
    );
  });

  it("lets only a writable capability name its request, with a value param unless it is an action", () => {
    const muted = { name: "ch1.muted", type: "boolean", readable: true, writable: true } as const;
    const set = { action: "mixer.mute", params: { device: "dsp", channel: 1 }, value: "muted" };
    expect(capabilityDescriptor.safeParse({ ...muted, set }).success).toBe(true);
    expect(capabilityDescriptor.safeParse({ ...muted, writable: false, set }).success).toBe(false);
    expect(capabilityDescriptor.safeParse({ ...muted, set: { ...set, value: undefined } }).success).toBe(false);
    const snapshot = { name: "snapshot", type: "action", readable: false, writable: true } as const;
    const take = { action: "camera.snapshot", params: { device: "cam-1" } };
    expect(capabilityDescriptor.safeParse({ ...snapshot, set: take }).success).toBe(true);
    expect(capabilityDescriptor.safeParse({ ...snapshot, set: { ...take, value: "x" } }).success).toBe(false);
  });
});
