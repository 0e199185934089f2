// Every payload that crosses MQTT (DESIGN §3.1), defined once: schema → TypeScript type → runtime check.
import { z } from "zod";
import { ID_PATTERN, type RoomTopicKind } from "./topics.ts";

const isoTime = z.iso.datetime({ offset: true });
const id = z.string().regex(ID_PATTERN, "expected a lower-case id: letters, digits, '-'");

export const DEVICE_STATUSES = ["ok", "connecting", "degraded", "offline", "bad_config", "disabled"] as const;
export const deviceStatus = z.enum(DEVICE_STATUSES);
export type DeviceStatus = z.infer<typeof deviceStatus>;

export const ROOM_LEVELS = ["central", "province", "district", "commune"] as const;
export const roomLevel = z.enum(ROOM_LEVELS);
export type RoomLevel = z.infer<typeof roomLevel>;

/**
 * What kind of office a room belongs to, beside its level, so a department can be a point as well as a reception
 * office: the reception office of a level (Ban / Trụ sở tiếp công dân), a people's committee (UBND tỉnh/huyện), a
 * department or sector (sở, ngành), a commune's people's committee (UBND xã).
 */
export const ROOM_KINDS = ["reception_office", "people_committee", "department", "commune"] as const;
export const roomKind = z.enum(ROOM_KINDS);
export type RoomKind = z.infer<typeof roomKind>;

export const DEVICE_KINDS = ["camera", "mixer", "gpio", "media", "test"] as const;
export const deviceKind = z.enum(DEVICE_KINDS);
export type DeviceKind = z.infer<typeof deviceKind>;

/**
 * A random id drawn at every agent start. The boot counter orders one PC's starts, but it goes back when a room PC
 * is replaced or its data folder is lost: the boot id is what tells this start from any other.
 */
export const bootId = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, "expected a boot id: 8–64 letters, digits, '-' or '_'");

export const availabilityPayload = z.strictObject({
  state: z.enum(["online", "offline"]),
  /** How many times this agent has started (kept on disk), for people reading it; ordering uses `bootId`. */
  boot: z.int().nonnegative(),
  bootId,
});
export type AvailabilityPayload = z.infer<typeof availabilityPayload>;

/**
 * The request that sets a writable capability, so a panel needs no model knowledge to act on it: it sends
 * `{action, params: {...params, [value]: newValue}}` (POST /api/rooms/:id/requests). `params` are the fixed ones
 * (the device, a channel, a relay…); `value` names the param that carries the new value, and is absent for a
 * capability of type "action", which takes none (e.g. a camera's snapshot).
 */
export const capabilitySetter = z.strictObject({
  action: z.string().min(1),
  params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
  value: z.string().min(1).optional(),
});
export type CapabilitySetter = z.infer<typeof capabilitySetter>;

/**
 * What a capability can read or set, so a panel can draw it without knowing the model (STYLE 3). `type` is the type
 * of its value (`min`…`values` its range); "action" is a momentary request without a value. `readable` means the
 * value is among the device's readings in the state, under the same name. A snapshot (type "action" or, with a choice
 * of picture, "enum") is never a reading: its request answers with a JPEG.
 */
export const capabilityDescriptor = z
  .strictObject({
    name: z.string().min(1),
    type: z.enum(["number", "boolean", "enum", "string", "action"]),
    unit: z.string().optional(),
    min: z.number().optional(),
    max: z.number().optional(),
    step: z.number().optional(),
    values: z.array(z.string()).optional(),
    readable: z.boolean(),
    writable: z.boolean(),
    set: capabilitySetter.optional(),
  })
  .refine((c) => c.set === undefined || c.writable, { message: "a read-only capability names no request that sets it" })
  .refine((c) => c.set === undefined || (c.set.value === undefined) === (c.type === "action"), {
    message: 'set.value names the param of the new value, except for type "action", which has none',
  });
export type CapabilityDescriptor = z.infer<typeof capabilityDescriptor>;

export const deviceInfo = z.strictObject({
  id,
  /** The room profile's name for it, shown on the panel ("Camera công dân"); absent when the profile gives none. */
  name: z.string().optional(),
  kind: deviceKind,
  model: z.string(),
  optional: z.boolean(),
  capabilities: z.array(capabilityDescriptor),
});
export type DeviceInfo = z.infer<typeof deviceInfo>;

