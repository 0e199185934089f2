// tsx simulators/src/line-device-cli.ts --port N (or RC_SIM_LINE_DEVICE_PORT): one line device (the test driver's
// peer) until Ctrl-C.
import { LineDevice } from "./line-device.ts";
import { simulatorArguments } from "./simulator-arguments.ts";

const OPTIONS = {
  port: { type: "string", default: "0" },
} as const;
const PREFIX = "RC_SIM_LINE_DEVICE_";
const USAGE = `usage: line-device-cli.ts [--port N]
       line-device-cli.ts -h | --help | --version
  A line device on 127.0.0.1:N (0, the default: any free port); prints {"ready":true,"port":N} when listening.`;

const { values, usageError } = simulatorArguments({
  name: "line-device",
  options: OPTIONS,
  prefix: PREFIX,
  usage: USAGE,
});
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) usageError(`--port: a port 0…65535; got ${values.port}`);
const device = new LineDevice(port);
await device.start();
process.stdout.write(`${JSON.stringify({ ready: true, port: device.address.port })}\n`);
const stop = () => void device.stop().then(() => process.exit(0));
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
