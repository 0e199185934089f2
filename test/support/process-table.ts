// The machine's processes as /proc shows them: for tests and the chaos suite that must find a process by its command
// line (a media worker adopted by a new agent is no longer its parent's child) or tell a dead one from a zombie.
import { readdirSync, readFileSync } from "node:fs";

export interface RunningProcess {
  pid: number;
  ppid: number;
  args: string[];
}

/** Every process of this machine we may look at: pid, parent and command line. */
export function processTable(): RunningProcess[] {
  const table: RunningProcess[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").filter(Boolean);
      const ppid = Number(readFileSync(`/proc/${entry}/stat`, "utf8").split(") ")[1]!.split(" ")[1]);
      if (args.length > 0) table.push({ pid: Number(entry), ppid, args });
    } catch {} // gone meanwhile
  }
  return table;
}

export function isRunning(pid: number): boolean {
  try {
    // A zombie still answers kill(0): look at its state too.
    return !readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.startsWith("Z");
  } catch {
    return false;
  }
}

/** CPU seconds a process has used (user + system), from /proc; 0 once it is gone. */
export function cpuSecondsOf(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (100 a second)
  } catch {
    return 0;
  }
}
