// The committed contract files against the generator (no drift), against topics.ts (no topic left out) and, through
// ajv, an independent JSON Schema validator, against zod on payloads of the wire (the same verdicts).
import { readdirSync, readFileSync } from "node:fs";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { roomTopicSchemas } from "./messages.ts";
import { CONTRACT_TOPICS, contractFiles } from "./mqtt-contract.ts";
import { AGENT_PUBLISHED, CONTROLLER_PUBLISHED, parseTopic } from "./topics.ts";

const DIR = new URL("../contract/", import.meta.url);
const committed = (name: string) => readFileSync(new URL(name, DIR), "utf8");
const AT = "2026-12-03T09:15:00.000+07:00";

/** Each committed schema, compiled by ajv in strict mode (an unknown keyword is an error, not ignored). */
function validators() {
  // Formats are not asserted by draft 2020-12 by default (the date-time pattern zod writes beside them is); a union of
  // types (`"type": ["string", "number"]`) is plain JSON Schema, which ajv's strict mode refuses unless allowed.
  const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true, validateFormats: false });
  return new Map(CONTRACT_TOPICS.map((entry) => [entry.topic, ajv.compile(JSON.parse(committed(entry.file)))]));
}

/** Payloads as they cross the wire, with the verdict zod gives (checked below too). */
const CASES: [topic: string, payload: unknown, valid: boolean][] = [
  ["rc/v1/rooms/{room}/availability", { state: "online", boot: 3, bootId: "q7Kx-2_aZ9" }, true],
  ["rc/v1/rooms/{room}/availability", { state: "maybe", boot: 3, bootId: "q7Kx-2_aZ9" }, false],
  ["rc/v1/rooms/{room}/availability", { state: "offline", boot: 3 }, false],
  ["rc/v1/rooms/{room}/availability", { state: "online", boot: -1, bootId: "q7Kx-2_aZ9" }, false],
  ["rc/v1/rooms/{room}/availability", { state: "online", boot: 3, bootId: "q7Kx-2_aZ9", extra: 1 }, false],
  [
    "rc/v1/rooms/{room}/devices/{device}/health",
    { status: "degraded", since: AT, detail: "2 probes late", rttMs: 41.5, counters: { timeouts: 2 } },
    true,
  ],
  [
    "rc/v1/rooms/{room}/devices/{device}/health",
    { status: "broken", since: AT, detail: "", rttMs: null, counters: {} },
    false,
  ],
  [
    "rc/v1/rooms/{room}/telemetry",
    {
      at: AT,
      cpuPercent: 1.5,
      rssBytes: 52_000_000,
      memoryFreeBytes: 8e9,
      loadAverage: [0.2, 0.1, 0],
      diskFreeBytes: null,
      temperatureC: 48.5,
      uptimeS: 3600,
    },
    true,
  ],
  [
    "rc/v1/rooms/{room}/telemetry",
    {
      at: "2026-12-03 09:15",
      cpuPercent: 1.5,
      rssBytes: 52_000_000,
      memoryFreeBytes: 8e9,
      loadAverage: [0.2, 0.1, 0],
      diskFreeBytes: null,
      temperatureC: null,
      uptimeS: 3600,
    },
    false,
  ],
  ["rc/v1/rooms/{room}/events", { at: AT, type: "speaker_changed", reason: "seat 2 speaking" }, true],
  ["rc/v1/rooms/{room}/events", { at: AT, type: "applause" }, false],
  ["rc/v1/rooms/{room}/request", { id: "r-1", action: "ptz.goto", from: "rest:127.0.0.1", deadline: 1 }, true],
  ["rc/v1/rooms/{room}/request", { id: "", action: "ptz.goto", from: "x", deadline: 1 }, false],
  ["rc/v1/rooms/{room}/response", { id: "r-1", ok: true, result: { value: 3 } }, true],
  ["rc/v1/rooms/{room}/response", { id: "r-1", ok: false, error: { code: "timeout", message: "late" } }, true],
  ["rc/v1/rooms/{room}/response", { id: "r-1", ok: false, error: { code: "oops", message: "late" } }, false],
  ["rc/v1/rooms/{room}/response", { id: "r-1", ok: true, error: { code: "timeout", message: "late" } }, false],
  [
    "rc/v1/rooms/{room}/desired",
    {
      rev: 1_796_300_000_000,
      session: {
        id: "phien-20261203-ab12cd34",
        role: "component",
        peers: [{ room: "tinh", srt: { host: "127.0.0.1", port: 9000 } }],
        passphrase: "a-passphrase-of-twenty",
      },
      recording: true,
    },
    true,
  ],
  [
    "rc/v1/rooms/{room}/desired",
    { rev: 1, session: { id: "p", role: "component", peers: [], passphrase: "short" }, recording: true },
    false,
  ],
  ["rc/v1/controller/status", { state: "online", startedAt: AT }, true],
  ["rc/v1/controller/resync", { at: "yesterday" }, false],
];

describe("the MQTT contract's files (protocol/contract)", () => {
  it("are what `npm run contract` generates from the zod schemas now", () => {
    const files = contractFiles();
    expect(readdirSync(DIR).sort(), "files in protocol/contract: run `npm run contract`").toEqual(
      [...files.keys()].sort(),
    );
    for (const [name, text] of files) {
      expect(committed(name), `protocol/contract/${name} is out of date: run \`npm run contract\``).toBe(text);
    }
  });

  it("list every topic of topics.ts once, with the publisher topics.ts gives it", () => {
    const kinds = CONTRACT_TOPICS.map((entry) => {
      const parsed = parseTopic(entry.topic.replace("{room}", "xa-1").replace("{device}", "cam-1"));
      expect(parsed, entry.topic).not.toBeNull();
      const kind = parsed!.kind;
      if (kind in roomTopicSchemas) {
        const agent = (AGENT_PUBLISHED as readonly string[]).includes(kind);
        expect(entry.publisher, entry.topic).toBe(agent ? "agent" : "controller");
      }
      return kind;
    });
    expect(kinds.sort()).toEqual(
      [...AGENT_PUBLISHED, ...CONTROLLER_PUBLISHED, "health", "controllerStatus", "controllerResync"].sort(),
    );
  });

  it("are strict draft 2020-12 schemas on which ajv gives zod's verdict for payloads of the wire", () => {
    const byTopic = validators();
    const zodOf = new Map(CONTRACT_TOPICS.map((entry) => [entry.topic, entry.schema]));
    for (const [topic, payload, valid] of CASES) {
      const validate = byTopic.get(topic)!;
      const label = `${topic} ${JSON.stringify(payload)}`;
      expect(zodOf.get(topic)!.safeParse(payload).success, `zod: ${label}`).toBe(valid);
      expect(validate(payload), `ajv: ${label} ${JSON.stringify(validate.errors)}`).toBe(valid);
    }
  });
});
