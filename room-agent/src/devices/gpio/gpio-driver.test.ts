// The GPIO driver under the device supervisor against the real StandardFirmata firmware running in avr8js, over a
// real pty pair (socat): buttons and the privacy switch pressed at the chip's pins, lamps and relays read there, the
// board reset and unplugged, and the bad inputs — no firmware answer, a wrong firmware, a pin the board lacks.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type GpioDeviceEntry, gpioDeviceEntry } from "@rc/hardware-profiles";
import type { HealthPayload } from "@rc/protocol";
import { FirmataBoard, PtyPair } from "@rc/simulators";
import { pino } from "pino";
import { SerialPort } from "serialport";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../../../../test/support/wait-for.ts";
import { RoomPrivacy } from "../../privacy.ts";
import { RoomDevices } from "../../room-devices.ts";
import { RoomFacts } from "../../room-facts.ts";
import { DeviceSupervisor, type SupervisorOptions } from "../device-supervisor.ts";
import { GpioDriver, gpioKind } from "./gpio-driver.ts";

/** This file's waits: 8 s unless a test says otherwise, asked every 10 ms. */
function until(what: string, check: () => boolean, timeoutMs = 8000) {
  return waitFor(what, check, timeoutMs, 10);
}

const dir = mkdtempSync(join(tmpdir(), "rc-gpio-"));
const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CAMERAS = [
  { id: "cam-1", kind: "camera" },
  { id: "cam-2", kind: "camera" },
];
const SEATS = [{ id: "chu-tri" }, { id: "cong-dan" }];

function line(path: string, more: Record<string, unknown> = {}): GpioDeviceEntry {
  return gpioDeviceEntry.parse({
    id: "bang-nut",
    kind: "gpio",
    connection: { path },
    longPressMs: 600,
    buttons: [
      { seat: "chu-tri", pin: 2 },
      { seat: "cong-dan", pin: 3 },
    ],
    privacySwitch: { pin: 7 },
    tally: [
      { camera: "cam-1", pin: 8 },
      { camera: "cam-2", pin: 9 },
    ],
    onAir: { pin: 11 },
    recording: { pin: 12 },
    relays: [
      { id: "man-hinh", pin: 14, initial: true },
      { id: "den-cua", pin: 15, activeLow: true },
    ],
    ...more,
  });
}

/** A driver under a supervisor, with what it reported; stopped after the test. */
function rig(entry: GpioDeviceEntry, options: Partial<SupervisorOptions> = {}) {
  const facts = new RoomFacts();
  const events: { type: string; reason?: string; data?: Record<string, unknown> }[] = [];
  // Privacy's real owner, with no mixer to mute: the switch's wish becomes the room's fact through it.
  const privacy = new RoomPrivacy({
    facts,
    devices: new RoomDevices(),
    log: pino({ level: "silent" }),
    emitEvent: () => {},
  });
  privacy.start();
  cleanups.push(() => privacy.stop());
  const driver = new GpioDriver(entry, undefined, {
    room: { devices: [...CAMERAS, entry] as never, seats: SEATS as never },
    facts,
    privacy,
    log: pino({ level: "silent" }),
    emitEvent: (event) => events.push(event),
  });
  const supervisor = new DeviceSupervisor(driver, {
    probeIntervalMs: 500,
    backoffMinMs: 200,
    backoffMaxMs: 1000,
    ...options,
  });
  const health: HealthPayload[] = [];
  supervisor.on("health", (payload) => health.push(payload));
  supervisor.start();
  cleanups.push(() => supervisor.stop());
  const status = () => supervisor.health().status;
  return { facts, events, driver, supervisor, health, status };
}

