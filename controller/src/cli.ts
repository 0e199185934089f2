#!/usr/bin/env -S node --import tsx
// controller [serve] | rooms add|list|remove|pin|rotate-password | users add|passwd|remove|list | tokens add|revoke |
// audit verify | mosquitto write | mosquitto-acl | tls init — see USAGE. Each flag also as RC_CONTROLLER_… in the
// environment.
import { randomInt } from "node:crypto";
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import {
  environmentHelp,
  ROOM_KINDS,
  ROOM_LEVELS,
  type RoomKind,
  type RoomLevel,
  type SrtAddress,
  withEnvironment,
} from "@rc/protocol";
import { type Logger, pino } from "pino";
import { Writer } from "steno";
import controllerPackage from "../package.json" with { type: "json" };
import { ROLES, type Role } from "./access.ts";
import { renderMosquittoAcl } from "./acl.ts";
import { type AuditRecord, type AuditTarget, describeVerdict, recordFromCli, verifyAudit } from "./audit-log.ts";
import { auditDirOf, Controller, type ControllerOptions, DEFAULT_CONTROLLER_OPTIONS } from "./controller.ts";
import { controllerCredentials } from "./controller-credentials.ts";
import { HEALTH_FLAGS, HEALTH_USAGE, healthSettingsOf } from "./health.ts";
import { writeMosquittoFiles } from "./mosquitto-files.ts";
import { type RoomLogin, registerRoom, removeRoom, rotateRoomPassword } from "./room-registration.ts";
import { Store } from "./store.ts";
import { runTlsCommand, TLS_USAGE } from "./tls-init.ts";
import { addToken, addUser, removeUser, revokeToken, setPassword, setRoomPin, UserChangeError } from "./users.ts";

// Imported, not read beside the script: the bundle (dist/controller.mjs) has no package.json one folder up.
const VERSION: string = controllerPackage.version;

const OPTIONS = {
  data: { type: "string", default: "data/controller" },
  broker: { type: "string" },
  "http-host": { type: "string", default: DEFAULT_CONTROLLER_OPTIONS.httpHost },
  "http-port": { type: "string", default: String(DEFAULT_CONTROLLER_OPTIONS.httpPort) },
  "mqtt-host": { type: "string", default: DEFAULT_CONTROLLER_OPTIONS.mqttHost },
  "mqtt-port": { type: "string", default: String(DEFAULT_CONTROLLER_OPTIONS.mqttPort) },
  "request-timeout": { type: "string", default: String(DEFAULT_CONTROLLER_OPTIONS.requestTimeoutMs) },
  "metrics-token": { type: "string" },
  ...HEALTH_FLAGS,
  name: { type: "string" },
  level: { type: "string" },
  parent: { type: "string" },
  kind: { type: "string" },
  srt: { type: "string" },
  "credentials-out": { type: "string" },
  "mosquitto-dir": { type: "string" },
  dir: { type: "string" },
  role: { type: "string" },
  rooms: { type: "string" },
  label: { type: "string" },
  pin: { type: "string" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
} as const;
const ENVIRONMENT_PREFIX = "RC_CONTROLLER_";

const USAGE = `usage:
  controller -h | --help | --version
  controller [serve] [--data DIR] [--broker URL] [--http-host H] [--http-port N] [--mqtt-host H] [--mqtt-port N]
                     [--request-timeout MS] [--metrics-token TOKEN]
      Without --broker, starts the embedded MQTT broker on --mqtt-host:--mqtt-port (127.0.0.1:1883).
      With --broker (Mosquitto, EMQX), logs in as "controller" with RC_CONTROLLER_PASSWORD or the password kept in
      DIR/controller-credentials.json.
${HEALTH_USAGE}
      With --metrics-token (better as RC_CONTROLLER_METRICS_TOKEN, which other users cannot read in the process
      list), /metrics answers only "Authorization: Bearer TOKEN".
  controller rooms add ID --name NAME --level ${ROOM_LEVELS.join("|")} [--parent ID] [--kind ${ROOM_KINDS.join("|")}]
                        [--srt HOST:PORT] [--credentials-out FILE] [--mosquitto-dir DIR]
      Registers a room and creates its agent's broker login (username = ID); prints the password once. --srt is
      where its agent's SRT listener is reached by the other points of a session. A room already registered is
      refused and its agent's password left as it is.
  controller rooms rotate-password ID [--credentials-out FILE] [--mosquitto-dir DIR]
      Gives the room's agent a new broker password, printed once; the old one stops working.
  controller rooms list | rooms remove ID [--mosquitto-dir DIR]
      With --mosquitto-dir, add, rotate-password and remove also write Mosquitto's files there (as mosquitto write).
  controller rooms pin ID [--pin DIGITS]
      Sets the room's panel PIN (4 to 8 digits; drawn at random and printed when not given). Panels logged in with
      the old PIN are logged out.
  controller users add NAME --role ${ROLES.join("|")} [--rooms ROOM,ROOM]
      Adds a user of the REST API (an operator is bound to --rooms); prints its password once.
  controller users passwd NAME | users remove NAME | users list
      passwd draws a new password and prints it once (the user's browser sessions end); remove also revokes the
      user's tokens.
  controller tokens add USER [--label TEXT] | tokens revoke ID
      An API token for scripts (Authorization: Bearer …), printed once; revoke refuses it from the controller's next
      read of the store (its file watch, about a second).
  controller audit verify [--data DIR]
      Checks the audit log's hash chain: prints "ok N entries" (exit 0) or the first bad line, its file and why
      (exit 1).
  controller mosquitto write --dir DIR
      Writes Mosquitto's password file (DIR/passwd: the controller's and every room's login) and ACL file (DIR/acl),
      each atomically and readable by its owner only (as root: by the folder's owner, e.g. mosquitto). Then reload
      Mosquitto (systemctl reload mosquitto). Rooms registered before the controller kept Mosquitto's hash of their
      password need rotate-password first; the command names them.
  controller mosquitto-acl
      Prints the Mosquitto ACL file with the same rules as the embedded broker.
${TLS_USAGE}
${environmentHelp(OPTIONS, ENVIRONMENT_PREFIX)}`;

function fail(message: string): never {
  process.stderr.write(`controller: ${message}\n`);
  process.exit(2);
}

function parse(args: string[]) {
  try {
    return parseArgs({
      args: withEnvironment(OPTIONS, args, process.env, ENVIRONMENT_PREFIX),
      allowPositionals: true,
      options: OPTIONS,
    });
  } catch (error) {
    return fail(`${(error as Error).message}\n${USAGE}`);
  }
}

function port(value: string, flag: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0 || number > 65535)
    fail(`${flag}: expected a port number, got "${value}"`);
  return number;
}

