// tsx simulators/src/line-device-cli.ts --port N : one line device (the test driver's peer) until Ctrl-C.
import { parseArgs } from "node:util";
import { LineDevice } from "./line-device.ts";

const { values } = parseArgs({ options: { port: { type: "string", default: "0" } } });
const device = new LineDevice(Number(values.port));
await device.start();
process.stdout.write(`${JSON.stringify({ ready: true, port: device.address.port })}\n`);
const stop = () => void device.stop().then(() => process.exit(0));
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
