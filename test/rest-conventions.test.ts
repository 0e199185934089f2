// REST conventions (issue 14 part 4) on the real controller over HTTP: its OpenAPI document, 415 for a body that is
// not JSON, Retry-After on a 503, and paging of the rooms' list.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestSite } from "./support/test-site.ts";

const ROOMS = ["rc-a", "rc-b", "rc-c"];

// As the site's admin (site.fetch): these are conventions of answers past authorization (auth.test.ts checks that).
describe("REST conventions of a running controller", () => {
  let site: TestSite;
  beforeAll(async () => {
    // No agent is started: every room stays unknown, so a request to one is refused with 503.
    site = await TestSite.create("embedded", ROOMS);
  }, 30_000);
  afterAll(() => site?.stop());

  it("serves its OpenAPI 3.1 document at /api/openapi.json", async () => {
    const response = await site.fetch("/api/openapi.json");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    const document = (await response.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(document.openapi).toMatch(/^3\.1\.\d+$/);
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining([
        "/api/openapi.json",
        "/api/rooms/{id}/requests",
        "/api/sessions/{id}/points/{room}",
        "/api/archive/uploads/{session}/{room}/{file}",
        "/api/audit",
      ]),
    );
  });

  it("answers 415 problem+json to a body that is not JSON, and reads no such body", async () => {
    for (const path of ["/api/sessions", "/api/rooms/rc-a/requests", "/api/recordings/nope/hold"]) {
      const response = await site.fetch(path, {
        method: "POST",
        headers: { "content-type": "text/plain" },
        body: '{"hold": true}',
      });
      expect(response.status, path).toBe(415);
      expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
      expect(await response.json()).toMatchObject({
        status: 415,
        field: "body",
        detail: expect.stringMatching(/^body is not JSON: its Content-Type is "text\/plain"/),
      });
    }
    // A command without a body (fetch sends content-length: 0) is not refused for its type.
    const bodiless = await site.fetch("/api/sessions/nope/start", { method: "POST" });
    expect(bodiless.status).toBe(404);
  });

  it("says Retry-After on a 503: a room whose agent is not connected", async () => {
    const response = await site.fetch("/api/rooms/rc-a/requests", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ action: "state.resync" }),
    });
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("5");
    expect(await response.json()).toMatchObject({ status: 503, error: { code: "device_unavailable" } });
  });

  it("pages the rooms once asked (cursor, limit), and answers the whole array otherwise", async () => {
    const whole = (await (await site.fetch("/api/rooms")).json()) as { id: string }[];
    expect(whole.map((room) => room.id).sort()).toEqual(ROOMS);
    const first = (await (await site.fetch("/api/rooms?limit=2")).json()) as {
      items: { id: string }[];
      nextCursor: string | null;
    };
    expect(first.items.map((room) => room.id)).toEqual(["rc-a", "rc-b"]);
    expect(first.nextCursor).toBe("rc-b");
    const second = (await (await site.fetch(`/api/rooms?limit=2&cursor=${first.nextCursor}`)).json()) as {
      items: { id: string }[];
      nextCursor: string | null;
    };
    expect(second).toMatchObject({ items: [{ id: "rc-c" }], nextCursor: null });
    const refused = await site.fetch("/api/rooms?limit=0");
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ field: "limit" });
    expect(await (await site.fetch("/api/schedules?limit=10")).json()).toEqual({ items: [], nextCursor: null });
  });
});