describe("GPIO driver on StandardFirmata in avr8js", () => {
  let board: FirmataBoard;
  beforeAll(async () => {
    board = new FirmataBoard({ hostPath: join(dir, "ttyACM0") });
    await board.start();
  });
  afterAll(async () => {
    await board?.stop();
  });
  const lamps = () => [8, 9, 11, 12, 14, 15].map((pin) => board.isHigh(pin));

  it("checks the firmware, drives every output at connect, and makes tally and lamps follow the room", async () => {
    const { facts, driver, status } = rig(line(board.hostPath));
    await until("the board ok", () => status() === "ok");
    expect(driver.readings()).toMatchObject({ firmware: "StandardFirmata.ino 2.4", "relay.man-hinh": true });
    // Display relay on (initial), door lamp relay off but wired active-low (HIGH), nothing else lit.
    await until("outputs at connect", () => lamps().join() === [false, false, false, false, true, true].join());

    facts.set({ programCamera: "cam-1" });
    await until("tally on cam-1", () => board.isHigh(8) && !board.isHigh(9));
    facts.set({ programCamera: "cam-2" });
    await until("tally follows the cut to cam-2", () => !board.isHigh(8) && board.isHigh(9));
    facts.set({ session: { id: "s-1", role: "component" }, recording: true });
    await until("ON AIR and recording lit", () => board.isHigh(11) && board.isHigh(12));
    facts.set({ session: null, recording: false });
    await until("ON AIR and recording off", () => !board.isHigh(11) && !board.isHigh(12));
    expect(driver.readings()).toMatchObject({ "tally.cam-2": true, onAir: false, recording: false });
  });

  it("turns a press and a release at the pin into events, and a held button into a long press", async () => {
    const { events, status, driver } = rig(line(board.hostPath));
    await until("the board ok", () => status() === "ok");
    await until("buttons read", () => driver.readings()["button.chu-tri"] === false);
    const pressed = (action: string) => events.filter((e) => e.type === "button" && e.data?.action === action);

    board.press(2);
    await until("press event", () => pressed("press").length === 1, 3000);
    expect(driver.readings()["button.chu-tri"]).toBe(true);
    board.release(2);
    await until("release event", () => pressed("release").length === 1, 3000);
    expect(pressed("press")[0]!.data).toEqual({ seat: "chu-tri", pin: 2, action: "press", heldMs: 0 });
    expect(pressed("release")[0]!.data).toMatchObject({ seat: "chu-tri", pin: 2, action: "release" });

    board.press(3);
    await until("long press", () => pressed("long_press").length === 1, 4000);
    board.release(3);
    await until("release after the long press", () => pressed("release").length === 2, 3000);
    expect(pressed("long_press")[0]!.data).toMatchObject({ seat: "cong-dan", pin: 3, action: "long_press" });
    expect(pressed("release")[1]!.data!.heldMs).toBeGreaterThanOrEqual(600);
  });

  it("sets a relay's pin on a gpio.relay request, and refuses a relay the board does not have", async () => {
    const { supervisor, status } = rig(line(board.hostPath));
    await until("the board ok", () => status() === "ok");
    const relay = (relay: string, on: boolean) =>
      supervisor.command("gpio.relay", () =>
        gpioKind.actions["gpio.relay"]!(supervisor.driver as GpioDriver, {
          device: "bang-nut",
          relay,
          on,
        }),
      );
    await until("display relay on at connect", () => board.isHigh(14));
    await expect(relay("man-hinh", false)).resolves.toEqual({ relay: "man-hinh", on: false });
    await until("display relay off", () => !board.isHigh(14), 3000);
    await relay("den-cua", true);
    await until("active-low door relay on: pin low", () => !board.isHigh(15), 3000);
    await expect(relay("may-chieu", true)).rejects.toMatchObject({
      code: "not_found",
      message: 'bang-nut has no relay "may-chieu" (relays: man-hinh, den-cua)',
    });
  });

  it("puts the room in privacy while the privacy switch is closed", async () => {
    const { facts, events, status } = rig(line(board.hostPath));
    await until("the board ok", () => status() === "ok");
    board.press(7);
    await until("privacy on", () => facts.get().privacy, 3000);
    board.release(7);
    await until("privacy off", () => !facts.get().privacy, 3000);
    expect(events.filter((e) => e.data?.switch === "privacy").map((e) => e.reason)).toEqual([
      "privacy switch turned on",
      "privacy switch turned off",
    ]);
  });

  it("sets a board that restarted between probes up again in place: still ok, every output back", async () => {
    const { facts, events, health, status } = rig(line(board.hostPath), { probeIntervalMs: 60_000 });
    await until("the board ok", () => status() === "ok");
    facts.set({ programCamera: "cam-1", session: { id: "s-1", role: "central" }, recording: true });
    const wanted = [true, false, true, true, true, true].join();
    await until("outputs set", () => lamps().join() === wanted);
    const seen = health.length;

    board.reset();
    await until("the firmware's reset cleared the outputs", () => lamps().join() !== wanted, 3000);
    await until("outputs back after the restart", () => lamps().join() === wanted);
    expect(health.slice(seen)).toEqual([]);
    board.press(2);
    await until("buttons work again", () => events.some((e) => e.data?.action === "press"), 3000);
    board.release(2);
  });

  it("comes back ok with every output after a reset that the probes noticed", async () => {
    const { facts, health, status } = rig(line(board.hostPath));
    await until("the board ok", () => status() === "ok");
    facts.set({ programCamera: "cam-2", recording: true });
    const wanted = [false, true, false, true, true, true].join();
    await until("outputs set", () => lamps().join() === wanted);
    const seen = health.length;
    board.reset();
    await until("a missed probe", () => health.slice(seen).some((h) => h.status !== "ok"), 5000);
    await until("ok again", () => status() === "ok", 10_000);
    await until("outputs back", () => lamps().join() === wanted);
  });

  it("goes offline when the board is unplugged, and back to ok with every output when plugged in again", async () => {
    const { facts, status, driver } = rig(line(board.hostPath));
    await until("the board ok", () => status() === "ok");
    facts.set({ programCamera: "cam-1", session: { id: "s-1", role: "central" } });
    await driver.relay("man-hinh", false);
    const wanted = [true, false, true, false, false, true].join();
    await until("outputs set", () => lamps().join() === wanted);

    await board.unplug();
    // How soon is the benchmark's to measure (test/bench/gpio.ts); here only that it happens.
    await until("offline", () => status() === "offline", 15_000);
    facts.set({ recording: true }); // the room moves on while the board is away
    await board.replug();
    await until("ok again", () => status() === "ok", 10_000);
    await until("every output back", () => lamps().join() === [true, false, true, true, false, true].join());
  });

  it("refuses a board running another firmware than the profile names", async () => {
    const { status, supervisor } = rig(line(board.hostPath, { firmware: "^ConfigurableFirmata" }));
    await until("bad_config", () => status() === "bad_config");
    expect(supervisor.health().detail).toBe(
      'the board runs "StandardFirmata.ino" (Firmata 2.4), not a firmware matching /^ConfigurableFirmata/',
    );
  });

  it("refuses a pin map with pins the board does not report", async () => {
    const entry = line(board.hostPath, { board: "mega", onAir: { pin: 40 }, recording: { pin: 41 } });
    const { status, supervisor } = rig(entry);
    await until("bad_config", () => status() === "bad_config");
    expect(supervisor.health().detail).toBe(
      "pin 40 (ON AIR lamp): the board reports no such pin it can use (it has 20); " +
        "pin 41 (recording lamp): the board reports no such pin it can use (it has 20)",
    );
  });

  it("refuses a pin map naming a seat or camera the room lacks, without opening the port", async () => {
    const entry = line(join(dir, "not-there"), { buttons: [{ seat: "khach", pin: 2 }] });
    const { status, supervisor } = rig(entry);
    await until("bad_config", () => status() === "bad_config");
    expect(supervisor.health().detail).toBe('buttons[0].seat: the id of a seat of this room; got "khach"');
  });
});

