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
import { CameraDriver, DEAD_MAN_MS, SECOND_STOP_MS } from "./camera-driver.ts";
import { faultCode } from "./onvif-client.ts";

const log = pino({ level: "silent" });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** This file's waits: 5 s unless a test says otherwise, asked every 20 ms. */
function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 5000) {
  return waitFor(what, check, timeoutMs, 20);
}

/**
 * Waits for the supervisor's status to pass `check`; 15 s by default, as a loaded CI machine can hold a test's
 * process for seconds (budgets are measured by the benchmarks, not here). A wait that fails says every status the
 * supervisor went through meanwhile, so a failure in CI can be told from slowness.
 */
async function untilStatus(
  supervisor: DeviceSupervisor,
  what: string,
  check: (status: string) => boolean,
  timeoutMs = 15_000,
): Promise<void> {
  const seen: string[] = [`${supervisor.health().status} (${supervisor.health().detail})`];
  const listener = (health: { status: string; detail: string }) => seen.push(`${health.status} (${health.detail})`);
  supervisor.on("health", listener);
  try {
    await until(what, () => check(supervisor.health().status), timeoutMs);
  } catch (error) {
    throw new Error(`${(error as Error).message}; the supervisor said: ${seen.join(" → ")}`);
  } finally {
    supervisor.off("health", listener);
  }
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
    // A name with a space is not one every camera takes: refused before the camera is asked.
    await expect(driver.store("Remote reboot")).rejects.toMatchObject({ code: "invalid_params" });
    await expect(driver.store("Remote_reboot")).resolves.toEqual({ preset: "Remote_reboot" });
    // Stored into the lowest free ordinary slot, not into 94.
    expect(camera.requests.filter((r) => r.operation === "SetPreset")).toHaveLength(1);
    expect(camera.requests.filter((r) => r.operation === "GotoPreset")).toHaveLength(0);
    const stored = await driver.presets();
    expect(stored.presets).toEqual(["Remote_reboot"]);

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

  it("wrong password: bad_config after one attempt, no retry loop, no lockout (WS-Security and Digest cameras)", async () => {
    for (const auth of ["ws-username-token", "http-digest"] as const) {
      // A camera that locks every login out after 5 failed ones, as real ones do: one attempt must stay under it.
      const camera = await startCamera({ auth, lockoutAfter: 5, lockoutMs: 60_000 });
      const model = modelOf("generic-onvif-ptz", { auth });
      const { driver } = driverFor(camera, model, "sai-mat-khau");
      const supervisor = supervise(driver);
      await untilStatus(supervisor, "bad_config", (s) => s === "bad_config");
      expect(supervisor.health().detail, auth).toMatch(/refused the credentials/);
      // One connect: the camera's clock asked once (GetServices and the clock need no login; GetProfiles was refused).
      expect(
        camera.requests.filter((r) => r.operation === "GetSystemDateAndTime"),
        auth,
      ).toHaveLength(1);
      const failures = camera.authFailures;
      expect(failures, auth).toBeGreaterThan(0);
      expect(failures, auth).toBeLessThan(5);
      const asked = camera.requests.length;
      await sleep(1500);
      expect(camera.requests.length, auth).toBe(asked);
      expect(camera.authFailures, auth).toBe(failures);
      expect(camera.lockedOut, auth).toBe(false);
      // The installer fixes the password and restarts the driver: the camera takes it (no lockout).
      process.env.RC_TEST_CAMERA_PASSWORD = "admin";
      await supervisor.restart();
      await untilStatus(supervisor, "ok with the right password", (s) => s === "ok");
    }
  });

  it("100 press/release cycles on a camera that handles requests concurrently and out of order leave no move running", async () => {
    // The misbehaving camera applies each request after a random 0–40 ms and ignores ContinuousMove's Timeout: a
    // Stop it applies before the move sent ahead of it leaves the head turning for good.
    const camera = await startCamera({ unordered: true, unorderedDelayMs: 40, fullSpeedTravelS: 20 });
    const { driver } = await connected(camera);
    const stillAfterRelease: boolean[] = [];
    let lostFingerUps = 0;
    for (let cycle = 0; cycle < 100; cycle++) {
      const direction = cycle % 2 === 0 ? 1 : -1;
      const velocity = { pan: 0.5 * direction, tilt: cycle % 3 === 0 ? 0.3 : 0, zoom: cycle % 4 === 0 ? 0.5 : 0 };
      // The panel repeats ptz.move while the finger is down; the agent runs each request as it arrives, so a
      // refresh or the finger-up goes to the driver while the move before it is still unanswered.
      const sent: Promise<unknown>[] = [driver.move(velocity)];
      for (let press = 1; press < 1 + (cycle % 4); press++) {
        await sleep(5 + Math.random() * 30);
        sent.push(driver.move(velocity));
      }
      if (cycle % 10 === 9) {
        // The finger-up is lost: the dead-man stops the head.
        lostFingerUps++;
        await Promise.allSettled(sent);
        await until("the dead-man stop", () => !camera.status().moving, DEAD_MAN_MS + 1000);
      } else {
        sent.push(driver.stop());
      }
      await Promise.all(sent);
      // The release has been answered: the head stands still now, whatever order the camera took them in.
      stillAfterRelease.push(!camera.status().moving);
    }
    expect(stillAfterRelease.filter((still) => !still)).toHaveLength(0);
    expect(lostFingerUps).toBe(10);
    expect(driver.counters.deadManStops).toBe(10);
    // Later too: no move applied after its Stop.
    await sleep(SECOND_STOP_MS + 300);
    expect(camera.status().moving).toBe(false);
    // Never two PTZ commands at the camera at once (its request log is in arrival order; each is answered before
    // the next arrives, so the ContinuousMove count equals the moves actually sent).
    const moves = camera.requests.filter((r) => r.operation === "ContinuousMove").length;
    const stops = camera.requests.filter((r) => r.operation === "Stop").length;
    expect(moves).toBeGreaterThanOrEqual(100);
    expect(stops).toBeGreaterThanOrEqual(100);
  }, 120_000);

  it("a Stop asked while the move is unanswered goes after the move, and again a moment later", async () => {
    const camera = await startCamera({ unordered: true, fullSpeedTravelS: 20 });
    const { driver } = await connected(camera);
    // The move's reply comes after the dead-man time: the dead-man's Stop waits for it, then a second Stop follows.
    camera.slowMs = DEAD_MAN_MS + 200;
    const since = performance.now();
    const move = driver.move({ pan: 1, tilt: 0, zoom: 0 });
    await sleep(DEAD_MAN_MS + 50);
    expect(driver.counters.deadManStops).toBe(1);
    await move;
    camera.slowMs = 0;
    await until("two Stops", () => camera.requests.filter((r) => r.at > since && r.operation === "Stop").length === 2);
    const ops = camera.requests.filter((r) => r.at > since).map((r) => r.operation);
    expect(ops.filter((op) => op !== "GetStatus")).toEqual(["ContinuousMove", "Stop", "Stop"]);
    expect(driver.counters.secondStops).toBe(1);
    await until("still", () => !camera.status().moving);
  });

  it("connection cut mid-move: the head is stopped within 1 s of reconnecting (with and without MoveStatus)", async () => {
    for (const noMoveStatus of [false, true]) {
      const what = noMoveStatus ? "no MoveStatus" : "MoveStatus";
      // A camera that ignores the move's Timeout: nothing but a Stop ends the move.
      const camera = await startCamera({ unordered: true, unorderedDelayMs: 10, noMoveStatus, fullSpeedTravelS: 30 });
      const model = noMoveStatus ? modelOf("hikvision-ds-2de") : modelOf("generic-onvif-ptz");
      const { driver } = driverFor(camera, model);
      const supervisor = supervise(driver);
      await untilStatus(supervisor, "ok", (s) => s === "ok");
      // The finger is down: the panel refreshes the move every 200 ms.
      const finger = setInterval(() => void driver.move({ pan: 0.4, tilt: 0, zoom: 0 }).catch(() => {}), 200);
      await sleep(600);
      expect(camera.status().moving, what).toBe(true);
      // The network goes: the port is gone, the head turns on (the Stop sent as the connection went cannot arrive).
      await camera.stop();
      clearInterval(finger);
      await untilStatus(supervisor, "the camera not ok", (s) => s !== "ok");
      await sleep(1200);
      expect(camera.status().moving, what).toBe(true);
      const back = performance.now();
      await camera.start();
      // How soon it reconnects is the supervisor's backoff (longer on a loaded machine); the Stop's promptness once
      // it has is what is measured below.
      await until("still", () => !camera.status().moving, 15_000);
      const after = camera.requests.filter((r) => r.at >= back);
      const reconnected = after[0]?.at ?? Number.NaN;
      const stop = after.find((r) => r.operation === "Stop")?.at ?? Number.NaN;
      const stoppedWithinMs = stop - reconnected;
      expect(stoppedWithinMs, what).toBeLessThan(1000);
      expect(driver.counters.reconnectStops, what).toBe(1);
      await untilStatus(supervisor, "ok again", (s) => s === "ok");
      expect(driver.readings().moving, what).toBe(false);
      console.log(
        `connection cut mid-move (${what}): Stop ${stoppedWithinMs.toFixed(0)} ms after the reconnect's first request, ${(stop - back).toFixed(0)} ms after the camera came back`,
      );
    }
  }, 60_000);

  it("uses the configured address for the stream and the snapshot when the camera advertises another (NAT)", async () => {
    const camera = await startCamera({ advertisedHost: "127.0.0.254", picture: true });
    const { driver } = await connected(camera);
    const stream = String(driver.readings().stream);
    expect(stream).toMatch(/^rtsp:\/\/127\.0\.0\.1:\d+\/stream$/);
    expect(stream).toBe(camera.streamUri?.replace("127.0.0.254", "127.0.0.1"));
    const snapshot = await driver.snapshot();
    expect(Buffer.from(snapshot.base64, "base64").subarray(0, 2).toString("hex")).toBe("ffd8");
  });

  it("snapshots from cameras that ask for Basic, Digest MD5 or Digest SHA-256; a wrong password is named", async () => {
    for (const options of [
      { mediaLogin: "basic" as const },
      { snapshotDigest: ["MD5" as const] },
      { snapshotDigest: ["SHA-256" as const] },
      { snapshotDigest: ["SHA-256" as const, "MD5" as const] },
    ]) {
      // Without a picture the logged-in request gets 503: past the login, which is what is tested here.
      const camera = await startCamera(options);
      const { driver } = await connected(camera);
      await expect(driver.snapshot(), JSON.stringify(options)).rejects.toThrow(/HTTP 503/);
      expect(camera.authFailures, JSON.stringify(options)).toBe(0);
    }
    // The password changed at the camera's page after the agent connected.
    const camera = await startCamera({ snapshotDigest: ["SHA-256"] });
    const { driver } = await connected(camera);
    camera.options.password = "doi-roi";
    await expect(driver.snapshot()).rejects.toThrow(/refused the login \(HTTP 401\)/);
  });

  it("maps the camera's preset faults, and refuses names not every camera takes before asking", async () => {
    const camera = await startCamera({ presetNames: /^[a-z-]{1,8}$/, maxPresets: 2 });
    const { driver } = await connected(camera);
    for (const name of ["chủ tọa", "seat 1", "a/b", "x".repeat(33)]) {
      await expect(driver.store(name), name).rejects.toMatchObject({ code: "invalid_params" });
    }
    expect(camera.requests.filter((r) => r.operation === "SetPreset")).toHaveLength(0);
    // Fine by us, not by this camera: its ter:InvalidPresetName is a parameter error, not a device error.
    await expect(driver.store("Chu_tri")).rejects.toMatchObject({ code: "invalid_params" });
    await driver.store("chu-tri");
    // Someone stored "cong-dan" at the camera's page; our list does not know it: ter:PresetExist is a conflict.
    const other = await connected(camera);
    await other.driver.store("cong-dan");
    await expect(driver.store("cong-dan")).rejects.toMatchObject({ code: "conflict" });
    await other.driver.remove("cong-dan");
    await driver.store("can-bo");
    await expect(driver.store("thu-ky")).rejects.toMatchObject({ code: "conflict" }); // ter:TooManyPresets
    expect(faultCode("ter:InvalidPresetName")).toBe("invalid_params");
    expect(faultCode("ter:PresetExist")).toBe("conflict");
    expect(faultCode("ter:TooManyPresets")).toBe("conflict");
    expect(faultCode("ter:NoToken")).toBe("not_found");
    expect(faultCode("ter:HardwareFailure")).toBe("device_error");
  });

  it("a camera killed and restarted comes back to ok by itself, presets read again", async () => {
    const camera = await startCamera();
    const { driver } = driverFor(camera);
    const supervisor = supervise(driver);
    await untilStatus(supervisor, "ok", (s) => s === "ok");
    await driver.absolute({ pan: 0.3 });
    await driver.store("can-bo");
    await camera.stop();
    await untilStatus(supervisor, "offline", (s) => s === "offline");
    const presetReads = camera.requests.filter((r) => r.operation === "GetPresets").length;
    await camera.start();
    await untilStatus(supervisor, "ok again", (s) => s === "ok");
    expect(camera.requests.filter((r) => r.operation === "GetPresets").length).toBeGreaterThan(presetReads);
    expect(driver.readings().presets).toEqual(["can-bo"]);
  });

  it("a camera that never answers is offline and stays so, retrying with backoff rather than flooding", async () => {
    const camera = await startCamera();
    const { driver } = driverFor(camera);
    const supervisor = supervise(driver);
    await untilStatus(supervisor, "ok", (s) => s === "ok");
    camera.behaviour = "silent";
    const silentAt = Date.now();
    await untilStatus(supervisor, "offline", (s) => s === "offline", 5000);
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
    await untilStatus(supervisor, "ok", (s) => s === "ok");
    camera.behaviour = "garbage";
    await expect(driver.presets()).rejects.toThrow();
    await untilStatus(supervisor, "not ok", (s) => s !== "ok");
    camera.behaviour = "normal";
    await untilStatus(supervisor, "ok again", (s) => s === "ok");
  });

  it("a camera rebooted by its special preset 94 (called from elsewhere) is back by itself", async () => {
    const camera = await startCamera({ hikvisionPresets: true, noMoveStatus: true });
    const { driver } = driverFor(camera, modelOf("hikvision-ds-2de"));
    const supervisor = supervise(driver);
    await untilStatus(supervisor, "ok", (s) => s === "ok");
    const other = await connected(camera);
    // The generic profile knows no specials: a careless client can call it (the point of refusing it ourselves).
    await expect(other.driver.goto("Remote reboot")).resolves.toEqual({ preset: "Remote reboot" });
    await untilStatus(supervisor, "offline", (s) => s !== "ok");
    await untilStatus(supervisor, "ok again", (s) => s === "ok");
  });
});
