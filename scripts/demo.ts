// The demo: the controller with its embedded broker and the three demo rooms (hardware-profiles/rooms), each with
// simulated devices, on this machine only. Prints the URLs and the credentials it created; Ctrl-C stops everything.
//   DEMO_HTTP_PORT (8080), DEMO_MQTT_PORT (1883), DEMO_DIR (.demo) may be set.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { createWriteStream, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { registerRoom, Store } from "@rc/controller";
import { type DeviceEntry, loadProfile, loadRoom, type RoomProfile } from "@rc/hardware-profiles";
import type { DeviceKind, RoomView } from "@rc/protocol";
import {
  type AudioScene,
  audioScene,
  DiscoveryResponder,
  type DspSimulator,
  ExtronSimulator,
  LineDevice,
  OnvifCamera,
  type OnvifCameraOptions,
  PtyPair,
  SymetrixSimulator,
  TesiraSimulator,
} from "@rc/simulators";

const REPO = new URL("../", import.meta.url).pathname;
const DIR = resolve(REPO, process.env.DEMO_DIR ?? ".demo");
const HTTP_PORT = process.env.DEMO_HTTP_PORT ?? "8080";
const MQTT_PORT = process.env.DEMO_MQTT_PORT ?? "1883";
const ONLINE_WITHIN_MS = 30_000;

const children: ChildProcess[] = [];
/** The DSP models the demo can simulate, each playing the same hearing into its meters. */
const DSP_SIMULATORS: Record<string, (path: string) => DspSimulator> = {
  "biamp-tesira": (path) => new TesiraSimulator(path, 8, DEMO_SCENE),
  "extron-dmp128-plus": (path) => new ExtronSimulator(path, "plus", 8, DEMO_SCENE),
  "extron-dmp128": (path) => new ExtronSimulator(path, "original", 8, DEMO_SCENE),
  "symetrix-composer": (path) => new SymetrixSimulator(path, 8, DEMO_SCENE),
};
/** A hearing's worth of speech for the simulated DSPs' meters. */
const DEMO_SCENE: AudioScene = loadProfile(
  audioScene,
  join(REPO, "simulators/src/audio-scene/scenes/hearing-with-interruptions.json"),
);
const simulators: { stop(): Promise<void> }[] = [];
/** The quirks of each camera model the demo simulates (research/onvif.md). */
const CAMERA_QUIRKS: Record<string, Partial<OnvifCameraOptions>> = {
  "hikvision-ds-2de": { hikvisionPresets: true, noMoveStatus: true },
  "axis-v5925": { getServicesFaults: true },
};
/** The simulated cameras' login, given to the agents as RC_CAMERA_PASSWORD. */
const CAMERA_PASSWORD = "demo-camera";
process.env.RC_CAMERA_PASSWORD = CAMERA_PASSWORD;
const cameras: { camera: OnvifCamera; room: RoomProfile; name: string }[] = [];
const DISCOVERY_PORT = Number(process.env.DEMO_DISCOVERY_PORT ?? 3702);

