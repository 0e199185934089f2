// The room's own operator panel, served by its agent on a local port for the room's screen (issue 15): unlocked with
// the PIN whose hash the controller sent the agent, and still driving the room with the controller gone, with a banner
// saying so — in Debian's chromium against real processes: the in-process controller, the room agent process and a
// simulated ONVIF camera, whose own position is what the checks read.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setRoomPin } from "@rc/controller";
import { roomProfile } from "@rc/hardware-profiles";
import type { RoomView } from "@rc/protocol";
import { SimulatedRooms } from "@rc/simulators";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildPanel, launchBrowser, overflowingText, panelPage, seriousViolations } from "./support/browser.ts";
import { freePort, type ManagedProcess, stopAll } from "./support/processes.ts";
import { SITE_CAMERA_PASSWORD, TestSite } from "./support/test-site.ts";
import { waitFor } from "./support/wait-for.ts";

const ROOM = "phong-mot-cua";
const PIN = "135790";
const NEW_PIN = "24680";
const SEATS = [
  { id: "chu-tri", label: "Chủ trì", role: "chair", camera: "cam-a", preset: "chu-tri" },
  { id: "cong-dan", label: "Công dân", role: "citizen", camera: "cam-a", preset: "cong-dan" },
] as const;

let site: TestSite;
let simulated: SimulatedRooms;
let browser: Browser;
let scratch: string;
let agent: ManagedProcess;
let panelPort: number;
const local = (path: string) => `http://127.0.0.1:${panelPort}${path}`;
const camera = () => simulated.cameras.find((each) => each.device === "cam-a")!.camera;

async function roomView(): Promise<RoomView> {
  return (await (await site.fetch(`/api/rooms/${ROOM}`)).json()) as RoomView;
}

function startAgent(): Promise<string> {
  agent = site.startAgent(ROOM, { env: { RC_AGENT_PANEL_PORT: String(panelPort) } });
  return agent.waitForLine(/local panel listening/, 30_000);
}

/** The room's local panel in a fresh page, unlocked with the PIN on its number pad. */
async function unlockedLocalPanel(): Promise<Page> {
  const page = await panelPage(browser);
  await page.goto(local(`/panel/${ROOM}`));
  await page.getByRole("heading", { name: "Nhập mã PIN để mở bảng điều khiển" }).waitFor();
  for (const digit of PIN) await page.getByRole("button", { name: digit, exact: true }).click();
  await page.getByRole("button", { name: "Mở khoá" }).click();
  await page.getByTestId("seat-cong-dan").waitFor();
  return page;
}

async function pinLogin(pin: string): Promise<Response> {
  return fetch(local("/api/auth/pin"), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ room: ROOM, pin }),
  });
}

