// The director's view of a room profile: which seat each mic channel belongs to, where each seat can be shown from
// (its own camera first, then any other camera of the room at a preset named after the seat), and the wide shot.
import type { RoomProfile } from "@rc/hardware-profiles";
import type { DirectorConfig, DirectorParameters } from "./director-engine.ts";

/** Null when the room has no director section or no seats with both a mic and a camera. */
export function directorConfigFromRoom(room: RoomProfile, mixer: string): DirectorConfig | null {
  if (!room.director) return null;
  const { wideShot, ...parameters } = room.director;
  const seats = room.seats.filter((seat) => seat.mic?.device === mixer && seat.camera && seat.preset);
  if (seats.length === 0) return null;
  const channelCount = Math.max(...seats.map((seat) => seat.mic!.channel));
  const channels = Array.from({ length: channelCount }, (_, index) => {
    const seat = seats.find((s) => s.mic!.channel === index + 1);
    return seat?.id ?? `kenh-${index + 1}`;
  });
  const cameras = room.devices.filter((device) => device.kind === "camera").map((device) => device.id);
  return {
    channels,
    seats: seats.map((seat) => ({
      id: seat.id,
      label: seat.label,
      isChair: seat.role === "chair",
      shots: [
        { camera: seat.camera!, preset: seat.preset! },
        ...cameras.filter((camera) => camera !== seat.camera).map((camera) => ({ camera, preset: seat.preset! })),
      ],
    })),
    wide: wideShot,
    parameters: parameters as Partial<DirectorParameters>,
  };
}
