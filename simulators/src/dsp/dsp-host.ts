// The simulated DSPs of a set of rooms in a process of their own, each on a pty pair (socat). A real DSP has its own
// processor: it answers at once whatever the room PC does. Beside the cameras' picture encoders, in a process that
// yields to the product's, a DSP answered seconds late whenever the machine was busy (issue 11's chaos re-plugs of
// 7.5–13.4 s); here it waits for nobody. Driven over stdin/stdout with one JSON object per line (DspHost is the
// other end): {"id","op":"start","link","model","devicePath","hostPath","scene"?} and {"id","op":"replug","link"},
// answered {"id","ok":true} or {"id","error"}; a pty whose socat died is told as {"lost":link,"why"}.
import { createInterface } from "node:readline";
import { DSP_SIMULATORS, type DspHostCommand, type DspHostMessage } from "./dsp-host-client.ts";
import type { DspSimulator } from "./dsp-simulator.ts";
import { PtyPair } from "./pty-pair.ts";

const links = new Map<string, { pty: PtyPair; dsp: DspSimulator }>();
const send = (message: DspHostMessage) => process.stdout.write(`${JSON.stringify(message)}\n`);

async function run(command: DspHostCommand): Promise<void> {
  if (command.op === "start") {
    const simulator = DSP_SIMULATORS.get(command.model);
    if (!simulator) throw new Error(`no simulator for the DSP model "${command.model}"`);
    if (links.has(command.link)) throw new Error(`${command.link} is started already`);
    const pty = new PtyPair(command.devicePath, command.hostPath);
    await pty.start();
    const dsp = simulator(pty.devicePath, command.scene);
    await dsp.start();
    links.set(command.link, { pty, dsp });
    pty.on("exit", (code, signal) => send({ lost: command.link, why: `socat ${signal ?? code}` }));
    return;
  }
  const link = links.get(command.link);
  if (!link) throw new Error(`no DSP on ${command.link}`);
  // Plugged in again with the DSP's settings kept, as when a cable comes back: the agent's driver reconnects.
  await link.dsp.stop();
  await link.pty.stop(); // a socat left from a failed attempt
  await link.pty.start();
  await link.dsp.start();
}

async function stopAll(): Promise<never> {
  for (const { pty, dsp } of links.values()) {
    await dsp.stop().catch(() => {});
    await pty.stop().catch(() => {});
  }
  process.exit(0);
}

createInterface({ input: process.stdin })
  .on("line", (line) => {
    let command: DspHostCommand;
    try {
      command = JSON.parse(line) as DspHostCommand;
    } catch {
      process.stderr.write(`dsp-host: not a JSON line: ${line.slice(0, 200)}\n`);
      return;
    }
    run(command).then(
      () => send({ id: command.id, ok: true }),
      (error: Error) => send({ id: command.id, error: error.message }),
    );
  })
  // The one who started this process is gone: nobody would ever stop these DSPs.
  .on("close", () => void stopAll());
process.on("SIGTERM", () => void stopAll());
process.on("SIGINT", () => void stopAll());
