// The integrator's commands at the room PC, beside the agent itself (cli.ts hands them over):
//   room-agent check --room PROFILE.json   every device tried once, the disk and the broker login; a table
//   room-agent discover                    ONVIF cameras answering WS-Discovery on the LAN
//   room-agent ports                       serial ports by their stable /dev/serial/by-id names
// Each flag also as RC_AGENT_… in the environment, so a check sees what the installed agent's unit gives it.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { type LoadedRoom, loadRoom, ProfileError } from "@rc/hardware-profiles";
import { environmentHelp, withEnvironment } from "@rc/protocol";
import { isProblem, LANGUAGES, type Language, renderCheckTable } from "./check-report.ts";
import { readCredentials } from "./credentials-file.ts";
import { discoverCameras } from "./devices/camera/camera-discovery.ts";
import { describeSerialPorts, listSerialPorts } from "./devices/serial/serial-ports.ts";
import { checkRoom } from "./room-check.ts";

export const COMMISSIONING_COMMANDS = ["check", "discover", "ports"] as const;
export type CommissioningCommand = (typeof COMMISSIONING_COMMANDS)[number];
const ENVIRONMENT_PREFIX = "RC_AGENT_";

const OPTIONS = {
  check: {
    room: { type: "string" },
    broker: { type: "string", default: "mqtt://127.0.0.1:1883" },
    credentials: { type: "string" },
    ca: { type: "string" },
    data: { type: "string" },
    lang: { type: "string", default: "vi" },
    help: { type: "boolean", short: "h" },
  },
  discover: {
    target: { type: "string" },
    port: { type: "string", default: "3702" },
    timeout: { type: "string", default: "3000" },
    interface: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
  ports: { help: { type: "boolean", short: "h" } },
} as const;

export const COMMISSIONING_USAGE = `       room-agent check --room PROFILE.json [--broker URL] [--credentials FILE] [--ca FILE] [--data DIR]
                        [--lang vi|en]
           Tries every device of the room once (camera login and profiles, serial port and DSP, the board's firmware,
           the media worker's GStreamer elements), free disk space and the broker login; prints a table (Vietnamese,
           or English with --lang en); exit 1 when anything failed. Stop the running agent first: it holds the ports.
       room-agent discover [--target ADDRESS] [--port N] [--timeout MS] [--interface ADDRESS]
           ONVIF cameras answering a WS-Discovery probe (multicast on the LAN, or one address with --target).
       room-agent ports
           Serial ports with their stable /dev/serial/by-id/… paths, for the room profile's connection.path.`;

function usageError(message: string): never {
  process.stderr.write(`room-agent: ${message}\n`);
  process.exit(2);
}

/** Runs one commissioning command; resolves with the exit code. */
export async function runCommissioning(command: CommissioningCommand, argv: string[]): Promise<number> {
  const options = OPTIONS[command];
  let values: Record<string, string | boolean | undefined>;
  try {
    const args = withEnvironment(options, argv, process.env, ENVIRONMENT_PREFIX);
    // Every option is a string or a boolean, none multiple.
    values = parseArgs({ args, options }).values as Record<string, string | boolean | undefined>;
  } catch (error) {
    return usageError(`${(error as Error).message}\n${COMMISSIONING_USAGE}`);
  }
  if (values.help) {
    process.stdout.write(`usage:\n${COMMISSIONING_USAGE}\n${environmentHelp(options, ENVIRONMENT_PREFIX)}\n`);
    return 0;
  }
  if (command === "check") return await check(values);
  if (command === "discover") return await discover(values);
  return await ports();
}

async function check(values: Record<string, string | boolean | undefined>): Promise<number> {
  const language = String(values.lang) as Language;
  if (!LANGUAGES.includes(language)) usageError(`--lang: expected vi or en, got "${values.lang}"`);
  if (typeof values.room !== "string") usageError(`check: --room is required\n${COMMISSIONING_USAGE}`);
  let loaded: LoadedRoom;
  try {
    loaded = loadRoom(values.room);
  } catch (error) {
    if (error instanceof ProfileError) usageError(`invalid room profile: ${error.message}`);
    throw error;
  }
  let credentials: { username: string; password: string } | { error: string };
  try {
    credentials = readCredentials(values.credentials as string | undefined, loaded.room.id);
  } catch (error) {
    credentials = { error: (error as Error).message };
  }
  let ca: Buffer | undefined;
  if (typeof values.ca === "string") {
    try {
      ca = readFileSync(values.ca);
    } catch (error) {
      usageError(`--ca: ${(error as Error).message}`);
    }
  }
  const rows = await checkRoom({
    loaded,
    brokerUrl: String(values.broker),
    credentials,
    ...(ca ? { ca } : {}),
    dataDir: typeof values.data === "string" ? values.data : join("data", `agent-${loaded.room.id}`),
  });
  process.stdout.write(`${loaded.room.id} — ${loaded.room.name}\n\n${renderCheckTable(rows, language)}`);
  return rows.some(isProblem) ? 1 : 0;
}

async function discover(values: Record<string, string | boolean | undefined>): Promise<number> {
  const port = Number(values.port);
  const timeoutMs = Number(values.timeout);
  if (!Number.isInteger(port) || port < 1 || port > 65535) usageError(`--port: expected 1…65535, got "${values.port}"`);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 100) usageError("--timeout: expected milliseconds, at least 100");
  const cameras = await discoverCameras({
    port,
    timeoutMs,
    ...(typeof values.target === "string" ? { target: values.target } : {}),
    ...(typeof values.interface === "string" ? { interfaceAddress: values.interface } : {}),
  });
  if (cameras.length === 0) {
    process.stdout.write("Không camera ONVIF nào trả lời / no ONVIF camera answered\n");
    return 1;
  }
  for (const camera of cameras) {
    process.stdout.write(
      `${camera.xaddrs.join(" ")}\n  ${[camera.name, camera.hardware, camera.location].filter(Boolean).join(" · ")}\n  ${camera.endpoint}\n`,
    );
  }
  return 0;
}

async function ports(): Promise<number> {
  let found: Awaited<ReturnType<typeof listSerialPorts>>;
  try {
    found = await listSerialPorts();
  } catch (error) {
    // On Linux the list is udev's database, read with udevadm (Debian package udev).
    process.stderr.write(`room-agent: the serial ports could not be listed (udevadm): ${(error as Error).message}\n`);
    return 1;
  }
  process.stdout.write(describeSerialPorts(found));
  return 0;
}
