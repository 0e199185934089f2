// Benchmark of the operator panel (issue 15) in Debian's chromium against the in-process controller and a real agent:
// the panel's first load (navigation → seat buttons drawn, the session cookie already set), the tap → command time
// (a seat button tapped → the GotoPreset SOAP request arriving at the simulated camera; budget p99 ≤ 50 ms, DESIGN §5;
// the camera stamps each request on this process's clock), and the app's size as served and gzip-compressed.
//   node --import tsx test/bench/panel.ts [--loads N] [--taps N]
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { setRoomPin } from "@rc/controller";
import type { RoomView } from "@rc/protocol";
import { OnvifCamera } from "@rc/simulators";
import { buildPanel, launchBrowser, panelPage } from "../support/browser.ts";
import { REPO, stopAll } from "../support/processes.ts";
import { SITE_CAMERA_PASSWORD, TestSite } from "../support/test-site.ts";
import { waitFor } from "../support/wait-for.ts";

const { values } = parseArgs({
  options: { loads: { type: "string", default: "30" }, taps: { type: "string", default: "200" } },
});
const LOADS = Number(values.loads);
const TAPS = Number(values.taps);
const ROOM = "phong-do-bang";
const PIN = "135790";

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
const summary = (samples: number[]) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return `p50 ${percentile(sorted, 50).toFixed(1)} ms · p99 ${percentile(sorted, 99).toFixed(1)} ms · n ${sorted.length}`;
};

buildPanel();
const dist = join(REPO, "ui-panel/dist");
const files = [join(dist, "index.html"), ...readdirSync(join(dist, "assets")).map((f) => join(dist, "assets", f))];
const raw = files.reduce((sum, file) => sum + readFileSync(file).length, 0);
const gzip = files.reduce((sum, file) => sum + gzipSync(readFileSync(file)).length, 0);

const camera = new OnvifCamera({
  name: "bench",
  password: SITE_CAMERA_PASSWORD,
  fullSpeedTravelS: 0.2,
  picture: false,
  seats: [
    { label: "Chủ trì", pan: -0.5, tilt: 0 },
    { label: "Công dân", pan: 0.5, tilt: 0 },
  ],
});
await camera.start();
camera.storePreset("chu-tri", { x: -0.5, y: 0, zoom: 0.5 });
camera.storePreset("cong-dan", { x: 0.5, y: 0, zoom: 0.5 });
const site = await TestSite.create("embedded", [ROOM], {
  extend: () => ({
    devices: [
      {
        id: "cam",
        name: "Camera",
        kind: "camera",
        model: "generic-onvif-ptz",
        connection: { host: "127.0.0.1", port: camera.port, username: "admin", passwordEnv: "RC_CAMERA_PASSWORD" },
      },
    ],
    seats: [
      { id: "chu-tri", label: "Chủ trì", role: "chair", camera: "cam", preset: "chu-tri" },
      { id: "cong-dan", label: "Công dân", role: "citizen", camera: "cam", preset: "cong-dan" },
    ],
  }),
});
const browser = await launchBrowser();
try {
  await setRoomPin(site.controller.store, ROOM, PIN);
  site.startAgent(ROOM);
  await waitFor(
    "the camera ok",
    async () => ((await (await site.fetch(`/api/rooms/${ROOM}`)).json()) as RoomView).health.cam?.status === "ok",
    30_000,
  );
  const page = await panelPage(browser);
  const url = `${site.httpUrl}/panel/${ROOM}`;
  await page.goto(url);
  for (const digit of PIN) await page.getByRole("button", { name: digit, exact: true }).click();
  await page.getByRole("button", { name: "Mở khoá" }).click();
  await page.getByTestId("seat-chu-tri").waitFor();

  // First load: a fresh page of the unlocked context each time (the browser's cache is warm after the first).
  const loads: number[] = [];
  for (let i = 0; i < LOADS; i++) {
    const fresh = await page.context().newPage();
    const started = performance.now();
    await fresh.goto(url);
    await fresh.getByTestId("seat-chu-tri").waitFor();
    await fresh.locator("[data-testid=seat-chu-tri]:not([disabled])").waitFor();
    loads.push(performance.now() - started);
    await fresh.close();
  }

  // Tap → command at the camera: alternate the two seats, so every tap is a new command. Measured from the finger-up
  // as the page sees it (stamped before the panel's own handler, on the system clock as the camera's stamps are),
  // and from the driver's click call, which adds playwright's own checks and round trips to the browser.
  await page.evaluate(() => {
    document.addEventListener(
      "pointerup",
      () => {
        (window as unknown as { tapAt: number }).tapAt = performance.timeOrigin + performance.now();
      },
      { capture: true },
    );
  });
  const taps: number[] = [];
  const clicks: number[] = [];
  for (let i = 0; i < TAPS; i++) {
    const seat = i % 2 === 0 ? "cong-dan" : "chu-tri";
    const before = camera.requests.length;
    const tappedAt = performance.now();
    await page.getByTestId(`seat-${seat}`).click();
    const request = await waitFor(
      "GotoPreset at the camera",
      () => camera.requests.slice(before).find((r) => r.operation === "GotoPreset"),
      5000,
      1,
    );
    clicks.push(request.at - tappedAt);
    const tapAt = await page.evaluate(() => (window as unknown as { tapAt: number }).tapAt);
    taps.push(performance.timeOrigin + request.at - tapAt);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  console.log(`panel first load (navigation → seat buttons usable): ${summary(loads)}`);
  console.log(`finger-up in the page → GotoPreset at the camera (REST, MQTT, agent): ${summary(taps)}`);
  console.log(`playwright click() call → GotoPreset at the camera: ${summary(clicks)}`);
  console.log(
    `app size: ${(raw / 1024).toFixed(1)} KiB as served (the controller does not compress), ${(gzip / 1024).toFixed(1)} KiB gzip, ${files.length} files`,
  );
} finally {
  await browser.close();
  await stopAll();
  await site.stop();
  await camera.stop();
}
