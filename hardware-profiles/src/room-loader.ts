import { loadModelProfile, type ModelKind, modelSchemas } from "./device-models.ts";
import { loadProfile, ProfileError } from "./load.ts";
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
  });
  return { file, room, models };
}
