// Audio DSPs over RS-232: the room profile's device line. The model file schema lives beside it.
import { z } from "zod";
import { deviceEntryBase, modelName } from "./device-entry.ts";

export const mixerDeviceEntry = deviceEntryBase.extend({
  kind: z.literal("mixer"),
  model: modelName,
  connection: z.strictObject({
    /** Serial device, e.g. /dev/ttyUSB0 (a socat pty in tests and the demo). */
    path: z.string().min(1),
    baudRate: z.int().positive().optional(),
  }),
});
export type MixerDeviceEntry = z.infer<typeof mixerDeviceEntry>;

/** A DSP model file (hardware-profiles/devices/mixer/*.json). */
export const mixerModelProfile = z.strictObject({
  $schema: z.string().optional(),
  model: modelName,
  vendor: z.string(),
  description: z.string().optional(),
});
export type MixerModelProfile = z.infer<typeof mixerModelProfile>;
