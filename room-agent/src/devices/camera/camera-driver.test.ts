// The camera driver against the simulated ONVIF camera over loopback HTTP: presets by name, the dead-man stop,
// move-complete with and without MoveStatus, faults that name themselves, and each quirk and misbehaviour switch.
import { join } from "node:path";
import {
  type CameraDeviceEntry,
  type CameraModelProfile,
  cameraModelProfile,
  DEVICE_MODELS_DIR,
  loadProfile,
  type RoomProfile,
} from "@rc/hardware-profiles";
import { OnvifCamera, type OnvifCameraOptions } from "@rc/simulators";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "../../../../test/support/wait-for.ts";
import type { AgentError } from "../../agent-error.ts";
import { DeviceSupervisor } from "../device-supervisor.ts";
import { CameraDriver, DEAD_MAN_MS } from "./camera-driver.ts";

const log = pino({ level: "silent" });
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** This file's waits: 5 s unless a test says otherwise, asked every 20 ms. */
function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 5000) {
  return waitFor(what, check, timeoutMs, 20);
}

const modelOf = (name: string, patch: Partial<CameraModelProfile> = {}): CameraModelProfile => ({
  ...loadProfile(cameraModelProfile, join(DEVICE_MODELS_DIR, "camera", `${name}.json`)),
  ...patch,
});

const ROOM = {
  id: "phong-thu",
  seats: [{ id: "cong-dan", label: "Công dân", role: "citizen", camera: "cam", preset: "cong-dan" }],
} as unknown as RoomProfile;

async function startCamera(options: Partial<OnvifCameraOptions> = {}): Promise<OnvifCamera> {
  const camera = new OnvifCamera({ name: "cam", fullSpeedTravelS: 1, picture: false, ...options });
  await camera.start();
  cleanups.push(() => camera.stop());
  return camera;
}

function driverFor(camera: OnvifCamera, model = modelOf("generic-onvif-ptz"), password = "admin") {
  process.env.RC_TEST_CAMERA_PASSWORD = password;
  const entry: CameraDeviceEntry = {
    id: "cam",
    name: "Camera",
    kind: "camera",
    model: model.model,
    enabled: true,
    optional: false,
    connection: { host: "127.0.0.1", port: camera.port, username: "admin", passwordEnv: "RC_TEST_CAMERA_PASSWORD" },
  };
  const events: string[] = [];
  const driver = new CameraDriver(entry, model, {
    room: ROOM,
    log,
    moveComplete: (_position, what) => events.push(what),
    streamChanged: () => {},
  });
  cleanups.push(() => driver.disconnect());
  return { driver, events };
}

async function connected(camera: OnvifCamera, model?: CameraModelProfile) {
  const rig = driverFor(camera, model);
  await rig.driver.connect({ lost: () => {}, changed: () => {} });
  return rig;
}

function supervise(driver: CameraDriver): DeviceSupervisor {
  const supervisor = new DeviceSupervisor(driver, {
    probeIntervalMs: 300,
    offlineAfter: 2,
    backoffMinMs: 100,
    backoffMaxMs: 400,
    connectTimeoutMs: 3000,
  });
  supervisor.start();
  cleanups.push(() => supervisor.stop());
  return supervisor;
}

