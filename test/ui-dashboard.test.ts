// The IT dashboard's deeper parts (issue 15, item 2) in Debian's chromium against real processes: the in-process
// controller, a room agent with two simulated ONVIF cameras, a simulated Extron DSP playing a recorded hearing (so the
// auto director decides) and the archive upload of a real H.264 recording. A room's history with its status changes,
// the director's decisions in Vietnamese and the telemetry charts; a driver restart seen at the camera; an alarm put
// into maintenance and the window ended; a session's attendance and its recording played in the page through HTTP
// Range; the audit log filtered. Each view is checked by axe-core and for text that overflows at 1280×800.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { registerRoom, Store } from "@rc/controller";
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
import { REPO, startTs, stopAll } from "./support/processes.ts";
import { SITE_CAMERA_PASSWORD, TestSite } from "./support/test-site.ts";
import { waitFor } from "./support/wait-for.ts";

const ROOM = "xa-binh-minh";
const NAME = `Phòng ${ROOM}`;
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
] as const;
const CAMERA_NAMES = { "cam-a": "Camera chủ trì", "cam-b": "Camera công dân" } as const;
const camera = (id: keyof typeof CAMERA_NAMES) => ({
  id,
  name: CAMERA_NAMES[id],
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
let session = "";
let itPassword = "";
const cameraOf = (device: string) => simulated.cameras.find((each) => each.device === device)!.camera;

async function history(): Promise<{ kind: string; type?: string; data?: { by?: string; cause?: unknown } }[]> {
  return ((await (await site.fetch(`/api/rooms/${ROOM}/history?limit=500`)).json()) as { items: [] }).items;
}

/** The dashboard logged in as IT, at 1280×800 in Vietnamese. */
async function dashboard(): Promise<Page> {
  const page = await panelPage(browser);
  await page.goto(`${site.httpUrl}/`);
  await page.getByLabel("Tên đăng nhập").fill("it-giam-sat");
  await page.getByLabel("Mật khẩu").fill(itPassword);
  await page.getByRole("button", { name: "Đăng nhập" }).click();
  await page.getByTestId(`room-${ROOM}`).waitFor();
  return page;
}

async function roomPage(): Promise<Page> {
  const page = await dashboard();
  await page.getByRole("button", { name: `Lịch sử — ${NAME}` }).click();
  await page.getByRole("heading", { name: `Lịch sử — ${NAME}` }).waitFor();
  return page;
}

/** A one-second H.264 Matroska segment made by GStreamer, as the media worker records them, and its sidecar. */
function recordSegment(dir: string, sessionId: string, stem: string): void {
  const folder = join(dir, sessionId, ROOM);
  mkdirSync(folder, { recursive: true });
  const file = join(folder, `${stem}.mkv`);
  execFileSync("gst-launch-1.0", [
    "-q",
    "videotestsrc",
    "num-buffers=50",
    "!",
    "x264enc",
    "!",
    "matroskamux",
    "!",
    "filesink",
    `location=${file}`,
  ]);
  const start = new Date(Date.now() - 60_000).toISOString();
  const end = new Date(Date.now() - 58_000).toISOString();
  const sidecar = {
    version: 1,
    session: sessionId,
    room: ROOM,
    file: `${stem}.mkv`,
    start,
    end,
    camera: "cam-a",
    cuts: [],
    closed: "end",
  };
  writeFileSync(join(folder, `${stem}.json`), JSON.stringify(sidecar));
}

beforeAll(async () => {
  buildPanel();
  scratch = mkdtempSync(join(tmpdir(), "rc-ui-dashboard-"));
  const recordings = join(scratch, "recordings");
  simulated = new SimulatedRooms({
    serialDir: scratch,
    cameraPassword: SITE_CAMERA_PASSWORD,
    camera: { fullSpeedTravelS: 1, picture: false },
  });
  const profile = roomProfile.parse({
    version: 1,
    id: ROOM,
    name: NAME,
    level: "commune",
    parent: null,
    devices: [
      camera("cam-a"),
      camera("cam-b"),
      { id: "dsp", kind: "mixer", model: "extron-dmp128-plus", connection: { path: "/dev/null" } },
    ],
    seats: SEATS,
  });
  const cameras = await Promise.all(
    profile.devices.filter((entry) => entry.kind === "camera").map((entry) => simulated.device(entry, profile)),
  );
  pty = new PtyPair(join(scratch, "dsp"), join(scratch, "ttyUSB0"));
  await pty.start();
  // A recorded hearing plays into the DSP's meters: the auto director has talkers to follow.
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
        },
        // The media device only says where recordings are: disabled, so no media worker starts.
        { id: "media", kind: "media", enabled: false, recordings: { dir: recordings } },
      ],
      seats: [...SEATS],
      director: { wideShot: { camera: "cam-a", preset: "toan-canh" } },
    }),
    // Alarms a second after a device goes bad, and a telemetry sample kept every second for the charts.
    health: { alarmDebounceMs: 1000, telemetryEveryMs: 1000 },
  });
  itPassword = (await site.user("it-giam-sat", "it")).password;
  // A district with a commune under it, registered as the CLI does (the controller reloads its store): for the filter.
  const store = new Store(join(site.dir, "controller"));
  await store.open();
  await registerRoom(store, { id: "huyen-dong", name: "Huyện Đông", level: "district", parent: null });
  await registerRoom(store, { id: "xa-dong-a", name: "Xã Đông A", level: "commune", parent: "huyen-dong" });
  // A session of the room with a finished segment of its recording waiting at the agent, which uploads it at start.
  const start = new Date(Date.now() + 3600_000);
  const created = await site.fetch("/api/sessions", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      title: "Tiếp công dân đột xuất",
      host: ROOM,
      presiding: { name: "Trần Thị Bình", title: "Phó Chủ tịch UBND xã" },
      start: start.toISOString(),
      end: new Date(start.getTime() + 3600_000).toISOString(),
    }),
  });
  expect(created.status, await created.clone().text()).toBe(201);
  session = ((await created.json()) as { id: string }).id;
  recordSegment(recordings, session, "20261204T010000Z_0");
  startTs(
    "agent",
    "room-agent/src/cli.ts",
    [...site.agentArgs(ROOM), "--keepalive", "2", "--archive-url", site.httpUrl],
    {
      RC_CAMERA_PASSWORD: SITE_CAMERA_PASSWORD,
    },
  );
  await waitFor(
    "both cameras and the DSP ok",
    async () => {
      const health = ((await (await site.fetch(`/api/rooms/${ROOM}`)).json()) as RoomView).health;
      return ["cam-a", "cam-b", "dsp"].every((device) => health[device]?.status === "ok");
    },
    45_000,
  );
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stopAll();
  await site?.stop();
  await dsp?.stop();
  await pty?.stop();
  await simulated?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

