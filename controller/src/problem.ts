// Errors of the REST API as RFC 9457 problem details (DESIGN §3.6). `field` names the input at fault; `ok` and
// `error` repeat the answer in the shape the API's first clients read (`{ok: false, error: {code, message}}`).
import { STATUS_CODES } from "node:http";
import { describeZodError, type ErrorCode } from "@rc/protocol";
import type { Request, RequestHandler, Response } from "express";
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

/** An error a route answers as a problem: its status, its message, the input at fault and any more members. */
export class ProblemError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly field: string | null = null,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** The error code a ProblemError's status answers with. */
const CODES: Record<number, ErrorCode> = {
  400: "invalid_params",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  409: "conflict",
  413: "invalid_params",
  416: "invalid_params",
  422: "invalid_params",
};

/** Runs a route; a ProblemError becomes its problem answer, anything else goes to the app's error handler. */
export function problemRoute(handler: (request: Request, response: Response) => Promise<void> | void): RequestHandler {
  return async (request, response) => {
    try {
      await handler(request, response);
    } catch (error) {
      if (!(error instanceof ProblemError)) throw error;
      if (response.headersSent) return;
      const code = CODES[error.status] ?? "invalid_params";
      sendProblem(response, error.status, code, error.message, error.field, error.extra);
    }
  };
}

/** The parsed input, or undefined after answering 400 naming the first field at fault. */
export function parseInput<S extends z.ZodType>(
  schema: S,
  value: unknown,
  response: Response,
): z.output<S> | undefined {
  const parsed = schema.safeParse(value ?? {});
  if (parsed.success) return parsed.data;
  const field = parsed.error.issues[0]?.path.join(".") || null;
  sendProblem(response, 400, "invalid_params", describeZodError(parsed.error), field);
  return undefined;
}
