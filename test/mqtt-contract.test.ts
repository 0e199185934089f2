// The committed MQTT contract (protocol/contract) against real traffic: what a real agent and controller put on the
// broker, read by a client of their own, checked by ajv against the schema file topics.json names for its topic; and the
// broker's retained store holds exactly the topics topics.json calls retained. Read from the files, as a third party
// would, not from the generator.
import { readFileSync } from "node:fs";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO, stopAll } from "./support/processes.ts";
import { TestSite } from "./support/test-site.ts";
import { waitFor } from "./support/wait-for.ts";

const ROOM = "hop-dong";
const COMPONENT = "hop-xa";
const CONTRACT = `${REPO}protocol/contract/`;

interface ListedTopic {
  topic: string;
  publisher: string;
  retained: boolean;
  schema: string;
}

interface Seen {
  topic: string;
  payload: string;
  retained: boolean;
}

/** topics.json's table, each topic a pattern (`{room}`, `{device}`: one level) with its compiled schema. */
function contract() {
  const table = JSON.parse(readFileSync(`${CONTRACT}topics.json`, "utf8")) as { topics: ListedTopic[] };
  const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true, validateFormats: false });
  return table.topics.map((listed) => ({
    ...listed,
    pattern: new RegExp(`^${listed.topic.replace(/\{\w+\}/g, "[^/#+]+")}$`),
    validate: ajv.compile(JSON.parse(readFileSync(`${CONTRACT}${listed.schema}`, "utf8"))) as ValidateFunction,
  }));
}

describe("the MQTT contract on the wire", () => {
  let site: TestSite;
  beforeAll(async () => {
    site = await TestSite.create("embedded", [ROOM, COMPONENT]);
    site.startAgent(ROOM);
    await waitFor("agent online", () => site.controller.registry.get(ROOM)!.availability.state === "online");
    // A request before its device is up is refused (409): wait for it.
    await waitFor("device ok", () => site.controller.registry.get(ROOM)!.health.thu?.status === "ok");
  });
  afterAll(async () => {
    await stopAll();
    await site?.stop();
  });

  const call = (method: string, path: string, body?: unknown) => site.call(method, path, body);

  /** Every message on rc/v1/# from now on (retained ones first), as a client of the broker sees it. */
  async function listen(): Promise<Seen[]> {
    const seen: Seen[] = [];
    const client = await site.connectClient();
    client.on("message", (topic, payload, packet) =>
      seen.push({ topic, payload: payload.toString(), retained: packet.retain }),
    );
    await client.subscribeAsync("rc/v1/#", { qos: 1 });
    return seen;
  }

  it("every message of a real agent and controller fits its schema file; the broker keeps exactly the retained topics", {
    timeout: 30_000,
  }, async () => {
    const topics = contract();
    const live = await listen();
    // A request and the agent's answer (an id), whether the device took it or was down at that moment.
    const response = await site.post(ROOM, { action: "test.set", params: { device: "thu", value: 6 } });
    expect(response.body.id, JSON.stringify(response.body)).toBeDefined();
    // A live session gives both rooms a desired state with the session, its peers and passphrase.
    const session = await call("POST", "/api/sessions", {
      title: "Tiếp công dân định kỳ",
      start: "2027-01-20T08:00:00+07:00",
      end: "2027-01-20T11:00:00+07:00",
      host: ROOM,
      points: [{ room: COMPONENT }],
      crossLevel: true,
      crossLevelReason: "the test site's rooms have no parents",
      presiding: { name: "Nguyễn Văn A", title: "Chủ tịch UBND tỉnh" },
    });
    expect(session.status, JSON.stringify(session.body)).toBe(201);
    expect((await call("POST", `/api/sessions/${String(session.body.id)}/start`)).status).toBe(200);
    const topicOf = (message: Seen) => topics.find((listed) => listed.pattern.test(message.topic));
    const kindsSeen = () => new Set(live.map((message) => topicOf(message)?.topic));
    const expected = [
      "rc/v1/rooms/{room}/availability",
      "rc/v1/rooms/{room}/info",
      "rc/v1/rooms/{room}/state",
      "rc/v1/rooms/{room}/devices/{device}/health",
      "rc/v1/rooms/{room}/telemetry",
      "rc/v1/rooms/{room}/request",
      "rc/v1/rooms/{room}/response",
      "rc/v1/rooms/{room}/desired",
      "rc/v1/controller/status",
    ];
    await waitFor("every kind of message", () => expected.every((topic) => kindsSeen().has(topic))).catch((error) => {
      throw new Error(`${error.message}; missing ${expected.filter((topic) => !kindsSeen().has(topic)).join(", ")}`);
    });

    for (const message of live) {
      const listed = topicOf(message);
      expect(listed, `a topic topics.json does not list: ${message.topic}`).toBeDefined();
      const payload = JSON.parse(message.payload) as unknown;
      expect(
        listed!.validate(payload),
        `${message.topic} ${message.payload} ${JSON.stringify(listed!.validate.errors)}`,
      ).toBe(true);
    }

    // A newcomer is sent what the broker retained: each retained topic of the table, and nothing else.
    const retained = await listen();
    await waitFor("the retained messages", () => retained.length >= 6, 5000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const fromStore = retained.filter((message) => message.retained);
    expect(new Set(fromStore.map((message) => topicOf(message)!.topic))).toEqual(
      new Set(topics.filter((listed) => listed.retained).map((listed) => listed.topic)),
    );
  });
});
