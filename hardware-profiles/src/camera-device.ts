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
  /** Highest velocity the driver sends, as a fraction of the generic −1..1 space (slow heads for close seats). */
  maxPanTiltSpeed: z.number().gt(0).max(1).default(1),
  maxZoomSpeed: z.number().gt(0).max(1).default(1),
  /** Preset tokens: "numeric" slots (Hikvision 1..255) or "opaque" strings the camera invents. */
  presetTokens: z.enum(["numeric", "opaque"]).default("opaque"),
  /** Vendor special presets (reboot, menu, patrol …) the room must never call or overwrite: inclusive ranges. */
  reservedPresets: z.array(z.tuple([z.int().min(0), z.int().min(0)])).default([]),
  auth: z.enum(["ws-username-token", "http-digest"]).default("ws-username-token"),
  /** Whether GetStatus carries MoveStatus; without it the driver infers motion from position changes. */
  moveStatus: z.boolean().default(true),
  /** Whether GetServices works; some firmware faults and clients fall back to GetCapabilities. */
  getServices: z.boolean().default(true),
  /** How long a command may take; slow firmware answers after more than 3 s. */
  replyTimeoutS: z.number().positive().max(30).default(4),
  /** How long the health probe (GetStatus) may take: short, so a dead camera is offline within 5 s. */
  probeTimeoutS: z.number().positive().max(10).default(1),
});
export type CameraModelProfile = z.infer<typeof cameraModelProfile>;
