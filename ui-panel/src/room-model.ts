// What the panel shows and can do in a room, read from the room's view alone: its devices' capability descriptors
// (each writable one names the request that sets it), its readings, its seats and the actions its agent answers. No
// model names: a new camera or DSP model needs no change here (STYLE 3).
import type { CapabilityDescriptor, DeviceInfo, DeviceKind, DeviceStatus, RoomView, SeatInfo } from "@rc/protocol";

export interface Command {
  action: string;
  params: Record<string, unknown>;
}

/** The request that sets a writable capability to `value` (none for an "action" capability). */
export function commandOf(capability: CapabilityDescriptor, value?: unknown): Command | null {
  if (!capability.set) return null;
  const params: Record<string, unknown> = { ...capability.set.params };
  if (capability.set.value !== undefined) params[capability.set.value] = value;
  return { action: capability.set.action, params };
}

export function devicesOf(room: RoomView, kind?: DeviceKind): DeviceInfo[] {
  return (room.info?.devices ?? []).filter((device) => kind === undefined || device.kind === kind);
}

export function capabilityOf(room: RoomView, device: string, name: string): CapabilityDescriptor | undefined {
  return room.info?.devices.find((each) => each.id === device)?.capabilities.find((each) => each.name === name);
}

export function readingOf(room: RoomView, device: string, name: string): unknown {
  return room.state?.devices[device]?.[name];
}

/** A device's status; offline while the room's agent is (its last report is stale). */
export function statusOf(room: RoomView, device: string): DeviceStatus {
  if (room.stale) return "offline";
  return room.health[device]?.status ?? "connecting";
}

/** Whether the room's agent answers this action (`info.actions`). */
export function answers(room: RoomView, action: string): boolean {
  return room.info?.actions.some((each) => each.name === action) ?? false;
}

export function seatsOf(room: RoomView): SeatInfo[] {
  return room.info?.room.seats ?? [];
}

export interface SeatMic {
  seat: SeatInfo;
  device: string;
  capability: CapabilityDescriptor;
  muted: boolean | null;
}

/** Each seat's microphone with the capability that mutes it (`ch{n}.muted` of its mixer) and whether it is muted. */
export function seatMics(room: RoomView): SeatMic[] {
  return seatsOf(room).flatMap((seat) => {
    if (!seat.mic) return [];
    const name = `ch${seat.mic.channel}.muted`;
    const capability = capabilityOf(room, seat.mic.device, name);
    if (!capability?.set) return [];
    const muted = readingOf(room, seat.mic.device, name);
    return [{ seat, device: seat.mic.device, capability, muted: typeof muted === "boolean" ? muted : null }];
  });
}

/** The mixer that privacy and the program volume go to: the seats' microphones' mixer, else the room's first. */
export function mainMixer(room: RoomView): string | undefined {
  return seatsOf(room).find((seat) => seat.mic)?.mic?.device ?? devicesOf(room, "mixer")[0]?.id;
}

/** The first writable capability of that name on a device of that kind, with its device. */
export function findCapability(
  room: RoomView,
  kind: DeviceKind,
  name: string,
): { device: string; capability: CapabilityDescriptor } | undefined {
  for (const device of devicesOf(room, kind)) {
    const capability = device.capabilities.find((each) => each.name === name && each.set);
    if (capability) return { device: device.id, capability };
  }
  return undefined;
}

/** How bad each status is (worst highest), for the roll-up and the matrix: a record, so a new status must be placed. */
const BADNESS: Record<DeviceStatus, number> = {
  ok: 0,
  disabled: 1,
  connecting: 2,
  degraded: 3,
  bad_config: 4,
  offline: 5,
};
/** Worst first. (A type-only import of the protocol: its schemas stay out of the browser bundle.) */
export const STATUS_ORDER = (Object.keys(BADNESS) as DeviceStatus[]).sort((a, b) => BADNESS[b] - BADNESS[a]);

/** The room's roll-up: its worst required device (optional ones do not count), offline while its agent is. */
export function rollUpOf(room: RoomView): DeviceStatus | "unknown" {
  if (room.availability.state !== "online") return room.availability.state === "offline" ? "offline" : "unknown";
  const statuses = devicesOf(room)
    .filter((device) => !device.optional)
    .map((device) => statusOf(room, device.id));
  return STATUS_ORDER.find((status) => statuses.includes(status)) ?? "ok";
}

/** The worst status among a room's devices of one kind; null when it has none of that kind. */
export function kindStatus(room: RoomView, kind: DeviceKind): DeviceStatus | null {
  const statuses = devicesOf(room, kind).map((device) => statusOf(room, device.id));
  if (statuses.length === 0) return null;
  return STATUS_ORDER.find((status) => statuses.includes(status)) ?? "ok";
}
