// A room layout (hardware-profiles/rooms/*.json): who sits where, which devices the room has, how they are reached.
import { ROOM_LEVELS, storablePresetName } from "@rc/protocol";
import { z } from "zod";
import { cameraDeviceEntry } from "./camera-device.ts";
import { id } from "./device-entry.ts";
import { gpioDeviceEntry, gpioReferenceIssues } from "./gpio-device.ts";
import { mediaDeviceEntry } from "./media-device.ts";
import { mixerDeviceEntry } from "./mixer-device.ts";
import { testDeviceEntry } from "./test-device.ts";

export const deviceEntry = z.discriminatedUnion("kind", [
  cameraDeviceEntry,
  mixerDeviceEntry,
  gpioDeviceEntry,
  mediaDeviceEntry,
  testDeviceEntry,
]);
export type DeviceEntry = z.infer<typeof deviceEntry>;

export const SEAT_ROLES = ["chair", "citizen", "official", "secretary", "guest"] as const;

export const seat = z.strictObject({
  id,
  /** Shown on the panel, e.g. "Chủ trì", "Công dân". */
  label: z.string().min(1),
  role: z.enum(SEAT_ROLES),
  camera: id.optional(),
  preset: storablePresetName.optional(),
  mic: z.strictObject({ device: id, channel: z.int().positive() }).optional(),
});
export type Seat = z.infer<typeof seat>;

/** The auto director's parameters (DESIGN §3.5); every one optional, defaults in the director engine. */
export const directorSection = z.strictObject({
  /** The room's wide shot: a camera of this room and its preset. */
  wideShot: z.strictObject({ camera: id, preset: storablePresetName }),
  reactionS: z.number().positive().max(10).optional(),
  pauseToleranceS: z.number().nonnegative().max(10).optional(),
  minimumHoldS: z.number().nonnegative().max(60).optional(),
  silenceToWideS: z.number().positive().max(600).optional(),
  severalTalkersToWideS: z.number().positive().max(60).optional(),
  pingPongSwitches: z.int().min(2).max(20).optional(),
  pingPongWindowS: z.number().positive().max(600).optional(),
  pingPongWideS: z.number().positive().max(600).optional(),
  sessionStartWideS: z.number().nonnegative().max(600).optional(),
  chairBiasDb: z.number().min(0).max(20).optional(),
  operatorIdleResumeS: z.number().positive().max(3600).optional(),
  metersStaleS: z.number().positive().max(60).optional(),
});
export type DirectorSection = z.infer<typeof directorSection>;

export const roomProfile = z
  .strictObject({
    $schema: z.string().optional(),
    version: z.literal(1),
    id,
    name: z.string().min(1),
    level: z.enum(ROOM_LEVELS),
    parent: id.nullable(),
    devices: z.array(deviceEntry).min(1),
    seats: z.array(seat).default([]),
    telemetryIntervalS: z.number().positive().default(10),
    director: directorSection.optional(),
    probe: z
      .strictObject({
        intervalMs: z.int().min(100).default(2000),
        offlineAfter: z.int().min(1).default(2),
      })
      .default({ intervalMs: 2000, offlineAfter: 2 }),
  })
  .superRefine((room, context) => {
    const kinds = new Map<string, string>();
    room.devices.forEach((device, index) => {
      if (kinds.has(device.id)) {
        context.addIssue({
          code: "custom",
          path: ["devices", index, "id"],
          message: `a unique id; "${device.id}" is used twice`,
        });
      }
      kinds.set(device.id, device.kind);
    });
    if (room.director && kinds.get(room.director.wideShot.camera) !== "camera") {
      context.addIssue({
        code: "custom",
        path: ["director", "wideShot", "camera"],
        message: `the id of a camera in devices; got "${room.director.wideShot.camera}"`,
      });
    }
    const seatIds = new Set<string>();
    room.seats.forEach((seat, index) => {
      if (seatIds.has(seat.id)) {
        context.addIssue({
          code: "custom",
          path: ["seats", index, "id"],
          message: `a unique id; "${seat.id}" is used twice`,
        });
      }
      seatIds.add(seat.id);
      if (seat.camera !== undefined && kinds.get(seat.camera) !== "camera") {
        context.addIssue({
          code: "custom",
          path: ["seats", index, "camera"],
          message: `the id of a camera in devices; got "${seat.camera}"`,
        });
      }
      if (seat.mic !== undefined && kinds.get(seat.mic.device) !== "mixer") {
        context.addIssue({
          code: "custom",
          path: ["seats", index, "mic", "device"],
          message: `the id of a mixer in devices; got "${seat.mic.device}"`,
        });
      }
    });
    for (const issue of gpioReferenceIssues(room)) context.addIssue({ code: "custom", ...issue });
  });
export type RoomProfile = z.infer<typeof roomProfile>;
