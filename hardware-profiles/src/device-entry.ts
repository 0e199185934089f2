// What every device line of a room profile has; each kind adds its own fields in its own file.
import { ID_PATTERN } from "@rc/protocol";
import { z } from "zod";

export const id = z.string().regex(ID_PATTERN, "expected a lower-case id: letters, digits, '-'");

export const deviceEntryBase = z.strictObject({
  id,
  /** What the operator and IT see, e.g. "Camera chủ trì". */
  name: z.string().min(1).optional(),
  /** An optional device that is absent is "not present", not a fault, in the health roll-up. */
  optional: z.boolean().default(false),
  enabled: z.boolean().default(true),
});

/** A device model file's name under hardware-profiles/devices/{kind}/, without ".json". */
export const modelName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]*$/, "expected a model file name such as generic-onvif-ptz");
