// Audio DSP requests: channel mutes and levels, the room's program volume and mute groups, presets, and privacy
// (every mic of the room muted at the DSP: the "mics" mute group when the room has one).
import { z } from "zod";
import { ID_PATTERN } from "../topics.ts";
import { deviceId } from "./core.ts";

const channel = z.int().min(1).max(128);
const levelDb = z.number().min(-100).max(12);
const stepDb = z.number().min(-20).max(20);

export const mixerActions = {
  "mixer.mute": z.strictObject({ device: deviceId, channel, muted: z.boolean() }),
  "mixer.level": z.strictObject({ device: deviceId, channel, levelDb }),
  "mixer.step": z.strictObject({ device: deviceId, channel, stepDb }),
  /** The program (loudspeaker) volume the room profile names: set it, or step it; answers the level it is now at. */
  "mixer.volume": z
    .strictObject({ device: deviceId, levelDb: levelDb.optional(), stepDb: stepDb.optional() })
    .refine((p) => (p.levelDb === undefined) !== (p.stepDb === undefined), "give either levelDb or stepDb"),
  /** A mute group by the room profile's name for it (e.g. "mics"). */
  "mixer.group": z.strictObject({
    device: deviceId,
    group: z.string().regex(ID_PATTERN, "expected a mute group name"),
    muted: z.boolean(),
  }),
  "mixer.preset": z.strictObject({ device: deviceId, preset: z.int().min(0).max(65535) }),
  "mixer.privacy": z.strictObject({ device: deviceId, on: z.boolean() }),
} as const;
