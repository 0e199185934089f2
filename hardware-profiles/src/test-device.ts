// The test device: a line-protocol register over TCP (simulators/src/line-device), proving the device life cycle.
import { z } from "zod";
import { deviceEntryBase } from "./device-entry.ts";

export const testDeviceEntry = deviceEntryBase.extend({
  kind: z.literal("test"),
  connection: z.strictObject({
    host: z.string().default("127.0.0.1"),
    port: z.int().min(1).max(65535),
  }),
});
export type TestDeviceEntry = z.infer<typeof testDeviceEntry>;
