import { loadModelProfile, type ModelKind, type ModelOf, type ModelProfile, modelSchemas } from "./device-models.ts";
import { loadProfile, ProfileError, pathOf } from "./load.ts";
import { type MixerDeviceEntry, type MixerModelProfile, mixerEntryProblems } from "./mixer-device.ts";
import { type DeviceEntry, type RoomProfile, roomProfile } from "./room-profile.ts";

export interface LoadedRoom {
  file: string;
  room: RoomProfile;
  /** Each device's model file, checked, by device id (only for kinds that have model files). */
  models: Record<string, ModelProfile<ModelKind>>;
}

/** A device's model file, typed by the device's kind (the loader stored it by id under that kind's schema). */
export function modelOf<E extends DeviceEntry>(loaded: Pick<LoadedRoom, "models">, entry: E): ModelOf<E["kind"]> {
  return loaded.models[entry.id] as ModelOf<E["kind"]>;
}

/** Loads a room profile and every device model file it names; throws ProfileError naming the file and path. */
export function loadRoom(file: string, modelsDir?: string): LoadedRoom {
  const room = loadProfile(roomProfile, file);
  const models: Record<string, ModelProfile<ModelKind>> = {};
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
