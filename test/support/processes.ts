// Child processes for integration tests: started with their output kept, awaited by line, always cleaned up.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { createInterface } from "node:readline";

export const REPO = new URL("../../", import.meta.url).pathname;

const running = new Set<ManagedProcess>();

export class ManagedProcess {
  readonly lines: string[] = [];
  private readonly waiters = new Set<() => void>();
  exited = false;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
    /** A service of the test bed (a broker) rather than a process under test: stopAll() leaves it alone. */
    readonly service = false,
  ) {
    if (!service) running.add(this);
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream }).on("line", (line) => {
        this.lines.push(line);
        for (const wake of this.waiters) wake();
      });
    }
    child.on("exit", () => {
      this.exited = true;
      running.delete(this);
      for (const wake of this.waiters) wake();
    });
  }

  /** Resolves with the first line (already seen or still to come) that matches. */
  waitForLine(match: RegExp, timeoutMs = 15_000): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const line = this.lines.find((l) => match.test(l));
        if (line !== undefined) {
          done();
          resolve(line);
        } else if (this.exited) {
          done();
          reject(new Error(`${this.name} exited before printing ${match}:\n${this.lines.slice(-20).join("\n")}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new Error(`${this.name} printed no ${match} within ${timeoutMs} ms:\n${this.lines.slice(-20).join("\n")}`),
        );
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  count(match: RegExp): number {
    return this.lines.filter((line) => match.test(line)).length;
  }

  signal(signal: NodeJS.Signals): void {
    if (!this.exited) this.child.kill(signal);
  }

  async stop(signal: NodeJS.Signals = "SIGTERM", graceMs = 3000): Promise<void> {
    if (this.exited) return;
    const exited = once(this.child, "exit");
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
    await exited;
    clearTimeout(timer);
  }
}

export function start(
  name: string,
  command: string,
  args: string[],
  env: Record<string, string> = {},
  service = false,
): ManagedProcess {
  const child = spawn(command, args, {
    cwd: REPO,
    env: { ...process.env, LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  return new ManagedProcess(name, child, service);
}

/** A TypeScript entry point of this repository, run the way the README runs it. */
export function startTs(
  name: string,
  script: string,
  args: string[],
  env: Record<string, string> = {},
): ManagedProcess {
  return start(name, process.execPath, ["--import", "tsx", script, ...args], env);
}

/**
 * Stops every process under test that is still running (not the services of a test bed): SIGTERM, so that an agent
 * ends its media worker (a worker outlives an agent that is killed, for 30 s), then SIGKILL after a second.
 */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((p) => p.stop("SIGTERM", 1000)));
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
