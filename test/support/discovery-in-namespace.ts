// Run inside a private network namespace (test/camera-discovery.test.ts starts it with `unshare -rn`, multicast on
// its own lo): two simulated cameras answer WS-Discovery; node-onvif, `onvif` and our driver's probe each find
// them, then node-onvif and `onvif` each connect, move, stop, store and recall a preset and read the status.
// Prints one JSON line with what each client saw.
import { createRequire } from "node:module";
import { discoverCameras } from "@rc/room-agent";
import { DiscoveryResponder, OnvifCamera } from "@rc/simulators";
import onvif from "onvif";

const { Cam, Discovery } = onvif;
const require = createRequire(import.meta.url);
// biome-ignore lint/suspicious/noExplicitAny: node-onvif ships no types.
const nodeOnvif: any = require("node-onvif");
// biome-ignore lint/suspicious/noExplicitAny: the onvif client's callback results are loose objects.
type Loose = any;

const cameras = [
  new OnvifCamera({ name: "Camera chủ trì", fullSpeedTravelS: 1, picture: false }),
  new OnvifCamera({ name: "Camera công dân", fullSpeedTravelS: 1, picture: false }),
];
for (const camera of cameras) await camera.start();
const responder = new DiscoveryResponder(
  () =>
    cameras.map((camera) => ({
      name: camera.options.name,
      hardware: "RC-SIM-PTZ",
      location: "Phòng tiếp công dân",
      xaddr: camera.deviceServiceUrl,
    })),
  { multicast: true },
);
await responder.start();

const call = (target: Loose, method: string, ...args: unknown[]): Promise<Loose> =>
  new Promise((resolve, reject) =>
    target[method](...args, (err: Error | null, res: unknown) => (err ? reject(err) : resolve(res))),
  );
const settle = () => new Promise((resolve) => setTimeout(resolve, 600));
/** Until every camera's head stands still (a recall on a loaded machine may take longer than a fixed wait). */
async function arrive(): Promise<void> {
  const deadline = Date.now() + 5000;
  while (cameras.some((camera) => camera.status().moving) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function withOnvif(): Promise<Loose> {
  const found: Loose[] = await new Promise((resolve) =>
    Discovery.probe({ timeout: 1500, resolve: false }, (_err: unknown, cams?: Loose[]) => resolve(cams ?? [])),
  );
  const xaddrs = found.map((d) => String(d.probeMatches.probeMatch.XAddrs));
  const url = new URL(xaddrs[0] ?? "");
  const cam: Loose = await new Promise((resolve, reject) => {
    const c: Loose = new Cam(
      { hostname: url.hostname, port: Number(url.port), username: "admin", password: "admin", timeout: 3000 },
      (err: Error | null) => (err ? reject(err) : resolve(c)),
    );
  });
  await call(cam, "continuousMove", { x: 0.5, y: 0, zoom: 0, timeout: 5000 });
  await settle();
  await call(cam, "stop", {});
  const afterMove = await call(cam, "getStatus", {});
  const stored = await call(cam, "setPreset", { presetName: "chu-tri" });
  await call(cam, "absoluteMove", { x: -0.5, y: -0.5, zoom: 0.5 });
  await settle();
  const token = stored[0].setPresetResponse[0].presetToken[0];
  await call(cam, "gotoPreset", { preset: token });
  await arrive();
  const afterRecall = await call(cam, "getStatus", {});
  return { found: xaddrs.length, movedTo: afterMove.position, recalledTo: afterRecall.position };
}

async function withNodeOnvif(): Promise<Loose> {
  const found: Loose[] = await nodeOnvif.startProbe();
  const device = new nodeOnvif.OnvifDevice({ xaddr: found[0].xaddrs[0], user: "admin", pass: "admin" });
  await device.init();
  const profile = device.getCurrentProfile().token;
  await device.ptzMove({ speed: { x: 0, y: 0.5, z: 0 }, timeout: 5 });
  await settle();
  await device.ptzStop();
  const ptz = device.services.ptz;
  const afterMove = (await ptz.getStatus({ ProfileToken: profile })).data.GetStatusResponse.PTZStatus.Position;
  const stored = await ptz.setPreset({ ProfileToken: profile, PresetName: "cong-dan" });
  const token = stored.data.SetPresetResponse.PresetToken;
  await ptz.absoluteMove({ ProfileToken: profile, Position: { x: 0.9, y: 0.9, z: 1 } });
  await settle();
  await ptz.gotoPreset({ ProfileToken: profile, PresetToken: token, Speed: { x: 1, y: 1, z: 1 } });
  await arrive();
  const afterRecall = (await ptz.getStatus({ ProfileToken: profile })).data.GetStatusResponse.PTZStatus.Position;
  return {
    found: found.length,
    names: found.map((d) => d.name).sort(),
    movedTo: { y: Number(afterMove.PanTilt.$.y) },
    recalledTo: { x: Number(afterRecall.PanTilt.$.x), y: Number(afterRecall.PanTilt.$.y) },
  };
}

const result: Loose = {};
try {
  result.onvif = await withOnvif();
  result.nodeOnvif = await withNodeOnvif();
  result.driver = await discoverCameras({ timeoutMs: 800, interfaceAddress: "127.0.0.1" });
  result.probesAnswered = responder.probes;
} catch (error) {
  result.error = (error as Error).stack ?? String(error);
}
process.stdout.write(`${JSON.stringify(result)}\n`);
await responder.stop();
for (const camera of cameras) await camera.stop();
process.exit(0);
