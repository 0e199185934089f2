import type { z } from "zod";
import {
  type ControllerResyncPayload,
  type ControllerStatusPayload,
  controllerResyncPayload,
  controllerStatusPayload,
  type HealthPayload,
  healthPayload,
  roomTopicSchemas,
} from "./messages.ts";
import { parseTopic, type RoomTopicKind } from "./topics.ts";

export type Decoded<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Formats a zod error as "path: message; …" so a log line or a 400 body says what was expected where. */
export function describeZodError(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length ? issue.path.join(".") : "(root)"}: ${issue.message}`)
    .join("; ");
}

/** Parses a received MQTT payload; never throws. */
export function decodePayload<S extends z.ZodType>(schema: S, payload: Buffer | string): Decoded<z.output<S>> {
  const text = typeof payload === "string" ? payload : payload.toString("utf8");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `not JSON: ${(error as Error).message}` };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) return { ok: false, reason: describeZodError(parsed.error) };
  return { ok: true, value: parsed.data };
}

/** Serialises an outgoing payload, checking it first: sending an invalid message is our bug, so it throws. */
export function encodePayload<S extends z.ZodType>(schema: S, value: z.input<S>): string {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new Error(`refusing to send an invalid payload: ${describeZodError(parsed.error)}`);
  return JSON.stringify(parsed.data);
}

/**
 * A received message, flat: `kind` is the one discriminant, so a switch on it gives each case its payload's type.
 * Room topics carry `room`, health also `device`.
 */
export type DecodedMessage =
  | {
      [K in RoomTopicKind]: { ok: true; kind: K; room: string; value: z.output<(typeof roomTopicSchemas)[K]> };
    }[RoomTopicKind]
  | { ok: true; kind: "health"; room: string; device: string; value: HealthPayload }
  | { ok: true; kind: "controllerStatus"; value: ControllerStatusPayload }
  | { ok: true; kind: "controllerResync"; value: ControllerResyncPayload }
  | { ok: false; reason: string };

/** Recognises the topic and checks the payload against its schema; never throws. */
export function decodeMessage(topic: string, payload: Buffer | string): DecodedMessage {
  const parsed = parseTopic(topic);
  if (parsed === null) return { ok: false, reason: `unknown topic ${JSON.stringify(topic.slice(0, 200))}` };
  const schema =
    parsed.kind === "health"
      ? healthPayload
      : parsed.kind === "controllerStatus"
        ? controllerStatusPayload
        : parsed.kind === "controllerResync"
          ? controllerResyncPayload
          : roomTopicSchemas[parsed.kind];
  const decoded = decodePayload(schema as z.ZodType, payload);
  if (!decoded.ok) return { ok: false, reason: `${topic}: ${decoded.reason}` };
  // The one cast: the schema was picked by the same kind, so the value is that kind's payload.
  return { ok: true, ...parsed, value: decoded.value } as DecodedMessage;
}
