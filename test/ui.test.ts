// The web app's two faces, the operator panel and the IT dashboard, in a real browser (Debian's chromium) against real processes: the in-process controller, a room
// agent process, two simulated ONVIF cameras and a simulated Extron DSP on a pty pair. Each check reads the effect at
// the simulated device itself, never the panel's own idea of it.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setRoomPin } from "@rc/controller";
import { loadProfile, roomProfile } from "@rc/hardware-profiles";
import type { RoomView } from "@rc/protocol";
import { audioScene, ExtronSimulator, PtyPair, SimulatedRooms } from "@rc/simulators";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  buildPanel,
  launchBrowser,
  overflowingText,
  panelPage,
  screenshot,
  seriousViolations,
} from "./support/browser.ts";
import { REPO, stopAll } from "./support/processes.ts";
import { SITE_CAMERA_PASSWORD, TestSite } from "./support/test-site.ts";
import { waitFor } from "./support/wait-for.ts";

const ROOM = "phong-tiep-dan";
const PIN = "246810";
const SEATS = [
  {
    id: "chu-tri",
    label: "Chủ trì",
    role: "chair",
    camera: "cam-a",
    preset: "chu-tri",
    mic: { device: "dsp", channel: 1 },
  },
  {
    id: "cong-dan",
    label: "Công dân",
    role: "citizen",
    camera: "cam-b",
    preset: "cong-dan",
    mic: { device: "dsp", channel: 2 },
  },
  {
    id: "can-bo",
    label: "Cán bộ",
    role: "official",
    camera: "cam-b",
    preset: "can-bo",
    mic: { device: "dsp", channel: 3 },
  },
] as const;
const camera = (id: string, name: string) => ({
  id,
  name,
  kind: "camera",
  model: "generic-onvif-ptz",
  connection: { host: "127.0.0.1", username: "admin", passwordEnv: "RC_CAMERA_PASSWORD" },
});

let site: TestSite;
let simulated: SimulatedRooms;
let dsp: ExtronSimulator;
let pty: PtyPair;
let browser: Browser;
let scratch: string;
const cameraOf = (device: string) => simulated.cameras.find((each) => each.device === device)!.camera;

async function roomView(): Promise<RoomView> {
  return (await (await site.fetch(`/api/rooms/${ROOM}`)).json()) as RoomView;
}

/** A fresh panel page of the room, unlocked with the PIN on its number pad. */
async function unlockedPanel(): Promise<Page> {
  const page = await panelPage(browser);
  await page.goto(`${site.httpUrl}/panel/${ROOM}`);
  for (const digit of PIN) await page.getByRole("button", { name: digit, exact: true }).click();
  await page.getByRole("button", { name: "Mở khoá" }).click();
  await page.getByRole("heading", { name: `Phòng ${ROOM}` }).waitFor();
  return page;
}

