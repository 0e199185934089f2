// Audio DSP requests: channel mutes and levels, presets, and privacy (every mic of the room muted at the DSP).
import { z } from "zod";
import { deviceId } from "./core.ts";

const channel = z.int().min(1).max(128);

export const mixerActions = {
  "mixer.mute": z.strictObject({ device: deviceId, channel, muted: z.boolean() }),
  "mixer.level": z.strictObject({ device: deviceId, channel, levelDb: z.number().min(-100).max(12) }),
  "mixer.step": z.strictObject({ device: deviceId, channel, stepDb: z.number().min(-20).max(20) }),
  "mixer.preset": z.strictObject({ device: deviceId, preset: z.int().min(0).max(65535) }),
  "mixer.privacy": z.strictObject({ device: deviceId, on: z.boolean() }),
} as const;
