// The REST API's answers to requests that fail before a route runs: each names its real fault.

import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Authenticator } from "./auth.ts";
import type { DesiredStates } from "./desired-states.ts";
import { createHttpApi } from "./http-api.ts";
import { Metrics } from "./metrics.ts";
import { RoomRegistry } from "./registry.ts";
import { RoomRequests } from "./room-requests.ts";
import { Store } from "./store.ts";
import { addToken, addUser } from "./users.ts";

describe("REST API errors", () => {
  let server: Server;
  let base = "";
  let token = "";
  const dir = mkdtempSync(join(tmpdir(), "rc-http-api-"));
  beforeAll(async () => {
    const log = pino({ level: "silent" });
    // The faults are the caller's, past authorization: an admin's token.
    const store = new Store(dir);
    await store.open();
    await addUser(store, { name: "admin", role: "admin" });
    token = (await addToken(store, "admin")).token;
    const registry = new RoomRegistry(log);
    registry.setRegistrations([
      {
        id: "xa-a",
        name: "Xã A",
        level: "commune",
        kind: "commune",
        parent: null,
        srt: null,
        createdAt: new Date().toISOString(),
      },
    ]);
    const app = createHttpApi({
      auth: new Authenticator(store, log),
      registry,
      requests: new RoomRequests(() => undefined, 1000, log),
      metrics: new Metrics(registry),
      brokerConnected: () => false,
      // Never reached: every request here fails before it could change a wanted fact.
      desired: { wish: async () => {} } as unknown as DesiredStates,
    });
    server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  const authorization = () => ({ authorization: `Bearer ${token}` });
  const post = (path: string, body: string) =>
    fetch(`${base}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...authorization() },
      body,
    });

  it("fault 9: a malformed URL gets 400 'malformed URL', not 'body is not valid JSON'", async () => {
    for (const response of [
      await fetch(`${base}/api/rooms/%E0%A4%A`, { headers: authorization() }),
      await post("/api/rooms/%E0%A4%A/requests", JSON.stringify({ action: "state.resync" })),
    ]) {
      expect(response.status).toBe(400);
      const body = (await response.json()) as { error: { message: string } };
      expect(body.error.message).toMatch(/^malformed URL/);
      expect(body.error.message).not.toMatch(/JSON/);
    }
  });

  it("names a body that is not JSON, and one too large (413)", async () => {
    const broken = await post("/api/rooms/xa-a/requests", "{not json");
    expect(broken.status).toBe(400);
    expect(await broken.json()).toMatchObject({
      ok: false,
      error: { message: expect.stringMatching(/^body is not valid JSON/) },
    });
    const large = await post("/api/rooms/xa-a/requests", JSON.stringify({ action: "x".repeat(100_000) }));
    expect(large.status).toBe(413);
    expect(await large.json()).toMatchObject({
      ok: false,
      error: { message: expect.stringMatching(/^body is too large/) },
    });
  });

  it("fault 9: a controller without its broker says so (503), whatever the room's last known state", async () => {
    const response = await post("/api/rooms/xa-a/requests", JSON.stringify({ action: "state.resync" }));
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("5");
    const body = (await response.json()) as { error: { message: string } };
    expect(body.error.message).toMatch(/controller is not connected to the broker/);
    expect(body.error.message).not.toMatch(/agent/);
  });
});
