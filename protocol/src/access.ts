// Which topics an agent may write and read (DESIGN §3.1: only under its own room), as MQTT topic filters. The grammar
// lives here with the topics; the brokers' ACLs (the embedded one, and Mosquitto's file rendered from the same
// filters with %u for the room) only apply it.
import { AGENT_PUBLISHED, isValidId, TOPIC_ROOT, topics } from "./topics.ts";

/** Room topics an agent may subscribe to (its own room's): exact topics, no wildcards. */
export const AGENT_READS = ["desired", "request", "availability"] as const;

/**
 * An agent's topic filters, for the room named by the `room` level: what it may publish (a `+` stands for one device
 * id) and the exact topics it may subscribe to. `room` is not checked, so that a broker's placeholder (Mosquitto's
 * `%u`) can stand for it; to decide for a real login use `agentMayPublish` and `agentMaySubscribe`.
 */
export function agentTopicFilters(room: string): { writes: string[]; reads: string[] } {
  const own = `${TOPIC_ROOT}/rooms/${room}`;
  return {
    writes: [...AGENT_PUBLISHED.map((kind) => `${own}/${kind}`), `${own}/devices/+/health`],
    reads: [...AGENT_READS.map((kind) => `${own}/${kind}`), topics.controllerStatus, topics.controllerResync],
  };
}

/** A concrete topic against a filter whose `+` levels stand for one id each (a literal `+` in the topic is no id). */
function matches(filter: string, topic: string): boolean {
  const want = filter.split("/");
  const got = topic.split("/");
  return (
    want.length === got.length && want.every((level, i) => (level === "+" ? isValidId(got[i]!) : level === got[i]))
  );
}

/** May the agent of `room` (its login) publish on this topic? */
export function agentMayPublish(room: string, topic: string): boolean {
  if (!isValidId(room)) return false;
  return agentTopicFilters(room).writes.some((filter) => matches(filter, topic));
}

/** May the agent of `room` subscribe with this filter? Only the exact topics it reads: no wildcards. */
export function agentMaySubscribe(room: string, filter: string): boolean {
  if (!isValidId(room)) return false;
  return agentTopicFilters(room).reads.includes(filter);
}
