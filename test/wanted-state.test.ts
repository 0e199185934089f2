// What a room should be doing survives every restart: the controller's store owns each room's desired state and
// publishes it again, the agent keeps the revision it applied and never goes back to an older one, and a room PC
// that was replaced (its boot counter starting again at 1) is back at once. Agents are real processes, the broker is
// the embedded Aedes (restarted with the controller, so every retained message is lost) and Mosquitto 2.
import { rmSync } from "node:fs";
import type { DesiredPayload, RoomView } from "@rc/protocol";
import { topics } from "@rc/protocol";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { stopAll } from "./support/processes.ts";
import { TestSite } from "./support/test-site.ts";
import { waitFor } from "./support/wait-for.ts";

const ROOM = "xa-a";
const SESSION: NonNullable<DesiredPayload["session"]> = {
  id: "phien-2026-12-03",
  role: "component",
  peers: [{ room: "tinh" }],
  passphrase: "mat-khau-phien-rat-dai",
};

describe("wanted state owned by the controller", () => {
  let site: TestSite;
  beforeAll(async () => {
    site = await TestSite.create("embedded", [ROOM]);
  });
  afterEach(async () => {
    await stopAll();
  });
  afterAll(async () => {
    await stopAll();
    await site?.stop();
  });

  const view = (): RoomView => site.controller.registry.get(ROOM)!;
  const inSession = (rev: number) =>
    view().availability.state === "online" &&
    view().state?.desiredRev === rev &&
    view().state?.session?.id === SESSION.id;
  const wantSession = () =>
    site.controller.desired.change(ROOM, (current) => ({ ...current, session: SESSION }), "test");

  it("fault 3: after a controller restart (the broker's retained messages lost) and then an agent restart, the room is still in its session", async () => {
    site.startAgent(ROOM);
    await waitFor("xa-a online", () => view().availability.state === "online");
    const { rev } = await wantSession();
    await waitFor("xa-a in the session", () => inSession(rev));
    await site.restartController();
    await stopAll(); // the agent restarts too, after the broker forgot everything
    site.startAgent(ROOM);
    await waitFor("xa-a back in the session", () => inSession(rev), 10_000);
    expect(view().desired).toMatchObject({ rev, session: { id: SESSION.id, peers: ["tinh"] }, changedBy: "test" });
    expect(JSON.stringify(view())).not.toContain(SESSION.passphrase);
  });

  it("fault 3: an agent restarted while the controller is down resumes its session from disk", async () => {
    const first = site.startAgent(ROOM);
    await waitFor("xa-a online", () => view().availability.state === "online");
    const { rev } = await wantSession();
    await waitFor("xa-a in the session", () => inSession(rev));
    await site.controller.stop();
    await first.stop("SIGKILL");
    const agent = site.startAgent(ROOM);
    await agent.waitForLine(/resuming the last desired state/);
    await site.restartController(0);
    await waitFor("xa-a online in the session", () => inSession(rev), 10_000);
  });

  it("fault 2: an older retained desired state (a stalled controller's) never undoes a newer one", async () => {
    site.startAgent(ROOM);
    await waitFor("xa-a online", () => view().availability.state === "online");
    const { rev } = await site.controller.desired.change(ROOM, () => ({ session: SESSION, recording: true }), "test");
    await waitFor("recording wanted and applied", () => inSession(rev) && view().state?.recording === true);
    // What a controller that stalled before the change would still say, sent as the controller (retained).
    const stale = await site.connectClient();
    await stale.publishAsync(
      topics.room(ROOM, "desired"),
      JSON.stringify({ rev: rev - 1, session: SESSION, recording: false }),
      { qos: 1, retain: true },
    );
    await stale.endAsync();
    await site.restartController(); // the agent re-subscribes and re-reads whatever the broker holds
    await waitFor(
      "xa-a online again",
      () => view().availability.state === "online" && view().state?.desiredRev === rev,
    );
    expect(view().state?.recording).toBe(true);
  });

  it("fault 4: a room whose boot counter went back (PC replaced, data folder lost) is online at once, in its session", async () => {
    const earlier = site.startAgent(ROOM); // an earlier start, so the old PC's counter is above the new one's
    await earlier.waitForLine(/agent started/);
    await earlier.stop("SIGTERM");
    site.startAgent(ROOM);
    await waitFor(
      "xa-a online at boot 2 or more",
      () => (view().availability.boot ?? 0) >= 2 && view().availability.state === "online",
    );
    const { rev } = await wantSession();
    await waitFor("xa-a in the session", () => inSession(rev));
    await stopAll();
    await waitFor("xa-a offline", () => view().availability.state === "offline");
    rmSync(site.room(ROOM).dataDir, { recursive: true, force: true });
    const replacedAt = Date.now();
    site.startAgent(ROOM);
    await waitFor(
      "the new PC online at boot 1, in the session",
      () => view().availability.boot === 1 && inSession(rev),
      10_000,
    );
    expect(Date.now() - replacedAt).toBeLessThan(10_000);
  });
});
