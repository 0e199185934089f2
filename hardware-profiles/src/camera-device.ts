// Cameras (ONVIF PTZ): the room profile's device line. The model file schema lives beside it.
import { z } from "zod";
import { deviceEntryBase, modelName } from "./device-entry.ts";

export const cameraDeviceEntry = deviceEntryBase.extend({
  kind: z.literal("camera"),
  model: modelName,
  connection: z.strictObject({
    host: z.string().min(1),
    port: z.int().min(1).max(65535).default(80),
    username: z.string().optional(),
    /** Name of the environment variable holding the password, so profiles carry no secrets. */
    passwordEnv: z.string().optional(),
  }),
});
export type CameraDeviceEntry = z.infer<typeof cameraDeviceEntry>;

/** A camera model file (hardware-profiles/devices/camera/*.json). */
export const cameraModelProfile = z.strictObject({
  $schema: z.string().optional(),
  model: modelName,
  vendor: z.string(),
  description: z.string().optional(),
});
export type CameraModelProfile = z.infer<typeof cameraModelProfile>;
