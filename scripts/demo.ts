// The demo: the controller with its embedded broker and the three demo rooms (hardware-profiles/rooms), each with
// simulated devices, on this machine only: cameras with live pictures, DSPs playing a hearing, GPIO boards running
// the real firmware, and each room's media worker — in a hearing held through the controller's session API, the
// central point and the two component points sending each other their programs over SRT on loopback, recorded, the
// finished segments uploaded to the controller's archive. Prints the URLs and the credentials it created; Ctrl-C
// stops everything. Like a site's supervisor (systemd), it restarts the controller, a room agent or the boards when
// they die, and plugs a DSP's serial link in again when its socat dies.
//   DEMO_HTTP_PORT (8080), DEMO_MQTT_PORT (1883), DEMO_DISCOVERY_PORT (3702), DEMO_BOARDS_PORT (8091),
//   DEMO_DIR (.demo) may be set.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomInt } from "node:crypto";
import { once } from "node:events";
import { createWriteStream, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { getPriority, setPriority } from "node:os";
import { join, resolve } from "node:path";
import { PerformanceObserver } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { addToken, addUser, registerRoom, Store, setRoomPin } from "@rc/controller";
import { loadProfile, loadRoom, type RoomProfile } from "@rc/hardware-profiles";
import type { RoomView } from "@rc/protocol";
import { type AudioScene, audioScene, DiscoveryResponder, SimulatedRooms } from "@rc/simulators";
import { AGENT_NODE_FLAGS } from "../room-agent/src/node-flags.ts";

const REPO = new URL("../", import.meta.url).pathname;
const DIR = resolve(REPO, process.env.DEMO_DIR ?? ".demo");
const HTTP_PORT = process.env.DEMO_HTTP_PORT ?? "8080";
const MQTT_PORT = process.env.DEMO_MQTT_PORT ?? "1883";
const ONLINE_WITHIN_MS = 30_000;

/**
 * The simulated devices stand for hardware with processors of its own: a room PC never shares its cores with its
 * cameras. Their heavy parts, the cameras' picture encoders (GStreamer's threads in this process) and the GPIO boards'
 * chips (a process of their own), run this much lower in priority than the product's processes (controller, agents,
 * media workers). The rest of this process stays at the normal priority: the cameras' ONVIF answers and this
 * supervisor's restarts must not wait for the encoders, as a real camera's web server and systemd would not. Anyone
 * may lower a thread's priority; raising one back needs root, so nothing here does.
 */
const SIMULATOR_NICE = 5;
const SIMULATOR_PROCESSES = new Set(["boards"]);
/** GStreamer names its threads after their elements; Node's own threads (V8's, libuv's) are all called "node". */
function lowerPictureThreads(): void {
  for (const tid of readdirSync("/proc/self/task")) {
    try {
      const name = readFileSync(`/proc/self/task/${tid}/comm`, "utf8").trim();
      if (name !== "node" && getPriority(Number(tid)) < SIMULATOR_NICE) setPriority(Number(tid), SIMULATOR_NICE);
    } catch {
      // The thread ended meanwhile.
    }
  }
}
// An encoder starts when someone watches: looked for each second.
setInterval(lowerPictureThreads, 1000).unref();

/**
 * The simulated cameras answer from this process's event loop: when it is held (a busy machine, a GC), they answer
 * late, which real ones would not. Said on stderr, so a slow recovery in the chaos suite can be told from a slow driver.
 */
const EVENT_LOOP_HELD_MS = 300;
let eventLoopTick = performance.now();
setInterval(() => {
  const now = performance.now();
  const heldMs = now - eventLoopTick - 100;
  if (heldMs > EVENT_LOOP_HELD_MS)
    process.stderr.write(`demo: the simulators' event loop was held ${heldMs.toFixed(0)} ms\n`);
  eventLoopTick = now;
}, 100).unref();
new PerformanceObserver((list) => {
  for (const entry of list.getEntries())
    if (entry.duration > EVENT_LOOP_HELD_MS / 2)
      process.stderr.write(`demo: a garbage collection held the simulators ${entry.duration.toFixed(0)} ms\n`);
}).observe({ entryTypes: ["gc"] });

const children: ChildProcess[] = [];
/** Set once the demo stops: nothing is restarted from then on. */
let stopping = false;
/** A hearing's worth of speech for the simulated DSPs' meters. */
const DEMO_SCENE: AudioScene = loadProfile(
  audioScene,
  join(REPO, "simulators/src/audio-scene/scenes/hearing-with-interruptions.json"),
);
/** Simulators started beside the rooms' own (the discovery responder). */
const simulators: { stop(): Promise<void> }[] = [];
/** The simulated cameras' login, given to the agents as RC_CAMERA_PASSWORD. */
const CAMERA_PASSWORD = "demo-camera";
process.env.RC_CAMERA_PASSWORD = CAMERA_PASSWORD;
const DISCOVERY_PORT = Number(process.env.DEMO_DISCOVERY_PORT ?? 3702);
const BOARDS_PORT = process.env.DEMO_BOARDS_PORT ?? "8091";
/** The simulated chips' clock as a share of 16 MHz: Firmata keeps up at a quarter, at a quarter of the CPU. */
const BOARD_SPEED = "0.25";

/** A restart waits this long after a steady run, as systemd's default RestartSec (100 ms) would… */
const RESTART_AFTER_MS = 100;
/** …and doubles, up to this, while the thing keeps dying within STEADY_AFTER_MS of its start. */
const RESTART_MAX_MS = 16_000;
const STEADY_AFTER_MS = 10_000;
const restartTimers = new Set<NodeJS.Timeout>();

/** When to start again something that died: at once, or later and later while it keeps dying at once. */
class RestartBackoff {
  private delayMs = RESTART_AFTER_MS / 2;
  private startedAt = Date.now();

  started(): void {
    this.startedAt = Date.now();
  }

  nextDelayMs(): number {
    const steady = Date.now() - this.startedAt >= STEADY_AFTER_MS;
    this.delayMs = steady ? RESTART_AFTER_MS : Math.min(this.delayMs * 2, RESTART_MAX_MS);
    return this.delayMs;
  }
}

/** Runs `start` again after the backoff's delay, and again later if it fails; never while the demo is stopping. */
function restartLater(what: string, backoff: RestartBackoff, start: () => unknown): void {
  if (stopping) return;
  const delayMs = backoff.nextDelayMs();
  process.stderr.write(`demo: restarting ${what} in ${delayMs / 1000} s\n`);
  const timer = setTimeout(async () => {
    restartTimers.delete(timer);
    if (stopping) return;
    backoff.started();
    try {
      await start();
    } catch (error) {
      process.stderr.write(`demo: ${what} did not restart: ${(error as Error).message}\n`);
      restartLater(what, backoff, start);
    }
  }, delayMs);
  restartTimers.add(timer);
}

/** Keeps a process started by run() running: whenever it exits, it is started again with the same arguments. */
function superviseProcess(name: string, args: string[], first: ChildProcess): void {
  const backoff = new RestartBackoff();
  const watch = (child: ChildProcess) =>
    child.once("exit", () => restartLater(name, backoff, () => watch(run(name, args))));
  watch(first);
}

/** Starts node with these arguments and its output in DIR/logs/NAME.log (appended to: a restart keeps the past). */
function run(name: string, args: string[]): ChildProcess {
  const log = createWriteStream(join(DIR, "logs", `${name}.log`), { flags: "a" });
  const [command, commandArgs] = SIMULATOR_PROCESSES.has(name)
    ? ["nice", ["-n", String(SIMULATOR_NICE), process.execPath, ...args]]
    : [process.execPath, args];
  const child = spawn(command, commandArgs, {
    cwd: REPO,
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  child.on("exit", (code, signal) => {
    if (!stopping)
      process.stderr.write(`demo: ${name} exited (${signal ?? code}); see ${join(DIR, "logs", `${name}.log`)}\n`);
  });
  children.push(child);
  return child;
}

/** Each serial link's restarts, so one that keeps dying waits longer and longer, as a process does. */
const serialLinkBackoffs = new Map<string, RestartBackoff>();
/**
 * The rooms' simulated devices (simulators/src/simulated-rooms.ts): cameras framing the seats, DSPs on pty pairs
 * playing a hearing, a pty for each GPIO board, media on loopback. Kinds without a simulator are disabled, so no agent
 * ever reaches for the real addresses in the profiles.
 */
const simulated = new SimulatedRooms({
  serialDir: join(DIR, "serial"),
  cameraPassword: CAMERA_PASSWORD,
  scene: DEMO_SCENE,
  media: { recordingsDir: join(DIR, "recordings"), window: Boolean(process.env.DISPLAY) },
  // socat gone is a cable pulled: plug it in again; the DSP keeps its settings, the agent's driver reconnects.
  onSerialLinkLost: (link, why, replug) => {
    process.stderr.write(`demo: ${link} went away (${why})\n`);
    const backoff = serialLinkBackoffs.get(link) ?? new RestartBackoff();
    serialLinkBackoffs.set(link, backoff);
    restartLater(link, backoff, replug);
  },
});
const { cameras, boards, srtPorts } = simulated;

async function prepareRoom(file: string): Promise<RoomProfile> {
  return await simulated.room(loadRoom(file).room);
}

/** Every REST call of the demo (and every curl it shows) sends this admin's API token; set once the store exists. */
let apiToken = "";
const authorization = () => ({ authorization: `Bearer ${apiToken}` });

async function rooms(): Promise<RoomView[]> {
  try {
    return (await (
      await fetch(`http://127.0.0.1:${HTTP_PORT}/api/rooms`, { headers: authorization() })
    ).json()) as RoomView[];
  } catch {
    return [];
  }
}

async function stopEverything(code: number): Promise<never> {
  stopping = true;
  for (const timer of restartTimers) clearTimeout(timer);
  const exits = children
    .filter((child) => child.exitCode === null && child.signalCode === null)
    .map((child) => {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      return once(child, "exit").then(() => clearTimeout(timer));
    });
  await Promise.all(exits);
  await Promise.all([simulated.stop(), ...simulators.map((simulator) => simulator.stop())]);
  process.stdout.write("demo: every process stopped\n");
  process.exit(code);
}
process.on("SIGINT", () => void stopEverything(0));
process.on("SIGTERM", () => void stopEverything(0));

// The rooms run bundles, as a real site does: build them from the current sources (a fraction of a second).
execFileSync("bash", [join(REPO, "scripts/build.sh")], { stdio: "inherit" });
rmSync(DIR, { recursive: true, force: true });
for (const folder of ["logs", "rooms", "credentials", "agents", "serial"])
  mkdirSync(join(DIR, folder), { recursive: true, mode: 0o700 });

// Rooms register parents first: central point, then districts, then communes.
const order = ["central", "province", "district", "commune"];
const profiles = await Promise.all(
  readdirSync(join(REPO, "hardware-profiles/rooms"))
    .filter((file) => file.endsWith(".json"))
    .map((file) => prepareRoom(join(REPO, "hardware-profiles/rooms", file))),
);
profiles.sort((a, b) => order.indexOf(a.level) - order.indexOf(b.level));

// Every simulated camera answers a directed WS-Discovery probe on loopback; the demo never multicasts.
const responder = new DiscoveryResponder(
  () =>
    cameras.map(({ camera, room, name }) => ({
      name,
      hardware: "RC-SIM-PTZ",
      location: room.name,
      xaddr: camera.deviceServiceUrl,
    })),
  { port: DISCOVERY_PORT },
);
const discoverable = await responder.start().then(
  () => true,
  (error: Error) => {
    process.stderr.write(`demo: camera discovery not offered (UDP ${DISCOVERY_PORT}: ${error.message})\n`);
    return false;
  },
);
if (discoverable) simulators.push(responder);

const store = new Store(join(DIR, "controller"));
await store.open();
const credentials: Record<string, string> = {};
const panelPins: Record<string, string> = {};
for (const room of profiles) {
  const srt = srtPorts[room.id] === undefined ? null : { host: "127.0.0.1", port: srtPorts[room.id]! };
  const login = await registerRoom(store, {
    id: room.id,
    name: room.name,
    level: room.level,
    parent: room.parent,
    srt,
  });
  credentials[room.id] = login.password;
  // Each room's wall panel is unlocked with a PIN of its own, drawn here and printed below.
  panelPins[room.id] = String(randomInt(100_000, 1_000_000));
  await setRoomPin(store, room.id, panelPins[room.id]!);
  writeFileSync(join(DIR, "credentials", `${room.id}.json`), JSON.stringify(login), { mode: 0o600 });
  writeFileSync(join(DIR, "rooms", `${room.id}.json`), JSON.stringify(room, null, 2));
}

const central = profiles.find((room) => room.parent === null) ?? profiles[0]!;
// The demo's admin, so that the controller makes none on its first start; its password and token are printed below.
const { password: adminPassword } = await addUser(store, { name: "admin", role: "admin" });
apiToken = (await addToken(store, "admin", "demo")).token;

/**
 * Starts a process with run() and waits for the line that says it is ready; the demo stops if it exits first.
 * From then on it is kept running.
 */
async function runUntilReady(name: string, args: string[], isReady: (line: string) => boolean): Promise<void> {
  const child = run(name, args);
  const ready = await new Promise<boolean>((resolve) => {
    createInterface({ input: child.stdout! }).on("line", (line) => isReady(line) && resolve(true));
    child.on("exit", () => resolve(false));
  });
  if (!ready) {
    process.stderr.write(`demo: ${name} did not start; see ${join(DIR, "logs", `${name}.log`)}\n`);
    await stopEverything(1);
  }
  superviseProcess(name, args, child);
}

await runUntilReady(
  "controller",
  [
    join(REPO, "dist/controller.mjs"),
    "--data",
    join(DIR, "controller"),
    "--http-port",
    HTTP_PORT,
    "--mqtt-port",
    MQTT_PORT,
  ],
  (line) => line.includes('"ready":true'),
);
// The hearing, held as an operator would through the controller's session API: the province's point hosts, every
// other point takes part (the commune skips the district: a cross-level link, said so). The controller computes each
// room's desired state from it (peers, a fresh passphrase, recording on) and publishes it to the agents.
const http = `http://127.0.0.1:${HTTP_PORT}`;
async function api(method: string, path: string, body?: object): Promise<Record<string, unknown>> {
  const response = await fetch(`${http}${path}`, {
    method,
    headers: { ...authorization(), ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const answer = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(answer)}`);
  return answer;
}
const now = Date.now();
const hearing = await api("POST", "/api/sessions", {
  title: "Tiếp công dân định kỳ (phiên trình diễn)",
  kind: "ad_hoc",
  start: new Date(now).toISOString(),
  end: new Date(now + 2 * 3600_000).toISOString(),
  host: central.id,
  hostHead: "Nguyễn Văn An",
  points: profiles.filter((room) => room !== central).map((room) => ({ room: room.id })),
  presiding: { name: "Nguyễn Văn An", title: "Phó Chủ tịch UBND tỉnh" },
  crossLevel: profiles.some((room) => room !== central && room.parent !== central.id),
  crossLevelReason: "Xã tham gia trực tiếp cùng huyện (liên thông ba cấp)",
}).catch(async (error: Error) => {
  process.stderr.write(`demo: the hearing could not be created: ${error.message}\n`);
  return stopEverything(1);
});
const sessionId = String(hearing.id);
await api("POST", `/api/sessions/${sessionId}/start`).catch(async (error: Error) => {
  process.stderr.write(`demo: the hearing could not start: ${error.message}\n`);
  await stopEverything(1);
});

// The boards run in their own process: a simulated AVR keeps a share of a core busy.
if (boards.length > 0) {
  await runUntilReady(
    "boards",
    [
      "--import",
      "tsx",
      join(REPO, "simulators/src/firmata-board/cli.ts"),
      ...boards.flatMap(({ name, path }) => ["--board", `${name}=${path}`]),
      "--control-port",
      BOARDS_PORT,
      "--speed",
      BOARD_SPEED,
    ],
    (line) => line.startsWith("control "),
  );
}
for (const room of profiles) {
  const name = `agent-${room.id}`;
  const args = [
    ...AGENT_NODE_FLAGS,
    join(REPO, "dist/room-agent.mjs"),
    "--room",
    join(DIR, "rooms", `${room.id}.json`),
    "--broker",
    `mqtt://127.0.0.1:${MQTT_PORT}`,
    "--credentials",
    join(DIR, "credentials", `${room.id}.json`),
    "--data",
    join(DIR, "agents", room.id),
    "--archive-url",
    http,
  ];
  superviseProcess(name, args, run(name, args));
}

const deadline = Date.now() + ONLINE_WITHIN_MS;
let seen: RoomView[] = [];
while (Date.now() < deadline) {
  seen = await rooms();
  if (seen.length === profiles.length && seen.every((room) => room.availability.state === "online")) break;
  await new Promise((resolve) => setTimeout(resolve, 250));
}
const online = seen.filter((room) => room.availability.state === "online").length;
if (online !== profiles.length) {
  process.stderr.write(
    `demo: only ${online} of ${profiles.length} rooms online after ${ONLINE_WITHIN_MS / 1000} s; logs in ${join(DIR, "logs")}\n`,
  );
  await stopEverything(1);
}

process.stdout.write(
  [
    "",
    `Demo running: ${profiles.length} rooms online (Ctrl-C stops everything).`,
    `  API token         ${apiToken}`,
    `    (admin; every REST call and socket.io wants a token: -H "Authorization: Bearer $TOKEN"; login admin / ${adminPassword})`,
    `  IT dashboard      ${http}/   (login admin / ${adminPassword})`,
    "  Operator panels (a room's wall touch screen; its PIN):",
    ...profiles.map((room) => `    ${`${http}/panel/${room.id}`.padEnd(56)} PIN ${panelPins[room.id]}`),
    `  Rooms (REST)      ${http}/api/rooms`,
    `  Health            ${http}/healthz`,
    `  Metrics           ${http}/metrics`,
    `  Realtime          socket.io at ${http}`,
    `  MQTT broker       mqtt://127.0.0.1:${MQTT_PORT}  (controller login in ${join(DIR, "controller", "controller-credentials.json")})`,
    "  Agent logins (username = room id):",
    ...profiles.map((room) => `    ${room.id.padEnd(24)} ${credentials[room.id]}   ${room.name}`),
    `  Cameras (ONVIF, password ${CAMERA_PASSWORD})${discoverable ? `, discoverable by a WS-Discovery probe to 127.0.0.1:${DISCOVERY_PORT}` : ""}:`,
    ...cameras.map(({ camera, name, username }) => `    ${camera.deviceServiceUrl}   login ${username}   ${name}`),
    ...(boards.length > 0
      ? [
          `  GPIO boards       http://127.0.0.1:${BOARDS_PORT}/boards  (StandardFirmata on a simulated Uno per room)`,
          `    press a seat button: curl -X POST 'http://127.0.0.1:${BOARDS_PORT}/boards/${boards[0]!.name}/click?pin=2'`,
        ]
      : []),
    `  Hearing (live, recorded at every point): ${http}/api/sessions/${sessionId}`,
    `    host ${central.id}, SRT on 127.0.0.1 (${Object.entries(srtPorts)
      .map(([room, port]) => `${room} :${port}`)
      .join(", ")})`,
    `    readiness: curl -H "Authorization: Bearer ${apiToken}" ${http}/api/sessions/${sessionId}/readiness`,
    `    end it:    curl -X POST -H "Authorization: Bearer ${apiToken}" ${http}/api/sessions/${sessionId}/end`,
    "    its record (finished segments reach the archive):",
    `      curl -H "Authorization: Bearer ${apiToken}" ${http}/api/sessions/${sessionId}/recordings`,
    `  Try: curl -X POST ${http}/api/rooms/${profiles[0]!.id}/requests -H "Authorization: Bearer ${apiToken}" \\`,
    "         -H 'content-type: application/json' \\",
    `         -d '{"action":"ptz.goto","params":{"device":"cam-cong-dan","seat":"cong-dan"}}'`,
    `  Logs: ${join(DIR, "logs")}`,
    "",
  ].join("\n"),
);
process.stdout.write(
  `${JSON.stringify({ ready: true, http, token: apiToken, rooms: profiles.map((room) => room.id), session: sessionId })}\n`,
);
