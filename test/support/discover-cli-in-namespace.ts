// Run inside a private network namespace (test/room-agent-discover.test.ts starts it with `unshare -rn`, multicast on
// its own lo): two simulated cameras answer WS-Discovery, and `room-agent discover` runs as a process of its own, as
// the integrator runs it; then again with no camera answering. Prints one JSON line with both runs.
import { execFile } from "node:child_process";
import { DiscoveryResponder, OnvifCamera } from "@rc/simulators";
import { REPO } from "./processes.ts";

function discover(args: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", "room-agent/src/cli.ts", "discover", ...args],
      { cwd: REPO, timeout: 30_000 },
      (error, stdout) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout }),
    );
  });
}

const cameras = [
  new OnvifCamera({ name: "Camera chủ trì", picture: false }),
  new OnvifCamera({ name: "Camera công dân", picture: false }),
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
const found = await discover(["--timeout", "1500"]);
await responder.stop();
const none = await discover(["--timeout", "500"]);
for (const camera of cameras) await camera.stop();
console.log(JSON.stringify({ found, none, xaddrs: cameras.map((camera) => camera.deviceServiceUrl) }));
