// The pin map's logic on mock-firmata, johnny-five's own test double (nothing on a wire): pin checks against the board's report,
// modes, lamps following the room facts, relays, and debounced buttons and the privacy switch with fake time.
import { type GpioDeviceEntry, gpioDeviceEntry, gpioReferenceIssues } from "@rc/hardware-profiles";
import mockFirmata from "mock-firmata";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { RoomFacts } from "../../room-facts.ts";
import { type GpioPinHooks, GpioPins, pinProblems } from "./gpio-pins.ts";

const entry = (more: Partial<Record<keyof GpioDeviceEntry, unknown>> = {}): GpioDeviceEntry =>
  gpioDeviceEntry.parse({
    id: "bang-nut",
    kind: "gpio",
    connection: { path: "/dev/null" },
    debounceMs: 30,
    longPressMs: 1000,
    buttons: [
      { seat: "chu-tri", pin: 2 },
      { seat: "cong-dan", pin: 3, wiring: "to-supply" },
    ],
    privacySwitch: { pin: 7 },
    tally: [
      { camera: "cam-1", pin: 8 },
      { camera: "cam-2", pin: 9, activeLow: true },
    ],
    onAir: { pin: 11 },
    recording: { pin: 12 },
    relays: [{ id: "man-hinh", pin: 14, initial: true }],
    ...more,
  });

/** A mock Firmata io, with every digitalRead callback kept so a test can drive the inputs. */
function mockBoard() {
  const io = new mockFirmata.Firmata();
  const reads = new Map<number, (value: number) => void>();
  vi.spyOn(io, "digitalRead").mockImplementation((pin, callback) => {
    reads.set(pin, callback);
    io.on(`digital-read-${pin}`, callback);
  });
  const pinMode = vi.spyOn(io, "pinMode");
  const digitalWrite = vi.spyOn(io, "digitalWrite");
  const level = (pin: number) => digitalWrite.mock.calls.filter(([p]) => p === pin).at(-1)?.[1];
  const drive = (pin: number, value: number) => io.emit(`digital-read-${pin}`, value);
  return { io, reads, pinMode, digitalWrite, level, drive };
}

function links() {
  const events: { seat: string; action: string; heldMs: number }[] = [];
  const privacy: boolean[] = [];
  const changed = vi.fn();
  const room: GpioPinHooks = {
    button: (data) => events.push(data),
    privacy: (on) => privacy.push(on),
    changed,
  };
  return { events, privacy, changed, room };
}

describe("pin checks", () => {
  it("names each pin the board lacks or cannot use that way", () => {
    const { io } = mockBoard();
    const lacking = entry({ board: "mega", buttons: [{ seat: "chu-tri", pin: 30 }], onAir: { pin: 25 } });
    expect(pinProblems(lacking, io)).toEqual([
      "pin 30 (button of seat chu-tri): the board reports no such pin it can use (it has 20)",
      "pin 25 (ON AIR lamp): the board reports no such pin it can use (it has 20)",
    ]);
    const analogOnly = { pins: [...io.pins.slice(0, 14), { supportedModes: [2] }], MODES: io.MODES };
    expect(pinProblems(entry({ relays: [{ id: "r", pin: 14 }] }), analogOnly)).toEqual([
      "pin 14 (relay r): the board cannot make it an output",
    ]);
    expect(pinProblems(entry(), io)).toEqual([]);
  });

  it("names a seat or camera the room does not have", () => {
    const line = entry({ buttons: [{ seat: "khach", pin: 2 }], tally: [{ camera: "cam-9", pin: 8 }] });
    expect(
      gpioReferenceIssues({ devices: [{ id: "cam-1", kind: "camera" }, line], seats: [{ id: "chu-tri" }] }),
    ).toEqual([
      { path: ["devices", 1, "buttons", 0, "seat"], message: 'the id of a seat of this room; got "khach"' },
      { path: ["devices", 1, "tally", 0, "camera"], message: 'the id of a camera in devices; got "cam-9"' },
    ]);
  });
});

