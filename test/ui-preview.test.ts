// The operator panel's live camera preview in a real browser (Debian's chromium) against real processes: the
// in-process controller, a room agent process and one simulated ONVIF camera with its live picture (the one camera of
// the UI tests that draws one: test/ui.test.ts runs its cameras without). A seat's preset recalled on the panel turns
// the camera, and the picture the panel shows changes to what the camera sees at that seat.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setRoomPin } from "@rc/controller";
import { roomProfile } from "@rc/hardware-profiles";
import type { RoomView } from "@rc/protocol";
import { SimulatedRooms } from "@rc/simulators";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeJpeg, difference } from "../simulators/src/onvif-camera/picture/picture-test-clients.ts";
import { buildPanel, launchBrowser, panelPage, seriousViolations } from "./support/browser.ts";
import { stopAll } from "./support/processes.ts";
import { SITE_CAMERA_PASSWORD, TestSite } from "./support/test-site.ts";
import { waitFor } from "./support/wait-for.ts";

const ROOM = "phong-xem-truoc";
const PIN = "975310";
const SEATS = [
  { id: "chu-tri", label: "Chủ trì", role: "chair", camera: "cam", preset: "chu-tri" },
  { id: "cong-dan", label: "Công dân", role: "citizen", camera: "cam", preset: "cong-dan" },
  { id: "can-bo", label: "Cán bộ", role: "official", camera: "cam", preset: "can-bo" },
] as const;
/** Mean grey-level difference (0..255) above which two small decoded pictures show different views, not noise. */
const DIFFERENT_VIEW = 10;

let site: TestSite;
let simulated: SimulatedRooms;
let browser: Browser;
let scratch: string;

async function roomView(): Promise<RoomView> {
  return (await (await site.fetch(`/api/rooms/${ROOM}`)).json()) as RoomView;
}

/** The JPEG the panel's preview shows now, or null while it shows none. */
async function shownJpeg(page: Page): Promise<Buffer | null> {
  const preview = page.getByTestId("preview");
  if ((await preview.count()) === 0) return null;
  const source = (await preview.getAttribute("src")) ?? "";
  const match = /^data:image\/jpeg;base64,(.+)$/.exec(source);
  return match ? Buffer.from(match[1]!, "base64") : null;
}

/** A snapshot asked of the camera through the controller, not the panel. */
async function cameraJpeg(): Promise<Buffer> {
  const answer = await site.post(ROOM, { action: "camera.snapshot", params: { device: "cam" } });
  expect(answer.status).toBe(200);
  return Buffer.from(String((answer.body.result as { base64: string }).base64), "base64");
}

beforeAll(async () => {
  buildPanel();
  scratch = mkdtempSync(join(tmpdir(), "rc-ui-preview-"));
  simulated = new SimulatedRooms({
    serialDir: scratch,
    cameraPassword: SITE_CAMERA_PASSWORD,
    camera: { fullSpeedTravelS: 1, picture: true },
  });
  const profile = roomProfile.parse({
    version: 1,
    id: ROOM,
    name: ROOM,
    level: "commune",
    parent: null,
    devices: [
      {
        id: "cam",
        name: "Camera phòng",
        kind: "camera",
        model: "generic-onvif-ptz",
        connection: { host: "127.0.0.1", username: "admin", passwordEnv: "RC_CAMERA_PASSWORD" },
      },
    ],
    seats: SEATS,
  });
  const cameras = await Promise.all(profile.devices.map((entry) => simulated.device(entry, profile)));
  site = await TestSite.create("embedded", [ROOM], {
    requestTimeoutMs: 10_000, // the first snapshot draws the room once
    extend: () => ({ devices: cameras, seats: [...SEATS] }),
  });
  await setRoomPin(site.controller.store, ROOM, PIN);
  site.startAgent(ROOM);
  await waitFor("the camera ok", async () => (await roomView()).health.cam?.status === "ok", 60_000);
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stopAll();
  await site?.stop();
  await simulated?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

describe("operator panel's camera preview in chromium", () => {
  it("recalls a seat's preset: the camera turns and the panel's live picture changes to the new view", {
    timeout: 120_000,
  }, async () => {
    const cam = simulated.cameras.find((each) => each.device === "cam")!.camera;
    const page = await panelPage(browser);
    await page.goto(`${site.httpUrl}/panel/${ROOM}`);
    for (const digit of PIN) await page.getByRole("button", { name: digit, exact: true }).click();
    await page.getByRole("button", { name: "Mở khoá" }).click();
    await page.getByRole("heading", { name: `Phòng ${ROOM}` }).waitFor();

    // First home (the wide view, zoomed out) by the panel's home button, so the picture before is of a known view.
    await page.getByRole("button", { name: "Về vị trí gốc" }).click();
    await waitFor(
      "the camera home",
      () => {
        const { position, moving } = cam.status();
        return !moving && Math.abs(position.x) < 0.01 && Math.abs(position.zoom) < 0.01;
      },
      30_000,
    );
    const before = await waitFor(
      "the panel showing the wide view",
      async () => {
        const shown = await shownJpeg(page);
        if (!shown) return null;
        const [panel, camera] = await Promise.all([decodeJpeg(shown), decodeJpeg(await cameraJpeg())]);
        return difference(panel, camera) < 1 ? panel : null;
      },
      60_000,
      500,
    );

    await page.getByTestId("seat-can-bo").click();
    await waitFor(
      "the camera at the official's seat",
      () => {
        const { position, moving } = cam.status();
        return !moving && Math.abs(position.x - 0.6) < 0.01 && Math.abs(position.zoom - 0.6) < 0.01;
      },
      30_000,
    );
    // The panel's picture follows by itself (no tap on it): the camera's own view at the official's seat.
    const after = await waitFor(
      "the panel showing the official's seat",
      async () => {
        const shown = await shownJpeg(page);
        if (!shown) return null;
        const [panel, camera] = await Promise.all([decodeJpeg(shown), decodeJpeg(await cameraJpeg())]);
        return difference(panel, camera) < 1 ? panel : null;
      },
      60_000,
      500,
    );
    expect(difference(before, after)).toBeGreaterThan(DIFFERENT_VIEW);
    // The preview is a picture a screen reader names.
    expect(await seriousViolations(page)).toEqual([]);
    await page.context().close();
  });
});
