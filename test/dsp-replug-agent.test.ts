// Two DSPs in one room, end to end: a real agent process, the controller with its broker, a simulated Tesira and a
// simulated Extron DMP 128 Plus each on its own pty. Privacy is turned on; then the Extron is unplugged, loses its
// settings (a power cut) and is plugged back in. The agent must put its levels, mutes and privacy back, report what
// it put back, and never open the other DSP's microphones on the way.
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type RoomView, type StatePayload, topics } from "@rc/protocol";
import { EXTRON_DESIGN, ExtronSimulator, PtyPair, TESIRA_DESIGN, TesiraSimulator } from "@rc/simulators";
import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stopAll } from "./support/processes.ts";
import { TestSite } from "./support/test-site.ts";
import { waitFor } from "./support/wait-for.ts";

const ROOM = "xa-hai-dsp";

describe("a room with two DSPs, one of them re-plugged", () => {
  let site: TestSite;
  let tesiraPty: PtyPair;
  let extronPty: PtyPair;
  let tesira: TesiraSimulator;
  let extron: ExtronSimulator;
  let controller: MqttClient;
  const states: StatePayload[] = [];

  beforeAll(async () => {
    site = await TestSite.create("embedded", [ROOM]);
    tesiraPty = new PtyPair(join(site.dir, "tesira"), join(site.dir, "ttyUSB0"));
    extronPty = new PtyPair(join(site.dir, "extron"), join(site.dir, "ttyUSB1"));
    await tesiraPty.start();
    await extronPty.start();
    tesira = new TesiraSimulator(tesiraPty.devicePath);
    extron = new ExtronSimulator(extronPty.devicePath, "plus");
    await tesira.start();
    await extron.start();
    const profile = JSON.parse(readFileSync(site.room(ROOM).profile, "utf8"));
    profile.devices.push(
      {
        id: "dsp-a",
        kind: "mixer",
        model: "biamp-tesira",
        connection: { path: tesiraPty.hostPath },
        muteGroups: { mics: TESIRA_DESIGN.micMuteGroup },
      },
      {
        id: "dsp-b",
        kind: "mixer",
        model: "extron-dmp128-plus",
        connection: { path: extronPty.hostPath },
        programVolume: String(EXTRON_DESIGN.programOutput),
        muteGroups: { mics: String(EXTRON_DESIGN.micMuteGroup) },
      },
    );
    profile.seats = [
      { id: "chu-tri", label: "Chủ trì", role: "chair", mic: { device: "dsp-a", channel: 1 } },
      { id: "cong-dan", label: "Công dân", role: "citizen", mic: { device: "dsp-b", channel: 1 } },
    ];
    writeFileSync(site.room(ROOM).profile, JSON.stringify(profile));
    controller = await site.connectClient();
    controller.on("message", (_topic, payload) => {
      if (payload.length > 0) states.push(JSON.parse(payload.toString()) as StatePayload);
    });
    await controller.subscribeAsync(topics.room(ROOM, "state"), { qos: 1 });
  });
  afterAll(async () => {
    await stopAll();
    await controller?.endAsync();
    await tesira?.stop();
    await extron?.stop();
    await tesiraPty?.stop();
    await extronPty?.stop();
    await site?.stop();
  });

  const view = (): RoomView => site.controller.registry.get(ROOM)!;
  const request = async (action: string, params: Record<string, unknown>) => {
    const response = await site.post(ROOM, { action, params });
    expect(response, `${action} ${JSON.stringify(params)}: ${JSON.stringify(response.body)}`).toMatchObject({
      status: 200,
    });
  };

  it("fault 7: after a DSP is re-plugged, the state reports the levels and mutes it re-applied, and privacy stays on while a seat mic is muted", async () => {
    site.startAgent(ROOM);
    await waitFor(
      "both DSPs ok",
      () => view().health["dsp-a"]?.status === "ok" && view().health["dsp-b"]?.status === "ok",
      20_000,
    );
    await request("mixer.level", { device: "dsp-b", channel: 1, levelDb: -12 });
    await request("mixer.mute", { device: "dsp-b", channel: 2, muted: true });
    await request("mixer.volume", { device: "dsp-b", levelDb: -10 });
    await request("mixer.privacy", { device: "dsp-a", on: true });
    await waitFor(
      "both DSPs' mics muted",
      () => tesira.groupMuted(TESIRA_DESIGN.micMuteGroup) && extron.groupMuted(String(EXTRON_DESIGN.micMuteGroup)),
      5000,
    );
    await waitFor("privacy in the state", () => states.at(-1)?.privacy === true, 5000);
    const from = states.length;

    // Unplugged; the DSP loses everything while it is away (a power cut), then comes back.
    await extron.stop();
    await extronPty.stop();
    await waitFor("dsp-b not ok", () => view().health["dsp-b"]?.status !== "ok", 10_000);
    extron.mutes.fill(false);
    extron.levels.fill(0);
    extron.changeLocally({ volume: String(EXTRON_DESIGN.programOutput), levelDb: 0 });
    extron.changeLocally({ group: String(EXTRON_DESIGN.micMuteGroup), muted: false });
    await extronPty.start();
    await extron.start();
    await waitFor("dsp-b ok again", () => view().health["dsp-b"]?.status === "ok", 15_000);
    await waitFor(
      "dsp-b's mics muted again",
      () => extron.groupMuted(String(EXTRON_DESIGN.micMuteGroup)) === true,
      5000,
    );
    // Settled: what the DSPs hold, and what the room says, a moment later.
    await new Promise((resolve) => setTimeout(resolve, 1500));

    expect(tesira.groupMuted(TESIRA_DESIGN.micMuteGroup), "the other DSP's mics stay muted").toBe(true);
    expect(extron.levels[0]).toBeCloseTo(-12, 1);
    expect(extron.mutes[1]).toBe(true);
    expect(extron.volumeDb(String(EXTRON_DESIGN.programOutput))).toBeCloseTo(-10, 1);
    const last = states.at(-1)!;
    expect(last.devices["dsp-b"]).toMatchObject({
      "ch1.levelDb": -12,
      "ch2.muted": true,
      "program.levelDb": -10,
      "group.mics.muted": true,
    });
    expect(last.devices["dsp-a"]).toMatchObject({ "group.mics.muted": true });
    expect(
      states.slice(from).map((state) => state.privacy),
      "privacy never reported off",
    ).not.toContain(false);
    expect(last.privacy).toBe(true);
  });

  it("fault 9: the agent's data folder and every file in it are its own user's only", () => {
    const dataDir = site.room(ROOM).dataDir;
    const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8);
    const files = readdirSync(dataDir);
    expect(files).toContain("boot.json");
    expect(modeOf(dataDir)).toBe("700");
    expect(Object.fromEntries(files.map((file) => [file, modeOf(join(dataDir, file))]))).toEqual(
      Object.fromEntries(files.map((file) => [file, "600"])),
    );
  });
});
