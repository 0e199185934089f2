// The REST side of the audit log: which requests are recorded, with which target and result, over real HTTP.
import type { AddressInfo } from "node:net";
import express from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditCommands } from "./audit-api.ts";
import type { AuditLog, AuditRecord } from "./audit-log.ts";
import { sendProblem } from "./problem.ts";

describe("auditCommands", () => {
  const recorded: AuditRecord[] = [];
  const audit = { record: (record: AuditRecord) => void recorded.push(record) } as unknown as AuditLog;
  let url = "";
  let close = () => {};

  beforeAll(async () => {
    const app = express();
    app.use(auditCommands(audit));
    app.use(express.json());
    app.post("/api/schedules", (_request, response) => void response.status(201).json({ schedule: { id: "s-1" } }));
    app.delete("/api/sessions/:id/points/:room", (_request, response) => void response.status(204).end());
    app.post("/api/sessions/:id/start", (request, response) =>
      sendProblem(response, 409, "conflict", `session ${String(request.params.id)} has ended`),
    );
    app.post("/api/rooms/:id/requests", (_request, response) => void response.json({ ok: true }));
    app.get("/api/sessions/:id", (_request, response) => void response.json({}));
    app.use(((_failure, _request, response, _next) =>
      sendProblem(response, 400, "invalid_params", "body is not valid JSON")) as express.ErrorRequestHandler);
    const server = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => server.close();
  });
  afterAll(() => close());

  const send = async (method: string, path: string, body?: string) => {
    recorded.length = 0;
    const response = await fetch(`${url}${path}`, {
      method,
      headers: { "content-type": "application/json" },
      ...(body === undefined ? {} : { body }),
    });
    await response.arrayBuffer();
    await new Promise((resolve) => setTimeout(resolve, 20)); // "finish" comes after the answer
    return recorded.slice();
  };

  it("a created thing is named from the answer", async () => {
    expect(await send("POST", "/api/schedules", JSON.stringify({ title: "t" }))).toEqual([
      {
        who: { user: null, via: "rest", address: "127.0.0.1" },
        what: { action: "schedule.create", target: { schedule: "s-1" } },
        params: { title: "t" },
        result: { ok: true, status: 201 },
      },
    ]);
  });

  it("an answer without a body is recorded when finished; both targets of the path", async () => {
    expect(await send("DELETE", "/api/sessions/p%2D1/points/xa")).toMatchObject([
      { what: { action: "session.point.remove", target: { session: "p-1", room: "xa" } }, result: { status: 204 } },
    ]);
  });

  it("a refusal carries its code and message", async () => {
    expect(await send("POST", "/api/sessions/p-1/start")).toMatchObject([
      { result: { ok: false, status: 409, code: "conflict", message: "session p-1 has ended" } },
    ]);
  });

  it("a body that is not JSON is recorded as refused", async () => {
    expect(await send("POST", "/api/rooms/xa/requests", "{not json")).toMatchObject([
      { what: { action: "room.request", target: { room: "xa" } }, result: { ok: false, code: "invalid_params" } },
    ]);
  });

  it("reads and paths that are not commands are not recorded", async () => {
    expect(await send("GET", "/api/sessions/p-1")).toEqual([]);
    expect(await send("POST", "/api/nothing-here")).toEqual([]);
  });
});
