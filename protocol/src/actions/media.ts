// Media requests: cut the program to another camera, recording on/off (the operator's wish; the controller's is in
// `desired`), and a JPEG of a picture the room sends or receives.
import { z } from "zod";
import { ID_PATTERN } from "../topics.ts";
import { deviceId } from "./core.ts";

export const mediaActions = {
  /** The program switches to this camera of the room at the next frame; refused if the camera gives no picture. */
  "media.cut": z.strictObject({ device: deviceId, camera: deviceId }),
  "media.record": z.strictObject({ device: deviceId, on: z.boolean() }),
  /** A JPEG (base64) and the mean colour of "program" (what the room sends), "display" (what its screen shows) or a peer room's picture. */
  "media.snapshot": z.strictObject({
    device: deviceId,
    source: z.string().regex(ID_PATTERN, 'expected "program", "display" or a peer room id').default("program"),
  }),
} as const;