/** Starts a bundled entry point (dist/, made by scripts/build.sh) with its output in DIR/logs/NAME.log. */
function run(name: string, bundle: string, args: string[]): ChildProcess {
  const log = createWriteStream(join(DIR, "logs", `${name}.log`));
  const child = spawn(process.execPath, [join(REPO, "dist", bundle), ...args], {
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

/**
 * Each device kind the demo can simulate: start a simulator and point the device line at it. A kind without a
 * simulator here is disabled in the demo, so no agent ever reaches for the real addresses in the profiles.
 */
const simulate: Partial<Record<DeviceKind, (entry: DeviceEntry, room: RoomProfile) => Promise<DeviceEntry>>> = {
  camera: async (entry, room) => {
    if (entry.kind !== "camera") return entry;
    const name = `${room.name} — ${entry.name ?? entry.id}`;
    // Seats side by side across the room, as the installer stored them; the wide shot in the middle, zoomed out.
    const seats = room.seats.map((seat, i) => ({
      label: seat.label,
      preset: seat.preset ?? seat.id,
      pan: room.seats.length === 1 ? 0 : -0.6 + (1.2 * i) / (room.seats.length - 1),
      tilt: -0.1,
    }));
    const camera = new OnvifCamera({
      name,
      username: entry.connection.username ?? "admin",
      password: CAMERA_PASSWORD,
      seats: seats.map(({ label, pan, tilt }) => ({ label, pan, tilt })),
      ...CAMERA_QUIRKS[entry.model],
    });
    await camera.start();
    for (const seat of seats) camera.storePreset(seat.preset, { x: seat.pan, y: seat.tilt, zoom: 0.6 });
    camera.storePreset(room.director?.wideShot.preset ?? "toan-canh", { x: 0, y: 0, zoom: 0 });
    simulators.push(camera);
    cameras.push({ camera, room, name });
    return { ...entry, connection: { ...entry.connection, host: "127.0.0.1", port: camera.port } };
  },
  mixer: async (entry, room) => {
    if (entry.kind !== "mixer") return entry;
    const simulator = DSP_SIMULATORS[entry.model];
    if (!simulator) return { ...entry, enabled: false };
    const pty = new PtyPair(
      join(DIR, "serial", `${room.id}-${entry.id}-dsp`),
      join(DIR, "serial", `${room.id}-${entry.id}`),
    );
    await pty.start();
    const dsp = simulator(pty.devicePath);
    await dsp.start();
    simulators.push(dsp, pty);
    return { ...entry, connection: { ...entry.connection, path: pty.hostPath } };
  },
  test: async (entry) => {
    const device = new LineDevice();
    await device.start();
    simulators.push(device);
    return { ...entry, connection: { host: "127.0.0.1", port: device.address.port } } as DeviceEntry;
  },
};

async function prepareRoom(file: string): Promise<RoomProfile> {
  const { room } = loadRoom(file);
  const devices: DeviceEntry[] = [];
  for (const entry of room.devices) {
    const start = simulate[entry.kind];
    devices.push(start ? await start(entry, room) : { ...entry, enabled: false });
  }
  return { ...room, devices };
}

async function rooms(): Promise<RoomView[]> {
  try {
    return (await (await fetch(`http://127.0.0.1:${HTTP_PORT}/api/rooms`)).json()) as RoomView[];
  } catch {
    return [];
  }
}

let stopping = false;
async function stopEverything(code: number): Promise<never> {
  stopping = true;
  const exits = children
    .filter((child) => child.exitCode === null && child.signalCode === null)
    .map((child) => {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      return once(child, "exit").then(() => clearTimeout(timer));
    });
  await Promise.all(exits);
  await Promise.all(simulators.map((simulator) => simulator.stop()));
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
for (const room of profiles) {
  const login = await registerRoom(store, { id: room.id, name: room.name, level: room.level, parent: room.parent });
  credentials[room.id] = login.password;
  writeFileSync(join(DIR, "credentials", `${room.id}.json`), JSON.stringify(login), { mode: 0o600 });
  writeFileSync(join(DIR, "rooms", `${room.id}.json`), JSON.stringify(room, null, 2));
}

const controller = run("controller", "controller.mjs", [
  "--data",
  join(DIR, "controller"),
  "--http-port",
  HTTP_PORT,
  "--mqtt-port",
  MQTT_PORT,
]);
const ready = await new Promise<boolean>((resolve) => {
  createInterface({ input: controller.stdout! }).on("line", (line) => line.includes('"ready":true') && resolve(true));
  controller.on("exit", () => resolve(false));
});
if (!ready) {
  process.stderr.write(`demo: the controller did not start; see ${join(DIR, "logs", "controller.log")}\n`);
  await stopEverything(1);
}
for (const room of profiles) {
  run(`agent-${room.id}`, "room-agent.mjs", [
    "--room",
    join(DIR, "rooms", `${room.id}.json`),
    "--broker",
    `mqtt://127.0.0.1:${MQTT_PORT}`,
    "--credentials",
    join(DIR, "credentials", `${room.id}.json`),
    "--data",
    join(DIR, "agents", room.id),
  ]);
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

const http = `http://127.0.0.1:${HTTP_PORT}`;
process.stdout.write(
  [
    "",
    `Demo running: ${profiles.length} rooms online (Ctrl-C stops everything).`,
    `  Rooms (REST)      ${http}/api/rooms`,
    `  Health            ${http}/healthz`,
    `  Metrics           ${http}/metrics`,
    `  Realtime          socket.io at ${http}`,
    `  MQTT broker       mqtt://127.0.0.1:${MQTT_PORT}  (controller login in ${join(DIR, "controller", "controller-credentials.json")})`,
    "  Agent logins (username = room id):",
    ...profiles.map((room) => `    ${room.id.padEnd(24)} ${credentials[room.id]}   ${room.name}`),
    `  Cameras (ONVIF, login admin / ${CAMERA_PASSWORD})${discoverable ? `, discoverable by a WS-Discovery probe to 127.0.0.1:${DISCOVERY_PORT}` : ""}:`,
    ...cameras.map(({ camera, name }) => `    ${camera.deviceServiceUrl}   ${name}`),
    `  Try: curl -X POST ${http}/api/rooms/${profiles[0]!.id}/requests -H 'content-type: application/json' \\`,
    `         -d '{"action":"ptz.goto","params":{"device":"cam-cong-dan","seat":"cong-dan"}}'`,
    `  Logs: ${join(DIR, "logs")}`,
    "",
  ].join("\n"),
);
process.stdout.write(`${JSON.stringify({ ready: true, http, rooms: profiles.map((room) => room.id) })}\n`);