beforeAll(async () => {
  buildPanel();
  scratch = mkdtempSync(join(tmpdir(), "rc-ui-panel-"));
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
      camera("cam-a", "Camera chủ trì"),
      camera("cam-b", "Camera công dân"),
      // Simulated below on a pty pair of this test's own, so the test can read its mutes.
      { id: "dsp", kind: "mixer", model: "extron-dmp128-plus", connection: { path: "/dev/null" } },
    ],
    seats: SEATS,
  });
  const cameras = await Promise.all(
    profile.devices.filter((entry) => entry.kind === "camera").map((entry) => simulated.device(entry, profile)),
  );
  pty = new PtyPair(join(scratch, "dsp"), join(scratch, "ttyUSB0"));
  await pty.start();
  // A recorded hearing plays into the DSP's meters, so the panel has levels to show.
  const scene = loadProfile(audioScene, join(REPO, "simulators/src/audio-scene/scenes/dialogue.json"));
  dsp = new ExtronSimulator(pty.devicePath, "plus", 8, scene);
  await dsp.start();
  site = await TestSite.create("embedded", [ROOM], {
    extend: () => ({
      devices: [
        ...cameras,
        {
          id: "dsp",
          name: "Bộ xử lý âm thanh",
          kind: "mixer",
          model: "extron-dmp128-plus",
          connection: { path: pty.hostPath },
          programVolume: "60000",
        },
      ],
      seats: [...SEATS],
      director: { wideShot: { camera: "cam-a", preset: "toan-canh" } },
    }),
    // An alarm a second after a device goes bad, not the default 10 s.
    health: { alarmDebounceMs: 1000 },
  });
  await setRoomPin(site.controller.store, ROOM, PIN);
  site.startAgent(ROOM);
  await waitFor(
    "both cameras and the DSP ok",
    async () => {
      const health = (await roomView()).health;
      return ["cam-a", "cam-b", "dsp"].every((device) => health[device]?.status === "ok");
    },
    30_000,
  );
  // The auto director stays off (the operator drives) until its own test switches it on.
  expect((await site.post(ROOM, { action: "director.mode", params: { mode: "manual" } })).status).toBe(200);
  browser = await launchBrowser();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await stopAll();
  await site?.stop();
  await dsp?.stop();
  await pty?.stop();
  await simulated?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

