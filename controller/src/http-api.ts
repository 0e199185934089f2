// REST: rooms, requests to a room's agent, health and metrics.
import { actionParams, describeZodError, isActionName, requestId } from "@rc/protocol";
import express, { type ErrorRequestHandler, type Express } from "express";
import { z } from "zod";
import type { Metrics } from "./metrics.ts";
import type { RoomRegistry } from "./registry.ts";
import type { RoomRequests } from "./room-requests.ts";

const requestBody = z.strictObject({
  action: z.string().min(1),
  params: z.record(z.string(), z.unknown()).default({}),
  /** A client retrying after a lost answer sends the same id again: the agent applies it once. */
  id: requestId.optional(),
});

export interface HttpApiParts {
  registry: RoomRegistry;
  requests: RoomRequests;
  metrics: Metrics;
  brokerConnected: () => boolean;
}

function error(code: string, message: string) {
  return { ok: false, error: { code, message } };
}

export function createHttpApi({ registry, requests, metrics, brokerConnected }: HttpApiParts): Express {
  const app = express();
  app.disable("x-powered-by");
  app.use(express.json({ limit: "64kb" }));

  app.get("/healthz", (_request, response) => {
    const connected = brokerConnected();
    response.status(connected ? 200 : 503).json({ ok: connected, broker: connected ? "connected" : "disconnected" });
  });

  app.get("/metrics", (_request, response) => {
    response.type("text/plain; version=0.0.4").send(metrics.render());
  });

  app.get("/api/rooms", (_request, response) => {
    response.json(registry.list());
  });

  app.get("/api/rooms/:id", (request, response) => {
    const room = registry.get(request.params.id);
    if (!room) return void response.status(404).json(error("not_found", `no room "${request.params.id}"`));
    response.json(room);
  });

  app.post("/api/rooms/:id/requests", async (request, response) => {
    const room = registry.get(request.params.id);
    if (!room) return void response.status(404).json(error("not_found", `no room "${request.params.id}"`));
    const body = requestBody.safeParse(request.body);
    if (!body.success) return void response.status(400).json(error("invalid_params", describeZodError(body.error)));
    const { action, params, id } = body.data;
    if (!isActionName(action))
      return void response.status(400).json(error("unknown_action", `unknown action "${action}"`));
    const checked = actionParams[action].safeParse(params);
    if (!checked.success) {
      return void response.status(400).json(error("invalid_params", describeZodError(checked.error)));
    }
    if (room.availability.state !== "online") {
      return void response
        .status(503)
        .json(error("device_unavailable", `room ${room.id} is ${room.availability.state}: its agent is not connected`));
    }
    const outcome = await requests.send(room.id, action, checked.data, `rest:${request.ip ?? "?"}`, id);
    metrics.countRequest(outcome.status);
    response.status(outcome.status).json(outcome.body);
  });

  app.use((_request, response) => {
    response.status(404).json(error("not_found", "no such endpoint"));
  });

  const handleError: ErrorRequestHandler = (failure, _request, response, _next) => {
    const status = typeof failure?.status === "number" && failure.status < 500 ? failure.status : 500;
    const message = status === 400 ? `body is not valid JSON: ${failure.message}` : String(failure?.message ?? failure);
    response.status(status).json(error(status === 500 ? "internal" : "invalid_params", message));
  };
  app.use(handleError);
  return app;
}