/** A seat of the room as a panel needs it: its label, the camera preset that frames it and its microphone. */
export const seatInfo = z.strictObject({
  id,
  label: z.string(),
  role: z.string(),
  camera: id.optional(),
  preset: z.string().optional(),
  mic: z.strictObject({ device: id, channel: z.int().positive() }).optional(),
});
export type SeatInfo = z.infer<typeof seatInfo>;

export const infoPayload = z.strictObject({
  agentVersion: z.string(),
  boot: z.int().nonnegative(),
  startedAt: isoTime,
  room: z.strictObject({
    id,
    name: z.string(),
    level: roomLevel,
    parent: id.nullable(),
    /** The room's seats (optional: agents before the panel did not send them). */
    seats: z.array(seatInfo).optional(),
  }),
  devices: z.array(deviceInfo),
  /** Every request the agent answers, with its params' JSON Schema (draft 2020-12, generated from the zod schema). */
  actions: z.array(z.strictObject({ name: z.string().min(1), params: z.record(z.string(), z.unknown()) })),
});
export type InfoPayload = z.infer<typeof infoPayload>;

/**
 * Why the auto director chose its shot (DESIGN §3.5): the session's opening wide shot, every mic muted, the meters
 * stopped, the camera on air lost, nobody speaking, several speaking at once, too many switches back and forth, a
 * seat speaking; or "holding" the current shot because the camera it wants cannot be used now.
 */
export const DIRECTOR_CAUSES = [
  "session_start",
  "mics_muted",
  "meters_stopped",
  "camera_lost",
  "silence",
  "several_talkers",
  "back_and_forth",
  "speaker",
  "holding",
] as const;
export const directorCause = z.strictObject({
  code: z.enum(DIRECTOR_CAUSES),
  /** The seat shown (speaker), or the seats speaking at once (several_talkers). */
  seats: z.array(z.string()).optional(),
  /** The camera that stopped answering (camera_lost) or cannot be used now (holding). */
  camera: z.string().optional(),
  /** How long: the silence, the talkers together, the window of switches. */
  seconds: z.number().nonnegative().optional(),
});
export type DirectorCause = z.infer<typeof directorCause>;

/** Reported state. Sections are added by the capabilities that own them; devices carry their own readings. */
export const statePayload = z.strictObject({
  at: isoTime,
  /** Increases with every publication of one boot, so a reader can tell an old state from a new one. */
  seq: z.int().nonnegative(),
  boot: z.int().nonnegative(),
  bootId,
  desiredRev: z.int().nonnegative().nullable(),
  session: z.strictObject({ id: z.string(), role: z.enum(["central", "component"]) }).nullable(),
  recording: z.boolean(),
  /** The camera whose picture the room sends (set by the operator, the director or the media switcher). */
  programCamera: id.nullable(),
  privacy: z.boolean(),
  /**
   * The auto director's mode and the reason of its last decision, as an English sentence for logs and as a cause
   * (a code with its parameters) that a panel words in its own language; null in a room without one.
   */
  director: z
    .strictObject({
      mode: z.enum(["auto", "manual", "paused"]),
      reason: z.string(),
      cause: directorCause.optional(),
    })
    .nullable(),
  /**
   * Finished recording segments not yet confirmed by the controller's archive, and the last upload error; absent
   * when the agent uploads nothing (no archive URL). Optional: added with the archive (issue 13 part 6).
   */
  uploads: z
    .strictObject({
      pending: z.int().nonnegative(),
      bytesPending: z.int().nonnegative(),
      lastError: z.string().max(1000).nullable(),
    })
    .optional(),
  devices: z.record(
    id,
    z.record(z.string(), z.union([z.number(), z.string(), z.boolean(), z.null(), z.array(z.string())])),
  ),
});
export type StatePayload = z.infer<typeof statePayload>;

export const healthPayload = z.strictObject({
  status: deviceStatus,
  since: isoTime,
  detail: z.string(),
  rttMs: z.number().nonnegative().nullable(),
  counters: z.record(z.string(), z.int().nonnegative()),
});
export type HealthPayload = z.infer<typeof healthPayload>;

