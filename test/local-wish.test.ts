// A recording switched on at the room's own panel (served by its agent, also while the controller is down) is a
// wanted fact like one asked at the controller: it survives the agent's restart, reaches the controller's desired
// state once the controller is back (named as the room panel's, and audited), and a later change of another wanted
// fact at the controller does not switch it off. Real processes: the in-process controller with its embedded broker,
// the room agent with its media worker (GStreamer test sources) and its local panel, reached over HTTP as its page does.
// A room that floods wishes gets at most one a second taken in, the last one.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setRoomPin } from "@rc/controller";
import { type DesiredPayload, type RoomView, topics } from "@rc/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, stopAll } from "./support/processes.ts";
import { TestSite } from "./support/test-site.ts";
import { waitFor } from "./support/wait-for.ts";

const ROOM = "xa-c";
const PIN = "246813";
const SESSION: NonNullable<DesiredPayload["session"]> = {
  id: "phien-2026-12-04",
  role: "component",
  peers: [{ room: "tinh" }],
  passphrase: "mat-khau-phien-rat-dai",
};

describe("a recording switched at the room's own panel", () => {
  let site: TestSite;
  let panelPort: number;
  let recordings: string;
  const local = (path: string) => `http://127.0.0.1:${panelPort}${path}`;
  const startAgent = () => {
    const agent = site.startAgent(ROOM, { env: { RC_AGENT_PANEL_PORT: String(panelPort) } });
    return { agent, listening: agent.waitForLine(/local panel listening/, 30_000) };
  };

  /** The room as the local panel shows it, after unlocking it with the PIN. */
  async function localCookie(): Promise<string> {
    const unlocked = await fetch(local("/api/auth/pin"), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ room: ROOM, pin: PIN }),
    });
    expect(unlocked.status).toBe(200);
    return unlocked.headers.get("set-cookie")!.split(";")[0]!;
  }
  const localView = async (cookie: string) =>
    (await (await fetch(local(`/api/rooms/${ROOM}`), { headers: { cookie } })).json()) as RoomView;
  const view = (): RoomView => site.controller.registry.get(ROOM)!;

  beforeAll(async () => {
    recordings = mkdtempSync(join(tmpdir(), "rc-local-wish-"));
    const srtPort = await freePort();
    site = await TestSite.create("embedded", [ROOM], {
      extend: () => ({
        devices: [
          {
            id: "media",
            kind: "media",
            video: { width: 320, height: 180, fps: 10, bitrateKbps: 300 },
            audio: { input: "testsrc:440", bitrateKbps: 64 },
            srt: { bind: "127.0.0.1", port: srtPort, latencyMs: 120 },
            recordings: { dir: recordings, segmentS: 600, minFreeMb: 1 },
            display: "none",
          },
        ],
      }),
    });
    await setRoomPin(site.controller.store, ROOM, PIN);
    panelPort = await freePort();
  });
  afterAll(async () => {
    await stopAll();
    await site?.stop();
    rmSync(recordings, { recursive: true, force: true });
  });

  it("stays on across the agent's restart, reaches the controller's desired state, and outlives a later change", async () => {
    const first = startAgent();
    await first.listening;
    await waitFor(
      "the room online, its media worker running",
      () => view().availability.state === "online" && view().health.media?.status === "ok",
      20_000,
    );
    await site.stopController();

    const cookie = await localCookie();
    const switched = await fetch(local(`/api/rooms/${ROOM}/requests`), {
      method: "POST",
      headers: { "content-type": "application/json", cookie },
      body: JSON.stringify({ action: "media.record", params: { device: "media", on: true } }),
    });
    expect(switched.status, await switched.clone().text()).toBe(200);
    expect((await localView(cookie)).state?.recording).toBe(true);

    // The room PC restarts while the centre is still unreachable: the wish is on its disk, not the controller's.
    await first.agent.stop("SIGKILL");
    const second = startAgent();
    await second.listening;
    await waitFor(
      "the restarted agent recording",
      async () => (await localView(await localCookie())).state?.recording === true,
    );

    await site.startController();
    await waitFor(
      "the controller's desired state recording, from the room's panel",
      () => view().desired?.recording === true && view().state?.recording === true,
      10_000,
    );
    expect(view().desired).toMatchObject({ recording: true, changedBy: `panel of ${ROOM}` });
    await waitFor("the room applied it", () => view().state?.desiredRev === site.controller.desired.get(ROOM).rev);
    const fromRoomPanel = async () => {
      const audit = (await (await site.fetch(`/api/audit?room=${ROOM}`)).json()) as {
        items: { who: { via: string }; what: { action: string }; params: { on: boolean } }[];
      };
      return audit.items.filter((entry) => entry.who.via === "room-panel");
    };
    expect(await fromRoomPanel()).toEqual([
      expect.objectContaining({
        what: expect.objectContaining({ action: "media.record" }),
        params: expect.objectContaining({ on: true }),
      }),
    ]);

    // The same switch again (a double tap, with the centre back): nothing new for the controller.
    const again = await fetch(local(`/api/rooms/${ROOM}/requests`), {
      method: "POST",
      headers: { "content-type": "application/json", cookie: await localCookie() },
      body: JSON.stringify({ action: "media.record", params: { device: "media", on: true } }),
    });
    expect(again.status).toBe(200);
    const revBefore = site.controller.desired.get(ROOM).rev;
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(site.controller.desired.get(ROOM).rev).toBe(revBefore);
    expect(await fromRoomPanel()).toHaveLength(1);

    // A later change of another wanted fact at the controller keeps the recording the room's operator switched on.
    const { rev } = await site.controller.desired.change(ROOM, (current) => ({ ...current, session: SESSION }), "test");
    await waitFor("the room in the session", () => view().state?.desiredRev === rev);
    expect(view().state?.recording).toBe(true);
    expect(site.controller.desired.get(ROOM).recording).toBe(true);
  });
});

