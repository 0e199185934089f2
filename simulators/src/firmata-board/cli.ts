// Simulated Firmata boards on ptys, with their HTTP control panel on loopback:
//   tsx cli.ts --board xa-an-phu=/tmp/xa-an-phu-gpio [--board NAME=PATH …] [--control-port 8090] [--speed 0.25]
import { parseArgs } from "node:util";
import { BoardControl } from "./board-control.ts";
import { FirmataBoard } from "./firmata-board.ts";

const { values } = parseArgs({
  options: {
    board: { type: "string", multiple: true, default: [] },
    "control-port": { type: "string", default: "0" },
    speed: { type: "string", default: "1" },
  },
});
const speed = Number(values.speed);
const controlPort = Number(values["control-port"]);
const specs = values.board.map((spec) => spec.split("="));
if (
  specs.length === 0 ||
  specs.some((spec) => spec.length !== 2 || !spec[0] || !spec[1]) ||
  !(speed > 0 && speed <= 1) ||
  !Number.isInteger(controlPort)
) {
  console.error("usage: cli.ts --board NAME=PATH [--board NAME=PATH …] [--control-port P] [--speed 0<S≤1]");
  process.exit(2);
}
const boards = new Map(specs.map(([name, path]) => [name!, new FirmataBoard({ hostPath: path!, speed })]));
for (const [name, board] of boards) {
  await board.start();
  console.log(`${name} ${board.hostPath}`);
}
const control = new BoardControl(boards);
await control.start(controlPort);
console.log(`control ${control.url}/boards`);
const shutdown = async () => {
  await control.stop();
  await Promise.all([...boards.values()].map((board) => board.stop()));
  process.exit(0);
};
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
