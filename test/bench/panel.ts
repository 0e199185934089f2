// Benchmark of the operator panel (issue 15) in Debian's chromium against the in-process controller and a real agent:
// the panel's first load (navigation → seat buttons drawn, the session cookie already set), the tap → command time
// (a seat button tapped → the GotoPreset SOAP request arriving at the simulated camera; budget p99 ≤ 50 ms, DESIGN §5;
// the camera stamps each request on this process's clock), the panel's and the app's size as served and gzipped, and the
// panel page's memory over a working day of live updates: 8 hours' worth of the room's live traffic (the DSP's meters
// at 4 a second, a state change every 5 s, a device's health every minute), published under the room's topics with
// its own MQTT login, so it goes through the broker, the controller and socket.io as an agent's does, faster than
// real time (--speed, default 100×); the page's JS heap after a forced GC every simulated hour, and its slope.
//   node --import tsx test/bench/panel.ts [--loads N] [--taps N] [--hours H] [--speed X]
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { setRoomPin } from "@rc/controller";
import { type EventPayload, type HealthPayload, type RoomView, type StatePayload, topics } from "@rc/protocol";
import { ExtronSimulator, OnvifCamera, PtyPair } from "@rc/simulators";
import type { Page } from "playwright-core";
import { buildPanel, launchBrowser, panelPage } from "../support/browser.ts";
import { REPO, stopAll } from "../support/processes.ts";
import { SITE_CAMERA_PASSWORD, TestSite } from "../support/test-site.ts";
import { waitFor } from "../support/wait-for.ts";

const { values } = parseArgs({
  options: {
    loads: { type: "string", default: "30" },
    taps: { type: "string", default: "200" },
    hours: { type: "string", default: "8" },
    speed: { type: "string", default: "100" },
  },
});
const LOADS = Number(values.loads);
const TAPS = Number(values.taps);
const HOURS = Number(values.hours);
const SPEED = Number(values.speed);
/** A room's live traffic per simulated second, as an agent sends it in a hearing. */
const METERS_PER_S = 4;
const STATE_EVERY_S = 5;
const HEALTH_EVERY_S = 60;
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
const sizes = (list: string[]) => ({
  raw: list.reduce((sum, file) => sum + readFileSync(file).length, 0),
  gzip: list.reduce((sum, file) => sum + gzipSync(readFileSync(file)).length, 0),
});
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
// Read now: ui-panel/dist is rebuilt by any test run on this machine.
const app = sizes(files);

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
// A DSP for the seats' microphones, so the meters drawn on the panel are real bars.
const scratch = mkdtempSync(join(tmpdir(), "rc-bench-panel-"));
const pty = new PtyPair(join(scratch, "dsp"), join(scratch, "ttyUSB0"));
await pty.start();
const dsp = new ExtronSimulator(pty.devicePath, "plus", 8);
await dsp.start();
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
      { id: "dsp", name: "DSP", kind: "mixer", model: "extron-dmp128-plus", connection: { path: pty.hostPath } },
    ],
    seats: [
      {
        id: "chu-tri",
        label: "Chủ trì",
        role: "chair",
        camera: "cam",
        preset: "chu-tri",
        mic: { device: "dsp", channel: 1 },
      },
      {
        id: "cong-dan",
        label: "Công dân",
        role: "citizen",
        camera: "cam",
        preset: "cong-dan",
        mic: { device: "dsp", channel: 2 },
      },
    ],
  }),
});
const browser = await launchBrowser();
try {
  await setRoomPin(site.controller.store, ROOM, PIN);
  site.startAgent(ROOM);
  const view = async () => (await (await site.fetch(`/api/rooms/${ROOM}`)).json()) as RoomView;
  await waitFor(
    "the camera and the DSP ok",
    async () => {
      const health = (await view()).health;
      return health.cam?.status === "ok" && health.dsp?.status === "ok";
    },
    30_000,
  );
  const page = await panelPage(browser);
  const url = `${site.httpUrl}/panel/${ROOM}`;
  await page.goto(url);
  for (const digit of PIN) await page.getByRole("button", { name: digit, exact: true }).click();
  await page.getByRole("button", { name: "Mở khoá" }).click();
  await page.getByTestId("seat-chu-tri").waitFor();
  // What the panel page loads (the dashboard's chunk with its charts is loaded only by the dashboard).
  const panelAssets = await page.evaluate(() =>
    performance
      .getEntriesByType("resource")
      .map((entry) => new URL(entry.name).pathname)
      .filter((path) => path.startsWith("/assets/")),
  );
  const panelFiles = [join(dist, "index.html"), ...panelAssets.map((path) => join(dist, path))];
  const panel = sizes(panelFiles);

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
    `panel page size: ${kib(panel.raw)} as served (the controller does not compress), ${kib(panel.gzip)} gzip, ${panelFiles.length} files; the whole app (with the dashboard): ${kib(app.raw)}, ${kib(app.gzip)} gzip, ${files.length} files`,
  );
  if (HOURS > 0) await memoryOverDay(page, await view());
} finally {
  await browser.close();
  await stopAll();
  await site.stop();
  await camera.stop();
  await dsp.stop();
  await pty.stop();
  rmSync(scratch, { recursive: true, force: true });
}

