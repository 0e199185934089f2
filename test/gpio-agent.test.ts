// A room with a GPIO board, end to end: the real StandardFirmata firmware in avr8js on a pty, a real agent process
// and the controller with its broker. A seat button pressed at the chip is a room event on MQTT; a relay request
// through REST sets the pin; the controller's desired session lights ON AIR; the state carries the board's readings;
// the privacy switch on the wall mutes the room's microphones at the DSP (a simulated Tesira on its own pty).
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type EventPayload, type RoomView, topics } from "@rc/protocol";
import { FirmataBoard, PtyPair, TESIRA_DESIGN, TesiraSimulator } from "@rc/simulators";
import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stopAll } from "./support/processes.ts";
import { TestSite } from "./support/test-site.ts";
import { waitFor } from "./support/wait-for.ts";

const ROOM = "xa-bang-nut";

describe("GPIO board in a room, through the agent and the broker", () => {
  let site: TestSite;
  let board: FirmataBoard;
  let pty: PtyPair;
  let dsp: TesiraSimulator;
  let controller: MqttClient;
  const events: EventPayload[] = [];

  beforeAll(async () => {
    site = await TestSite.create("embedded", [ROOM]);
    board = new FirmataBoard({ hostPath: join(site.dir, "ttyACM0") });
    await board.start();
    pty = new PtyPair(join(site.dir, "dsp"), join(site.dir, "ttyUSB0"));
    await pty.start();
    dsp = new TesiraSimulator(pty.devicePath);
    await dsp.start();
    // The site's room gets a board beside its test device, and the seat and camera the pin map names.
    const profile = JSON.parse(readFileSync(site.room(ROOM).profile, "utf8"));
    profile.devices.push(
      { id: "cam-1", kind: "camera", model: "generic-onvif-ptz", enabled: false, connection: { host: "127.0.0.1" } },
      {
        id: "dsp",
        kind: "mixer",
        model: "biamp-tesira",
        connection: { path: pty.hostPath },
        muteGroups: { mics: TESIRA_DESIGN.micMuteGroup },
      },
      {
        id: "bang-nut",
        kind: "gpio",
        connection: { path: board.hostPath },
        buttons: [{ seat: "chu-tri", pin: 2 }],
        tally: [{ camera: "cam-1", pin: 8 }],
        onAir: { pin: 11 },
        relays: [{ id: "man-hinh", pin: 14 }],
        privacySwitch: { pin: 7 },
      },
    );
    profile.seats = [
      {
        id: "chu-tri",
        label: "Chủ trì",
        role: "chair",
        camera: "cam-1",
        preset: "p1",
        mic: { device: "dsp", channel: 1 },
      },
    ];
    writeFileSync(site.room(ROOM).profile, JSON.stringify(profile));
    controller = await site.connectClient();
    controller.on("message", (_topic, payload) => events.push(JSON.parse(payload.toString())));
    await controller.subscribeAsync(topics.room(ROOM, "events"), { qos: 1 });
  });
  afterAll(async () => {
    await stopAll();
    await controller?.endAsync();
    await board?.stop();
    await dsp?.stop();
    await pty?.stop();
    await site?.stop();
  });

  const view = (): RoomView => site.controller.registry.get(ROOM)!;

  it("publishes seat button presses, switches relays on request, and lights ON AIR for a session", async () => {
    site.startAgent(ROOM);
    await waitFor("the board ok at the controller", () => view().health["bang-nut"]?.status === "ok", 20_000);
    expect(view().info?.actions.map((action) => action.name)).toContain("gpio.relay");

    board.press(2);
    await waitFor("press event", () => events.find((e) => e.type === "button" && e.data.action === "press"));
    board.release(2);
    await waitFor("release event", () => events.find((e) => e.type === "button" && e.data.action === "release"));
    expect(events.filter((e) => e.type === "button").map((e) => [e.device, e.data.seat, e.data.action])).toEqual([
      ["bang-nut", "chu-tri", "press"],
      ["bang-nut", "chu-tri", "release"],
    ]);

    const response = await site.post(ROOM, {
      action: "gpio.relay",
      params: { device: "bang-nut", relay: "man-hinh", on: true },
    });
    expect(response).toMatchObject({ status: 200, body: { ok: true, result: { relay: "man-hinh", on: true } } });
    await waitFor("relay pin high", () => board.isHigh(14), 5000);
    const refused = await site.post(ROOM, {
      action: "gpio.relay",
      params: { device: "bang-nut", relay: "x", on: true },
    });
    expect(refused).toMatchObject({ status: 404, body: { ok: false, error: { code: "not_found" } } });

    const session = { id: "phien-1", role: "component" as const, peers: [], passphrase: "mot-hai-ba-bon-nam" };
    await site.controller.desired.change(ROOM, (current) => ({ ...current, session }), "test");
    await waitFor("ON AIR lit", () => board.isHigh(11), 5000);
    await waitFor("the state shows the board", () => view().state?.devices["bang-nut"]?.onAir === true);
    expect(view().state?.devices["bang-nut"]).toMatchObject({
      firmware: "StandardFirmata.ino 2.4",
      "button.chu-tri": false,
      "relay.man-hinh": true,
      "tally.cam-1": false,
    });
  });

  it("mutes the room's microphones at the DSP when the privacy switch is turned, and opens them again", async () => {
    await waitFor("the DSP ok at the controller", () => view().health.dsp?.status === "ok", 20_000);
    expect(dsp.groupMuted(TESIRA_DESIGN.micMuteGroup)).toBe(false);
    board.press(7);
    await waitFor("mics muted at the DSP", () => dsp.groupMuted(TESIRA_DESIGN.micMuteGroup) === true, 5000);
    await waitFor("privacy in the state", () => view().state?.privacy === true, 5000);
    board.release(7);
    await waitFor("mics open at the DSP", () => dsp.groupMuted(TESIRA_DESIGN.micMuteGroup) === false, 5000);
    await waitFor("privacy off in the state", () => view().state?.privacy === false, 5000);
  });
});
