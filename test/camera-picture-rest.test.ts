// Issue 3's picture line through the whole stack: a preset recall sent to the controller's REST API reaches the
// simulated camera through the broker and the room agent; the camera's picture changes (two `camera.snapshot` JPEGs
// decode to different pictures) and the room state reports the position the camera holds for that preset. The stream
// URI the driver learnt from GetStreamUri opens in ffprobe, and a person watching it sees the camera move.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { EventPayload, RoomView } from "@rc/protocol";
import { OnvifCamera } from "@rc/simulators";
import { Cam } from "onvif";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeJpeg, difference, GstRtspViewer } from "../simulators/src/onvif-camera/picture/picture-test-clients.ts";
import { stopAll } from "./support/processes.ts";
import { SITE_CAMERA_PASSWORD, TestSite } from "./support/test-site.ts";
import { waitFor } from "./support/wait-for.ts";

// biome-ignore lint/suspicious/noExplicitAny: the onvif client's callback API and results are untyped; the expectations check them.
type Loose = any;

const ROOM = "phong-hinh-camera";
/** Where the installer aims the citizen seat: the seat drawn in the camera's picture at the same pan/tilt, zoomed in. */
const CITIZEN = { pan: -0.3, tilt: -0.55, zoom: 0.7 };
/** Mean grey-level difference (0..255) above which two small decoded pictures show different views, not noise. */
const DIFFERENT_VIEW = 10;
/** The room state rounds to 3 decimals, GetStatus to 4. */
const CLOSE = 0.005;

const cleanups: (() => Promise<unknown>)[] = [];
let site: TestSite;
let camera: OnvifCamera;
let events: EventPayload[] = [];

const room = async () => (await (await site.fetch(`/api/rooms/${ROOM}`)).json()) as RoomView;
const cameraState = async () => (await room()).state?.devices.cam;

async function request(action: string, params: Record<string, unknown>): Promise<Record<string, unknown>> {
  const response = await site.post(ROOM, { action, params: { device: "cam", ...params } });
  expect(response, `${action} ${JSON.stringify(params)}`).toMatchObject({ status: 200, body: { ok: true } });
  return response.body.result as Record<string, unknown>;
}

/** Sends a move and resolves with its move-complete event and the room state once it says the head stands still. */
async function moveAndSettle(action: string, params: Record<string, unknown>) {
  const before = events.length;
  await request(action, params);
  const completed = await waitFor(
    `move_complete after ${action}`,
    () => events.slice(before).find((e) => e.type === "move_complete"),
    10_000,
  );
  const state = await waitFor("the room state to report the camera standing still", async () => {
    const cam = await cameraState();
    return cam?.moving === false ? cam : undefined;
  });
  return { completed, state };
}

async function snapshot(): Promise<Buffer> {
  const result = await request("camera.snapshot", {});
  expect(result.contentType).toBe("image/jpeg");
  const jpeg = Buffer.from(String(result.base64), "base64");
  expect(jpeg.length).toBe(result.bytes);
  expect(jpeg.subarray(0, 2).toString("hex")).toBe("ffd8"); // SOI: a JPEG, not an error page
  return jpeg;
}

/** The camera's own record of a preset, read by an independent ONVIF client (the `onvif` package). */
async function storedPreset(name: string): Promise<{ pan: number; tilt: number; zoom: number }> {
  const cam: Loose = await new Promise((resolve, reject) => {
    const client: Loose = new Cam(
      { hostname: "127.0.0.1", port: camera.port, username: "admin", password: SITE_CAMERA_PASSWORD, timeout: 3000 },
      (err: Error | null) => (err ? reject(err) : resolve(client)),
    );
  });
  const presets: Loose = await new Promise((resolve, reject) =>
    cam.getPresets({}, (err: Error | null, result: unknown) => (err ? reject(err) : resolve(result))),
  );
  const position = presets[name]?.PTZPosition;
  expect(position, `preset ${name} in ${JSON.stringify(presets)}`).toBeDefined();
  return {
    pan: Number(position.panTilt.$.x),
    tilt: Number(position.panTilt.$.y),
    zoom: Number(position.zoom.$.x),
  };
}

