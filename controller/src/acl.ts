// Who may publish and subscribe where (DESIGN §3.1): the controller everywhere under rc/v1; an agent only to its own
// room's agent→controller topics, and only from its own room's controller→agent topics. Agents log in with their
// room id as the username. The topic grammar is protocol's (access.ts); this file applies it to logins and renders
// the same rules as a Mosquitto ACL file for a real site.
import { agentMayPublish, agentMaySubscribe, agentTopicFilters, CONTROLLER_USERNAME, TOPIC_ROOT } from "@rc/protocol";

export function mayPublish(username: string, topic: string): boolean {
  if (username === CONTROLLER_USERNAME) return topic.startsWith(`${TOPIC_ROOT}/`);
  return agentMayPublish(username, topic);
}

export function maySubscribe(username: string, filter: string): boolean {
  if (username === CONTROLLER_USERNAME) return filter.startsWith(`${TOPIC_ROOT}/`) || filter === `${TOPIC_ROOT}/#`;
  return agentMaySubscribe(username, filter);
}

/** The same rules for Mosquitto 2 (acl_file), where %u is the username = the room id. */
export function renderMosquittoAcl(): string {
  const agent = agentTopicFilters("%u");
  const lines = [
    "# Generated from controller/src/acl.ts by `controller mosquitto-acl`; a test keeps this file and the code equal.",
    "# Agents log in with their room id as username; the controller as 'controller'.",
    "",
    `user ${CONTROLLER_USERNAME}`,
    `topic readwrite ${TOPIC_ROOT}/#`,
    "",
    "# Every agent, for its own room only:",
    ...agent.writes.map((filter) => `pattern write ${filter}`),
    ...agent.reads.map((filter) => `pattern read ${filter}`),
    "",
  ];
  return lines.join("\n");
}
