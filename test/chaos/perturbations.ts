// The harm done in one round, one kind at a time: what is hit, when the recovery clock starts, how to tell that the
// harm is really over (not merely unnoticed yet: a new process, a device that came back after the hit), and anything
// wrong already seen while doing it. Budgets from DESIGN §5.
import { rmSync } from "node:fs";
import { join } from "node:path";
import type { RoomView } from "@rc/protocol";
import { isRunning } from "../support/process-table.ts";
import { waitFor } from "../support/wait-for.ts";
import { clientIdsToSteal, connectBurst, roomLogin, tryLogin } from "./broker-probes.ts";
import { type DemoUnderTest, getJson, type RoomProfileSummary, rssMb } from "./demo-under-test.ts";

export const KINDS = [
  "agent-kill",
  "controller-kill",
  "media-worker-kill",
  "dsp-pty-kill",
  "controller-stall",
  "pc-replaced",
  "client-id-kick",
  "garbage-connects",
] as const;
export type Kind = (typeof KINDS)[number];

export interface Harm {
  /** When the recovery clock starts. */
  at: number;
  /** Why the harm is not over yet, or null when it is. */
  recovered?: () => Promise<string | null>;
  /** Wrong already while doing it (a login that should have been refused). */
  violations: string[];
  /** What can only be judged a while after the harm (a kicked client shows when it reconnects). */
  laterCheck?: () => Promise<string[]>;
  /** What was hit, for the report. */
  target: string;
}

export interface Perturbation {
  budgetMs: number;
  budgetSource: string;
  /** It kills the controller on purpose: its exit is then no violation. */
  killsController?: boolean;
  perturb(demo: DemoUnderTest, victim: RoomProfileSummary, rooms: RoomProfileSummary[]): Promise<Harm>;
}

/** A perturbation whose target is not there: reported as such, never as a passed round. */
export class TargetMissing extends Error {}

const STALL_MS = 20_000;
/** Memory the controller may gain from a burst of CONNECTs before any login (issue 11, fault 8: +143 MB seen). */
const BURST_RSS_LIMIT_MB = 100;
const BURST_CONNECTS = 200;
const KICK_SHOWS_WITHIN_MS = 3000;

async function kill(pid: number | undefined, what: string, signal: NodeJS.Signals = "SIGKILL"): Promise<number> {
  if (pid === undefined) throw new TargetMissing(`no ${what} process found`);
  process.kill(pid, signal);
  return pid;
}

async function killAndWait(pid: number | undefined, what: string): Promise<number> {
  const killed = await kill(pid, what);
  await waitFor(`${what} (${killed}) to exit`, () => !isRunning(killed), 5000, 20);
  return killed;
}

async function roomView(demo: DemoUnderTest, room: string): Promise<RoomView | undefined> {
  try {
    return (await getJson(demo, `/api/rooms/${room}`)) as RoomView;
  } catch {
    return undefined;
  }
}

/** A device of the room is ok again, and has been since after the hit (it noticed and came back). */
async function deviceBackAfter(demo: DemoUnderTest, room: string, device: string, at: number): Promise<string | null> {
  const health = (await roomView(demo, room))?.health[device];
  if (!health) return `${room}/${device} has no health`;
  if (health.status !== "ok") return `${room}/${device} is ${health.status}: ${health.detail}`;
  if (Date.parse(health.since) < at - 50) return `${room}/${device} still ok since before the hit (not noticed yet)`;
  return null;
}

/** A new agent process of the room is online, with a boot other than the killed one's. */
function agentBack(demo: DemoUnderTest, room: string, killed: number, bootIdBefore: string | null) {
  return async (): Promise<string | null> => {
    const pid = demo.agentPid(room);
    if (pid === undefined || pid === killed) return `no new agent process for ${room}`;
    const availability = (await roomView(demo, room))?.availability;
    if (availability?.state !== "online") return `${room} is ${availability?.state ?? "unreadable"}`;
    if (bootIdBefore !== null && availability.bootId === bootIdBefore) return `${room} still shows the killed boot`;
    return null;
  };
}

function controllerBack(demo: DemoUnderTest, killed: number | null) {
  return async (): Promise<string | null> => {
    const pid = demo.controllerPid();
    if (pid === undefined || pid === killed) return "no new controller process";
    try {
      await getJson(demo, "/healthz");
      return null;
    } catch (error) {
      return `/healthz: ${(error as Error).message}`;
    }
  };
}

const connectedLines = (demo: DemoUnderTest, log: string) => demo.logLines(log, "connected to the broker");

