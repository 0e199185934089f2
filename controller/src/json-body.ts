// The body parser of every route that takes JSON. express.json alone passes a body of another type (text/plain, a
// form) on unread, and the route then sees no body at all: "title is required" for a body that was never read.
// Here such a body is refused with 415, naming the type it came with.
import express, { type RequestHandler } from "express";
import { sendProblem } from "./problem.ts";

/** Whether the request carries bytes: a POST without a body (`content-length: 0`, as fetch sends it) is not one. */
function hasBody(headers: { "content-length"?: string; "transfer-encoding"?: string }): boolean {
  if (headers["transfer-encoding"] !== undefined) return true;
  const length = headers["content-length"];
  return length !== undefined && length !== "0";
}

const BODY_METHODS = new Set(["POST", "PUT", "PATCH"]);

const refuseOtherTypes: RequestHandler = (request, response, next) => {
  // Only the methods our routes take a body with: a stray body on a GET or DELETE is ignored, as it always was.
  if (!BODY_METHODS.has(request.method) || !hasBody(request.headers)) return next();
  if (request.is(["application/json", "application/*+json"])) return next();
  const type = request.headers["content-type"];
  sendProblem(
    response,
    415,
    "invalid_params",
    `body is not JSON: its Content-Type is ${type ? `"${type.slice(0, 100)}"` : "missing"}; send application/json`,
    "body",
  );
};

/** 415 for a body that is not JSON, then express.json with this size limit. */
export function jsonBody(limit: string): RequestHandler[] {
  return [refuseOtherTypes, express.json({ limit })];
}