describe("pin map on a board", () => {
  let facts: RoomFacts;
  beforeEach(() => {
    vi.useFakeTimers();
    facts = new RoomFacts();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("sets inputs with pull-ups (by a HIGH write on Firmata without PULLUP) and outputs, then reads the inputs", () => {
    const mock = mockBoard();
    const pins = new GpioPins(entry(), links().room, Date.now);
    pins.start(mock.io);
    expect(mock.pinMode.mock.calls).toEqual(
      expect.arrayContaining([
        [2, mock.io.MODES.INPUT],
        [3, mock.io.MODES.INPUT],
        [7, mock.io.MODES.INPUT],
        [8, mock.io.MODES.OUTPUT],
        [14, mock.io.MODES.OUTPUT],
      ]),
    );
    // Pull-ups for the contacts wired to ground only; the one wired to the supply has its own pull-down.
    expect(mock.digitalWrite.mock.calls).toEqual([
      [2, 1],
      [7, 1],
    ]);
    expect([...mock.reads.keys()]).toEqual([2, 3, 7]);
    // Modes before reporting: no port report may catch a contact still in its old mode.
    const lastMode = Math.max(...mock.pinMode.mock.invocationCallOrder);
    expect(Math.min(...vi.mocked(mock.io.digitalRead).mock.invocationCallOrder)).toBeGreaterThan(lastMode);
  });

  it("drives the tally of the program camera, ON AIR in a session, the recording lamp and the relays", () => {
    const mock = mockBoard();
    const { room, changed } = links();
    const pins = new GpioPins(entry(), room, Date.now);
    pins.start(mock.io);
    expect(pins.apply(facts.get(), true)).toBe(5);
    // cam-2's lamp is wired active-low: off is HIGH.
    expect([8, 9, 11, 12, 14].map(mock.level)).toEqual([0, 1, 0, 0, 1]);
    expect(changed).toHaveBeenCalled();

    facts.set({ programCamera: "cam-2", session: { id: "s1", role: "component" }, recording: true });
    mock.digitalWrite.mockClear();
    expect(pins.apply(facts.get())).toBe(3);
    expect([9, 11, 12].map(mock.level)).toEqual([0, 1, 1]);
    expect(mock.level(8)).toBeUndefined(); // unchanged, not written again

    pins.setRelay("man-hinh", false);
    expect(pins.apply(facts.get())).toBe(1);
    expect(mock.level(14)).toBe(0);
    expect(() => pins.setRelay("khong-co", true)).toThrow('no relay "khong-co" on this board (relays: man-hinh)');
    expect(pins.readings()).toMatchObject({
      "tally.cam-1": false,
      "tally.cam-2": true,
      onAir: true,
      recording: true,
      "relay.man-hinh": false,
    });
  });

  it("re-applies every output on a new board, with the relays as last asked", () => {
    const first = mockBoard();
    const pins = new GpioPins(entry(), links().room, Date.now);
    pins.start(first.io);
    pins.setRelay("man-hinh", false);
    pins.apply(facts.get(), true);
    pins.stop();
    expect(pins.readings()["relay.man-hinh"]).toBeNull();

    const second = mockBoard();
    pins.start(second.io);
    facts.set({ programCamera: "cam-1" });
    expect(pins.apply(facts.get(), true)).toBe(5);
    expect([8, 9, 14].map(second.level)).toEqual([1, 1, 0]);
  });

  it("turns a bouncing press and release into one press and one release, and a held button into a long press", () => {
    const mock = mockBoard();
    const { room, events } = links();
    const pins = new GpioPins(entry(), room, Date.now);
    pins.start(mock.io);
    mock.drive(2, 1); // first report: released (pull-up high); no event
    expect(events).toEqual([]);

    mock.drive(2, 0);
    expect(events).toEqual([{ seat: "chu-tri", pin: 2, action: "press", heldMs: 0 }]);
    for (const value of [1, 0, 1, 0]) mock.drive(2, value); // bounce inside 30 ms
    vi.advanceTimersByTime(30);
    expect(events).toHaveLength(1);
    vi.advanceTimersByTime(1000);
    expect(events.at(-1)).toEqual({ seat: "chu-tri", pin: 2, action: "long_press", heldMs: 1000 });
    vi.advanceTimersByTime(200);
    mock.drive(2, 1);
    expect(events.at(-1)).toEqual({ seat: "chu-tri", pin: 2, action: "release", heldMs: 1230 });
    expect(events).toHaveLength(3);
    expect(pins.readings()["button.chu-tri"]).toBe(false);
  });

  it("does not lose a release that comes inside the bounce window", () => {
    const mock = mockBoard();
    const { room, events } = links();
    const pins = new GpioPins(entry(), room, Date.now);
    pins.start(mock.io);
    mock.drive(3, 0); // wired to the supply: low is released
    mock.drive(3, 1);
    vi.advanceTimersByTime(10);
    mock.drive(3, 0);
    expect(events.map((e) => e.action)).toEqual(["press"]);
    vi.advanceTimersByTime(20);
    expect(events.map((e) => e.action)).toEqual(["press", "release"]);
    expect(events[1]).toMatchObject({ seat: "cong-dan", heldMs: 30 });
  });

  it("puts the room in privacy while the switch is closed, and counts a change made while disconnected", () => {
    const { room, privacy } = links();
    const pins = new GpioPins(entry(), room, Date.now);
    const first = mockBoard();
    pins.start(first.io);
    first.drive(7, 1); // open at the first connect: the panel's privacy is left alone
    expect(privacy).toEqual([]);
    first.drive(7, 0);
    expect(privacy).toEqual([true]);
    vi.advanceTimersByTime(2000); // a long press means nothing to a switch
    expect(privacy).toEqual([true]);
    pins.stop();

    const second = mockBoard();
    pins.start(second.io);
    second.drive(7, 0); // still closed after the reconnect: nothing new
    expect(privacy).toEqual([true]);
    pins.stop();
    const third = mockBoard();
    pins.start(third.io);
    third.drive(7, 1); // opened while the board was away
    expect(privacy).toEqual([true, false]);
  });

  it("reports a switch found closed at the first connect", () => {
    const { room, privacy } = links();
    const pins = new GpioPins(entry(), room, Date.now);
    const mock = mockBoard();
    pins.start(mock.io);
    mock.drive(7, 0);
    expect(privacy).toEqual([true]);
  });

  it("forgets the board on stop: no listeners, no timers, no events", () => {
    const mock = mockBoard();
    const { room, events } = links();
    const pins = new GpioPins(entry(), room, Date.now);
    pins.start(mock.io);
    mock.drive(2, 1);
    mock.drive(2, 0);
    pins.stop();
    expect(mock.io.listenerCount("digital-read-2")).toBe(0);
    vi.advanceTimersByTime(5000);
    mock.drive(2, 1);
    expect(events.map((e) => e.action)).toEqual(["press"]);
    expect(pins.apply(facts.get(), true)).toBe(0);
  });
});
