import type { z } from "zod";

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
