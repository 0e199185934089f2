// Start N simulated ONVIF cameras on consecutive loopback ports: tsx cli.ts --cameras 3 --base-port 8081
import { parseArgs } from "node:util";
import { OnvifCamera } from "./onvif-camera.ts";

const { values } = parseArgs({
  options: { cameras: { type: "string", default: "1" }, "base-port": { type: "string", default: "8081" } },
});
const count = Number(values.cameras);
const basePort = Number(values["base-port"]);
if (!Number.isInteger(count) || count < 1 || !Number.isInteger(basePort) || basePort < 1 || basePort + count > 65535) {
  console.error("usage: cli.ts --cameras N --base-port P");
  process.exit(2);
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