beforeAll(async () => {
  camera = new OnvifCamera({
    name: "Camera công dân",
    password: SITE_CAMERA_PASSWORD,
    fullSpeedTravelS: 2,
    seats: [
      { label: "Chủ trì", pan: 0, tilt: 0.3 },
      { label: "Công dân", pan: CITIZEN.pan, tilt: CITIZEN.tilt },
    ],
  });
  await camera.start();
  cleanups.push(() => camera.stop());
  site = await TestSite.create("embedded", [ROOM], {
    requestTimeoutMs: 10_000, // the first snapshot draws the room once
    extend: () => ({
      devices: [
        {
          id: "cam",
          kind: "camera",
          model: "generic-onvif-ptz",
          connection: { host: "127.0.0.1", port: camera.port, username: "admin", passwordEnv: "RC_CAMERA_PASSWORD" },
        },
      ],
      seats: [{ id: "cong-dan", label: "Công dân", role: "citizen", camera: "cam", preset: "cong-dan" }],
    }),
  });
  cleanups.push(() => site.stop());
  cleanups.push(() => stopAll());
  events = await site.watchEvents(ROOM);
  site.startAgent(ROOM);
  await waitFor("the camera ok", async () => (await room()).health.cam?.status === "ok", 20_000);
}, 60_000);

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe("camera picture through the REST API", () => {
  it("a preset recall changes the picture, and the reported position is the preset's", async () => {
    // The installer aims at the citizen seat and stores it under the seat's preset.
    await moveAndSettle("ptz.absolute", CITIZEN);
    await request("ptz.store", { seat: "cong-dan" });
    const preset = await storedPreset("cong-dan");
    for (const axis of ["pan", "tilt", "zoom"] as const) expect(preset[axis]).toBeCloseTo(CITIZEN[axis], 2);

    // Back to the wide view of the room, then the recall.
    const home = await moveAndSettle("ptz.home", {});
    expect(home.state).toMatchObject({ pan: 0, tilt: 0, zoom: 0 });
    const before = await snapshot();
    const { completed, state } = await moveAndSettle("ptz.goto", { seat: "cong-dan" });
    const after = await snapshot();

    expect(completed.reason).toMatch(/preset cong-dan finished/);
    for (const axis of ["pan", "tilt", "zoom"] as const) {
      expect(Math.abs(Number(state[axis]) - preset[axis]), `reported ${axis}`).toBeLessThan(CLOSE);
      expect(Math.abs(Number(completed.data[axis]) - preset[axis]), `move_complete ${axis}`).toBeLessThan(CLOSE);
    }
    const [wide, aimed] = await Promise.all([decodeJpeg(before), decodeJpeg(after)]);
    expect(difference(wide, aimed)).toBeGreaterThan(DIFFERENT_VIEW);
    // The same position again is the same picture: the difference above is the move, not noise.
    expect(difference(aimed, await decodeJpeg(await snapshot()))).toBeLessThan(1);
  }, 60_000);

  it("the stream URI from GetStreamUri opens in ffprobe, and a person watching it sees the camera move", async () => {
    const uri = String((await cameraState())?.stream);
    expect(uri).toMatch(/^rtsp:\/\/127\.0\.0\.1:\d+\/stream$/);
    expect(Number(new URL(uri).port)).not.toBe(camera.port);
    // The stream wants the camera's login, as a real camera's does (ffprobe answers its Digest challenge).
    const withLogin = uri.replace("rtsp://", `rtsp://admin:${SITE_CAMERA_PASSWORD}@`);
    const { stdout } = await promisify(execFile)(
      "ffprobe",
      [
        "-v",
        "error",
        "-rtsp_transport",
        "tcp",
        "-show_entries",
        "stream=codec_name,width,height",
        "-of",
        "json",
        withLogin,
      ],
      { timeout: 15_000 },
    );
    expect(JSON.parse(stdout).streams).toEqual([{ codec_name: "h264", width: 640, height: 360 }]);

    await moveAndSettle("ptz.absolute", CITIZEN);
    const viewer = new GstRtspViewer(uri, "tcp", { user: "admin", password: SITE_CAMERA_PASSWORD });
    cleanups.push(() => viewer.stop());
    await viewer.waitForFrames(5);
    const seen = viewer.frames.length;
    const start = viewer.frames.at(-1)?.pixels as Buffer;
    await moveAndSettle("ptz.home", {});
    await viewer.waitForFrames(seen + 10); // frames from after the arrival
    const end = viewer.frames.at(-1)?.pixels as Buffer;
    expect(difference(start, end)).toBeGreaterThan(DIFFERENT_VIEW);
  }, 60_000);
});
