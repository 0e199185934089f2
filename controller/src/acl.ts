// Who may publish and subscribe where (DESIGN §3.1): the controller everywhere under rc/v1; an agent only to its own
// room's agent→controller topics, and only from its own room's controller→agent topics. Agents log in with their
// room id as the username. The same rules are rendered as a Mosquitto ACL file for a real site.
import { AGENT_PUBLISHED, CONTROLLER_USERNAME, isValidId, TOPIC_ROOT, topics } from "@rc/protocol";

/** Topic filters an agent may subscribe to, besides nothing: exact topics, no wildcards. */
const AGENT_READS = ["desired", "request", "availability"] as const;

function agentWrites(room: string): Set<string> {
  return new Set(AGENT_PUBLISHED.map((kind) => topics.room(room, kind)));
}

function isHealthTopicOf(room: string, topic: string): boolean {
  const prefix = `${topics.roomPrefix(room)}devices/`;
  if (!topic.startsWith(prefix) || !topic.endsWith("/health")) return false;
  return isValidId(topic.slice(prefix.length, -"/health".length));
}

export function mayPublish(username: string, topic: string): boolean {
  if (username === CONTROLLER_USERNAME) return topic.startsWith(`${TOPIC_ROOT}/`);
  if (!isValidId(username)) return false;
  return agentWrites(username).has(topic) || isHealthTopicOf(username, topic);
}

export function maySubscribe(username: string, filter: string): boolean {
  if (username === CONTROLLER_USERNAME) return filter.startsWith(`${TOPIC_ROOT}/`) || filter === `${TOPIC_ROOT}/#`;
  if (!isValidId(username)) return false;
  if (filter === topics.controllerStatus || filter === topics.controllerResync) return true;
  return AGENT_READS.some((kind) => filter === topics.room(username, kind));
}

/** The same rules for Mosquitto 2 (acl_file), where %u is the username = the room id. */
export function renderMosquittoAcl(): string {
  const lines = [
    "# Generated from controller/src/acl.ts by `controller mosquitto-acl`; a test keeps this file and the code equal.",
    "# Agents log in with their room id as username; the controller as 'controller'.",
    "",
    `user ${CONTROLLER_USERNAME}`,
    `topic readwrite ${TOPIC_ROOT}/#`,
    "",
    "# Every agent, for its own room only:",
    ...AGENT_PUBLISHED.map((kind) => `pattern write ${TOPIC_ROOT}/rooms/%u/${kind}`),
    `pattern write ${TOPIC_ROOT}/rooms/%u/devices/+/health`,
    ...AGENT_READS.map((kind) => `pattern read ${TOPIC_ROOT}/rooms/%u/${kind}`),
    `pattern read ${topics.controllerStatus}`,
    `pattern read ${topics.controllerResync}`,
    "",
  ];
  return lines.join("\n");
}
