import { Cam } from "onvif";
import { afterEach, describe, expect, it } from "vitest";
import { answerChallenge, fetchWithLogin } from "./http-auth.ts";
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

  it("answers GetSystemDateAndTime, GetServices and GetCapabilities without a login, and nothing else", async () => {
    const camera = await startCamera();
    const soap = (operation: string, ns: string) =>
      fetch(camera.deviceServiceUrl, {
        method: "POST",
        headers: { "Content-Type": "application/soap+xml" },
        body: `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><${operation} xmlns="${ns}"/></s:Body></s:Envelope>`,
      });
    const device = "http://www.onvif.org/ver10/device/wsdl";
    for (const operation of ["GetSystemDateAndTime", "GetServices", "GetCapabilities"]) {
      const res = await soap(operation, device);
      expect(res.status, operation).toBe(200);
      expect(await res.text()).toContain(`${operation}Response`);
    }
    for (const [operation, ns] of [
      ["GetDeviceInformation", device],
      ["GetHostname", device],
      ["GetProfiles", "http://www.onvif.org/ver10/media/wsdl"],
      ["GetNodes", "http://www.onvif.org/ver20/ptz/wsdl"],
    ] as const) {
      const res = await soap(operation, ns);
      expect(res.status, operation).toBe(400);
      expect(await res.text()).toContain("ter:NotAuthorized");
    }
  });

  it("refuses a wrong password and a clock outside the skew window", async () => {
    const camera = await startCamera();
    // The client connects (GetServices needs no login) but every authenticated request is refused: the `onvif`
    // package turns the refused GetProfiles into a warning and connects without a profile.
    const refused = await connect(camera, "wrong");
    expect(refused.profiles).toEqual([]);
    await expect(call(refused, "getDeviceInformation")).rejects.toThrow(/authorized/i);
    expect(camera.authFailures).toBeGreaterThan(0);
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
    // Snapshots want the camera's login (Digest by default), as a real camera's do.
    expect((await fetch(snapshotUri)).status).toBe(401);
    const snapshot = async () => {
      const response = await fetchWithLogin(snapshotUri, "admin", "admin");
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
      // The stream wants a Digest login too (RFC 2326 §D): a 401 with the challenge, then the answer.
      const asked = await rtsp.request("DESCRIBE", uri, { Accept: "application/sdp" });
      expect(asked.status).toBe(401);
      const challenge = asked.headers.get("www-authenticate") ?? "";
      expect(challenge).toMatch(/^Digest .*algorithm=MD5/);
      const wrong = await rtsp.request("DESCRIBE", uri, {
        Accept: "application/sdp",
        Authorization: answerChallenge(challenge, "DESCRIBE", uri, "admin", "sai"),
      });
      expect(wrong.status).toBe(401);
      const reply = await rtsp.request("DESCRIBE", uri, {
        Accept: "application/sdp",
        Authorization: answerChallenge(challenge, "DESCRIBE", uri, "admin", "admin"),
      });
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
    const response = await fetchWithLogin(`http://127.0.0.1:${camera.port}/snapshot.jpg`, "admin", "admin");
    expect(response.status).toBe(503);
  });

  it("snapshots behind Basic (a switch), Digest with SHA-256 and MD5 offered, or no login", async () => {
    const url = (camera: OnvifCamera) => `http://127.0.0.1:${camera.port}/snapshot.jpg`;
    const basic = await startCamera({ mediaLogin: "basic" });
    const asked = await fetch(url(basic));
    expect(asked.status).toBe(401);
    expect(asked.headers.get("www-authenticate")).toBe('Basic realm="rc-camera"');
    expect((await fetchWithLogin(url(basic), "admin", "sai")).status).toBe(401);
    expect((await fetchWithLogin(url(basic), "admin", "admin")).status).toBe(503); // logged in; no picture attached

    const both = await startCamera({ snapshotDigest: ["SHA-256", "MD5"] });
    const challenges = (await fetch(url(both))).headers.get("www-authenticate") ?? "";
    expect(challenges).toMatch(/^Digest .*algorithm=SHA-256, Digest .*algorithm=MD5$/);
    expect((await fetchWithLogin(url(both), "admin", "admin")).status).toBe(503);

    const open = await startCamera({ mediaLogin: "none" });
    expect((await fetch(url(open))).status).toBe(503);
  });

  it("answers what stock clients ask at their first screens: GetProfile, GetScopes, GetHostname, PTZ nodes and configurations", async () => {
    const camera = await startCamera();
    const cam = await connect(camera);
    const hostname = await call(cam, "getHostname");
    expect(hostname.name).toBe(`rc-camera-${camera.port}`);
    const scopes = await call(cam, "getScopes");
    expect(JSON.stringify(scopes)).toContain("onvif://www.onvif.org/type/ptz");
    const nodes = await call(cam, "getNodes");
    expect(Object.keys(nodes)).toEqual(["ptz_node_1"]);
    const configurations = await call(cam, "getConfigurations");
    expect(configurations.ptz).toMatchObject({ token: "ptz_cfg_1", nodeToken: "ptz_node_1" }); // keyed by name
    const options = await call(cam, "getConfigurationOptions", "ptz_cfg_1");
    expect(options.ptzTimeout).toEqual({ min: ["PT1S"], max: ["PT60S"] });
    expect(options.spaces.absolute.x).toMatchObject({ min: -1, max: 1 });
    await expect(call(cam, "getConfigurationOptions", "other")).rejects.toThrow(/no PTZ configuration/);
    const profile = await call(cam, "_request", {
      service: "media",
      body: `${cam._envelopeHeader()}<GetProfile xmlns="http://www.onvif.org/ver10/media/wsdl"><ProfileToken>profile_1</ProfileToken></GetProfile>${cam._envelopeFooter()}`,
    });
    expect(JSON.stringify(profile)).toContain("ptz_cfg_1");
  });

  it("misbehaves on request: concurrent requests applied out of order, ContinuousMove's Timeout ignored", async () => {
    const camera = await startCamera({ unordered: true, unorderedDelayMs: 60 });
    const cam = await connect(camera);
    // Moves sent together, each with its own velocity: the last one applied need not be the last one sent.
    const lastApplied: number[] = [];
    for (let round = 0; round < 8; round++) {
      await Promise.all(
        [0.2, 0.4, 0.6, 0.8].map((x) => call(cam, "continuousMove", { x, y: 0, zoom: 0, timeout: 100 })),
      );
      const before = camera.status().position.x;
      await new Promise((r) => setTimeout(r, 50));
      lastApplied.push(Math.round(((camera.status().position.x - before) / 0.05) * 10) / 10);
    }
    expect(new Set(lastApplied).size).toBeGreaterThan(1);
    // Timeout 100 ms, and still moving long after it.
    await new Promise((r) => setTimeout(r, 300));
    expect(camera.status().moving).toBe(true);
    await call(cam, "stop", {});
    expect(camera.status().moving).toBe(false);
  });

  it("advertises an address the room cannot reach, when told to (NAT, a second interface)", async () => {
    const camera = await startCamera({ advertisedHost: "127.0.0.254", picture: true });
    const cam = await connect(camera);
    expect((await call(cam, "getStreamUri", { protocol: "RTSP" })).uri).toMatch(
      /^rtsp:\/\/127\.0\.0\.254:\d+\/stream$/,
    );
    expect((await call(cam, "getSnapshotUri", {})).uri).toBe(`http://127.0.0.254:${camera.port}/snapshot.jpg`);
  });

  it("locks every login out after too many failed ones, when told to", async () => {
    const camera = await startCamera({ lockoutAfter: 3, lockoutMs: 60_000 });
    const wrong = await connect(camera, "wrong");
    for (let i = 0; i < 3; i++) await expect(call(wrong, "getDeviceInformation")).rejects.toThrow(/authorized/i);
    expect(camera.lockedOut).toBe(true);
    const right = await connect(camera);
    expect(right.profiles).toEqual([]); // the right password is refused as well now
    await expect(call(right, "getDeviceInformation")).rejects.toThrow(/locked out/);
  });

  it("faults preset names it does not take, a name stored twice, and one preset too many", async () => {
    const camera = await startCamera({ presetNames: /^[a-z]{1,8}$/, maxPresets: 2 });
    const cam = await connect(camera);
    await expect(call(cam, "setPreset", { presetName: "Chu_tri" })).rejects.toThrow(/not accepted/);
    await call(cam, "setPreset", { presetName: "chutri" });
    await expect(call(cam, "setPreset", { presetName: "chutri" })).rejects.toThrow(/exists/);
    await call(cam, "setPreset", { presetName: "congdan" });
    await expect(call(cam, "setPreset", { presetName: "canbo" })).rejects.toThrow(/no more presets/);
  });
});