function srtAddressOf(value: string): SrtAddress {
  const match = /^(.+):(\d{1,5})$/.exec(value);
  const port = Number(match?.[2]);
  if (!match || port < 1 || port > 65535) fail(`rooms add: --srt expects HOST:PORT, got "${value}"`);
  return { host: match[1]!.replace(/^\[(.*)\]$/, "$1"), port };
}

async function openStore(dir: string): Promise<Store> {
  const store = new Store(dir);
  try {
    await store.open();
  } catch (error) {
    fail((error as Error).message);
  }
  return store;
}

/**
 * The last line of defence: an error nobody caught is logged and the controller keeps serving. One process holds the
 * broker, REST and socket.io for every room, and nothing restarts it on a small site, so it never exits by accident
 * (issue 11: one CONNECT used to end it). It exits only on a signal or a failed start. Known failures are caught
 * where they happen; this is for the ones we did not know of, and each is logged as an error to be fixed.
 */
function keepServing(log: Logger): void {
  const report = (kind: string) => (error: unknown) => {
    const err = error instanceof Error ? { message: error.message, stack: error.stack } : { message: String(error) };
    log.error({ err, kind }, "uncaught error; the controller keeps serving");
  };
  process.on("uncaughtException", report("uncaughtException"));
  process.on("unhandledRejection", report("unhandledRejection"));
}

async function serve(values: ReturnType<typeof parse>["values"]): Promise<void> {
  const timeout = Number(values["request-timeout"]);
  if (!Number.isInteger(timeout) || timeout < 1) fail("--request-timeout: expected milliseconds");
  const log = pino({ name: "controller", level: process.env.LOG_LEVEL ?? "info" });
  keepServing(log);
  let health: ControllerOptions["health"];
  try {
    health = healthSettingsOf(values, process.env);
  } catch (error) {
    fail((error as Error).message);
  }
  const metricsToken = values["metrics-token"];
  if (metricsToken !== undefined && metricsToken.length < 16) fail("--metrics-token: expected at least 16 characters");
  const controller = new Controller({
    ...DEFAULT_CONTROLLER_OPTIONS,
    dataDir: values.data,
    ...(values.broker ? { brokerUrl: values.broker } : {}),
    ...(process.env.RC_CONTROLLER_PASSWORD ? { brokerPassword: process.env.RC_CONTROLLER_PASSWORD } : {}),
    httpHost: values["http-host"],
    httpPort: port(values["http-port"], "--http-port"),
    mqttHost: values["mqtt-host"],
    mqttPort: port(values["mqtt-port"], "--mqtt-port"),
    requestTimeoutMs: timeout,
    health,
    ...(metricsToken ? { metricsToken } : {}),
    log,
  });
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "stopping");
    await controller.stop();
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  try {
    await controller.start();
  } catch (error) {
    fail((error as Error).message);
  }
  // One line a script can wait for and read the addresses from.
  process.stdout.write(`${JSON.stringify({ ready: true, http: controller.httpUrl, broker: controller.brokerUrl })}\n`);
}

