// The demo the chaos suite perturbs: started as a child on free loopback ports in a temporary folder, its processes
// found by their command lines in /proc, its REST API read with a time limit (a stalled controller must not stall
// the suite), and stopped with everything it started — also the processes a restart left behind.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RoomView } from "@rc/protocol";
import { isRunning, mediaWorkerOn, processTable, type RunningProcess } from "../support/process-table.ts";
import { freePort, type ManagedProcess, startTs } from "../support/processes.ts";

export function rssMb(pid: number): number | null {
  try {
    const line = readFileSync(`/proc/${pid}/status`, "utf8")
      .split("\n")
      .find((l) => l.startsWith("VmRSS:"));
    return line ? Number(line.split(/\s+/)[1]) / 1024 : null;
  } catch {
    return null;
  }
}

export interface RoomProfileSummary {
  id: string;
  parent: string | null;
  /** The enabled DSP's device id, if the room has one the demo simulates. */
  mixer: string | null;
  media: string | null;
  test: string | null;
}

export class DemoUnderTest {
  readonly dir = mkdtempSync(join(tmpdir(), "rc-chaos-"));
  http = "";
  /** The admin API token the demo printed: every REST call of the suite sends it. */
  token = "";
  mqttPort = 0;
  rooms: RoomProfileSummary[] = [];
  private demo: ManagedProcess | undefined;
  private stopped = false;
  /** Every process seen under the demo, so that none is left behind when it stops. */
  private readonly seen = new Map<number, string>();

  get central(): RoomProfileSummary {
    return this.rooms.find((room) => room.parent === null) ?? this.rooms[0]!;
  }

  get demoPid(): number | undefined {
    return this.demo?.child.pid;
  }

  /** The demo's last lines (its own stderr says what it restarted). */
  get lines(): string[] {
    return this.demo?.lines ?? [];
  }

  async start(): Promise<void> {
    const httpPort = await freePort();
    this.mqttPort = await freePort();
    const discoveryPort = await freePort();
    const boardsPort = await freePort();
    if (this.stopped) throw new Error("stopped before the demo started");
    this.demo = startTs("demo", "scripts/demo.ts", [], {
      DEMO_DIR: this.dir,
      DEMO_HTTP_PORT: String(httpPort),
      DEMO_MQTT_PORT: String(this.mqttPort),
      DEMO_DISCOVERY_PORT: String(discoveryPort),
      DEMO_BOARDS_PORT: String(boardsPort),
    });
    const ready = JSON.parse(await this.demo.waitForLine(/"ready":true/, 90_000)) as {
      http: string;
      token: string;
      rooms: string[];
    };
    this.http = ready.http;
    this.token = ready.token;
    this.rooms = ready.rooms.map((id) => this.roomProfile(id));
  }

  /** What the suite needs of a room, from the profile the demo wrote for its agent. */
  private roomProfile(id: string): RoomProfileSummary {
    const profile = JSON.parse(readFileSync(join(this.dir, "rooms", `${id}.json`), "utf8")) as {
      parent: string | null;
      devices: { id: string; kind: string; enabled?: boolean }[];
    };
    const device = (kind: string) =>
      profile.devices.find((entry) => entry.kind === kind && entry.enabled !== false)?.id ?? null;
    return { id, parent: profile.parent, mixer: device("mixer"), media: device("media"), test: device("test") };
  }

  /** The demo's processes now: remembered, so that stop() can make sure they are all gone. */
  private tree(): RunningProcess[] {
    const table = processTable();
    const root = this.demoPid;
    const inside = new Set<number>(root === undefined ? [] : [root]);
    // Parents come before children often but not always: repeat until nothing is added.
    for (let grew = true; grew; ) {
      grew = false;
      for (const entry of table)
        if (!inside.has(entry.pid) && inside.has(entry.ppid)) {
          inside.add(entry.pid);
          grew = true;
        }
    }
    const tree = table.filter((entry) => inside.has(entry.pid));
    for (const entry of tree) this.seen.set(entry.pid, entry.args.join(" "));
    return tree;
  }

  controllerPid(): number | undefined {
    return this.tree().find((p) => p.args.some((arg) => arg.endsWith("dist/controller.mjs")))?.pid;
  }

  agentPid(room: string): number | undefined {
    const profile = join(this.dir, "rooms", `${room}.json`);
    return this.tree().find(
      (p) => p.args.some((arg) => arg.endsWith("dist/room-agent.mjs")) && p.args.includes(profile),
    )?.pid;
  }

  /** The room's GStreamer worker (see mediaWorkerOn). */
  mediaWorkerPid(room: string): number | undefined {
    const worker = mediaWorkerOn(join(this.dir, "agents", room, "media-worker.sock"));
    if (worker) this.seen.set(worker.pid, worker.args.join(" "));
    return worker?.pid;
  }

  /** The socat that joins the room's DSP simulator to the path the agent's mixer driver opens. */
  dspSocatPid(room: string): number | undefined {
    const mixer = this.rooms.find((r) => r.id === room)?.mixer;
    if (!mixer) return undefined;
    const link = `link=${join(this.dir, "serial", `${room}-${mixer}`)}`;
    return this.tree().find((p) => p.args[0]?.endsWith("socat") && p.args.some((arg) => arg.includes(link)))?.pid;
  }

  async roomViews(): Promise<RoomView[]> {
    return (await getJson(this, "/api/rooms")) as RoomView[];
  }

  /** How many lines of DIR/logs/NAME.log carry this message (pino's `msg`). */
  logLines(name: string, message: string): number {
    try {
      return (
        readFileSync(join(this.dir, "logs", `${name}.log`), "utf8").split(`"msg":${JSON.stringify(message)}`).length - 1
      );
    } catch {
      return 0;
    }
  }

  /** Stops the demo (it stops what it started), then kills by pid anything of its tree that outlived it. */
  async stop(keepFolder = false): Promise<string[]> {
    this.stopped = true;
    const left: string[] = [];
    if (this.demo) {
      this.tree();
      await this.demo.stop("SIGTERM", 30_000);
      for (const [pid, command] of this.seen) {
        if (!isRunning(pid)) continue;
        const now = processTable().find((p) => p.pid === pid);
        if (now?.args.join(" ") !== command) continue; // the pid was reused by something else
        left.push(`${pid} ${command.slice(0, 120)}`);
        process.kill(pid, "SIGKILL");
      }
    }
    if (keepFolder) process.stderr.write(`chaos: the demo's folder is kept: ${this.dir}\n`);
    else rmSync(this.dir, { recursive: true, force: true });
    return left;
  }
}

/** Where the demo's REST API is, and the token it takes. */
export interface DemoApi {
  http: string;
  token: string;
}

/** A GET with a time limit: a stalled controller must answer "no answer", not hang the suite. */
export async function getJson(demo: DemoApi, path: string, timeoutMs = 2000): Promise<unknown> {
  const response = await fetch(`${demo.http}${path}`, {
    headers: { authorization: `Bearer ${demo.token}` },
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!response.ok) throw new Error(`GET ${path}: ${response.status}`);
  return response.json();
}

/** A request to a room's agent through the controller's REST API. */
export async function postRequest(
  demo: DemoApi,
  room: string,
  body: { action: string; params: Record<string, unknown>; id?: string },
  timeoutMs: number,
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${demo.http}/api/rooms/${room}/requests`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${demo.token}` },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  return { status: response.status, body: await response.json().catch(() => null) };
}
