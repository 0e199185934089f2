// The contract a panel draws from (DESIGN §3.6), over the demo rooms: every writable capability names a request its
// own device kind answers, whose schema takes the fixed params plus any value the capability says it takes (and
// refuses a number outside its range); a read-only one names none; a readable one is among the device's readings.
// Drivers are built as the agent builds them, and never connected: capabilities need no hardware.
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { loadRoom, modelOf } from "@rc/hardware-profiles";
import { actionParams, type CapabilityDescriptor, capabilityDescriptor, isActionName } from "@rc/protocol";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { NO_PRIVACY } from "../privacy.ts";
import { RoomFacts } from "../room-facts.ts";
import type { DeviceKindModule } from "./driver-contract.ts";
import { deviceKinds } from "./driver-registry.ts";

const roomsDir = fileURLToPath(new URL("../../../hardware-profiles/rooms/", import.meta.url));
const roomFiles = readdirSync(roomsDir).filter((file) => file.endsWith(".json"));

/** Values the capability says it takes: both booleans, every listed value, a number's bounds and a step between. */
function validValues(capability: CapabilityDescriptor): unknown[] {
  switch (capability.type) {
    case "boolean":
      return [true, false];
    case "enum":
      return capability.values ?? [];
    case "number": {
      const { min, max, step } = capability;
      if (min === undefined || max === undefined) return [0];
      const middle = step === undefined ? (min + max) / 2 : min + Math.round((max - min) / 2 / step) * step;
      return [min, middle, max];
    }
    case "string":
      return ["wide"];
    case "action":
      return [undefined];
  }
}

function devicesOf(file: string) {
  const loaded = loadRoom(`${roomsDir}/${file}`);
  const facts = new RoomFacts();
  return loaded.room.devices.map((entry) => {
    const module: DeviceKindModule | undefined = deviceKinds[entry.kind];
    if (!module) throw new Error(`${file}: no driver for kind ${entry.kind}`);
    const driver = module.create(entry, modelOf(loaded, entry), {
      room: loaded.room,
      log: pino({ level: "silent" }),
      dataDir: "/nonexistent",
      facts,
      privacy: NO_PRIVACY,
      emitEvent: () => {},
    });
    return { entry, module, driver };
  });
}

describe.each(roomFiles)("the capabilities of %s", (file) => {
  it("name, for every writable one, a request of its kind that takes its params plus a valid value", () => {
    const kindsChecked = new Set<string>();
    for (const { entry, module, driver } of devicesOf(file)) {
      const readings = driver.readings();
      for (const capability of driver.capabilities()) {
        const where = `${file} ${entry.id} ${capability.name}`;
        expect(capabilityDescriptor.safeParse(capability).success, where).toBe(true);
        if (capability.readable) expect(Object.keys(readings), where).toContain(capability.name);
        if (!capability.writable) {
          expect(capability.set, where).toBeUndefined();
          continue;
        }
        const set = capability.set;
        if (set === undefined) throw new Error(`${where}: writable, but names no request that sets it`);
        if (!isActionName(set.action)) throw new Error(`${where}: ${set.action} is no action`);
        expect(Object.keys(module.actions), `${where}: ${set.action} is not a ${entry.kind}'s`).toContain(set.action);
        expect(set.params.device, where).toBe(entry.id);
        const schema = actionParams[set.action];
        const values = validValues(capability);
        expect(values.length, `${where}: takes no value`).toBeGreaterThan(0);
        for (const value of values) {
          const params = set.value === undefined ? set.params : { ...set.params, [set.value]: value };
          const parsed = schema.safeParse(params);
          expect(parsed.success, `${where}: ${JSON.stringify(params)} ${parsed.error?.message ?? ""}`).toBe(true);
        }
        const { min, max, step = 1 } = capability;
        if (capability.type === "number" && set.value !== undefined && min !== undefined && max !== undefined) {
          for (const outside of [min - step, max + step]) {
            const params = { ...set.params, [set.value]: outside };
            expect(schema.safeParse(params).success, `${where}: ${outside} is outside its range`).toBe(false);
          }
        }
        kindsChecked.add(entry.kind);
      }
    }
    // Every kind the demo rooms have is looked at, so the test cannot pass on an empty room.
    expect([...kindsChecked].sort()).toEqual(["camera", "gpio", "media", "mixer", "test"]);
  });
});
