// The one place where MQTT topic strings are built and parsed (DESIGN §3.1).

export const TOPIC_ROOT = "rc/v1";

/** Room and device ids become topic levels, file names and MQTT usernames: keep them plain. */
export const ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Usernames an agent may never have: the controller's own. */
export const CONTROLLER_USERNAME = "controller";

export function isValidId(id: string): boolean {
  return ID_PATTERN.test(id) && id !== CONTROLLER_USERNAME;
}

/** Per-room topics, by the direction the message travels. */
export const AGENT_PUBLISHED = ["availability", "info", "state", "telemetry", "events", "response"] as const;
export const CONTROLLER_PUBLISHED = ["desired", "request"] as const;
export type RoomTopicKind = (typeof AGENT_PUBLISHED)[number] | (typeof CONTROLLER_PUBLISHED)[number];

export type ParsedTopic =
  | { kind: RoomTopicKind; room: string }
  | { kind: "health"; room: string; device: string }
  | { kind: "controllerStatus" }
  | { kind: "controllerResync" };

function assertId(id: string, what: string): string {
  if (!isValidId(id)) throw new Error(`invalid ${what} id ${JSON.stringify(id)}: expected ${ID_PATTERN}`);
  return id;
}

export const topics = {
  room: (room: string, kind: RoomTopicKind) => `${TOPIC_ROOT}/rooms/${assertId(room, "room")}/${kind}`,
  health: (room: string, device: string) =>
    `${TOPIC_ROOT}/rooms/${assertId(room, "room")}/devices/${assertId(device, "device")}/health`,
  controllerStatus: `${TOPIC_ROOT}/controller/status`,
  controllerResync: `${TOPIC_ROOT}/controller/resync`,
  /** Everything under one room, for an agent's own subscriptions or a room-scoped ACL. */
  roomPrefix: (room: string) => `${TOPIC_ROOT}/rooms/${assertId(room, "room")}/`,
  /** Every room's messages of one kind, for the controller. */
  allRooms: (kind: RoomTopicKind) => `${TOPIC_ROOT}/rooms/+/${kind}`,
  allHealth: `${TOPIC_ROOT}/rooms/+/devices/+/health`,
} as const;

const ROOM_KINDS = new Set<string>([...AGENT_PUBLISHED, ...CONTROLLER_PUBLISHED]);

/** Parses a concrete topic (no wildcards); null when it is not one of ours. */
export function parseTopic(topic: string): ParsedTopic | null {
  if (topic === topics.controllerStatus) return { kind: "controllerStatus" };
  if (topic === topics.controllerResync) return { kind: "controllerResync" };
  const levels = topic.split("/");
  if (levels[0] !== "rc" || levels[1] !== "v1" || levels[2] !== "rooms") return null;
  const room = levels[3];
  if (room === undefined || !isValidId(room)) return null;
  if (levels.length === 5 && ROOM_KINDS.has(levels[4]!)) return { kind: levels[4] as RoomTopicKind, room };
  if (levels.length === 7 && levels[4] === "devices" && levels[6] === "health" && isValidId(levels[5]!)) {
    return { kind: "health", room, device: levels[5]! };
  }
  return null;
}
