// Camera (ONVIF PTZ) requests. Velocities and translations are in ONVIF's generic spaces (pan/tilt −1..1, zoom 0..1);
// presets are addressed by our name (a seat's preset), never by a vendor token, so special vendor presets stay unreachable.
import { z } from "zod";
import { deviceId } from "./core.ts";

const unit = z.number().min(-1).max(1);
const zoomPosition = z.number().min(0).max(1);
const presetName = z.string().regex(/^[\w .-]{1,32}$/, "expected a preset name (letters, digits, space, . _ -)");

export const cameraActions = {
  /** Continuous move; the driver stops the head unless the request is repeated within the dead-man window. */
  "ptz.move": z.strictObject({ device: deviceId, pan: unit, tilt: unit, zoom: unit.default(0) }),
  "ptz.stop": z.strictObject({ device: deviceId }),
  "ptz.relative": z.strictObject({
    device: deviceId,
    pan: z.number().min(-2).max(2).default(0),
    tilt: z.number().min(-2).max(2).default(0),
    zoom: unit.default(0),
  }),
  "ptz.absolute": z.strictObject({ device: deviceId, pan: unit, tilt: unit, zoom: zoomPosition.optional() }),
  "ptz.zoom": z.strictObject({ device: deviceId, zoom: zoomPosition }),
  "ptz.home": z.strictObject({ device: deviceId }),
  "preset.list": z.strictObject({ device: deviceId }),
  "preset.recall": z.strictObject({ device: deviceId, preset: presetName }),
  "preset.store": z.strictObject({ device: deviceId, preset: presetName }),
  "preset.remove": z.strictObject({ device: deviceId, preset: presetName }),
  "camera.snapshot": z.strictObject({ device: deviceId }),
} as const;
