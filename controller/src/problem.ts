// Errors of the REST API as RFC 9457 problem details (DESIGN §3.6). `field` names the input at fault; `ok` and
// `error` repeat the answer in the shape the API's first clients read (`{ok: false, error: {code, message}}`).
import { STATUS_CODES } from "node:http";
import type { ErrorCode } from "@rc/protocol";
import type { Response } from "express";
import { z } from "zod";

/** What sendProblem answers, for the OpenAPI document. */
export const problemDetails = z.object({
  type: z.string(),
  title: z.string(),
  status: z.int(),
  detail: z.string(),
  /** The input at fault: a body or query field (a dotted path), a header, or "body". */
  field: z.string().optional(),
  ok: z.literal(false),
  error: z.object({ code: z.string(), message: z.string() }),
});

/**
 * What a 503 asks the caller to wait (RFC 9110 §10.2.3). The REST API's 503s mean a link is down: the controller's to
 * the broker, or a room's agent's. Both reconnect every second (protocol's mqtt-connection), so a few seconds is
 * usually enough for the link to be back; retrying sooner only repeats the refusal, and a command held much longer
 * would keep an operator waiting on a link that is already up again.
 */
export const RETRY_AFTER_SECONDS = 5;

/** Sets the answer's status: every status of the REST API goes through here, so that every 503 says when to retry. */
export function withStatus(response: Response, status: number): Response {
  if (status === 503 && !response.hasHeader("Retry-After")) {
    response.setHeader("Retry-After", String(RETRY_AFTER_SECONDS));
  }
  return response.status(status);
}

export function sendProblem(
  response: Response,
  status: number,
  code: ErrorCode,
  detail: string,
  field: string | null = null,
  /** More members for the client (RFC 9457 §3.2): e.g. the bytes an upload may go on from. */
  extra: Record<string, unknown> = {},
): void {
  withStatus(response, status)
    .type("application/problem+json")
    .json({
      type: "about:blank",
      title: STATUS_CODES[status] ?? "Error",
      status,
      detail,
      ...(field === null ? {} : { field }),
      ...extra,
      ok: false,
      error: { code, message: detail },
    });
}
