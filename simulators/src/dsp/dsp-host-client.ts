// The demo's end of dsp-host.ts: starts that process (a DSP answers its serial line at once, whatever the cameras do
// in the demo's), asks it for DSPs on pty pairs, and to plug a link in again.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import type { AudioScene } from "../audio-scene/audio-scene.ts";
import type { DspSimulator } from "./dsp-simulator.ts";
import { ExtronSimulator } from "./extron-simulator.ts";
import { SymetrixSimulator } from "./symetrix-simulator.ts";
import { TesiraSimulator } from "./tesira-simulator.ts";

/** The DSP models that can be simulated, each playing the scene (if any) into its meters. */
export const DSP_SIMULATORS = new Map<string, (path: string, scene: AudioScene | undefined) => DspSimulator>([
  ["biamp-tesira", (path, scene) => new TesiraSimulator(path, 8, scene)],
  ["extron-dmp128-plus", (path, scene) => new ExtronSimulator(path, "plus", 8, scene)],
  ["extron-dmp128", (path, scene) => new ExtronSimulator(path, "original", 8, scene)],
  ["symetrix-composer", (path, scene) => new SymetrixSimulator(path, 8, scene)],
]);

export interface DspLink {
  /** A name for the link, unique in the host. */
  link: string;
  model: string;
  /** The DSP's end of the pty pair, and the one the agent opens. */
  devicePath: string;
  hostPath: string;
  scene?: AudioScene;
}

export type DspHostRequest = ({ op: "start" } & DspLink) | { op: "replug"; link: string };
export type DspHostCommand = { id: number } & DspHostRequest;
export type DspHostMessage = { id: number; ok: true } | { id: number; error: string } | { lost: string; why: string };

const HOST_PROGRAM = new URL("./dsp-host.ts", import.meta.url).pathname;
const REPO = new URL("../../../", import.meta.url).pathname;

export class DspHost {
  private child: ChildProcess | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();

  /** `lost` hears of a link whose socat died (a cable pulled); `replug` plugs it in again. */
  constructor(private readonly lost: (link: string, why: string) => void) {}

  start(link: DspLink): Promise<void> {
    return this.ask({ op: "start", ...link });
  }

  replug(link: string): Promise<void> {
    return this.ask({ op: "replug", link });
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, "exit");
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  }

  private ask(command: DspHostRequest): Promise<void> {
    const child = this.child ?? this.spawn();
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      child.stdin!.write(`${JSON.stringify({ id, ...command })}\n`);
    });
  }

  private spawn(): ChildProcess {
    const child = spawn(process.execPath, ["--import", "tsx", HOST_PROGRAM], {
      cwd: REPO,
      stdio: ["pipe", "pipe", "inherit"],
    });
    this.child = child;
    createInterface({ input: child.stdout! }).on("line", (line) => this.receive(line));
    child.once("exit", (code, signal) => {
      if (this.child === child) this.child = undefined;
      const error = new Error(`the DSP host exited (${signal ?? code})`);
      for (const { reject } of this.pending.values()) reject(error);
      this.pending.clear();
    });
    return child;
  }

  private receive(line: string): void {
    let message: DspHostMessage;
    try {
      message = JSON.parse(line) as DspHostMessage;
    } catch {
      process.stderr.write(`dsp-host said: ${line.slice(0, 200)}\n`);
      return;
    }
    if ("lost" in message) {
      this.lost(message.lost, message.why);
      return;
    }
    const waiting = this.pending.get(message.id);
    this.pending.delete(message.id);
    if (!waiting) return;
    if ("ok" in message) waiting.resolve();
    else waiting.reject(new Error(message.error));
  }
}
