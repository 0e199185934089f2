// Firmata boards (seat buttons, tally and on-air lamps, relays): the room profile's device line with its pin map.
// A pin used twice, or one the board does not have, is refused at load with the path of each use.
import { z } from "zod";
import { deviceEntryBase, id } from "./device-entry.ts";

/**
 * The boards the driver knows, by the Arduino pin numbers a room may wire (analog pins count on: A0 is 14 on an Uno,
 * 54 on a Mega). Pins 0 and 1 carry the serial link to the agent and are never free.
 */
export const GPIO_BOARDS = {
  uno: { label: "Arduino Uno", firstPin: 2, lastPin: 19 },
  // A Nano's A6 and A7 are analog inputs only: no use for buttons or lamps.
  nano: { label: "Arduino Nano", firstPin: 2, lastPin: 19 },
  mega: { label: "Arduino Mega 2560", firstPin: 2, lastPin: 69 },
} as const;
export type GpioBoard = keyof typeof GPIO_BOARDS;

const pin = z.int().min(0).max(127);

/** How a contact is wired: to ground (the pin's pull-up holds it high until pressed) or to the supply. */
const wiring = z.enum(["to-ground", "to-supply"]).default("to-ground");

const output = z.strictObject({
  pin,
  /** Driven low to switch on (many relay and lamp driver modules). */
  activeLow: z.boolean().default(false),
});

export const gpioDeviceEntry = deviceEntryBase
  .extend({
    kind: z.literal("gpio"),
    board: z.enum(Object.keys(GPIO_BOARDS) as [GpioBoard, ...GpioBoard[]]).default("uno"),
    connection: z.strictObject({
      path: z.string().min(1),
      baudRate: z.int().positive().default(57600),
    }),
    /** The firmware names the board may report (a regular expression): StandardFirmata, ConfigurableFirmata… */
    firmware: z
      .string()
      .default("Firmata")
      .refine((source) => {
        try {
          new RegExp(source);
          return true;
        } catch {
          return false;
        }
      }, "a valid regular expression"),
    /** Contact bounce to ignore after each accepted change of a button or switch. */
    debounceMs: z.int().min(0).max(500).default(30),
    /** Held this long, a button sends a long-press event as well. */
    longPressMs: z.int().min(200).max(30_000).default(1500),
    /** One request-to-speak button per seat. */
    buttons: z.array(z.strictObject({ seat: id, pin, wiring })).default([]),
    /** One tally lamp per camera: lit while that camera is the room's program camera. */
    tally: z.array(output.extend({ camera: id })).default([]),
    /** Lit while the room is in a session. */
    onAir: output.optional(),
    /** Lit while the room records. */
    recording: output.optional(),
    /** Switched by the `gpio.relay` request (display power, a door lamp…). */
    relays: z
      .array(output.extend({ id, name: z.string().min(1).optional(), initial: z.boolean().default(false) }))
      .default([]),
    /** A latching switch that puts the room in privacy (microphones muted) while closed. */
    privacySwitch: z.strictObject({ pin, wiring }).optional(),
  })
  .superRefine((entry, context) => {
    const board = GPIO_BOARDS[entry.board];
    const uses = new Map<number, string>();
    const use = (value: number, path: (string | number)[]) => {
      const where = path.map((key, i) => (typeof key === "number" ? `[${key}]` : `${i ? "." : ""}${key}`)).join("");
      if (value < board.firstPin || value > board.lastPin) {
        context.addIssue({
          code: "custom",
          path,
          message: `a pin of an ${board.label}: ${board.firstPin}–${board.lastPin} (0 and 1 carry the serial link); got ${value}`,
        });
      }
      const first = uses.get(value);
      if (first !== undefined) {
        context.addIssue({
          code: "custom",
          path,
          message: `a pin used once; pin ${value} is already used by ${first}`,
        });
      } else {
        uses.set(value, where);
      }
    };
    const once = (list: string[], index: number, what: string, path: (string | number)[]) => {
      if (list.indexOf(list[index]!) !== index) {
        context.addIssue({ code: "custom", path, message: `one ${what}; "${list[index]}" has two` });
      }
    };
    entry.buttons.forEach((button, index) => {
      use(button.pin, ["buttons", index, "pin"]);
      once(
        entry.buttons.map((b) => b.seat),
        index,
        "button per seat",
        ["buttons", index, "seat"],
      );
    });
    entry.tally.forEach((lamp, index) => {
      use(lamp.pin, ["tally", index, "pin"]);
      once(
        entry.tally.map((t) => t.camera),
        index,
        "tally lamp per camera",
        ["tally", index, "camera"],
      );
    });
    if (entry.onAir) use(entry.onAir.pin, ["onAir", "pin"]);
    if (entry.recording) use(entry.recording.pin, ["recording", "pin"]);
    entry.relays.forEach((relay, index) => {
      use(relay.pin, ["relays", index, "pin"]);
      once(
        entry.relays.map((r) => r.id),
        index,
        "relay per id",
        ["relays", index, "id"],
      );
    });
    if (entry.privacySwitch) use(entry.privacySwitch.pin, ["privacySwitch", "pin"]);
  });
export type GpioDeviceEntry = z.infer<typeof gpioDeviceEntry>;

/**
 * What a GPIO line names elsewhere in the room: each button's seat and each tally lamp's camera must exist. The room
 * profile's own check calls this (paths from the room's root); the driver refuses to start on the same issues.
 */
export function gpioReferenceIssues(room: {
  devices: readonly { id: string; kind: string }[];
  seats: readonly { id: string }[];
}): { path: (string | number)[]; message: string }[] {
  const issues: { path: (string | number)[]; message: string }[] = [];
  const seats = new Set(room.seats.map((seat) => seat.id));
  const cameras = new Set(room.devices.filter((device) => device.kind === "camera").map((device) => device.id));
  room.devices.forEach((device, index) => {
    if (device.kind !== "gpio") return;
    const entry = device as GpioDeviceEntry;
    entry.buttons.forEach((button, b) => {
      if (!seats.has(button.seat)) {
        issues.push({
          path: ["devices", index, "buttons", b, "seat"],
          message: `the id of a seat of this room; got "${button.seat}"`,
        });
      }
    });
    entry.tally.forEach((lamp, t) => {
      if (!cameras.has(lamp.camera)) {
        issues.push({
          path: ["devices", index, "tally", t, "camera"],
          message: `the id of a camera in devices; got "${lamp.camera}"`,
        });
      }
    });
  });
  return issues;
}
