// The machine's processes as /proc shows them: for tests and the chaos suite that must find a process by its command
// line (a media worker adopted by a new agent is no longer its parent's child) or tell a dead one from a zombie.
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

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

/**
 * Which of `pids` listens on the unix socket at `path` (a spare media worker started with the same socket path does
 * not listen until it takes over), by the socket's inode in /proc/net/unix and the processes' open files.
 */
function listenerOn(path: string, pids: number[]): number | undefined {
  const ACCEPTING = 0x10000; // __SO_ACCEPTCON: a listening socket
  const inodes = new Set<string>();
  for (const line of readFileSync("/proc/net/unix", "utf8").split("\n").slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields[7] === path && (Number.parseInt(fields[3] ?? "0", 16) & ACCEPTING) !== 0) inodes.add(fields[6]!);
  }
  return pids.find((pid) => {
    try {
      return readdirSync(`/proc/${pid}/fd`).some((fd) => {
        const target = readlinkSync(`/proc/${pid}/fd/${fd}`, { encoding: "utf8" });
        return inodes.has(target.match(/^socket:\[(\d+)\]$/)?.[1] ?? "");
      });
    } catch {
      return false; // gone meanwhile
    }
  });
}

/**
 * The room's media worker, by the socket it listens on: one adopted after its agent died is nobody's child, and the
 * agent's spare names the same socket but does not listen on it until it takes over.
 */
export function mediaWorkerOn(socket: string): RunningProcess | undefined {
  const named = processTable().filter(
    (p) => p.args.at(-1) === socket && p.args.some((arg) => /media-worker\.(mjs|ts)$/.test(arg)),
  );
  const pid = listenerOn(
    socket,
    named.map((p) => p.pid),
  );
  return named.find((p) => p.pid === pid);
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