describe("operator panel in chromium", { timeout: 60_000 }, () => {
  it("is locked until the room's PIN is entered on its number pad; a wrong PIN is refused in Vietnamese", async () => {
    const page = await panelPage(browser);
    await page.goto(`${site.httpUrl}/panel/${ROOM}`);
    await page.getByRole("heading", { name: "Nhập mã PIN để mở bảng điều khiển" }).waitFor();
    expect(await page.getByTestId("seat-chu-tri").count()).toBe(0);
    expect(await seriousViolations(page)).toEqual([]);
    for (const digit of "1111") await page.getByRole("button", { name: digit, exact: true }).click();
    await page.getByRole("button", { name: "Mở khoá" }).click();
    await page.getByRole("alert").filter({ hasText: "Mã PIN không đúng" }).waitFor();
    await screenshot(page, "panel-lock", scratch);

    for (const digit of PIN) await page.getByRole("button", { name: digit, exact: true }).click();
    await page.getByRole("button", { name: "Mở khoá" }).click();
    await page.getByTestId("seat-chu-tri").waitFor();
    await page.context().close();
  });

  it("recalls a seat's preset on a tap: the simulated camera turns to that seat", async () => {
    const page = await unlockedPanel();
    const cam = cameraOf("cam-b");
    const before = cam.status().position;
    await page.getByTestId("seat-can-bo").click();
    // The seats are stored side by side across the room: "can-bo", the third of three, at pan 0.6, zoom 0.6.
    await waitFor("cam-b at the official's seat", () => {
      const { position, moving } = cam.status();
      return !moving && Math.abs(position.x - 0.6) < 0.01 && Math.abs(position.zoom - 0.6) < 0.01;
    });
    expect(before.x).not.toBeCloseTo(0.6, 2);
    await page.context().close();
  });

  it("moves the camera while the joystick is held, and stops it as soon as it is released", async () => {
    const page = await unlockedPanel();
    await page.getByTestId("camera-cam-a").click();
    const cam = cameraOf("cam-a");
    const right = page.getByRole("button", { name: "Quay sang phải" });
    await right.hover();
    const startX = cam.status().position.x;
    await page.mouse.down();
    await waitFor("cam-a moving", () => cam.status().moving);
    // Held past the driver's dead-man time (500 ms): it still moves only because the panel repeats the move.
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(cam.status().moving).toBe(true);
    const requestsBefore = cam.requests.length;
    // Stopped by the panel's stop on release, which the room applied, not by the dead-man time running out.
    const stopSent = page.waitForRequest(
      (request) => request.method() === "POST" && (request.postData() ?? "").includes('"ptz.stop"'),
    );
    await page.mouse.up();
    expect((await (await stopSent).response())?.status(), "the panel's ptz.stop answered").toBe(200);
    await waitFor("cam-a stopped", () => !cam.status().moving, 2000, 10);
    const stop = cam.requests.slice(requestsBefore).find((request) => request.operation === "Stop");
    expect(stop, "a Stop reached the camera").toBeDefined();
    const stoppedAt = cam.status().position.x;
    expect(stoppedAt).toBeGreaterThan(startX);
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(cam.status().position.x).toBeCloseTo(stoppedAt, 5);
    await page.context().close();
  });

  it("shows the microphones' live levels, and mutes a seat's microphone at the DSP", async () => {
    const page = await unlockedPanel();
    // The DSP's meters reach the panel live: some seat's bar shows a level above −60 dB while the scene plays.
    await waitFor("a seat's meter above -60 dB", () =>
      page.evaluate(() =>
        [...document.querySelectorAll<HTMLElement>(".mic .meter span")].some(
          (bar) => Number.parseFloat(bar.style.width) > 0,
        ),
      ),
    );
    expect(dsp.mutes[1]).toBe(false);
    const mic = page.getByTestId("mic-cong-dan");
    await mic.click();
    await waitFor("channel 2 muted at the DSP", () => dsp.mutes[1] === true);
    await expect.poll(async () => (await roomView()).state?.devices.dsp?.["ch2.muted"], { timeout: 5000 }).toBe(true);
    await expect.poll(() => mic.getAttribute("aria-pressed"), { timeout: 5000 }).toBe("true");
    expect(await mic.textContent()).toContain("Micro tắt");
    expect(dsp.mutes[0]).toBe(false);
    await mic.click();
    await waitFor("channel 2 open again at the DSP", () => dsp.mutes[1] === false);
    await page.context().close();
  });

  it("privacy mutes every seat at the DSP and shows red on every panel of the room", async () => {
    const page = await unlockedPanel();
    const other = await unlockedPanel();
    await page.getByTestId("privacy").click();
    await waitFor("every seat muted at the DSP", () => SEATS.every((seat) => dsp.mutes[seat.mic.channel - 1]));
    for (const each of [page, other]) {
      await each.getByTestId("privacy-banner").waitFor();
      expect(await each.getByTestId("privacy-banner").textContent()).toContain("ĐÃ TẮT TOÀN BỘ MICRO");
      expect(await each.evaluate(() => document.body.classList.contains("privacy"))).toBe(true);
    }
    expect(await seriousViolations(page)).toEqual([]);
    expect(await overflowingText(page)).toEqual([]);
    await screenshot(page, "panel-privacy", scratch);
    await page.getByTestId("privacy").click();
    await waitFor("seats open again", () => SEATS.every((seat) => !dsp.mutes[seat.mic.channel - 1]));
    await other.getByTestId("privacy-banner").waitFor({ state: "detached" });
    await screenshot(other, "panel", scratch);
    await page.context().close();
    await other.context().close();
  });
});

describe("operator panel: the auto director", { timeout: 60_000 }, () => {
  it("is switched on and off from the panel, which words the cause of its last shot in Vietnamese", async () => {
    const page = await unlockedPanel();
    const mode = async () => (await roomView()).state?.director?.mode;
    await page.getByTestId("director-mode").getByText("Đang tắt").waitFor();
    await page.getByRole("button", { name: "Bật tự động" }).click();
    await expect.poll(mode, { timeout: 5000 }).toBe("auto");
    await page.getByTestId("director-mode").getByText("Đang bật").waitFor();
    // The recorded hearing plays into the DSP: the director frames and cuts, and the panel says why in words.
    const cause = page.getByTestId("director-cause");
    await cause.waitFor({ timeout: 15_000 });
    expect(await cause.textContent()).toMatch(/đang nói|hình toàn cảnh|Giữ hình/);
    expect((await roomView()).state?.director?.cause?.code).toBeDefined();
    await page.getByRole("button", { name: "Tắt tự động" }).click();
    await expect.poll(mode, { timeout: 5000 }).toBe("manual");
    await page.context().close();
  });
});

