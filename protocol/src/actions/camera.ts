// Camera (ONVIF PTZ) requests. Velocities and translations are in ONVIF's generic spaces (pan/tilt −1..1, zoom 0..1);
// presets are addressed by our name or by a seat of the room, never by a vendor token, so special vendor presets
// (Hikvision 94 = reboot) stay unreachable.
import { z } from "zod";
import { deviceId } from "./core.ts";

const unit = z.number().min(-1).max(1);
const zoomPosition = z.number().min(0).max(1);
/** A preset's name as a camera may hold it (stored there by someone else, with a space): to recall or remove one. */
export const presetName = z.string().regex(/^[\w .-]{1,32}$/, "expected a preset name (letters, digits, space, . _ -)");
/**
 * A name we store a preset under, the same in requests and in room profiles (seats, wide shot): only what every
 * camera takes — the strictest seen refuses anything but A-Z a-z 0-9 _ . - (a space included).
 */
export const storablePresetName = z
  .string()
  .regex(
    /^[A-Za-z0-9_.-]{1,32}$/,
    "expected a preset name of A-Z a-z 0-9 _ . - (no spaces or accents: what every camera takes)",
  );
/** A preset by its name, or the preset of a seat of the room (seat id): exactly one of the two. */
const presetOrSeat = (name: typeof presetName) =>
  z
    .strictObject({ device: deviceId, preset: name.optional(), seat: deviceId.optional() })
    .refine((p) => (p.preset === undefined) !== (p.seat === undefined), "give either preset or seat");

export const cameraActions = {
  /** Continuous move; the driver stops the head unless the request is repeated within the dead-man time (500 ms). */
  "ptz.move": z.strictObject({ device: deviceId, pan: unit, tilt: unit, zoom: unit.default(0) }),
  "ptz.stop": z.strictObject({ device: deviceId }),
  "ptz.relative": z.strictObject({
    device: deviceId,
    pan: z.number().min(-2).max(2).default(0),
    tilt: z.number().min(-2).max(2).default(0),
    zoom: unit.default(0),
  }),
  "ptz.absolute": z
    .strictObject({ device: deviceId, pan: unit.optional(), tilt: unit.optional(), zoom: zoomPosition.optional() })
    .refine((p) => p.pan !== undefined || p.tilt !== undefined || p.zoom !== undefined, "give pan, tilt or zoom"),
  "ptz.home": z.strictObject({ device: deviceId }),
  "ptz.goto": presetOrSeat(presetName),
  /** Stores the current position under the name (a seat stores its own preset name); overwrites a preset of that name. */
  "ptz.store": presetOrSeat(storablePresetName),
  "ptz.remove": z.strictObject({ device: deviceId, preset: presetName }),
  "ptz.presets": z.strictObject({ device: deviceId }),
  /** A JPEG of what the camera sees now, base64 in the response. */
  "camera.snapshot": z.strictObject({ device: deviceId }),
} as const;
