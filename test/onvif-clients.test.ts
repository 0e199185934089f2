// Why the camera driver runs on `onvif` and not node-onvif (README, "Cameras"): the defects of research/onvif.md,
// measured against the simulated camera's quirk switches. Each case is run with node-onvif (which fails) and with our
// driver (which copes); if a node-onvif release ever fixes one, its expectation here fails and the README must change.
import { createRequire } from "node:module";
import { join } from "node:path";
import {
  type CameraDeviceEntry,
  cameraModelProfile,
  DEVICE_MODELS_DIR,
  loadProfile,
  type RoomProfile,
} from "@rc/hardware-profiles";
import { CameraDriver } from "@rc/room-agent";
import { OnvifCamera, type OnvifCameraOptions } from "@rc/simulators";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";

const require = createRequire(import.meta.url);
// biome-ignore lint/suspicious/noExplicitAny: node-onvif ships no types.
const nodeOnvif: any = require("node-onvif");

const cameras: OnvifCamera[] = [];
afterEach(async () => {
  for (const camera of cameras.splice(0)) await camera.stop();
});

async function startCamera(options: Partial<OnvifCameraOptions>): Promise<OnvifCamera> {
  const camera = new OnvifCamera({ name: "cam", password: "admin", picture: false, ...options });
  cameras.push(camera);
  await camera.start();
  return camera;
}

function nodeOnvifInit(camera: OnvifCamera): Promise<unknown> {
  const device = new nodeOnvif.OnvifDevice({ xaddr: camera.deviceServiceUrl, user: "admin", pass: "admin" });
  return device.init().then(() => device);
}

async function driverConnects(camera: OnvifCamera, auth: "ws-username-token" | "http-digest" = "ws-username-token") {
  const model = { ...loadProfile(cameraModelProfile, join(DEVICE_MODELS_DIR, "camera/generic-onvif-ptz.json")), auth };
  const entry = {
    id: "cam",
    kind: "camera",
    model: model.model,
    enabled: true,
    optional: false,
    connection: { host: "127.0.0.1", port: camera.port, username: "admin" },
  } as CameraDeviceEntry;
  process.env.RC_TEST_NO_PASSWORD = "admin";
  entry.connection.passwordEnv = "RC_TEST_NO_PASSWORD";
  const driver = new CameraDriver(entry, model, {
    room: { id: "r", seats: [] } as unknown as RoomProfile,
    log: pino({ level: "silent" }),
  });
  await driver.connect({ lost: () => {}, changed: () => {} });
  return driver;
}

describe("node-onvif's measured defects, and the driver on `onvif` with the same camera", () => {
  it("a digest-only camera: node-onvif gets 401, the driver connects", async () => {
    const camera = await startCamera({ auth: "http-digest" });
    await expect(nodeOnvifInit(camera)).rejects.toThrow(/401/);
    await expect(driverConnects(camera, "http-digest")).resolves.toBeInstanceOf(CameraDriver);
  });

  it("a camera answering after 3.2 s: node-onvif's fixed 3 s time-out gives up, the driver waits", async () => {
    const camera = await startCamera({});
    camera.slowMs = 3200;
    // Its 3 s timer aborts the request: "socket hang up".
    await expect(nodeOnvifInit(camera)).rejects.toThrow(/time ?out|socket hang up/i);
    const started = Date.now();
    await expect(driverConnects(camera)).resolves.toBeInstanceOf(CameraDriver);
    expect(Date.now() - started).toBeGreaterThan(3200);
  }, 60_000);

  it("an encoder configuration without Resolution (Lorex-style): node-onvif's init fails, the driver connects", async () => {
    const camera = await startCamera({ encoderWithoutResolution: true });
    await expect(nodeOnvifInit(camera)).rejects.toThrow(/Width|Resolution|undefined/);
    await expect(driverConnects(camera)).resolves.toBeInstanceOf(CameraDriver);
  });

  it("one preset: node-onvif's GetPresets gives an object, not a list; the driver a list", async () => {
    const camera = await startCamera({});
    camera.storePreset("chu-tri", { x: 0.1, y: 0, zoom: 0 });
    // biome-ignore lint/suspicious/noExplicitAny: node-onvif's loose result
    const device: any = await nodeOnvifInit(camera);
    const result = await device.services.ptz.getPresets({ ProfileToken: device.getCurrentProfile().token });
    expect(Array.isArray(result.data.GetPresetsResponse.Preset)).toBe(false);
    const driver = await driverConnects(camera);
    expect(await driver.presets()).toEqual({ presets: ["chu-tri"] });
  });
});
