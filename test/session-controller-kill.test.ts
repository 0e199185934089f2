// A controller SIGKILLed mid-session (issue 13 part 3, "Done when"): the controller as its own process (the CLI's
// `serve`, with the embedded broker, so every retained message dies with it), two real agents with their media
// workers in a session started through REST. Killed and started again on the same store: the same session is live,
// every point's links are reported up again within 10 s, and the rooms did not notice (no new desired state; the
// media links never dropped, since SRT runs agent to agent). Then, with the controller down again, a room's agent
// restarts and resumes the session from the desired state it kept on disk.
import type { RoomView, SessionView } from "@rc/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, type ManagedProcess, startTs, stopAll } from "./support/processes.ts";
import { TestSite } from "./support/test-site.ts";
import { testUdpPorts } from "./support/udp-ports.ts";
import { waitFor } from "./support/wait-for.ts";

const HOST = "tinh";
const COMPONENT = "huyen";
const ROOMS = [HOST, COMPONENT];

describe("a controller SIGKILLed mid-session", () => {
  let site: TestSite;
  let controller: ManagedProcess;
  let base = "";
  let sessionId = "";
  const ports: Record<string, number> = {};
  const agents: Record<string, ManagedProcess> = {};

  /** The controller as a process on the site's store and ports, as `controller serve` runs on a real site. */
  function startController(): ManagedProcess {
    const { port } = new URL(base);
    return startTs("controller", "controller/src/cli.ts", [
      "serve",
      "--data",
      `${site.dir}/controller`,
      "--http-port",
      port,
      "--mqtt-port",
      String(site.mqttPort),
    ]);
  }
  async function call(method: string, path: string): Promise<Record<string, unknown>> {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${site.adminToken}`, "content-type": "application/json" },
    });
    return (await response.json()) as Record<string, unknown>;
  }
  async function post(path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`${base}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${site.adminToken}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }
  /** Every link of every point reported `ok` to the controller now running (read through its REST API). */
  async function linksUp(): Promise<boolean> {
    const views = await Promise.all(ROOMS.map((room) => call("GET", `/api/rooms/${room}`)));
    return views.every((view) => {
      const { desired, state } = view as unknown as RoomView;
      const readings = state?.devices.media ?? {};
      const peers = desired?.session?.peers ?? [];
      return peers.length > 0 && peers.every((peer) => readings[`link.${peer}.status`] === "ok");
    });
  }

  beforeAll(async () => {
    const free = await testUdpPorts(2);
    ROOMS.forEach((room, index) => {
      ports[room] = free[index]!;
    });
    site = await TestSite.create("embedded", ROOMS, {
      extend: (room) => ({
        // DESIGN §3.2's probing: the site's quick 0.5 s would restart a media worker whenever the machine is slow.
        probe: { intervalMs: 2000, offlineAfter: 2 },
        devices: [
          {
            id: "media",
            kind: "media",
            video: { width: 640, height: 360, fps: 15, bitrateKbps: 800, keyframeS: 2 },
            audio: { input: "testsrc:440", bitrateKbps: 64 },
            inputs: { camera: `testsrc:${room === HOST ? "red" : "blue"}` },
            srt: { bind: "127.0.0.1", port: ports[room]!, latencyMs: 120 },
            display: "none",
          },
        ],
      }),
    });
    await site.controller.store.update((data) => {
      data.rooms[HOST]!.level = "province";
      data.rooms[COMPONENT]!.parent = HOST;
      for (const room of ROOMS) data.rooms[room]!.srt = { host: "127.0.0.1", port: ports[room]! };
    });
    // The site's store and ports, now served by a controller process.
    base = `http://127.0.0.1:${await freePort()}`;
    await site.controller.stop();
    controller = startController();
    await controller.waitForLine(/controller started/, 30_000);
    for (const room of ROOMS) agents[room] = site.startAgent(room);
    await waitFor(
      "both points' media ok",
      async () => {
        const views = await Promise.all(ROOMS.map((room) => call("GET", `/api/rooms/${room}`)));
        return views.every((view) => (view as unknown as RoomView).health?.media?.status === "ok");
      },
      60_000,
      500,
    );
  }, 120_000);

  afterAll(async () => {
    await stopAll();
    await site?.stop();
  });

  it("restarted on the same store: the same session live, every link reported up within 10 s, the rooms untouched", async () => {
    const now = Date.now();
    const created = await post("/api/sessions", {
      title: "Tiếp công dân",
      start: new Date(now).toISOString(),
      end: new Date(now + 3600_000).toISOString(),
      host: HOST,
      points: [{ room: COMPONENT }],
      presiding: { name: "Nguyễn Văn A" },
    });
    expect(created.status).toBe(201);
    const id = String(created.body.id);
    sessionId = id;
    expect((await post(`/api/sessions/${id}/start`, {})).body).toMatchObject({ state: "live" });
    await waitFor("every link up", linksUp, 60_000, 200);
    const desiredBefore = await Promise.all(
      ROOMS.map(async (room) => (await call("GET", `/api/rooms/${room}`)).desired),
    );
    const received = (room: string) => agents[room]!.count(/desired state received/);
    const receivedBefore = ROOMS.map(received);
    const linesBefore = ROOMS.map((room) => agents[room]!.lines.length);

    controller.signal("SIGKILL");
    await waitFor("the controller gone", () => controller.exited, 5000);
    await new Promise((resolve) => setTimeout(resolve, 2000)); // the agents notice the broker gone
    controller = startController();
    await controller.waitForLine(/controller started/, 30_000);
    const restartedAt = Date.now();
    await waitFor("every link reported up", linksUp, 30_000, 100);
    const backMs = Date.now() - restartedAt;

    expect((await call("GET", `/api/sessions/${id}`)) as unknown as SessionView).toMatchObject({ state: "live" });
    expect(backMs, "links reported up after the restart, in ms").toBeLessThan(10_000);
    const desiredAfter = await Promise.all(
      ROOMS.map(async (room) => (await call("GET", `/api/rooms/${room}`)).desired),
    );
    expect(desiredAfter).toEqual(desiredBefore);
    // The rooms applied nothing new (the same revision came again) and their links never went down.
    expect(ROOMS.map(received)).toEqual(receivedBefore);
    // A link that failed or was built again would have its part named in the media worker's log.
    ROOMS.forEach((room, index) => {
      const peer = room === HOST ? COMPONENT : HOST;
      const said = agents[room]!.lines.slice(linesBefore[index]).filter((line) => line.includes(`link:${peer}`));
      expect(said, room).toEqual([]);
    });
  }, 180_000);

  it("a room's agent restarted while the controller is down resumes the session from disk", async () => {
    controller.signal("SIGKILL");
    await waitFor("the controller gone", () => controller.exited, 5000);
    await agents[COMPONENT]!.stop("SIGTERM"); // its media worker ends with it: the links must be made again
    const agent = site.startAgent(COMPONENT);
    agents[COMPONENT] = agent;
    const resumed = await agent.waitForLine(/resuming the last desired state/, 30_000);
    expect(JSON.parse(resumed)).toMatchObject({ session: sessionId });
    // Its media worker calls the host from the stored session while no controller runs.
    await agent.waitForLine(/"part":"link:tinh"/, 60_000);
    controller = startController();
    await controller.waitForLine(/controller started/, 30_000);
    await waitFor("every link reported up", linksUp, 60_000, 200);
    // What the restarted controller says again is the revision the room already had from its disk.
    expect(agent.count(/desired state received/)).toBe(0);
  }, 180_000);
});
