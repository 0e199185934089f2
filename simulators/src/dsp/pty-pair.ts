// A pair of connected serial ports without hardware: socat with two ptys and stable link names, so a test can
// "unplug" (kill socat) and "replug" (start it again with the same names). When socat dies on its own (killed from
// outside), the pair says so with an `exit` event, so a supervisor can plug it in again.
import { type ChildProcess, spawn } from "node:child_process";
import { EventEmitter, once } from "node:events";

export class PtyPair extends EventEmitter<{ exit: [code: number | null, signal: NodeJS.Signals | null] }> {
  private socat: ChildProcess | undefined;

  /** `devicePath` is the DSP's end, `hostPath` the one the driver opens (as /dev/ttyUSB0 in a room). */
  constructor(
    readonly devicePath: string,
    readonly hostPath: string,
  ) {
    super();
  }

  async start(): Promise<void> {
    const socat = spawn(
      "socat",
      ["-d", "-d", `pty,raw,echo=0,link=${this.devicePath}`, `pty,raw,echo=0,link=${this.hostPath}`],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    this.socat = socat;
    await new Promise<void>((resolve, reject) => {
      let seen = "";
      const timer = setTimeout(() => reject(new Error(`socat did not start: ${seen}`)), 5000);
      socat.stderr!.on("data", (chunk: Buffer) => {
        seen += chunk.toString();
        if (seen.includes("starting data transfer loop")) {
          clearTimeout(timer);
          resolve();
        }
      });
      socat.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`socat exited (${code}): ${seen}`));
      });
    });
    // stop() forgets its socat before killing it: an exit of the socat still held is one nobody asked for.
    socat.once("exit", (code, signal) => {
      if (this.socat !== socat) return;
      this.socat = undefined;
      this.emit("exit", code, signal);
    });
  }

  /** Unplug: both ends go away, as when the cable is pulled or the USB adapter is reset. */
  async stop(): Promise<void> {
    const socat = this.socat;
    this.socat = undefined;
    if (!socat || socat.exitCode !== null || socat.signalCode !== null) return;
    const exited = once(socat, "exit");
    socat.kill("SIGKILL");
    await exited;
  }
}