/**
 * Leaves a registration change for the controller to chain into the audit log (it may be running: one writer keeps
 * the chain). Never the password. A failure to record is said on stderr and the change stands.
 */
async function audited(
  dataDir: string,
  action: string,
  target: AuditTarget,
  params: object,
  error?: string,
): Promise<void> {
  const record: AuditRecord = {
    who: { user: "cli", via: "cli", address: null },
    what: { action, target },
    params,
    result: error === undefined ? { ok: true } : { ok: false, code: "refused", message: error },
  };
  await recordFromCli(auditDirOf(dataDir), record).catch((failure: unknown) => {
    process.stderr.write(`controller: AUDIT WRITE FAILED: ${(failure as Error).message}\n`);
  });
}

async function audit(action: string | undefined, values: ReturnType<typeof parse>["values"]) {
  if (action !== "verify") fail(USAGE);
  const verdict = await verifyAudit(auditDirOf(values.data));
  process.stdout.write(`${describeVerdict(verdict)}\n`);
  process.exit(verdict.ok ? 0 : 1);
}

async function rooms(action: string | undefined, id: string | undefined, values: ReturnType<typeof parse>["values"]) {
  const store = await openStore(values.data);
  if (action === "list") {
    for (const room of Object.values(store.data.rooms)) {
      const srt = room.srt ? `${room.srt.host}:${room.srt.port}` : "-";
      process.stdout.write(`${room.id}\t${room.level}\t${room.kind}\t${room.parent ?? "-"}\t${srt}\t${room.name}\n`);
    }
    return;
  }
  if (action === "remove" && id) {
    if (!(await removeRoom(store, id))) {
      await audited(values.data, "room.remove", { room: id }, {}, `no room "${id}"`);
      fail(`no room "${id}"`);
    }
    await audited(values.data, "room.remove", { room: id }, {});
    process.stdout.write(`removed ${id} and its broker login\n`);
    await mosquittoAfterChange(store, values);
    return;
  }
  if (action === "pin" && id) {
    const pin = values.pin ?? randomInt(0, 1_000_000).toString().padStart(6, "0");
    await changed(values.data, "room.pin", { room: id }, {}, () => setRoomPin(store, id, pin));
    process.stdout.write(values.pin ? `room ${id}: panel PIN set\n` : `room ${id}: panel PIN ${pin}\n`);
    return;
  }
  if (action === "rotate-password" && id) {
    const login = await changed(values.data, "room.passwd", { room: id }, {}, () => rotateRoomPassword(store, id));
    await printLogin(`room ${id}: new agent`, login, values["credentials-out"]);
    process.stdout.write(
      "The old password no longer works. Update the room's agent: put the new password in its credentials file " +
        '(room-agent --credentials FILE, {"username","password"}) or its RC_AGENT_PASSWORD, then restart it ' +
        "(systemctl restart room-agent).\n",
    );
    await mosquittoAfterChange(store, values);
    return;
  }
  if (action === "add" && id) {
    if (!values.name) fail("rooms add: --name is required");
    if (!ROOM_LEVELS.includes(values.level as RoomLevel))
      fail(`rooms add: --level must be one of ${ROOM_LEVELS.join(", ")}`);
    if (values.kind !== undefined && !ROOM_KINDS.includes(values.kind as RoomKind))
      fail(`rooms add: --kind must be one of ${ROOM_KINDS.join(", ")}`);
    const room = {
      id,
      name: values.name,
      level: values.level as RoomLevel,
      parent: values.parent ?? null,
      ...(values.kind ? { kind: values.kind as RoomKind } : {}),
      ...(values.srt ? { srt: srtAddressOf(values.srt) } : {}),
    };
    const login = await changed(values.data, "room.register", { room: id }, room, () => registerRoom(store, room));
    await printLogin(`room ${id} registered; agent`, login, values["credentials-out"]);
    await mosquittoAfterChange(store, values);
    return;
  }
  fail(USAGE);
}

/** A room's new login, shown once: on stdout, or into a file (owner-only, the CLI's umask) with its path said. */
async function printLogin(what: string, login: RoomLogin, file: string | undefined): Promise<void> {
  if (file) {
    await new Writer(file).write(`${JSON.stringify(login, null, 2)}\n`);
    process.stdout.write(`${what} credentials written to ${file}\n`);
  } else {
    process.stdout.write(`${what} username: ${login.username} password: ${login.password}\n`);
  }
}

