// `room-agent check`: the integrator's look at a room before the agent runs it. Every device line of the profile is
// built with the agent's own driver and tried once — connect (camera login and media profiles, the serial port and
// the DSP's init, the board's firmware, the media worker with every GStreamer element), one probe, disconnect — and
// the disk and the broker login are tried too. Nothing is retried: a wrong password is said once, not hammered.
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { statfs } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { type DeviceEntry, type LoadedRoom, modelOf } from "@rc/hardware-profiles";
import { clientIdOf } from "@rc/protocol";
import { connectMqtt } from "@rc/protocol/mqtt";
import { pino } from "pino";
import { BadConfigError, withTimeout } from "./agent-error.ts";
import { DEFAULT_SUPERVISOR_OPTIONS } from "./devices/device-supervisor.ts";
import type { DeviceDriver, DeviceKindModule, DriverContext } from "./devices/driver-contract.ts";
import { deviceKinds } from "./devices/driver-registry.ts";
import { NO_PRIVACY } from "./privacy.ts";
import { RoomFacts } from "./room-facts.ts";

/** What one line of the check found. `problem` and `bad_config` fail the check; `skipped` does not. */
export type CheckVerdict = "ok" | "problem" | "bad_config" | "skipped";

export interface CheckRow {
  /** A device id of the profile, or one of the checks of the PC: "disk:PATH", "broker". */
  subject: string;
  /** The device's kind, or "disk" / "broker". */
  kind: string;
  verdict: CheckVerdict;
  /** A code the report words in the operator's language, and the driver's own words where it had some. */
  reason: CheckReason;
  detail: string;
}

export type CheckReason =
  | "answered"
  | "disabled"
  | "no_driver"
  | "failed"
  | "wrong_config"
  | "disk_free"
  | "disk_low"
  | "broker_login"
  | "broker_failed"
  | "no_credentials";

export interface RoomCheckOptions {
  loaded: LoadedRoom;
  brokerUrl: string;
  /** The broker login, or why there is none (the agent would refuse to start). */
  credentials: { username: string; password: string } | { error: string };
  ca?: Buffer;
  /** The agent's data folder (its boot counter, state): must have room too. */
  dataDir: string;
  /** How long one device may take to connect, and the broker to answer. */
  timeoutMs?: number;
}

/** The agent's own folder needs little (a few small JSON files, the answer journal); under this it is a problem. */
const DATA_MIN_FREE_MB = 100;

export async function checkRoom(options: RoomCheckOptions): Promise<CheckRow[]> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_SUPERVISOR_OPTIONS.connectTimeoutMs;
  // The drivers keep their state (a media worker's socket) in a scratch folder, never in the running agent's.
  const scratch = mkdtempSync(join(tmpdir(), "rc-check-"));
  try {
    // One after another: each device has the PC to itself (a media worker loading GStreamer is a heavy start), and
    // the table is in the profile's order.
    const devices: CheckRow[] = [];
    for (const entry of options.loaded.room.devices) devices.push(await checkDevice(entry));
    return [...devices, ...(await checkDisks(options)), await checkBroker(options, timeoutMs)];
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }

  async function checkDevice(entry: DeviceEntry): Promise<CheckRow> {
    const { loaded } = options;
    const row = (verdict: CheckVerdict, reason: CheckReason, detail = ""): CheckRow => ({
      subject: entry.id,
      kind: entry.kind,
      verdict,
      reason,
      detail,
    });
    if (!entry.enabled) return row("skipped", "disabled");
    const module: DeviceKindModule | undefined = deviceKinds[entry.kind];
    if (!module) return row("skipped", "no_driver");
    const context: DriverContext = {
      room: loaded.room,
      log: pino({ level: "silent" }),
      dataDir: join(scratch, entry.id),
      facts: new RoomFacts(),
      privacy: NO_PRIVACY,
      emitEvent: () => {},
    };
    let driver: DeviceDriver;
    try {
      driver = module.create(entry, modelOf(loaded, entry), context);
    } catch (error) {
      return row("bad_config", "wrong_config", (error as Error).message);
    }
    const started = performance.now();
    try {
      await withTimeout(driver.connect({ lost: () => {}, changed: () => {} }), timeoutMs, "connect");
      await withTimeout(driver.probe(), timeoutMs, "probe");
      return row("ok", "answered", `${driver.model}, ${Math.round(performance.now() - started)} ms`);
    } catch (error) {
      const message = (error as Error).message;
      return error instanceof BadConfigError
        ? row("bad_config", "wrong_config", message)
        : row("problem", "failed", message);
    } finally {
      await driver.disconnect().catch(() => {});
      await driver.shutdown?.().catch(() => {});
    }
  }
}

/** Free space where the agent writes: its data folder, and each media device's recordings at the profile's minimum. */
async function checkDisks(options: RoomCheckOptions): Promise<CheckRow[]> {
  const wanted = new Map<string, number>([[resolve(options.dataDir), DATA_MIN_FREE_MB]]);
  for (const entry of options.loaded.room.devices) {
    if (entry.kind !== "media" || !entry.enabled) continue;
    const dir = resolve(entry.recordings.dir);
    wanted.set(dir, Math.max(wanted.get(dir) ?? 0, entry.recordings.minFreeMb));
  }
  const rows: CheckRow[] = [];
  for (const [dir, minimumMb] of wanted) {
    const row = (verdict: CheckVerdict, reason: CheckReason, detail: string): CheckRow => ({
      subject: dir,
      kind: "disk",
      verdict,
      reason,
      detail,
    });
    try {
      const stats = await statfs(existingAncestor(dir));
      const freeMb = Math.floor((stats.bavail * stats.bsize) / 2 ** 20);
      rows.push(
        freeMb >= minimumMb
          ? row("ok", "disk_free", `${freeMb} MB ≥ ${minimumMb} MB`)
          : row("problem", "disk_low", `${freeMb} MB < ${minimumMb} MB`),
      );
    } catch (error) {
      rows.push(row("problem", "failed", (error as Error).message));
    }
  }
  return rows;
}

/** The folder itself if it exists, else its nearest parent that does: the agent creates the rest. */
function existingAncestor(dir: string): string {
  let path = dir;
  while (!existsSync(path) && dirname(path) !== path) path = dirname(path);
  return path;
}

/** Logs in to the broker as the room, once, and leaves at once: no will, no subscription, nothing published. */
async function checkBroker(options: RoomCheckOptions, timeoutMs: number): Promise<CheckRow> {
  const row = (verdict: CheckVerdict, reason: CheckReason, detail: string): CheckRow => ({
    subject: options.brokerUrl,
    kind: "broker",
    verdict,
    reason,
    detail,
  });
  const { credentials } = options;
  if ("error" in credentials) return row("problem", "no_credentials", credentials.error);
  const client = connectMqtt(options.brokerUrl, {
    clientId: clientIdOf(credentials.username, `check-${randomBytes(9).toString("base64url")}`),
    username: credentials.username,
    password: credentials.password,
    keepaliveS: 10,
    ...(options.ca ? { ca: options.ca } : {}),
  });
  try {
    const outcome = await new Promise<string | null>((resolve) => {
      const timer = setTimeout(() => resolve(`no answer within ${timeoutMs} ms`), timeoutMs);
      const settle = (result: string | null) => {
        clearTimeout(timer);
        resolve(result);
      };
      client.once("connect", () => settle(null));
      client.once("error", (error) => settle(error.message));
    });
    return outcome === null
      ? row("ok", "broker_login", credentials.username)
      : row("problem", "broker_failed", outcome);
  } finally {
    await client.endAsync(true).catch(() => {});
  }
}
