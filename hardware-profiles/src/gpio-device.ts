// Firmata boards (buttons, tally and on-air lamps, relays): the room profile's device line.
import { z } from "zod";
import { deviceEntryBase } from "./device-entry.ts";

export const gpioDeviceEntry = deviceEntryBase.extend({
  kind: z.literal("gpio"),
  connection: z.strictObject({
    path: z.string().min(1),
    baudRate: z.int().positive().default(57600),
  }),
});
export type GpioDeviceEntry = z.infer<typeof gpioDeviceEntry>;