/** Mosquitto's files, from the store; a change already made stands when they cannot be written (exit 1). */
async function writeMosquitto(store: Store, dir: string): Promise<void> {
  try {
    const password = process.env.RC_CONTROLLER_PASSWORD || (await controllerCredentials(store));
    const files = await writeMosquittoFiles(store, dir, password);
    process.stdout.write(`Mosquitto's files written: ${files.join(", ")}; reload it: systemctl reload mosquitto\n`);
  } catch (error) {
    process.stderr.write(`controller: Mosquitto's files not written: ${(error as Error).message}\n`);
    process.exit(1);
  }
}

async function mosquittoAfterChange(store: Store, values: ReturnType<typeof parse>["values"]): Promise<void> {
  if (values["mosquitto-dir"]) await writeMosquitto(store, values["mosquitto-dir"]);
}

/** Runs a change of rooms, users, tokens or PINs and audits it; a refusal is audited too and ends the CLI naming the field. */
async function changed<T>(
  dataDir: string,
  action: string,
  target: AuditTarget,
  params: object,
  change: () => Promise<T>,
): Promise<T> {
  try {
    const result = await change();
    await audited(dataDir, action, target, params);
    return result;
  } catch (error) {
    const message =
      error instanceof UserChangeError && error.field ? `${error.field}: ${error.message}` : (error as Error).message;
    await audited(dataDir, action, target, params, message);
    return fail(message);
  }
}

async function users(action: string | undefined, name: string | undefined, values: ReturnType<typeof parse>["values"]) {
  const store = await openStore(values.data);
  if (action === "list") {
    for (const user of Object.values(store.data.users)) {
      process.stdout.write(`${user.name}\t${user.role}\t${user.rooms.join(",") || "-"}\t${user.changedAt}\n`);
    }
    return;
  }
  if (!name) fail(USAGE);
  if (action === "add") {
    if (!ROLES.includes(values.role as Role)) fail(`users add: --role must be one of ${ROLES.join(", ")}`);
    const rooms = values.rooms ? values.rooms.split(",").filter((room) => room !== "") : [];
    const params = { role: values.role, rooms };
    const { password } = await changed(values.data, "user.add", { user: name }, params, () =>
      addUser(store, { name, role: values.role as Role, rooms }),
    );
    process.stdout.write(`user ${name} (${values.role}) added; password: ${password}\n`);
    return;
  }
  if (action === "passwd") {
    const password = await changed(values.data, "user.passwd", { user: name }, {}, () => setPassword(store, name));
    process.stdout.write(`user ${name}: new password: ${password}\n`);
    return;
  }
  if (action === "remove") {
    await changed(values.data, "user.remove", { user: name }, {}, async () => {
      if (!(await removeUser(store, name))) throw new UserChangeError(404, "name", `no user "${name}"`);
    });
    process.stdout.write(`removed user ${name} and their tokens\n`);
    return;
  }
  fail(USAGE);
}

async function tokens(
  action: string | undefined,
  subject: string | undefined,
  values: ReturnType<typeof parse>["values"],
) {
  const store = await openStore(values.data);
  if (action === "add" && subject) {
    const label = values.label ?? "";
    const { id, token } = await changed(values.data, "token.create", { user: subject }, { label }, () =>
      addToken(store, subject, label),
    );
    process.stdout.write(`token ${id} for ${subject}: ${token}\n`);
    return;
  }
  if (action === "revoke" && subject) {
    await changed(values.data, "token.revoke", { token: subject }, {}, async () => {
      if (!(await revokeToken(store, subject))) throw new UserChangeError(404, "id", `no token "${subject}"`);
    });
    process.stdout.write(`token ${subject} revoked\n`);
    return;
  }
  fail(USAGE);
}

// Everything this CLI writes (store, credentials) is for this user only.
process.umask(0o077);
// `tls init` takes flags of its own (tls-init.ts).
if (process.argv[2] === "tls") process.exit(runTlsCommand(process.argv.slice(3)));
const { values, positionals } = parse(process.argv.slice(2));
if (values.help || values.version) {
  process.stdout.write(values.help ? `${USAGE}\n` : `controller ${VERSION}\n`);
  process.exit(0);
}
const [command = "serve", action, id] = positionals;
if (command === "serve") await serve(values);
else if (command === "rooms") await rooms(action, id, values);
else if (command === "audit") await audit(action, values);
else if (command === "users") await users(action, id, values);
else if (command === "tokens") await tokens(action, id, values);
else if (command === "mosquitto" && action === "write") {
  const dir = values.dir ?? values["mosquitto-dir"];
  if (!dir) fail("mosquitto write: --dir is required");
  // A wrong --data would make an empty store, and a password file without the rooms would lock every agent out.
  const store = new Store(values.data);
  if (!existsSync(store.file)) fail(`mosquitto write: no store ${store.file} (is --data the controller's folder?)`);
  await writeMosquitto(await openStore(values.data), dir);
} else if (command === "mosquitto-acl") process.stdout.write(renderMosquittoAcl());
else fail(`unknown command "${command}"\n${USAGE}`);
