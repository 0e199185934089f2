// A pair of connected serial ports without hardware: socat with two ptys and stable link names, so a test can
// "unplug" (kill socat) and "replug" (start it again with the same names).
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";

export class PtyPair {
  private socat: ChildProcess | undefined;

  /** `devicePath` is the DSP's end, `hostPath` the one the driver opens (as /dev/ttyUSB0 in a room). */
  constructor(
    readonly devicePath: string,
    readonly hostPath: string,
  ) {}

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
