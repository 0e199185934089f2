import { Cam } from "onvif";
import { afterEach, describe, expect, it } from "vitest";
import { OnvifCamera, parseDuration } from "./onvif-camera.ts";
import { decodeJpeg, difference, RawRtspClient } from "./picture/picture-test-clients.ts";

// biome-ignore lint/suspicious/noExplicitAny: the onvif client's callback API and results are untyped; the expectations check them.
type Loose = any;

const cameras: OnvifCamera[] = [];
afterEach(async () => {
  await Promise.all(cameras.splice(0).map((c) => c.stop()));
});

async function startCamera(options: Partial<ConstructorParameters<typeof OnvifCamera>[0]> = {}) {
  const camera = new OnvifCamera({ name: "cam", fullSpeedTravelS: 1, picture: false, ...options });
  cameras.push(camera);
  await camera.start();
  return camera;
}

// The `onvif` package as an independent client, callbacks turned into promises.
function connect(camera: OnvifCamera, password = "admin"): Promise<Loose> {
  return new Promise((resolve, reject) => {
    const cam: Loose = new Cam(
      { hostname: "127.0.0.1", port: camera.port, username: "admin", password, timeout: 3000 },
      (err: Error | null) => (err ? reject(err) : resolve(cam)),
    );
  });
}
const call = (cam: Loose, method: string, ...args: unknown[]): Promise<Loose> =>
  new Promise((resolve, reject) =>
    cam[method](...args, (err: Error | null, res: unknown) => (err ? reject(err) : resolve(res))),
  );

describe("simulated ONVIF camera", () => {
  it("parses xs:duration", () => {
    expect(parseDuration("PT1S")).toBe(1000);
    expect(parseDuration("PT0.5S")).toBe(500);
    expect(parseDuration("PT1M")).toBe(60000);
    expect(parseDuration("soon")).toBeUndefined();
  });

  it("connects with the onvif client and reports its profile and stream", async () => {
    const camera = await startCamera();
    const cam = await connect(camera);
    expect(cam.profiles.map((p: Loose) => p.$.token)).toEqual(["profile_1"]);
    const stream = await call(cam, "getStreamUri", { protocol: "RTSP" });
    expect(stream.uri).toMatch(/^rtsp:\/\/127\.0\.0\.1:/);
  });

  it("refuses a wrong password and a clock outside the skew window", async () => {
    const camera = await startCamera();
    await expect(connect(camera, "wrong")).rejects.toThrow();
    const skewed = await startCamera({ skewWindowS: 5 });
    const cam = await connect(skewed);
    // The client learnt the offset at connect; a camera clock that jumps an hour afterwards refuses its tokens.
    skewed.options.clockOffsetMs = 3_600_000;
    await expect(call(cam, "getStatus", {})).rejects.toThrow(/authorized/i);
  });

  it("continuous move stops by its timeout and reports MoveStatus", async () => {
    const camera = await startCamera();
    const cam = await connect(camera);
    await call(cam, "continuousMove", { x: 1, y: 0, zoom: 0, timeout: 300 });
    const moving = await call(cam, "getStatus", {});
    expect(moving.moveStatus.panTilt).toBe("MOVING");
    await new Promise((r) => setTimeout(r, 400));
    const idle = await call(cam, "getStatus", {});
    expect(idle.moveStatus.panTilt).toBe("IDLE");
    expect(idle.position.x).toBeGreaterThan(0.4);
    expect(idle.position.x).toBeLessThanOrEqual(1);
  });

  it("keeps presets across a reboot and faults an unknown token", async () => {
    const camera = await startCamera();
    let cam = await connect(camera);
    await call(cam, "absoluteMove", { x: 0.5, y: -0.2, zoom: 0.3 });
    await new Promise((r) => setTimeout(r, 400));
    await call(cam, "setPreset", { presetName: "seat 1" });
    await camera.reboot(50);
    cam = await connect(camera);
    const presets = await call(cam, "getPresets", {});
    expect(Object.keys(presets)).toEqual(["seat 1"]);
    const token = String(presets["seat 1"].$.token);
    expect(camera.status().position).toEqual({ x: 0, y: 0, zoom: 0 });
    await call(cam, "gotoPreset", { preset: token });
    await new Promise((r) => setTimeout(r, 400));
    expect(camera.status().position.x).toBeCloseTo(0.5, 3);
    await expect(call(cam, "gotoPreset", { preset: "99" })).rejects.toThrow();
  });

  it("answers an unknown operation with a SOAP 1.2 fault", async () => {
    const camera = await startCamera();
    const res = await fetch(camera.deviceServiceUrl, {
      method: "POST",
      headers: { "Content-Type": "application/soap+xml" },
      body: '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><x:Frobnicate xmlns:x="urn:x"/></s:Body></s:Envelope>',
    });
    expect(res.status).toBe(400); // unauthenticated: NotAuthorized comes before the operation
    expect(await res.text()).toContain("ter:NotAuthorized");
  });

  it("quirks: no MoveStatus in GetStatus, a faulting GetServices the client falls back from, slow answers", async () => {
    const camera = await startCamera({ noMoveStatus: true, getServicesFaults: true });
    const cam = await connect(camera);
    expect(camera.requests.map((r) => r.operation)).toContain("GetCapabilities");
    const status = await call(cam, "getStatus", {});
    expect(status.moveStatus).toBeUndefined();
    camera.slowMs = 300;
    const started = performance.now();
    await call(cam, "getStatus", {});
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
  });

  it("serves its live picture at GetStreamUri and the snapshot URI, following the head, on the same port after a reboot", async () => {
    const camera = await startCamera({ picture: true });
    let cam = await connect(camera);
    const { uri } = await call(cam, "getStreamUri", { protocol: "RTSP" });
    expect(uri).toMatch(/^rtsp:\/\/127\.0\.0\.1:\d+\/stream$/);
    expect(Number(new URL(uri).port)).not.toBe(camera.port);
    const snapshotUri = (await call(cam, "getSnapshotUri", {})).uri;
    const snapshot = async () => {
      const response = await fetch(snapshotUri);
      expect(response.headers.get("content-type")).toBe("image/jpeg");
      return decodeJpeg(Buffer.from(await response.arrayBuffer()));
    };
    const home = await snapshot();
    await call(cam, "absoluteMove", { x: 0.8, y: -0.5, zoom: 1 });
    await new Promise((r) => setTimeout(r, 1100));
    const aimed = await snapshot();
    expect(difference(home, aimed)).toBeGreaterThan(10);

    await camera.reboot(50);
    cam = await connect(camera);
    expect((await call(cam, "getStreamUri", { protocol: "RTSP" })).uri).toBe(uri);
    // The rebooted camera is home again, and so is its picture; its RTSP server answers on the old port.
    expect(difference(home, await snapshot())).toBeLessThan(1);
    const rtsp = await RawRtspClient.open(Number(new URL(uri).port));
    try {
      const reply = await rtsp.request("DESCRIBE", uri, { Accept: "application/sdp" });
      expect(reply.status).toBe(200);
      expect(reply.body).toContain("H264");
    } finally {
      rtsp.close();
    }
  });

  it("without a picture: GetStreamUri still answers, the snapshot is 503", async () => {
    const camera = await startCamera({ picture: false });
    const cam = await connect(camera);
    expect((await call(cam, "getStreamUri", { protocol: "RTSP" })).uri).toMatch(/^rtsp:/);
    const response = await fetch(`http://127.0.0.1:${camera.port}/snapshot.jpg`);
    expect(response.status).toBe(503);
  });
});
