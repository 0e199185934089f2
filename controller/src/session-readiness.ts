// Is every point ready for the hearing? Answered from what the registry already holds (availability, info, health,
// the reported state's media readings, the last telemetry): no round trip to any room, so it is immediate.
import type { RoomView, TelemetryPayload } from "@rc/protocol";
import type { RoomRecord, SessionRecord } from "./store.ts";

/** Below this much free space a point's recording would stop at once (the media device's default guard). */
export const MIN_FREE_DISK_MB = 2048;

export interface LinkQuality {
  peer: string;
  status: string | null;
  rttMs: number | null;
  lossPercent: number | null;
}

export interface PointReadiness {
  room: string;
  ready: boolean;
  availability: RoomView["availability"]["state"];
  /** Every device the room cannot do without (not optional) reports ok; null before the agent said what it has. */
  requiredDevicesOk: boolean | null;
  devicesNotOk: { device: string; status: string }[];
  /** From the media device's recording guard, else the agent's telemetry; null when nothing was reported. */
  freeDiskMb: number | null;
  /** Whether the room registered the address of its SRT listener (without it, nobody can call it). */
  srtRegistered: boolean;
  /** The last reported quality of each of its links. */
  links: LinkQuality[];
  /** Why it is not ready, in words. */
  problems: string[];
}

export interface SessionReadiness {
  session: string;
  ready: boolean;
  points: PointReadiness[];
  /** Guest points have no agent: the controller knows nothing of them before the link is up. */
  guests: { id: string; url: string }[];
}

const number = (value: unknown) => (typeof value === "number" ? value : null);

function linksOf(view: RoomView): LinkQuality[] {
  const links = new Map<string, LinkQuality>();
  for (const readings of Object.values(view.state?.devices ?? {})) {
    for (const [key, value] of Object.entries(readings)) {
      const match = /^link\.(.+)\.(status|rttMs|lossPercent)$/.exec(key);
      if (!match) continue;
      const peer = match[1]!;
      const link = links.get(peer) ?? { peer, status: null, rttMs: null, lossPercent: null };
      if (match[2] === "status") link.status = typeof value === "string" ? value : null;
      else link[match[2] as "rttMs" | "lossPercent"] = number(value);
      links.set(peer, link);
    }
  }
  return [...links.values()];
}

function freeDiskMbOf(view: RoomView, telemetry: TelemetryPayload | undefined): number | null {
  for (const readings of Object.values(view.state?.devices ?? {})) {
    const free = number(readings["recording.freeMb"]);
    if (free !== null) return free;
  }
  const bytes = telemetry?.diskFreeBytes;
  return bytes === undefined || bytes === null ? null : Math.floor(bytes / 2 ** 20);
}

export function pointReadiness(
  room: string,
  view: RoomView | undefined,
  record: RoomRecord | undefined,
  telemetry: TelemetryPayload | undefined,
): PointReadiness {
  if (!view) {
    return {
      room,
      ready: false,
      availability: "unknown",
      requiredDevicesOk: null,
      devicesNotOk: [],
      freeDiskMb: null,
      srtRegistered: false,
      links: [],
      problems: ["the room is not registered"],
    };
  }
  const problems: string[] = [];
  const online = view.availability.state === "online";
  if (!online) problems.push(`the room's agent is ${view.availability.state}`);
  const required = view.info?.devices.filter((device) => !device.optional) ?? null;
  const devicesNotOk = (required ?? [])
    .map((device) => ({ device: device.id, status: view.health[device.id]?.status ?? "unknown" }))
    .filter((device) => device.status !== "ok");
  if (required === null) problems.push("the agent has not said which devices the room has");
  for (const device of devicesNotOk) problems.push(`device ${device.device} is ${device.status}`);
  const freeDiskMb = freeDiskMbOf(view, telemetry);
  if (freeDiskMb !== null && freeDiskMb < MIN_FREE_DISK_MB) {
    problems.push(`${freeDiskMb} MB free for the recording (under ${MIN_FREE_DISK_MB} MB)`);
  }
  const srtRegistered = (record?.srt ?? null) !== null;
  if (!srtRegistered) problems.push("no SRT listener address registered for the room");
  return {
    room,
    ready: problems.length === 0,
    availability: view.availability.state,
    requiredDevicesOk: required === null ? null : devicesNotOk.length === 0,
    devicesNotOk,
    freeDiskMb,
    srtRegistered,
    links: linksOf(view),
    problems,
  };
}

export function sessionReadiness(
  session: SessionRecord,
  view: (room: string) => RoomView | undefined,
  record: (room: string) => RoomRecord | undefined,
  telemetry: (room: string) => TelemetryPayload | undefined,
): SessionReadiness {
  const points = session.points
    .filter((point) => point.removedAt === null)
    .map((point) => pointReadiness(point.room, view(point.room), record(point.room), telemetry(point.room)));
  return {
    session: session.id,
    ready: points.every((point) => point.ready),
    points,
    guests: session.guests.map(({ id, url }) => ({ id, url })),
  };
}