export const PERTURBATIONS: Record<Kind, Perturbation> = {
  "agent-kill": {
    budgetMs: 10_000,
    budgetSource: "agent restart (as a broker restart)",
    async perturb(demo, victim) {
      const bootId = (await roomView(demo, victim.id))?.availability.bootId ?? null;
      const killed = await killAndWait(demo.agentPid(victim.id), `agent of ${victim.id}`);
      return {
        at: Date.now(),
        recovered: agentBack(demo, victim.id, killed, bootId),
        violations: [],
        target: victim.id,
      };
    },
  },
  "controller-kill": {
    budgetMs: 10_000,
    budgetSource: "controller restart → wanted state republished",
    killsController: true,
    async perturb(demo) {
      const killed = await kill(demo.controllerPid(), "controller");
      const at = Date.now();
      return {
        at,
        recovered: controllerBack(demo, killed),
        violations: [],
        target: "controller",
      };
    },
  },
  "media-worker-kill": {
    budgetMs: 3000,
    budgetSource: "media worker crash",
    async perturb(demo, victim) {
      if (!victim.media) throw new TargetMissing(`${victim.id} has no media device`);
      const killed = await kill(demo.mediaWorkerPid(victim.id), `media worker of ${victim.id}`);
      const at = Date.now();
      const recovered = async () => {
        const pid = demo.mediaWorkerPid(victim.id);
        if (pid === undefined || pid === killed) return `no new media worker for ${victim.id}`;
        return deviceBackAfter(demo, victim.id, victim.media!, at);
      };
      return { at, recovered, violations: [], target: victim.id };
    },
  },
  "dsp-pty-kill": {
    budgetMs: 5000,
    budgetSource: "device power cycle",
    async perturb(demo, victim) {
      if (!victim.mixer) throw new TargetMissing(`${victim.id} has no simulated DSP`);
      const killed = await kill(demo.dspSocatPid(victim.id), `socat of ${victim.id}/${victim.mixer}`);
      const at = Date.now();
      const recovered = async () => {
        const pid = demo.dspSocatPid(victim.id);
        if (pid === undefined || pid === killed) return `no new socat for ${victim.id}/${victim.mixer}`;
        return deviceBackAfter(demo, victim.id, victim.mixer!, at);
      };
      return { at, recovered, violations: [], target: `${victim.id}/${victim.mixer}` };
    },
  },
  "controller-stall": {
    budgetMs: 10_000,
    budgetSource: "broker restart (from SIGCONT)",
    async perturb(demo) {
      const pid = await kill(demo.controllerPid(), "controller", "SIGSTOP");
      try {
        await new Promise((resolve) => setTimeout(resolve, STALL_MS));
      } finally {
        process.kill(pid, "SIGCONT");
      }
      return {
        at: Date.now(),
        recovered: controllerBack(demo, null),
        violations: [],
        target: "controller",
      };
    },
  },
  "pc-replaced": {
    budgetMs: 10_000,
    budgetSource: "agent restart (as a broker restart)",
    async perturb(demo, victim) {
      const bootId = (await roomView(demo, victim.id))?.availability.bootId ?? null;
      // The demo restarts an agent right after it dies: its data folder goes while it is frozen, then it dies.
      const pid = await kill(demo.agentPid(victim.id), `agent of ${victim.id}`, "SIGSTOP");
      rmSync(join(demo.dir, "agents", victim.id), { recursive: true, force: true });
      const killed = await killAndWait(pid, `agent of ${victim.id}`);
      const at = Date.now();
      const back = agentBack(demo, victim.id, killed, bootId);
      const recovered = async () => {
        const reason = await back();
        if (reason) return reason;
        const boot = (await roomView(demo, victim.id))?.availability.boot;
        return boot === 1 ? null : `${victim.id} reports boot ${boot}, not 1: was its data folder wiped?`;
      };
      return { at, recovered, violations: [], target: victim.id };
    },
  },
  "client-id-kick": {
    budgetMs: 5000,
    budgetSource: "nothing to recover from",
    async perturb(demo, victim, rooms) {
      const thief = rooms[(rooms.indexOf(victim) + 1) % rooms.length]!;
      const availability = (await roomView(demo, victim.id))?.availability;
      const ids = clientIdsToSteal(
        demo.dir,
        { room: victim.id, boot: availability?.boot ?? null, bootId: availability?.bootId ?? null },
        demo.controllerPid(),
      );
      const victimConnects = connectedLines(demo, `agent-${victim.id}`);
      const controllerConnects = connectedLines(demo, "controller");
      const violations: string[] = [];
      for (const id of ids) {
        const answer = await tryLogin(demo.mqttPort, roomLogin(demo.dir, thief.id), id);
        if (answer === "accepted") violations.push(`${thief.id}'s login was accepted with client id "${id}"`);
      }
      const at = Date.now();
      const laterCheck = async () => {
        // A kicked client reconnects within its reconnect period (1 s): give it the time to show in its log.
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, at + KICK_SHOWS_WITHIN_MS - Date.now())));
        const victimAgain = connectedLines(demo, `agent-${victim.id}`) - victimConnects;
        const controllerAgain = connectedLines(demo, "controller") - controllerConnects;
        return [
          ...(victimAgain > 0 ? [`${victim.id}'s agent was disconnected (${victimAgain} reconnects)`] : []),
          ...(controllerAgain > 0 ? [`the controller was disconnected (${controllerAgain} reconnects)`] : []),
        ];
      };
      return { at, violations, laterCheck, target: `${thief.id} as ${victim.id} (${ids.length} client ids)` };
    },
  },
  "garbage-connects": {
    budgetMs: 5000,
    budgetSource: "nothing to recover from",
    async perturb(demo) {
      const pid = demo.controllerPid();
      const before = pid === undefined ? null : rssMb(pid);
      const { sent } = await connectBurst(demo.mqttPort, BURST_CONNECTS);
      const at = Date.now();
      const after = pid === undefined ? null : rssMb(pid);
      const violations: string[] = [];
      if (before !== null && after !== null && after - before > BURST_RSS_LIMIT_MB)
        violations.push(
          `the controller grew from ${Math.round(before)} to ${Math.round(after)} MB RSS under ${sent} CONNECTs`,
        );
      return { at, violations, target: `${sent} CONNECTs` };
    },
  },
};