export const telemetryPayload = z.strictObject({
  at: isoTime,
  cpuPercent: z.number().nonnegative(),
  rssBytes: z.int().nonnegative(),
  memoryFreeBytes: z.int().nonnegative(),
  loadAverage: z.array(z.number()).length(3),
  diskFreeBytes: z.int().nonnegative().nullable(),
  temperatureC: z.number().nullable(),
  uptimeS: z.number().nonnegative(),
});
export type TelemetryPayload = z.infer<typeof telemetryPayload>;

export const EVENT_TYPES = [
  "button",
  "speaker_changed",
  "cut",
  "device_status",
  "device_error",
  /** A camera reached its preset or position (reported, or inferred where the camera gives no MoveStatus). */
  "move_complete",
  "recording_segment_closed",
  /**
   * A wanted fact changed at the room's own panel, which the agent serves itself (recording on or off): data
   * `{ id, recording }`. The controller writes it into the room's desired state, which then names it in `localWish`;
   * until then the agent holds it, across its restarts, against any desired state that does not name it.
   */
  "local_wish",
  /** Mic levels for panels, throttled (≤ 4 Hz); the director reads them at full rate inside the agent. */
  "meters",
] as const;
export const eventPayload = z.strictObject({
  at: isoTime,
  type: z.enum(EVENT_TYPES),
  device: id.optional(),
  /** A sentence a person can read, e.g. why the director cut. */
  reason: z.string().optional(),
  data: z.record(z.string(), z.unknown()).default({}),
});
export type EventPayload = z.infer<typeof eventPayload>;

/** Where an SRT listener is reached. */
export const srtAddress = z.strictObject({ host: z.string().min(1).max(253), port: z.int().min(1).max(65535) });
export type SrtAddress = z.infer<typeof srtAddress>;
/** SRT's own limits on a passphrase (AES key derivation): 10 to 79 characters. */
export const srtPassphrase = z.string().min(10).max(79);

export const peer = z.strictObject({
  /** A room id, or for a guest point the id the session gave it. */
  room: id,
  /** Where the peer's SRT listener is reached (the controller knows each room's address); without it, no link. */
  srt: srtAddress.optional(),
  /**
   * A guest point: not our agent (the central government's office, a hardware codec), reached at `srt` with its own
   * passphrase instead of the session's. Only the host has guests among its peers: it sends a guest the session
   * program and shows its picture over that one link.
   */
  guest: z
    .strictObject({
      name: z.string().min(1).max(200),
      passphrase: srtPassphrase,
      /** Where the guest's decoder listens: the host calls it to send the session program (the guest's own sound left out). */
      program: srtAddress.optional(),
    })
    .optional(),
  /**
   * For a component pulling a relay host: the sound track of the host's stream made for this room (everyone but the
   * room itself, mix-minus). The host numbers them in the order of its own peers.
   */
  soundTrack: z.int().min(0).max(15).optional(),
});
export type Peer = z.infer<typeof peer>;
/**
 * A room's panel PIN as the controller keeps it, never the PIN itself: scrypt (Node's defaults: N 16384, r 8, p 1) of
 * the PIN with a random salt, both base64. The agent checks a PIN typed on its local panel against it.
 */
export const pinHash = z.strictObject({
  algorithm: z.literal("scrypt"),
  salt: z.string().min(1).max(64),
  hash: z.string().min(1).max(128),
});
export type PinHash = z.infer<typeof pinHash>;
export const desiredPayload = z.strictObject({
  /**
   * Only grows: the controller's store owns it (at least the previous + 1, and never below the time of the change in
   * milliseconds, so it keeps growing even if a store is rebuilt). The agent applies only a newer one, and reports the
   * revision it converged to.
   */
  rev: z.int().nonnegative(),
  session: z
    .strictObject({
      id: z.string().min(1),
      role: z.enum(["central", "component"]),
      peers: z.array(peer),
      passphrase: srtPassphrase,
    })
    .nullable(),
  recording: z.boolean(),
  /**
   * The room's panel PIN (from the controller's store), for the panel the agent serves itself when the controller is
   * unreachable; null or absent: no PIN set, the local panel stays locked. Only the room's own agent may read its
   * `desired` (broker ACL), and the agent keeps it on disk with the rest of the desired state.
   */
  panelPin: pinHash.nullable().optional(),
  /** The id of the last `local_wish` of the room's own panel the controller took in (null or absent: none). */
  localWish: z.string().min(1).max(128).nullable().optional(),
});
/** A `local_wish` event's data. */
export const localWish = z.strictObject({ id: z.string().min(1).max(128), recording: z.boolean() });
export type LocalWish = z.infer<typeof localWish>;
export type DesiredPayload = z.infer<typeof desiredPayload>;

