// The MQTT contract (DESIGN §3.1) as files any tool can read, the way /api/openapi.json describes REST: one JSON Schema
// (draft 2020-12) per topic's payload, generated from the zod schemas in messages.ts, and topics.json, the table of
// topics (pattern, publisher, retained, schema file). `npm run contract` writes them to protocol/contract/;
// mqtt-contract.test.ts fails when the committed files differ from what this generates, so they cannot drift.
import { z } from "zod";
import { controllerResyncPayload, controllerStatusPayload, healthPayload, roomTopicSchemas } from "./messages.ts";
import { CONTROLLER_USERNAME, ID_PATTERN, type RoomTopicKind, TOPIC_ROOT } from "./topics.ts";

export interface ContractTopic {
  /** The topic with `{room}` and `{device}` for the levels that vary. */
  topic: string;
  publisher: "agent" | "controller";
  retained: boolean;
  summary: string;
  schema: z.ZodType;
  /** Its schema's file name under protocol/contract/. */
  file: string;
}

function room(
  kind: RoomTopicKind,
  publisher: ContractTopic["publisher"],
  retained: boolean,
  summary: string,
): ContractTopic {
  return {
    topic: `${TOPIC_ROOT}/rooms/{room}/${kind}`,
    publisher,
    retained,
    summary,
    schema: roomTopicSchemas[kind],
    file: `${kind}.schema.json`,
  };
}

/** DESIGN §3.1's table, with the schema of each topic's payload. */
export const CONTRACT_TOPICS: readonly ContractTopic[] = [
  room(
    "availability",
    "agent",
    true,
    "The agent is online or offline (its will); `bootId` tells a late will of an older connection from this one.",
  ),
  room("info", "agent", true, "Agent version, room summary, devices with their capabilities, every action's params."),
  room("state", "agent", true, "Reported state: shot, privacy, recording, session, director, each device's readings."),
  {
    topic: `${TOPIC_ROOT}/rooms/{room}/devices/{device}/health`,
    publisher: "agent",
    retained: true,
    summary: "One device's status from the closed list, since when, why, round trip and counters.",
    schema: healthPayload,
    file: "health.schema.json",
  },
  room(
    "telemetry",
    "agent",
    false,
    "The agent's CPU and memory, the PC's memory, load, disk and temperature; every 10 s.",
  ),
  room(
    "events",
    "agent",
    false,
    "Something happened: a button, a speaker change, a cut, a device error, a segment closed.",
  ),
  room("response", "agent", false, "The answer to a request, matched by `id`: a result or an error with its code."),
  room(
    "desired",
    "controller",
    true,
    "What the room should be doing (session, peers, passphrase, recording), with a revision that only grows. An empty " +
      "retained message deletes it (MQTT's way); the controller never sends one.",
  ),
  room(
    "request",
    "controller",
    false,
    "An imperative command `{id, action, params, from, deadline}`; info lists each action's params.",
  ),
  {
    topic: `${TOPIC_ROOT}/controller/status`,
    publisher: "controller",
    retained: true,
    summary: "The controller is online or offline (its will).",
    schema: controllerStatusPayload,
    file: "controller-status.schema.json",
  },
  {
    topic: `${TOPIC_ROOT}/controller/resync`,
    publisher: "controller",
    retained: false,
    summary: "Agents publish their retained topics again (a broker restarted without persistence lost them).",
    schema: controllerResyncPayload,
    file: "controller-resync.schema.json",
  },
];

const DIALECT = "https://json-schema.org/draft/2020-12/schema";

/** What a publisher may send: zod's input side (a field with a default may be left out). */
function payloadSchema(entry: ContractTopic): Record<string, unknown> {
  const { $schema: _dialect, ...json } = z.toJSONSchema(entry.schema, {
    io: "input",
    target: "draft-2020-12",
    unrepresentable: "any",
  }) as Record<string, unknown>;
  return {
    $schema: DIALECT,
    title: entry.topic,
    description: `${entry.summary} Published by the ${entry.publisher}${entry.retained ? ", retained" : ""}.`,
    ...json,
  };
}

function topicsTable(): Record<string, unknown> {
  const id = { type: "string", pattern: ID_PATTERN.source, not: { const: CONTROLLER_USERNAME } };
  return {
    description:
      "The MQTT contract between room agents and the controller (MQTT 3.1.1, JSON payloads; DESIGN §3.1). Each " +
      "payload's JSON Schema (draft 2020-12) is in the file named by `schema`, generated from protocol/src/messages.ts " +
      "by `npm run contract`. A few rules the zod schemas hold are not expressible here (a writable capability's " +
      "`set`); the receiver checks them. An invalid message is logged and dropped, never answered.",
    parameters: { room: id, device: id },
    topics: CONTRACT_TOPICS.map(({ topic, publisher, retained, summary, file }) => ({
      topic,
      publisher,
      retained,
      summary,
      schema: file,
    })),
  };
}

/** Every file of protocol/contract/ by name, with its text as written. */
export function contractFiles(): Map<string, string> {
  const text = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
  const files = new Map<string, string>([["topics.json", text(topicsTable())]]);
  for (const entry of CONTRACT_TOPICS) files.set(entry.file, text(payloadSchema(entry)));
  return files;
}