describe("GPIO driver against boards that do not answer Firmata", () => {
  it("says so when the board runs a sketch that never answers (Blink)", async () => {
    const blink = new FirmataBoard({ hostPath: join(dir, "ttyBlink"), firmware: "Blink" });
    await blink.start();
    cleanups.push(() => blink.stop());
    const { status, supervisor } = rig(line(blink.hostPath), { offlineAfter: 1 });
    await until("offline", () => status() === "offline", 10_000);
    expect(supervisor.health().detail).toMatch(
      /^connect failed: no answer from the board within 6 s: is StandardFirmata on it\?; retrying in/,
    );
  });

  it("says so when something else talks on the port", async () => {
    const pty = new PtyPair(join(dir, "ttyOther-device"), join(dir, "ttyOther"));
    await pty.start();
    cleanups.push(() => pty.stop());
    const other = new SerialPort({ path: pty.devicePath, baudRate: 9600 });
    other.on("error", () => {});
    cleanups.push(() => new Promise((resolve) => other.close(resolve)));
    const chatter = setInterval(() => other.write("TEMP=21.5C\r\n"), 100);
    cleanups.push(() => clearInterval(chatter));
    const { status, supervisor } = rig(line(pty.hostPath), { offlineAfter: 1 });
    await until("offline", () => status() === "offline", 10_000);
    expect(supervisor.health().detail).toMatch(
      /^connect failed: \d+ bytes from the board within 6 s but no Firmata handshake: another firmware, or not 57600 baud\?/,
    );
  });
});