describe("camera driver", () => {
  it("connects, learns a camera clock that is a day off, and drives presets by name", async () => {
    const camera = await startCamera({ clockOffsetMs: 86_400_000, skewWindowS: 5 });
    const { driver, events } = await connected(camera);
    expect(driver.readings().clockOffsetMs).toBeGreaterThan(86_390_000);
    expect(driver.readings().stream).toMatch(/^rtsp:\/\//);
    // The seat's preset is not stored yet: the state says so, for the installer.
    expect(driver.readings().missingPresets).toEqual(["cong-dan"]);

    await driver.absolute({ pan: 0.5, tilt: -0.2, zoom: 0.3 });
    await until("the head at the seat", () => !camera.status().moving);
    await driver.store("cong-dan");
    await driver.home();
    await until("home", () => !camera.status().moving);

    await driver.goto(driver.presetOfSeat("cong-dan"), true);
    const { position } = camera.status();
    expect(position.x).toBeCloseTo(0.5, 3);
    expect(driver.readings()).toMatchObject({ pan: 0.5, tilt: -0.2, zoom: 0.3, moving: false });
    expect(events).toContain("preset cong-dan");
    expect(driver.readings().presets).toEqual(["cong-dan"]);
    expect(driver.readings().missingPresets).toEqual([]);

    await expect(driver.goto("khong-co")).rejects.toMatchObject({ code: "not_found" } satisfies Partial<AgentError>);
    expect(() => driver.presetOfSeat("khach")).toThrow(/no seat "khach"/);
    await driver.remove("cong-dan");
    expect((await driver.presets()).presets).toEqual([]);
  });

  it("names the camera's fault: a preset removed behind its back", async () => {
    const camera = await startCamera();
    const { driver } = await connected(camera);
    await driver.store("chu-tri");
    // Someone else deletes it at the camera's web page; our list is stale until the next read.
    const other = driverFor(camera).driver;
    await other.connect({ lost: () => {}, changed: () => {} });
    await other.remove("chu-tri");
    await expect(driver.goto("chu-tri")).rejects.toThrow(/camera refused: no preset 1 \(ter:NoToken\)/);
    expect(driver.counters.faults).toBe(1);
  });

  it("stops a move that is not refreshed within the dead-man time", async () => {
    const camera = await startCamera({ fullSpeedTravelS: 10 });
    const { driver } = await connected(camera);
    await driver.move({ pan: 1, tilt: 0, zoom: 0 });
    const started = camera.requests.at(-1)!;
    expect(started.operation).toBe("ContinuousMove");
    await until("Stop", () => camera.requests.some((r) => r.operation === "Stop" && r.at > started.at), 2000);
    const stop = camera.requests.find((r) => r.operation === "Stop" && r.at > started.at)!;
    expect(stop.at - started.at).toBeLessThanOrEqual(DEAD_MAN_MS + 100);
    expect(camera.status().moving).toBe(false);
    expect(driver.counters.deadManStops).toBe(1);

    // Refreshed in time, the head keeps going.
    for (let i = 0; i < 5; i++) {
      await driver.move({ pan: 0.5, tilt: 0, zoom: 0 });
      await new Promise((resolve) => setTimeout(resolve, DEAD_MAN_MS / 2));
    }
    expect(camera.status().moving).toBe(true);
    expect(driver.counters.deadManStops).toBe(1);
  });

  it("Hikvision-like: special presets never reachable, a free slot for a new preset, arrival inferred without MoveStatus", async () => {
    const camera = await startCamera({ hikvisionPresets: true, noMoveStatus: true, fullSpeedTravelS: 2 });
    const { driver, events } = await connected(camera, modelOf("hikvision-ds-2de"));
    // The camera lists "Remote reboot" (94) and friends; the room never sees them.
    expect(driver.readings().presets).toEqual([]);
    await expect(driver.goto("Remote reboot")).rejects.toMatchObject({ code: "not_found" });
    await expect(driver.store("Remote reboot")).resolves.toEqual({ preset: "Remote reboot" });
    // Stored into the lowest free ordinary slot, not into 94.
    expect(camera.requests.filter((r) => r.operation === "SetPreset")).toHaveLength(1);
    const stored = await driver.presets();
    expect(stored.presets).toEqual(["Remote reboot"]);

    await driver.absolute({ pan: -0.8, tilt: 0.4 });
    await until("still", () => !camera.status().moving);
    await driver.store("chu-tri");
    await driver.home();
    const before = Date.now();
    await driver.goto("chu-tri", true);
    // Inferred arrival: not before the mechanics got there, and the reported position is the preset's.
    expect(camera.status().moving).toBe(false);
    expect(Date.now() - before).toBeGreaterThan(300);
    expect(driver.readings()).toMatchObject({ pan: -0.8, tilt: 0.4 });
    expect(events.at(-1)).toBe("preset chu-tri");
  });

  it("connects to a digest-only camera, one whose GetServices faults, and one whose encoder lacks Resolution", async () => {
    for (const options of [
      { auth: "http-digest" as const },
      { getServicesFaults: true },
      { encoderWithoutResolution: true },
    ]) {
      const camera = await startCamera(options);
      const model = modelOf("generic-onvif-ptz", options.auth ? { auth: "http-digest" } : {});
      const { driver } = await connected(camera, model);
      await driver.absolute({ zoom: 0.5 });
      await until("zoomed", () => camera.status().position.zoom > 0.49);
      expect(driver.readings().stream, JSON.stringify(options)).toMatch(/^rtsp:/);
    }
  });

  it("waits for a slow camera (answers after 3 s) where a 3 s client gives up", async () => {
    const camera = await startCamera();
    const { driver } = await connected(camera, modelOf("generic-onvif-ptz", { replyTimeoutS: 5 }));
    camera.slowMs = 3200;
    await expect(driver.presets()).resolves.toEqual({ presets: [] });
  });

  it("wrong credentials: bad_config with the reason, and no reconnect storm", async () => {
    const camera = await startCamera();
    const { driver } = driverFor(camera, undefined, "sai-mat-khau");
    const supervisor = supervise(driver);
    await until("bad_config", () => supervisor.health().status === "bad_config");
    expect(supervisor.health().detail).toMatch(/refused the credentials/);
    const asked = camera.requests.length;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(camera.requests.length).toBe(asked);
  });

  it("a camera killed and restarted comes back to ok by itself, presets read again", async () => {
    const camera = await startCamera();
    const { driver } = driverFor(camera);
    const supervisor = supervise(driver);
    await until("ok", () => supervisor.health().status === "ok");
    await driver.absolute({ pan: 0.3 });
    await driver.store("can-bo");
    await camera.stop();
    await until("offline", () => supervisor.health().status === "offline");
    const presetReads = camera.requests.filter((r) => r.operation === "GetPresets").length;
    await camera.start();
    await until("ok again", () => supervisor.health().status === "ok", 5000);
    expect(camera.requests.filter((r) => r.operation === "GetPresets").length).toBeGreaterThan(presetReads);
    expect(driver.readings().presets).toEqual(["can-bo"]);
  });

  it("a camera that never answers is offline and stays so, retrying with backoff rather than flooding", async () => {
    const camera = await startCamera();
    const { driver } = driverFor(camera);
    const supervisor = supervise(driver);
    await until("ok", () => supervisor.health().status === "ok");
    camera.behaviour = "silent";
    const silentAt = Date.now();
    await until("offline", () => supervisor.health().status === "offline", 5000);
    expect(Date.now() - silentAt).toBeLessThan(5000);
    const statuses: string[] = [];
    supervisor.on("health", (health) => statuses.push(health.status));
    const asked = camera.requests.length;
    await new Promise((resolve) => setTimeout(resolve, 2000));
    // Backoff (here capped at 0.4 s) bounds the attempts; each connect asks once and hangs.
    expect(camera.requests.length - asked).toBeLessThanOrEqual(8);
    expect(statuses.every((s) => s === "offline")).toBe(true);
  });

  it("garbage instead of SOAP is an error, not a crash, and the camera is back when it talks sense again", async () => {
    const camera = await startCamera();
    const { driver } = driverFor(camera);
    const supervisor = supervise(driver);
    await until("ok", () => supervisor.health().status === "ok");
    camera.behaviour = "garbage";
    await expect(driver.presets()).rejects.toThrow();
    await until("not ok", () => supervisor.health().status !== "ok");
    camera.behaviour = "normal";
    await until("ok again", () => supervisor.health().status === "ok");
  });

  it("a camera rebooted by its special preset 94 (called from elsewhere) is back by itself", async () => {
    const camera = await startCamera({ hikvisionPresets: true, noMoveStatus: true });
    const { driver } = driverFor(camera, modelOf("hikvision-ds-2de"));
    const supervisor = supervise(driver);
    await until("ok", () => supervisor.health().status === "ok");
    const other = await connected(camera);
    // The generic profile knows no specials: a careless client can call it (the point of refusing it ourselves).
    await expect(other.driver.goto("Remote reboot")).resolves.toEqual({ preset: "Remote reboot" });
    await until("offline", () => supervisor.health().status !== "ok", 5000);
    await until("ok again", () => supervisor.health().status === "ok", 8000);
  });
});
