// The media worker (GStreamer program, links, recording): the room profile's device line.
import { z } from "zod";
import { deviceEntryBase } from "./device-entry.ts";

export const mediaDeviceEntry = deviceEntryBase.extend({
  kind: z.literal("media"),
});
export type MediaDeviceEntry = z.infer<typeof mediaDeviceEntry>;