describe("a room that floods local wishes", () => {
  let site: TestSite;
  beforeAll(async () => {
    site = await TestSite.create("embedded", [ROOM]);
  });
  afterAll(async () => {
    await site?.stop();
  });

  it("gets one taken in at once and then at most one a second, the last one, audited as many times", async () => {
    // Logged in as the room (its own topics only), as a faulty agent or a stolen room login would be.
    const room = await site.connectClient(ROOM);
    const sent = 300;
    const wish = (i: number) => ({ id: `nhay-${i}`, recording: i % 2 === 1 });
    const send = (i: number) => {
      const event = { at: new Date().toISOString(), type: "local_wish", data: wish(i) };
      return room.publishAsync(topics.room(ROOM, "events"), JSON.stringify(event), { qos: 1 });
    };
    // The first, said again until the controller (subscribing as it starts) has it, as an agent does on reconnect.
    await waitFor("the first wish taken in", async () => {
      await send(1);
      return site.controller.desired.get(ROOM).localWish === wish(1).id;
    });
    const floodFrom = Date.now();
    await Promise.all(Array.from({ length: sent - 1 }, (_, i) => send(i + 2)));
    const floodS = (Date.now() - floodFrom) / 1000;
    await room.endAsync();
    const last = { localWish: wish(sent).id, recording: wish(sent).recording };
    await waitFor("the last wish taken in", () => site.controller.desired.get(ROOM).localWish === last.localWish, 5000);
    expect(site.controller.desired.get(ROOM)).toMatchObject(last);
    // Each wish taken in is one audit entry (and one revision): the first, then at most one a second while the flood
    // lasted (one, unless it outlasted a second on this machine), the last one after it.
    const audit = (await (await site.fetch(`/api/audit?room=${ROOM}`)).json()) as { items: { who: { via: string } }[] };
    const taken = audit.items.filter((entry) => entry.who.via === "room-panel").length;
    expect(taken).toBeGreaterThanOrEqual(2);
    expect(taken, `the flood took ${floodS} s`).toBeLessThanOrEqual(2 + Math.ceil(floodS));
  });
});