/**
 * HOURS of the room's live traffic into the open panel at SPEED× real time; the page's JS heap (used, after two
 * forced collections) and DOM nodes before and after every simulated hour.
 */
async function memoryOverDay(page: Page, room: RoomView): Promise<void> {
  const state = room.state;
  if (!state) throw new Error("the room reported no state");
  const cdp = await page.context().newCDPSession(page);
  const measure = async () => {
    // Queued messages reach the page first: the broker, the controller and socket.io drain in well under a second.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await cdp.send("HeapProfiler.collectGarbage");
    await cdp.send("HeapProfiler.collectGarbage");
    const heap = await cdp.send("Runtime.getHeapUsage");
    const dom = await cdp.send("Memory.getDOMCounters");
    return { heapMB: heap.usedSize / 1048576, nodes: dom.nodes, listeners: dom.jsEventListeners };
  };
  const agent = await site.connectClient(ROOM);
  const publish = (topic: string, payload: object) => agent.publish(topic, JSON.stringify(payload), { qos: 0 });
  let seq = state.seq + 1_000_000; // above the agent's own: the registry keeps the newest of a boot
  let sent = 0;
  const samples = [{ hour: 0, ...(await measure()) }];
  const started = performance.now();
  let feeding = 0;
  for (let hour = 1; hour <= HOURS; hour++) {
    const hourStarted = performance.now();
    for (let second = (hour - 1) * 3600; second < hour * 3600; second++) {
      const at = new Date(Date.now()).toISOString();
      for (let i = 0; i < METERS_PER_S; i++) {
        const levelsDb = Array.from({ length: 8 }, () => Math.round(-60 + Math.random() * 50));
        const meters: EventPayload = { at, type: "meters", device: "dsp", data: { levelsDb } };
        publish(topics.room(ROOM, "events"), meters);
        sent++;
      }
      if (second % STATE_EVERY_S === 0) {
        const change: StatePayload = {
          ...state,
          at,
          seq: seq++,
          programCamera: second % (2 * STATE_EVERY_S) === 0 ? "cam" : null,
          devices: { ...state.devices, dsp: { ...state.devices.dsp, "ch1.muted": second % 20 === 0 } },
        };
        publish(topics.room(ROOM, "state"), change);
        sent++;
      }
      if (second % HEALTH_EVERY_S === 0) {
        const health: HealthPayload = {
          status: "ok",
          since: at,
          detail: "ok",
          rttMs: Math.round(Math.random() * 20),
          counters: {},
        };
        publish(topics.health(ROOM, "cam"), health);
        sent++;
      }
      // Paced to SPEED× real time, checked every simulated 10 s.
      if (second % 10 === 9) {
        const due = hourStarted + ((second + 1 - (hour - 1) * 3600) * 1000) / SPEED;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
    feeding += performance.now() - hourStarted;
    samples.push({ hour, ...(await measure()) });
  }
  await agent.endAsync();
  const elapsedS = (performance.now() - started) / 1000;
  const n = samples.length;
  const meanX = samples.reduce((sum, s) => sum + s.hour, 0) / n;
  const meanY = samples.reduce((sum, s) => sum + s.heapMB, 0) / n;
  const slope =
    samples.reduce((sum, s) => sum + (s.hour - meanX) * (s.heapMB - meanY), 0) /
    samples.reduce((sum, s) => sum + (s.hour - meanX) ** 2, 0);
  console.log(
    `live updates: ${HOURS} h of a room's traffic = ${sent} messages (meters ${METERS_PER_S}/s, state every ${STATE_EVERY_S} s, health every ${HEALTH_EVERY_S} s), fed in ${(feeding / 1000).toFixed(0)} s (${(sent / (feeding / 1000)).toFixed(0)}/s, ${SPEED}× real time; ${elapsedS.toFixed(0)} s with the measurements)`,
  );
  for (const sample of samples) {
    console.log(
      `  after ${sample.hour} h: JS heap ${sample.heapMB.toFixed(2)} MB, ${sample.nodes} DOM nodes, ${sample.listeners} listeners`,
    );
  }
  console.log(
    `panel page JS heap over the day: ${samples[0]!.heapMB.toFixed(2)} → ${samples.at(-1)!.heapMB.toFixed(2)} MB, slope ${(slope * 1024).toFixed(1)} KiB per simulated hour (least squares over ${n} samples)`,
  );
}
