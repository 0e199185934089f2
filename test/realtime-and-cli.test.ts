// socket.io pushes and telemetry seen by a browser-like client; the CLIs refuse bad configuration clearly.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ClientToServerEvents, RoomView, ServerToClientEvents } from "@rc/protocol";
import { decodeMessage, topics } from "@rc/protocol";
import type { Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTs, stopAll } from "./support/processes.ts";
import { TestSite } from "./support/test-site.ts";
import { waitFor } from "./support/wait-for.ts";

describe("realtime", () => {
  let site: TestSite;
  beforeAll(async () => {
    site = await TestSite.create("embedded", ["xa-a", "xa-b"]);
  });
  afterAll(async () => {
    await stopAll();
    await site?.stop();
  });

  it("pushes availability, state and health of subscribed rooms only", async () => {
    const browser: Socket<ServerToClientEvents, ClientToServerEvents> = site.socket();
    const updates: { change: string; room: RoomView }[] = [];
    browser.on("room", (update) => updates.push(update));
    const initial = await browser.emitWithAck("subscribe", { rooms: ["xa-a"] });
    expect(initial.map((room) => room.id)).toEqual(["xa-a"]);
    const agentA = site.startAgent("xa-a");
    site.startAgent("xa-b");
    await waitFor("xa-a online pushed", () =>
      updates.some((u) => u.change === "availability" && u.room.availability.state === "online"),
    );
    await waitFor(
      "state and health pushed",
      () => updates.some((u) => u.change === "state") && updates.some((u) => u.change === "health"),
    );
    await waitFor("xa-b online", () => site.controller.registry.get("xa-b")!.availability.state === "online");
    agentA.signal("SIGKILL");
    await waitFor(
      "xa-a offline pushed",
      () => updates.at(-1)?.change === "availability" && updates.at(-1)?.room.availability.state === "offline",
    );
    expect(updates.every((update) => update.room.id === "xa-a")).toBe(true);
    expect(await browser.emitWithAck("subscribe", { rooms: 42 } as never)).toEqual([]); // invalid filter: nothing, no crash
    browser.close();
  });

  it("sends valid telemetry at the room's interval", async () => {
    site.startAgent("xa-b");
    const client = await site.connectClient();
    const seen: unknown[] = [];
    client.on("message", (topic, payload) => {
      const message = decodeMessage(topic, payload);
      if (message.ok) seen.push(message.value);
    });
    await client.subscribeAsync(topics.room("xa-b", "telemetry"));
    await waitFor("two telemetry messages", () => seen.length >= 2, 5000); // the test rooms send every second
    expect(seen[0]).toMatchObject({
      cpuPercent: expect.any(Number),
      rssBytes: expect.any(Number),
      loadAverage: expect.any(Array),
    });
    await client.endAsync();
  });
});

describe("command lines refuse bad configuration", () => {
  const dir = mkdtempSync(join(tmpdir(), "rc-cli-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("room-agent exits 2 naming the profile file, the path and the expectation", async () => {
    const profile = join(dir, "room.json");
    writeFileSync(
      profile,
      JSON.stringify({ version: 1, id: "xa-a", name: "Xã A", level: "hamlet", parent: null, devices: [] }),
    );
    const agent = startTs("agent", "room-agent/src/cli.ts", ["--room", profile], { RC_AGENT_PASSWORD: "x" });
    await waitFor("exit", () => agent.exited);
    expect(agent.child.exitCode).toBe(2);
    expect(agent.lines.join("\n")).toMatch(new RegExp(`${profile}: level: .*devices: `));
  });

  it("room-agent exits 2 without credentials", async () => {
    const agent = startTs("agent", "room-agent/src/cli.ts", ["--room", "hardware-profiles/rooms/xa-an-phu.json"], {
      RC_AGENT_PASSWORD: "",
    });
    await waitFor("exit", () => agent.exited);
    expect(agent.child.exitCode).toBe(2);
    expect(agent.lines.join("\n")).toMatch(/no broker credentials/);
  });

  it("controller exits 2 naming its store file when the store is damaged", async () => {
    const data = join(dir, "controller");
    const store = join(data, "controller.json");
    const add = startTs("rooms add", "controller/src/cli.ts", [
      "rooms",
      "add",
      "xa-a",
      "--name",
      "Xã A",
      "--level",
      "commune",
      "--data",
      data,
    ]);
    await waitFor("rooms add", () => add.exited);
    expect(add.lines.join("\n")).toMatch(/room xa-a registered; agent username: xa-a password: \S{20,}/);
    writeFileSync(store, JSON.stringify({ version: 1, rooms: { "xa-a": { id: "xa-a" } }, credentials: {} }));
    const controller = startTs("controller", "controller/src/cli.ts", [
      "--data",
      data,
      "--http-port",
      "0",
      "--mqtt-port",
      "0",
    ]);
    await waitFor("exit", () => controller.exited);
    expect(controller.child.exitCode).toBe(2);
    expect(controller.lines.join("\n")).toContain(`${store}: rooms.xa-a.name:`);
  });
});