describe("operator panel for a viewer", { timeout: 60_000 }, () => {
  it("shows the room but locks every control, saying why", async () => {
    const { password } = await site.user("nguoi-xem", "viewer");
    const page = await panelPage(browser);
    await page.goto(`${site.httpUrl}/`);
    await page.getByLabel("Tên đăng nhập").fill("nguoi-xem");
    await page.getByLabel("Mật khẩu").fill(password);
    await page.getByRole("button", { name: "Đăng nhập" }).click();
    await page.getByTestId(`cell-${ROOM}-camera`).waitFor();
    await page.getByRole("link", { name: `Phòng ${ROOM}` }).click();
    await page.getByText("Tài khoản này chỉ được xem").waitFor();
    for (const control of ["seat-chu-tri", "mic-chu-tri", "privacy"]) {
      expect(await page.getByTestId(control).isDisabled(), control).toBe(true);
    }
    // Picking which camera to look at sends nothing: it stays open.
    expect(await page.getByTestId("camera-cam-a").isDisabled()).toBe(false);
    await page.context().close();
  });
});

describe("operator panel: the room's session", { timeout: 60_000 }, () => {
  it("shows the session planned for the room live, and its host's operator starts and ends it there", async () => {
    const page = await unlockedPanel();
    await page.getByText("Chưa có phiên tiếp công dân nào của phòng này.").waitFor();
    const start = new Date(Date.now() + 3600_000);
    const created = await site.fetch("/api/sessions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        title: "Tiếp công dân định kỳ tháng 12",
        host: ROOM,
        presiding: { name: "Nguyễn Văn An", title: "Chủ tịch UBND xã" },
        start: start.toISOString(),
        end: new Date(start.getTime() + 3600_000).toISOString(),
      }),
    });
    expect(created.status, await created.clone().text()).toBe(201);
    const { id } = (await created.json()) as { id: string };

    // Planned: shown without a reload, with its presiding official and its start in Vietnam's time.
    await page.getByText("Tiếp công dân định kỳ tháng 12").waitFor();
    expect(await page.getByText("Nguyễn Văn An").count()).toBe(1);
    expect(await page.getByTestId("on-air").textContent()).toContain("KHÔNG PHÁT");
    await page.getByRole("button", { name: "Bắt đầu phiên" }).click();
    await page.getByRole("heading", { name: "Phiên tiếp công dân: Đang diễn ra" }).waitFor();
    const session = async () => (await (await site.fetch(`/api/sessions/${id}`)).json()) as { state: string };
    expect((await session()).state).toBe("live");
    // The agent took the session: the room is on air, as its lamp shows.
    await expect.poll(async () => page.getByTestId("on-air").textContent(), { timeout: 10_000 }).toContain("ĐANG PHÁT");

    // Ending asks first; cancelling leaves it live.
    await page.getByRole("button", { name: "Kết thúc phiên" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Huỷ" }).click();
    expect((await session()).state).toBe("live");
    await page.getByRole("button", { name: "Kết thúc phiên" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Kết thúc phiên" }).click();
    await expect.poll(async () => (await session()).state, { timeout: 10_000 }).toBe("ended");
    await page.getByText("Chưa có phiên tiếp công dân nào của phòng này.").waitFor();
    await page.context().close();
  });
});

describe("operator panel across a controller restart", { timeout: 60_000 }, () => {
  it("says the connection is lost while the controller is down, and comes back by itself without a reload", async () => {
    const page = await unlockedPanel();
    const restarted = site.restartController(3000);
    // A failure says what the panel showed instead (CI once saw no banner within 10 s on a loaded machine).
    await page
      .getByTestId("connection-lost")
      .waitFor({ timeout: 20_000 })
      .catch(async (error: Error) => {
        const shown = await page.locator("h1, h2, [role=alert]").allInnerTexts(); // CSS locators see into shadow roots
        throw new Error(`${error.message}\nthe panel showed: ${shown.join(" | ")}`);
      });
    expect(await page.getByTestId("connection-lost").textContent()).toContain("Mất kết nối với trung tâm");
    await restarted;
    await page.getByTestId("connection-lost").waitFor({ state: "detached", timeout: 20_000 });
    // Browser sessions live in the controller's memory: a restarted controller asks the panel for its PIN again.
    if (await page.getByRole("heading", { name: "Nhập mã PIN để mở bảng điều khiển" }).isVisible()) {
      for (const digit of PIN) await page.getByRole("button", { name: digit, exact: true }).click();
      await page.getByRole("button", { name: "Mở khoá" }).click();
    }
    // The same page drives the room again.
    const mic = page.getByTestId("mic-can-bo");
    await mic.click();
    await waitFor("channel 3 muted at the DSP", () => dsp.mutes[2] === true, 20_000);
    // The button toggles what the panel shows, so the operator's second tap waits for the panel to show the mute.
    await expect.poll(() => mic.getAttribute("aria-pressed"), { timeout: 10_000 }).toBe("true");
    await mic.click();
    await waitFor("channel 3 open again", () => dsp.mutes[2] === false, 20_000);
    await page.context().close();
  });
});

describe("IT dashboard in chromium", { timeout: 60_000 }, () => {
  it("shows a camera that falls silent in the device matrix live, and its alarm, which IT acknowledges", async () => {
    const { password } = await site.user("it-truc", "it");
    const page = await panelPage(browser);
    await page.goto(`${site.httpUrl}/`);
    await page.getByLabel("Tên đăng nhập").fill("it-truc");
    await page.getByLabel("Mật khẩu").fill(password);
    await page.getByRole("button", { name: "Đăng nhập" }).click();
    const cell = page.getByTestId(`cell-${ROOM}-camera`);
    await expect.poll(() => cell.getAttribute("data-status"), { timeout: 10_000 }).toBe("ok");
    expect(await page.getByTestId("rooms-online").textContent()).toContain("1/1 phòng trực tuyến");
    expect(await seriousViolations(page)).toEqual([]);

    // The camera stops answering: the agent's probes fail, the room's health changes, the cell follows by itself.
    const cam = cameraOf("cam-a");
    cam.behaviour = "silent";
    try {
      await expect.poll(() => cell.getAttribute("data-status"), { timeout: 15_000 }).toBe("offline");
      expect(await cell.textContent()).toContain("Mất kết nối");
      expect(await page.getByTestId(`cell-${ROOM}-mixer`).getAttribute("data-status")).toBe("ok");
      // Its alarm appears in the list, and IT acknowledges it there.
      const alarm = page.getByTestId(`alarm-${ROOM}-cam-a`);
      await alarm.waitFor({ timeout: 15_000 });
      expect(await overflowingText(page)).toEqual([]);
      await screenshot(page, "dashboard", scratch);
      await alarm.getByRole("button", { name: "Xác nhận đã biết" }).click();
      await alarm.getByText("Đã xác nhận").waitFor();
      const alarms = (await (await site.fetch("/api/alarms?active=true")).json()) as {
        items: { device: string | null; ack: { by: string } | null }[];
      };
      expect(alarms.items.find((each) => each.device === "cam-a")?.ack?.by).toBe("it-truc");
    } finally {
      cam.behaviour = "normal";
    }
    await expect.poll(() => cell.getAttribute("data-status"), { timeout: 30_000 }).toBe("ok");

    await page.getByRole("button", { name: "English" }).click();
    await page.getByRole("heading", { name: "Device monitoring of all points" }).waitFor();
    expect(await cell.textContent()).toContain("OK");
    await page.context().close();
  });
});
