// Start N simulated ONVIF cameras on consecutive loopback ports: tsx cli.ts --cameras 3 --base-port 8081 (or
// RC_SIM_CAMERA_CAMERAS, RC_SIM_CAMERA_BASE_PORT in the environment).
import { simulatorArguments } from "../simulator-arguments.ts";
import { OnvifCamera } from "./onvif-camera.ts";

const OPTIONS = {
  cameras: { type: "string", default: "1" },
  "base-port": { type: "string", default: "8081" },
} as const;
const PREFIX = "RC_SIM_CAMERA_";
const USAGE = `usage: cli.ts [--cameras N] [--base-port P]
       cli.ts -h | --help | --version
  Starts N simulated ONVIF cameras (default 1) on loopback ports P, P+1, … (default 8081) until Ctrl-C.`;

const { values, usageError } = simulatorArguments({
  name: "onvif-camera",
  options: OPTIONS,
  prefix: PREFIX,
  usage: USAGE,
});
const count = Number(values.cameras);
const basePort = Number(values["base-port"]);
if (!Number.isInteger(count) || count < 1 || !Number.isInteger(basePort) || basePort < 1 || basePort + count > 65535) {
  usageError(`--cameras: a whole number ≥ 1, --base-port: a port; got ${values.cameras} and ${values["base-port"]}`);
}
const cameras = Array.from({ length: count }, (_, i) => new OnvifCamera({ name: `cam${i + 1}`, port: basePort + i }));
for (const camera of cameras) {
  await camera.start();
  console.log(`${camera.options.name} ${camera.deviceServiceUrl}`);
}
const shutdown = async () => {
  await Promise.all(cameras.map((c) => c.stop()));
  process.exit(0);
};
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