describe("IT dashboard: a room's history", { timeout: 60_000 }, () => {
  it("shows status changes, the director's recent decisions worded from their causes and the telemetry charts, in Vietnamese and English", async () => {
    // The director (on by default) follows the recorded hearing; telemetry arrives every second.
    await waitFor(
      "a director's decision with its cause in the history",
      async () =>
        (await history()).some((line) => line.type === "cut" && line.data?.by === "director" && line.data.cause),
      30_000,
    );
    await waitFor(
      "three telemetry samples",
      async () =>
        ((await (await site.fetch(`/api/rooms/${ROOM}/telemetry`)).json()) as { items: unknown[] }).items.length >= 3,
      15_000,
    );
    const page = await roomPage();
    const decisions = page.getByTestId("decisions");
    await decisions.locator("li").first().waitFor();
    expect(await decisions.textContent()).toMatch(/Chuyển sang Camera (chủ trì|công dân)/);
    expect(await decisions.textContent()).toMatch(/đang nói|hình toàn cảnh|Giữ hình/);
    expect(await page.getByTestId("changes").textContent()).toContain("Camera công dân: Tốt");
    const cpu = page.getByRole("img", { name: /^Biểu đồ CPU \(%\): \d+ mẫu/ });
    await cpu.waitFor();
    expect(await cpu.locator("canvas").count()).toBe(1);
    expect(await seriousViolations(page)).toEqual([]);
    expect(await overflowingText(page)).toEqual([]);
    await screenshot(page, "dashboard-history", scratch);

    await page.getByRole("button", { name: "English" }).click();
    await page.getByRole("heading", { name: `History — ${NAME}` }).waitFor();
    expect(await decisions.textContent()).toMatch(/Cut to Camera/);
    expect(await decisions.textContent()).toMatch(/speaking|the whole room|Holding/);
    await page.getByRole("img", { name: /^Chart of CPU \(%\): \d+ samples/ }).waitFor();
    await page.context().close();
  });

  it("restarts a camera's driver after asking, the camera sees it connect again, and the audit log shows it, filtered by user", async () => {
    const page = await roomPage();
    const cam = cameraOf("cam-b");
    const presetReads = () => cam.requests.filter((request) => request.operation === "GetPresets").length;
    const before = presetReads();
    await page.getByRole("button", { name: "Khởi động lại trình điều khiển của Camera công dân" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByText("Thiết bị sẽ mất kết nối trong vài giây").waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await dialog.getByRole("button", { name: "Khởi động lại" }).click();
    await page
      .getByRole("status")
      .filter({ hasText: "Đã khởi động lại trình điều khiển của Camera công dân." })
      .waitFor();
    // The driver started again: it reads the camera's presets as every start does.
    await waitFor("cam-b's driver reconnected", () => presetReads() > before, 15_000);

    await page.getByRole("button", { name: "Nhật ký thao tác" }).click();
    await page.getByLabel("Người thao tác").fill("it-giam-sat");
    await page.getByRole("button", { name: "Lọc", exact: true }).click();
    const restart = page.getByTestId("audit").locator("tr").filter({ hasText: "Khởi động lại trình điều khiển" });
    await restart.first().waitFor();
    expect(await restart.first().textContent()).toContain("Thành công");
    expect(await restart.first().textContent()).toContain(NAME);
    // Every row is the filtered user's.
    const users = await page.getByTestId("audit").locator("tbody tr td:nth-child(2)").allTextContents();
    expect(new Set(users)).toEqual(new Set(["it-giam-sat"]));
    expect(await seriousViolations(page)).toEqual([]);
    expect(await overflowingText(page)).toEqual([]);
    await screenshot(page, "dashboard-audit", scratch);
    await page.getByLabel("Người thao tác").fill("khong-ai");
    await page.getByRole("button", { name: "Lọc", exact: true }).click();
    await page.getByText("Không có thao tác nào khớp bộ lọc.").waitFor();
    await page.context().close();
  });
});

describe("IT dashboard: the rooms of a district", { timeout: 60_000 }, () => {
  it("shows a district and the rooms under it when the district is picked, and every room again after", async () => {
    const page = await dashboard();
    await page.getByTestId("room-xa-dong-a").waitFor();
    await page.getByLabel("Huyện", { exact: true }).selectOption({ label: "Huyện Đông" });
    await page.getByTestId(`room-${ROOM}`).waitFor({ state: "detached" });
    expect(await page.getByTestId("room-huyen-dong").count()).toBe(1);
    expect(await page.getByTestId("room-xa-dong-a").count()).toBe(1);
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByLabel("Huyện", { exact: true }).selectOption({ label: "Mọi huyện" });
    await page.getByTestId(`room-${ROOM}`).waitFor();
    await page.context().close();
  });
});

describe("IT dashboard: alarms and maintenance", { timeout: 60_000 }, () => {
  it("puts a silenced camera's alarm into maintenance from the alarm list, and ends the window on the room's page", async () => {
    const page = await dashboard();
    const cam = cameraOf("cam-a");
    cam.behaviour = "silent";
    try {
      const alarm = page.getByTestId(`alarm-${ROOM}-cam-a`);
      await alarm.waitFor({ timeout: 20_000 });
      await alarm.getByRole("button", { name: "Bảo trì" }).click();
      await alarm.getByLabel("Lý do").fill("Thay dây mạng camera");
      expect(await seriousViolations(page)).toEqual([]);
      await alarm.getByRole("button", { name: /1 giờ$/ }).click();
      await page
        .getByRole("status")
        .filter({ hasText: /^Đã đặt bảo trì/ })
        .waitFor();
      const windows = (await (await site.fetch(`/api/maintenance?room=${ROOM}`)).json()) as {
        items: { device: string | null; reason: string; createdBy: string }[];
      };
      expect(windows.items).toEqual([
        expect.objectContaining({ device: "cam-a", reason: "Thay dây mạng camera", createdBy: "it-giam-sat" }),
      ]);
    } finally {
      cam.behaviour = "normal";
    }
    await page.getByRole("button", { name: `Lịch sử — ${NAME}` }).click();
    const window = page.getByTestId("maintenance-cam-a");
    await window.waitFor();
    expect(await window.textContent()).toContain("Camera chủ trì: bảo trì đến");
    expect(await overflowingText(page)).toEqual([]);
    await window.getByRole("button", { name: "Kết thúc bảo trì" }).click();
    await window.waitFor({ state: "detached" });
    const left = (await (await site.fetch(`/api/maintenance?room=${ROOM}`)).json()) as { items: unknown[] };
    expect(left.items).toEqual([]);
    await page
      .getByTestId("changes")
      .getByText(/Kết thúc bảo trì Camera chủ trì/)
      .first()
      .waitFor();
    await page.context().close();
  });
});

describe("IT dashboard: sessions", { timeout: 60_000 }, () => {
  it("shows a session's attendance and plays its archived recording in the page through HTTP Range", async () => {
    await waitFor(
      "the segment in the archive",
      async () =>
        ((await (await site.fetch(`/api/sessions/${session}/recordings`)).json()) as { recordings: unknown[] })
          .recordings.length === 1,
      30_000,
    );
    for (const transition of ["start", "end"]) {
      const answer = await site.fetch(`/api/sessions/${session}/${transition}`, { method: "POST" });
      expect(answer.status, await answer.clone().text()).toBe(200);
    }
    const page = await dashboard();
    const ranges: number[] = [];
    page.on("response", (response) => {
      if (response.url().includes("/api/recordings/")) ranges.push(response.status());
    });
    await page.getByRole("button", { name: "Phiên tiếp công dân" }).click();
    const row = page.getByTestId(`session-${session}`);
    await row.getByText("Tiếp công dân đột xuất").waitFor();
    expect(await row.textContent()).toContain("Đã kết thúc");
    await row.getByRole("button", { name: "Xem chi tiết" }).click();
    // The host's agent was online while the session was live: present from its start to its end.
    expect(await row.getByTestId(`attendance-${ROOM}`).textContent()).toMatch(/Có mặt \d\d:\d\d:\d\d – \d\d:\d\d:\d\d/);
    await row.getByRole("button", { name: /^Xem bản ghi/ }).click();
    const player = row.getByTestId("player");
    await player.waitFor();
    await waitFor("the recording decoded in the page", () =>
      player.evaluate((video: HTMLVideoElement) => video.readyState >= 2 && video.duration > 1.5 && !video.error),
    );
    expect(ranges).toContain(206);
    expect(await row.getByText("Trình duyệt không phát được").count()).toBe(0);
    expect(await seriousViolations(page)).toEqual([]);
    expect(await overflowingText(page)).toEqual([]);
    await screenshot(page, "dashboard-sessions", scratch);
    await page.context().close();
  });
});
