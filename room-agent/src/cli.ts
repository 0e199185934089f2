#!/usr/bin/env -S node --import tsx
// room-agent --room profile.json --broker mqtt://host:1883 [--credentials creds.json] [--data DIR] [--keepalive S]
//            [--archive-url http://controller:8080] [--ca ca.crt]; each flag also as RC_AGENT_… in the environment —
// see USAGE. `room-agent check|discover|ports` are the integrator's commands (commissioning-cli.ts).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { loadRoom, ProfileError } from "@rc/hardware-profiles";
import { environmentHelp, withEnvironment } from "@rc/protocol";
import { pino } from "pino";
import { AGENT_VERSION, RoomAgent } from "./agent.ts";
import {
  COMMISSIONING_COMMANDS,
  COMMISSIONING_USAGE,
  type CommissioningCommand,
  runCommissioning,
} from "./commissioning-cli.ts";
import { readCredentials } from "./credentials-file.ts";

// Everything the agent writes (boot counter, applied desired state, recordings) is for its own user only;
// the media worker it starts inherits this too.
process.umask(0o077);

const command = process.argv[2] as CommissioningCommand;
if (COMMISSIONING_COMMANDS.includes(command)) {
  process.exit(await runCommissioning(command, process.argv.slice(3)));
}

const OPTIONS = {
  room: { type: "string" },
  broker: { type: "string", default: "mqtt://127.0.0.1:1883" },
  credentials: { type: "string" },
  data: { type: "string" },
  keepalive: { type: "string", default: "10" },
  "archive-url": { type: "string" },
  "panel-host": { type: "string", default: "127.0.0.1" },
  "panel-port": { type: "string" },
  ca: { type: "string" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
} as const;
const ENVIRONMENT_PREFIX = "RC_AGENT_";

const USAGE = `usage: room-agent --room PROFILE.json --broker URL [--credentials FILE] [--data DIR] [--keepalive SECONDS]
                  [--archive-url URL] [--panel-port PORT [--panel-host ADDRESS]] [--ca FILE]
       room-agent -h | --help | --version
${COMMISSIONING_USAGE}
  broker: mqtt://HOST:PORT, or mqtts://HOST:PORT (default mqtt://127.0.0.1:1883)
  credentials: a JSON file {"username","password"}, or RC_AGENT_USERNAME / RC_AGENT_PASSWORD in the environment
  data: the agent's own folder (default data/agent-ROOM)
  keepalive: MQTT keep-alive, whole seconds 1…600 (default 10)
  archive-url: the controller's HTTP address (http://host:8080); finished recording segments are uploaded there with
               the same credentials and deleted here once it confirmed their sha256. Without it nothing is uploaded.
  panel-port: serves the room's operator panel at http://ADDRESS:PORT/panel/ROOM for its own screen, which keeps
              driving the room while the controller is unreachable (PIN from the controller); 1…65535, none by default
  panel-host: the address it listens on (default 127.0.0.1: the screen on this PC only)
  ca: for mqtts://, the CA certificate (PEM) the broker's certificate must chain to (\`controller tls init\` makes it)
${environmentHelp(OPTIONS, ENVIRONMENT_PREFIX)}`;

function fail(message: string): never {
  process.stderr.write(`room-agent: ${message}\n`);
  process.exit(2);
}

const { values } = (() => {
  try {
    const args = withEnvironment(OPTIONS, process.argv.slice(2), process.env, ENVIRONMENT_PREFIX);
    return parseArgs({ args, options: OPTIONS });
  } catch (error) {
    return fail(`${(error as Error).message}\n${USAGE}`);
  }
})();
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
if (values.version) {
  process.stdout.write(`room-agent ${AGENT_VERSION}\n`);
  process.exit(0);
}
if (!values.room) fail(`--room is required\n${USAGE}`);
const keepaliveS = Number(values.keepalive);
if (!Number.isInteger(keepaliveS) || keepaliveS < 1 || keepaliveS > 600)
  fail("--keepalive: expected whole seconds, 1…600");

const archiveUrl = values["archive-url"];
if (archiveUrl !== undefined && !/^https?:\/\/[^/\s]+/.test(archiveUrl)) {
  fail(`--archive-url: expected http://HOST:PORT or https://…, got "${archiveUrl}"`);
}

let ca: Buffer | undefined;
if (values.ca !== undefined) {
  try {
    ca = readFileSync(values.ca);
  } catch (error) {
    fail(`--ca: ${(error as Error).message}`);
  }
}

const panelPort = values["panel-port"] === undefined ? undefined : Number(values["panel-port"]);
if (panelPort !== undefined && (!Number.isInteger(panelPort) || panelPort < 1 || panelPort > 65535))
  fail("--panel-port: expected a port number, 1…65535");

let loaded: ReturnType<typeof loadRoom>;
try {
  loaded = loadRoom(values.room);
} catch (error) {
  if (error instanceof ProfileError) fail(`invalid room profile: ${error.message}`);
  throw error;
}
let credentials: ReturnType<typeof readCredentials>;
try {
  credentials = readCredentials(values.credentials, loaded.room.id);
} catch (error) {
  fail((error as Error).message);
}

const log = pino({ name: `agent:${loaded.room.id}`, level: process.env.LOG_LEVEL ?? "info" });
const agent = new RoomAgent({
  loaded,
  brokerUrl: values.broker,
  username: credentials.username,
  password: credentials.password,
  dataDir: values.data ?? join("data", `agent-${loaded.room.id}`),
  keepaliveS,
  ...(ca ? { ca } : {}),
  archiveUrl,
  ...(panelPort === undefined ? {} : { panel: { host: values["panel-host"], port: panelPort } }),
  log,
});

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, "stopping");
  await agent.stop();
  process.exit(0);
}
process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));
try {
  await agent.start();
} catch (error) {
  fail((error as Error).message);
}