export const requestId = z.string().min(1).max(128);
export const requestPayload = z.strictObject({
  /** Unique per room and request: the controller matches answers by (room, id); a copy is answered, not re-applied. */
  id: requestId,
  action: z.string().min(1),
  params: z.record(z.string(), z.unknown()).default({}),
  from: z.string().min(1),
  /**
   * Absolute time (epoch milliseconds) after which the controller has given up (answered 504): the agent does not
   * start a request past it. Set by the controller as now + its request time-out.
   */
  deadline: z.int().nonnegative(),
});
export type RequestPayload = z.infer<typeof requestPayload>;

/**
 * What a request asks for, as one string: its action and its params with every object's keys sorted, so that copies
 * of one request compare equal whatever their key order. A request id that comes again with another fingerprint is a
 * different request reusing the id, not a copy. Throws on params nested too deep to walk (a hostile payload).
 */
export function requestFingerprint(action: string, params: Record<string, unknown>): string {
  return JSON.stringify([action, withSortedKeys(params)]);
}

/** The value with every object's keys sorted, for a canonical JSON form (fingerprints, the audit log's hashes). */
export function withSortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withSortedKeys);
  if (value === null || typeof value !== "object") return value;
  const record = value as Record<string, unknown>;
  // fromEntries defines own properties: a "__proto__" key stays data, it cannot change the prototype.
  return Object.fromEntries(
    Object.keys(record)
      .sort()
      .map((key) => [key, withSortedKeys(record[key])]),
  );
}

export const ERROR_CODES = [
  "invalid_params",
  "unknown_action",
  "not_found",
  "conflict",
  "device_unavailable",
  "device_error",
  "timeout",
  "internal",
  /** REST only: no login, or a wrong one (the archive's uploads). */
  "unauthorized",
  /** REST only: a login that may not do this (another room's recordings). */
  "forbidden",
  /** REST only: too many tries not yet logged in from one address. */
  "rate_limited",
] as const;
export const errorCode = z.enum(ERROR_CODES);
export type ErrorCode = z.infer<typeof errorCode>;
/**
 * Errors that say a request was never applied (the device could not take it yet, or its deadline had passed): its
 * answer is not remembered for its id, so a retry with the same id may still apply it, once.
 */
export const NOT_APPLIED_ERRORS: ReadonlySet<ErrorCode> = new Set<ErrorCode>(["device_unavailable", "timeout"]);

export const responsePayload = z.union([
  z.strictObject({ id: requestId, ok: z.literal(true), result: z.unknown() }),
  z.strictObject({
    id: requestId,
    ok: z.literal(false),
    error: z.strictObject({ code: errorCode, message: z.string() }),
  }),
]);
export type ResponsePayload = z.infer<typeof responsePayload>;

export const controllerStatusPayload = z.strictObject({
  state: z.enum(["online", "offline"]),
  startedAt: isoTime,
});
export type ControllerStatusPayload = z.infer<typeof controllerStatusPayload>;

export const controllerResyncPayload = z.strictObject({ at: isoTime });
export type ControllerResyncPayload = z.infer<typeof controllerResyncPayload>;

export const roomTopicSchemas = {
  availability: availabilityPayload,
  info: infoPayload,
  state: statePayload,
  telemetry: telemetryPayload,
  events: eventPayload,
  response: responsePayload,
  desired: desiredPayload,
  request: requestPayload,
} satisfies Record<RoomTopicKind, z.ZodType>;
