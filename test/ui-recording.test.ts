// The operator panel's recording in a real browser (Debian's chromium) against real processes: the in-process
// controller and a room agent process with its media worker (real GStreamer, test pictures, recording to a folder of
// this test's own). A tap on "record" starts the media line's recording (read at the agent's own reading, not the
// panel's idea of it), the REC lamp lights, and the elapsed time shown runs; a tap on "stop" ends it.
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setRoomPin } from "@rc/controller";
import type { RoomView } from "@rc/protocol";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildPanel, launchBrowser, panelPage } from "./support/browser.ts";
import { stopAll } from "./support/processes.ts";
import { TestSite } from "./support/test-site.ts";
import { testUdpPort } from "./support/udp-ports.ts";
import { waitFor } from "./support/wait-for.ts";

const ROOM = "phong-ghi-hinh";
const PIN = "135790";

let site: TestSite;
let browser: Browser;
let recordings: string;

async function roomView(): Promise<RoomView> {
  return (await (await site.fetch(`/api/rooms/${ROOM}`)).json()) as RoomView;
}
const mediaReading = async (name: string) => (await roomView()).state?.devices.media?.[name];

/** "Đã ghi 00:07" or "Đã ghi 1:02:03" → seconds. */
function seconds(text: string): number {
  const match = /(\d+(?::\d+)+)/.exec(text);
  if (!match) throw new Error(`no elapsed time in "${text}"`);
  return match[1]!.split(":").reduce((total, part) => total * 60 + Number(part), 0);
}

beforeAll(async () => {
  buildPanel();
  recordings = mkdtempSync(join(tmpdir(), "rc-ui-recordings-"));
  const port = await testUdpPort();
  site = await TestSite.create("embedded", [ROOM], {
    extend: () => ({
      // DESIGN §3.2's probing: the site's quick 0.5 s would restart a media worker whenever the machine is slow.
      probe: { intervalMs: 2000, offlineAfter: 2 },
      devices: [
        {
          id: "media",
          kind: "media",
          video: { width: 640, height: 360, fps: 15, bitrateKbps: 800, keyframeS: 2 },
          audio: { input: "testsrc:440", bitrateKbps: 64 },
          inputs: { camera: "testsrc:red" },
          srt: { bind: "127.0.0.1", port, latencyMs: 120 },
          recordings: { dir: recordings, segmentS: 600, minFreeMb: 1 },
          display: "none",
        },
      ],
    }),
  });
  await setRoomPin(site.controller.store, ROOM, PIN);
  site.startAgent(ROOM);
  await waitFor("the media line ok", async () => (await roomView()).health.media?.status === "ok", 90_000);
  browser = await launchBrowser();
}, 150_000);

afterAll(async () => {
  await browser?.close();
  await stopAll();
  await site?.stop();
  rmSync(recordings, { recursive: true, force: true });
});

describe("operator panel's recording in chromium", () => {
  it("record on → REC shown and the elapsed time runs; stop → recording off", { timeout: 120_000 }, async () => {
    const page = await panelPage(browser);
    await page.goto(`${site.httpUrl}/panel/${ROOM}`);
    for (const digit of PIN) await page.getByRole("button", { name: digit, exact: true }).click();
    await page.getByRole("button", { name: "Mở khoá" }).click();
    await page.getByRole("heading", { name: `Phòng ${ROOM}` }).waitFor();

    const lamp = page.getByTestId("rec");
    const elapsed = page.getByTestId("elapsed");
    expect((await lamp.textContent())?.trim()).toBe("KHÔNG GHI");
    expect(await elapsed.count()).toBe(0);
    const start = page.getByRole("button", { name: "Bắt đầu ghi" });
    await waitForEnabled(start);
    await start.click();

    // The media line itself records: its reading, and a segment in the folder.
    await waitFor("the media line recording", async () => (await mediaReading("recording.on")) === true, 30_000);
    await waitFor(
      "a segment in the recordings folder",
      () => readdirSync(recordings, { recursive: true, encoding: "utf8" }).some((file) => /\.mkv$/.test(file)),
      30_000,
    );
    await page.getByRole("heading", { name: "Ghi hình: Đang ghi hình" }).waitFor({ timeout: 30_000 });
    await waitFor("REC lit on the panel", async () => (await lamp.textContent())?.trim() === "ĐANG GHI", 30_000);

    // The elapsed time runs: read once, then wait until the panel shows a later time (at least 2 s on).
    await elapsed.waitFor({ timeout: 30_000 });
    const first = seconds((await elapsed.textContent()) ?? "");
    expect((await elapsed.textContent()) ?? "").toMatch(/^Đã ghi /);
    let later = first;
    await waitFor(
      "the elapsed time 2 s further on",
      async () => {
        later = seconds((await elapsed.textContent()) ?? "");
        return later >= first + 2;
      },
      30_000,
    );
    expect(later).toBeGreaterThanOrEqual(first + 2);

    await page.getByRole("button", { name: "Dừng ghi" }).click();
    await waitFor("the media line stopped", async () => (await mediaReading("recording.on")) === false, 30_000);
    await page.getByRole("heading", { name: "Ghi hình: Không ghi hình" }).waitFor({ timeout: 30_000 });
    await waitFor("REC off on the panel", async () => (await lamp.textContent())?.trim() === "KHÔNG GHI", 30_000);
    expect(await elapsed.count()).toBe(0);
    await page.context().close();
  });
});

async function waitForEnabled(locator: import("playwright-core").Locator): Promise<void> {
  await waitFor("the record button enabled", () => locator.isEnabled(), 30_000);
}
