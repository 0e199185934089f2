// Simulated Firmata boards on ptys, with their HTTP control panel on loopback:
//   tsx cli.ts --board xa-an-phu=/tmp/xa-an-phu-gpio [--board NAME=PATH …] [--control-port 8090] [--speed 0.25]
// (or RC_SIM_BOARD_BOARD=NAME=PATH,NAME=PATH, RC_SIM_BOARD_CONTROL_PORT, RC_SIM_BOARD_SPEED in the environment).
import { simulatorArguments } from "../simulator-arguments.ts";
import { BoardControl } from "./board-control.ts";
import { FirmataBoard } from "./firmata-board.ts";

const OPTIONS = {
  board: { type: "string", multiple: true, default: [] as string[] },
  "control-port": { type: "string", default: "0" },
  speed: { type: "string", default: "1" },
} as const;
const PREFIX = "RC_SIM_BOARD_";
const USAGE = `usage: cli.ts --board NAME=PATH [--board NAME=PATH …] [--control-port P] [--speed 0<S≤1]
       cli.ts -h | --help | --version
  One simulated Uno with StandardFirmata per --board, its host end at PATH; the HTTP control panel on
  127.0.0.1:P (0, the default: any free port); --speed slows the simulated chip (default 1).`;

const { values, usageError } = simulatorArguments({
  name: "firmata-board",
  options: OPTIONS,
  prefix: PREFIX,
  usage: USAGE,
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
  usageError("expected at least one --board NAME=PATH, --speed above 0 and at most 1, --control-port a port");
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
