// Privacy's owner with two stand-in mixers under real supervisors: wishes reach every mixer, an observation never
// opens anything, and the fact stays on while any mixer holds the room's mics muted.
import type { EventPayload } from "@rc/protocol";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import type { DeviceRoles, PrivacyMutes } from "./devices/device-roles.ts";
import { type DeviceDriver, DeviceSupervisor } from "./devices/device-supervisor.ts";
import { RoomPrivacy } from "./privacy.ts";
import { RoomDevices } from "./room-devices.ts";
import { RoomFacts } from "./room-facts.ts";

/** A mixer as privacy sees it: what it holds, the commands it got, and whether it can take one now. */
class StandInMixer implements DeviceDriver, PrivacyMutes {
  readonly kind = "mixer";
  readonly model = "stand-in";
  readonly roles: DeviceRoles = { privacy: this };
  held: boolean | undefined = false;
  readonly commands: boolean[] = [];
  refuse = false;

  constructor(readonly id: string) {}

  capabilities() {
    return [];
  }
  async connect() {}
  async probe() {}
  async disconnect() {}
  async reapply() {}
  readings() {
    return {};
  }
  privacyHeld() {
    return this.held;
  }
  async privacy(on: boolean) {
    if (this.refuse) throw new Error("no reply within 500 ms");
    this.commands.push(on);
    this.held = on;
  }
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

const stops: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

async function room(...ids: string[]) {
  const facts = new RoomFacts();
  const seen: boolean[] = [];
  facts.on("change", (_values, changed) => {
    if (changed.privacy !== undefined) seen.push(changed.privacy);
  });
  const events: Omit<EventPayload, "at">[] = [];
  const devices = new RoomDevices();
  const mixers = ids.map((id) => new StandInMixer(id));
  for (const mixer of mixers) {
    const supervisor = new DeviceSupervisor(mixer, { probeIntervalMs: 60_000 });
    devices.add(supervisor);
    supervisor.start();
    stops.push(() => supervisor.stop());
  }
  const privacy = new RoomPrivacy({
    facts,
    devices,
    log: pino({ level: "silent" }),
    emitEvent: (event) => events.push(event),
  });
  privacy.start();
  stops.push(() => privacy.stop());
  await settle();
  return { facts, seen, events, privacy, mixers, devices };
}

describe("privacy's owner", () => {
  it("fault 7: a DSP that comes back open never opens the other, and privacy stays on while a seat mic is held muted", async () => {
    const { facts, seen, privacy, mixers } = await room("dsp-a", "dsp-b");
    const [a, b] = mixers as [StandInMixer, StandInMixer];
    privacy.wish(true, "privacy switch");
    await settle();
    expect([a.commands, b.commands]).toEqual([[true], [true]]);
    expect(facts.get().privacy).toBe(true);

    // dsp-a re-plugged after a power cut: read open at connect, before its re-apply.
    a.held = false;
    privacy.observed();
    await settle();
    expect(b.commands, "the other DSP is left muted").toEqual([true]);
    expect(facts.get().privacy).toBe(true);
    // Its re-apply asks what privacy wants.
    expect(privacy.wanted()).toBe(true);
    expect(seen).toEqual([true]);
  });

  it("stays on while a mixer that could not be opened still holds the mics muted, with a device error", async () => {
    const { facts, seen, events, privacy, mixers } = await room("dsp-a", "dsp-b");
    const [a, b] = mixers as [StandInMixer, StandInMixer];
    privacy.wish(true, "request");
    await settle();
    b.refuse = true;
    privacy.wish(false, "privacy switch");
    await settle();
    expect(a.held).toBe(false);
    expect(b.held).toBe(true);
    expect(events).toEqual([
      {
        type: "device_error",
        device: "dsp-b",
        reason: "privacy off not applied: dsp-b: mixer.privacy failed: no reply within 500 ms",
        data: {},
      },
    ]);
    expect(facts.get().privacy, "dsp-b still holds its mics muted").toBe(true);
    // dsp-b takes privacy's wish at its next re-apply.
    b.refuse = false;
    await b.privacy(privacy.wanted()!);
    privacy.observed();
    expect(facts.get().privacy).toBe(false);
    expect(seen).toEqual([true, false]);
  });

  it("puts the whole room in privacy when a DSP's mics are found muted before anyone said", async () => {
    const { facts, privacy, mixers } = await room("dsp-a", "dsp-b");
    const [a, b] = mixers as [StandInMixer, StandInMixer];
    a.held = true;
    privacy.observed();
    await settle();
    expect(b.commands).toEqual([true]);
    expect(facts.get().privacy).toBe(true);
    // Found open, after a wish: nothing is asked of anyone.
    b.held = false;
    privacy.observed();
    await settle();
    expect(b.commands).toEqual([true]);
    expect(a.commands).toEqual([]);
  });

  it("leaves devices without seat mics alone, and opens every mixer when privacy is wished off", async () => {
    const { facts, privacy, mixers } = await room("dsp-a", "dsp-b", "dsp-c");
    const [a, b, c] = mixers as [StandInMixer, StandInMixer, StandInMixer];
    c.held = undefined;
    privacy.wish(true, "request");
    await settle();
    privacy.wish(false, "request");
    await settle();
    expect([a.commands, b.commands, c.commands]).toEqual([[true, false], [true, false], []]);
    expect(facts.get().privacy).toBe(false);
  });
});