beforeAll(async () => {
  buildPanel();
  scratch = mkdtempSync(join(tmpdir(), "rc-local-panel-"));
  simulated = new SimulatedRooms({
    serialDir: scratch,
    cameraPassword: SITE_CAMERA_PASSWORD,
    camera: { fullSpeedTravelS: 1, picture: false },
  });
  const profile = roomProfile.parse({
    version: 1,
    id: ROOM,
    name: ROOM,
    level: "commune",
    parent: null,
    devices: [
      {
        id: "cam-a",
        name: "Camera phòng",
        kind: "camera",
        model: "generic-onvif-ptz",
        connection: { host: "127.0.0.1", username: "admin", passwordEnv: "RC_CAMERA_PASSWORD" },
      },
    ],
    seats: SEATS,
  });
  const cam = await simulated.device(profile.devices[0]!, profile);
  site = await TestSite.create("embedded", [ROOM], { extend: () => ({ devices: [cam], seats: [...SEATS] }) });
  // Set on the controller before the agent starts: the agent learns only its hash, with its desired state.
  await setRoomPin(site.controller.store, ROOM, PIN);
  panelPort = await freePort();
  await startAgent();
  await waitFor(
    "the camera ok and the PIN's desired state applied by the agent",
    async () => {
      const view = await roomView();
      const wanted = site.controller.store.data.desired[ROOM]?.desired.rev;
      return view.health["cam-a"]?.status === "ok" && wanted !== undefined && view.state?.desiredRev === wanted;
    },
    45_000,
  );
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stopAll();
  await site?.stop();
  await simulated?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

describe("the room's own panel, served by its agent", { timeout: 90_000 }, () => {
  it("keeps its API for an unlocked panel, applies a double tap once, refuses hostile input, never has the PIN", async () => {
    expect((await fetch(local(`/api/rooms/${ROOM}`))).status).toBe(401);
    expect((await fetch(local("/api/rooms/other/requests"), { method: "POST" })).status).toBe(401);
    const huge = await fetch(local("/api/auth/pin"), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ room: ROOM, pin: "1".repeat(40_000) }),
    });
    expect(huge.status).toBe(413);
    const broken = await fetch(local("/api/auth/pin"), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{",
    });
    expect(broken.status).toBe(400);
    expect((await pinLogin("0000")).status).toBe(401);
    // Another room's panel path is not served here.
    expect((await fetch(local("/panel/phong-khac"))).status).toBe(404);

    const unlocked = await pinLogin(PIN);
    expect(unlocked.status).toBe(200);
    const cookie = unlocked.headers.get("set-cookie")!.split(";")[0]!;
    const call = (path: string, body: unknown) =>
      fetch(local(path), {
        method: "POST",
        headers: { "content-type": "application/json", cookie },
        body: JSON.stringify(body),
      });
    expect((await call("/api/rooms/phong-khac/requests", { action: "ptz.home", params: {} })).status).toBe(404);
    const unknown = await call(`/api/rooms/${ROOM}/requests`, { action: "no.such", params: {} });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe("unknown_action");
    // A double tap: one request id sent twice at once reaches the camera once (the agent's answer memory, as for
    // the controller's requests), a repeat later is answered from memory, and the id reused for another preset refused.
    const gotos = () => camera().requests.filter((request) => request.operation === "GotoPreset").length;
    const before = gotos();
    const path = `/api/rooms/${ROOM}/requests`;
    const tap = { id: "local-double-tap", action: "ptz.goto", params: { device: "cam-a", preset: "chu-tri" } };
    const [first, second] = await Promise.all([call(path, tap), call(path, tap)]);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect((await call(path, tap)).status).toBe(200);
    expect(gotos() - before).toBe(1);
    expect((await call(path, { ...tap, params: { device: "cam-a", preset: "cong-dan" } })).status).toBe(409);
    // The desired state the agent keeps on disk has the hash, not the PIN.
    const view = (await (await fetch(local(`/api/rooms/${ROOM}`), { headers: { cookie } })).json()) as RoomView;
    expect(view.id).toBe(ROOM);
    expect(JSON.stringify(view)).not.toMatch(new RegExp(`\\b${PIN}\\b`)); // a hash may hold its digits by chance
  });

  it("with the controller killed, still recalls a seat's preset at the camera, under a banner saying the centre is unreachable", async () => {
    const page = await unlockedLocalPanel();
    // The centre is reachable: no banner.
    await page.getByTestId("seat-chu-tri").waitFor();
    expect(await page.getByTestId("centre-unreachable").count()).toBe(0);
    const cam = camera();

    await site.stopController();
    let centreDown = true;
    try {
      const banner = page.getByTestId("centre-unreachable");
      await banner.waitFor({ timeout: 20_000 });
      expect(await banner.textContent()).toContain("Không kết nối được trung tâm");
      expect(await seriousViolations(page)).toEqual([]);
      expect(await overflowingText(page)).toEqual([]);

      const before = cam.status().position;
      expect(before.x).not.toBeCloseTo(0.6, 2);
      // Two seats side by side on one camera: "cong-dan", the second, at pan 0.6, zoom 0.6.
      await page.getByTestId("seat-cong-dan").click();
      await waitFor("cam-a at the citizen's seat", () => {
        const { position, moving } = cam.status();
        return !moving && Math.abs(position.x - 0.6) < 0.01 && Math.abs(position.zoom - 0.6) < 0.01;
      });
      expect(await page.getByTestId("error").count()).toBe(0);

      // The agent restarted while the centre is still gone: the PIN's hash was kept on its disk, the panel unlocks.
      await agent.stop();
      await startAgent();
      const again = await unlockedLocalPanel();
      await again.getByTestId("centre-unreachable").waitFor({ timeout: 20_000 });
      await again.getByTestId("seat-chu-tri").click();
      await waitFor("cam-a back at the chair's seat", () => {
        const { position, moving } = cam.status();
        return !moving && Math.abs(position.x + 0.6) < 0.01;
      });
      await site.startController();
      centreDown = false;
      // The centre is back: the banner goes by itself.
      await again.getByTestId("centre-unreachable").waitFor({ state: "detached", timeout: 30_000 });
      await again.context().close();
    } finally {
      if (centreDown) await site.startController();
    }
    await page.context().close();
  });

  it("takes a new PIN set at the controller: the old one no longer unlocks, and its sessions end", async () => {
    const before = await pinLogin(PIN);
    expect(before.status).toBe(200);
    const cookie = before.headers.get("set-cookie")!.split(";")[0]!;
    await setRoomPin(site.controller.store, ROOM, NEW_PIN);
    await waitFor(
      "the new PIN's desired state applied by the agent",
      async () => (await roomView()).state?.desiredRev === site.controller.store.data.desired[ROOM]?.desired.rev,
      20_000,
    );
    expect((await fetch(local(`/api/rooms/${ROOM}`), { headers: { cookie } })).status).toBe(401);
    expect((await pinLogin(PIN)).status).toBe(401);
    expect((await pinLogin(NEW_PIN)).status).toBe(200);
  });

  it("locks the PIN for a while after five wrong tries", async () => {
    for (let i = 0; i < 5; i++) expect((await pinLogin("999999")).status).toBe(401);
    const locked = await pinLogin(PIN);
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(0);
  });
});
