import { loadModelProfile, type ModelKind, modelSchemas } from "./device-models.ts";
import { loadProfile, ProfileError, pathOf } from "./load.ts";
import { type MixerDeviceEntry, type MixerModelProfile, mixerEntryProblems } from "./mixer-device.ts";
import { type RoomProfile, roomProfile } from "./room-profile.ts";

export interface LoadedRoom {
  file: string;
  room: RoomProfile;
  /** Each device's model file, checked, by device id (only for kinds that have model files). */
  models: Record<string, unknown>;
}

/** Loads a room profile and every device model file it names; throws ProfileError naming the file and path. */
export function loadRoom(file: string, modelsDir?: string): LoadedRoom {
  const room = loadProfile(roomProfile, file);
  const models: Record<string, unknown> = {};
  room.devices.forEach((device, index) => {
    if (!("model" in device) || !(device.kind in modelSchemas)) return;
    try {
      models[device.id] = loadModelProfile(device.kind as ModelKind, device.model, modelsDir);
    } catch (error) {
      if (!(error instanceof ProfileError)) throw error;
      throw new ProfileError(file, [
        { path: `devices[${index}].model`, expected: `a valid model profile: ${error.message}` },
      ]);
    }
    if (device.kind === "mixer") {
      // Bindings, program volume and mute groups must be what this model has (the room schema cannot know it).
      const problems = mixerEntryProblems(device as MixerDeviceEntry, models[device.id] as MixerModelProfile);
      if (problems.length > 0) {
        throw new ProfileError(
          file,
          problems.map((p) => ({ path: pathOf(["devices", index, ...p.path]), expected: p.expected })),
        );
      }
    }
  });
  return { file, room, models };
}
