// A room's health at a glance and what is wrong with it, read from the registry's view (DESIGN §3.6 "health"). Pure:
// the roll-up and the alarm conditions are functions of one RoomView.
//   - Roll-up: the worst status of the room's required devices wins; an optional device that is absent (offline, or
//     never reported) is "not_present", not an error; a room whose agent is offline is offline.
//   - Conditions: each thing that should raise an alarm if it lasts (AlarmBook debounces them): the room offline; a
//     device offline, bad_config or degraded; a link of the room's session offline or degraded; the media device's
//     disk guard holding the recording off.
import type { DeviceStatus, RoomView } from "@rc/protocol";

export type DeviceRollupStatus = DeviceStatus | "not_present" | "unknown";
export type RoomRollupStatus = "ok" | "connecting" | "degraded" | "bad_config" | "offline" | "unknown";

export interface RoomRollup {
  room: string;
  status: RoomRollupStatus;
  /** The required devices that set the status (empty when ok). */
  worst: string[];
  devices: { id: string; required: boolean; status: DeviceRollupStatus }[];
}

/** Worse is larger; `disabled` and `ok` do not count against a room. */
const BADNESS: Record<DeviceStatus, number> = {
  ok: 0,
  disabled: 0,
  connecting: 1,
  degraded: 2,
  bad_config: 3,
  offline: 4,
};

export function roomRollup(view: RoomView): RoomRollup {
  const declared = view.info?.devices ?? [];
  const ids = new Set([...declared.map((device) => device.id), ...Object.keys(view.health)]);
  const devices: RoomRollup["devices"] = [];
  for (const id of [...ids].sort()) {
    const required = declared.find((device) => device.id === id)?.optional !== true;
    const reported = Object.hasOwn(view.health, id) ? view.health[id]!.status : undefined;
    let status: DeviceRollupStatus = reported ?? "unknown";
    if (!required && (reported === undefined || reported === "offline")) status = "not_present";
    devices.push({ id, required, status });
  }
  if (view.availability.state === "offline") return { room: view.id, status: "offline", worst: [], devices };
  if (view.availability.state === "unknown") return { room: view.id, status: "unknown", worst: [], devices };
  let status: RoomRollupStatus = "ok";
  let worst: string[] = [];
  for (const device of devices) {
    if (!device.required) continue;
    // A required device the agent declared but has not reported yet is still connecting.
    const deviceStatus: DeviceStatus =
      device.status === "unknown" || device.status === "not_present" ? "connecting" : device.status;
    const badness = BADNESS[deviceStatus];
    if (badness === 0) continue;
    if (status === "ok" || badness > BADNESS[status as DeviceStatus]) {
      status = deviceStatus as RoomRollupStatus;
      worst = [device.id];
    } else if (badness === BADNESS[status as DeviceStatus]) worst.push(device.id);
  }
  return { room: view.id, status, worst, devices };
}

export type AlarmKind = "room" | "device" | "link" | "disk";
export type AlarmSeverity = "critical" | "major" | "minor";

/** Something wrong that raises an alarm if it lasts the debounce. `key` names the subject: one alarm per key. */
export interface AlarmCondition {
  key: string;
  kind: AlarmKind;
  room: string;
  device: string | null;
  /** A link's session and the point at its other end. */
  session: string | null;
  point: string | null;
  status: string;
  severity: AlarmSeverity;
  detail: string;
}

const BAD_DEVICE: ReadonlySet<string> = new Set(["offline", "bad_config", "degraded"]);
const BAD_LINK: ReadonlySet<string> = new Set(["offline", "degraded"]);
const LINK_READING = /^link\.(.+)\.status$/;

function deviceSeverity(status: string): AlarmSeverity {
  return status === "degraded" ? "minor" : "major";
}

/**
 * What is wrong with the room now, or null when the controller cannot tell (availability unknown: it lost the broker
 * or has not heard from the room since connecting), so that nothing is raised or cleared on no news.
 */
export function alarmConditions(view: RoomView): AlarmCondition[] | null {
  const room = view.id;
  if (view.availability.state === "unknown") return null;
  if (view.availability.state === "offline") {
    // Its devices all show offline now: the room's one alarm says it, not one per device.
    return [
      {
        key: `room:${room}`,
        kind: "room",
        room,
        device: null,
        session: null,
        point: null,
        status: "offline",
        severity: "critical",
        detail: `the agent of room ${room} is offline`,
      },
    ];
  }
  const conditions: AlarmCondition[] = [];
  for (const device of roomRollup(view).devices) {
    if (!BAD_DEVICE.has(device.status)) continue;
    const health = view.health[device.id]!;
    conditions.push({
      key: `device:${room}:${device.id}`,
      kind: "device",
      room,
      device: device.id,
      session: null,
      point: null,
      status: device.status,
      severity: deviceSeverity(device.status),
      detail: health.detail.slice(0, 500),
    });
  }
  const session = view.state?.session?.id ?? view.desired?.session?.id ?? null;
  for (const [device, readings] of Object.entries(view.state?.devices ?? {})) {
    for (const [name, value] of Object.entries(readings)) {
      const link = LINK_READING.exec(name);
      if (link && session !== null && typeof value === "string" && BAD_LINK.has(value)) {
        const point = link[1]!;
        const detail = readings[`link.${point}.detail`];
        conditions.push({
          key: `link:${room}:${session}:${point}`,
          kind: "link",
          room,
          device,
          session,
          point,
          status: value,
          severity: deviceSeverity(value),
          detail: `session ${session}: link from ${room} to ${point} ${value}${typeof detail === "string" ? `: ${detail.slice(0, 400)}` : ""}`,
        });
      }
    }
    if (readings["recording.diskGuard"] === true) {
      const free = readings["recording.freeMb"];
      const detail = readings["recording.detail"];
      conditions.push({
        key: `disk:${room}:${device}`,
        kind: "disk",
        room,
        device,
        session: null,
        point: null,
        status: "disk_guard",
        severity: "critical",
        detail:
          typeof detail === "string"
            ? detail.slice(0, 500)
            : `recording held off: ${typeof free === "number" ? free : "?"} MB free`,
      });
    }
  }
  return conditions;
}
