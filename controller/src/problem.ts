// Errors of the REST API as RFC 9457 problem details (DESIGN §3.6). `field` names the input at fault; `ok` and
// `error` repeat the answer in the shape the API's first clients read (`{ok: false, error: {code, message}}`).
import { STATUS_CODES } from "node:http";
import type { ErrorCode } from "@rc/protocol";
import type { Response } from "express";

export function sendProblem(
  response: Response,
  status: number,
  code: ErrorCode,
  detail: string,
  field: string | null = null,
  /** More members for the client (RFC 9457 §3.2): e.g. the bytes an upload may go on from. */
  extra: Record<string, unknown> = {},
): void {
  response
    .status(status)
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
