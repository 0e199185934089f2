// The controller's lowdb store: room registrations, broker credentials, each room's desired state, the reception
// sessions and their schedules, the API's users, tokens and panel PINs. Written atomically (lowdb writes a temporary file and renames it), versioned, checked
// on every read.
import { unwatchFile, watchFile } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { id, validateProfile } from "@rc/hardware-profiles";
import {
  desiredPayload,
  guestPointView,
  ROOM_LEVELS,
  type RoomKind,
  type RoomLevel,
  roomKind,
  sessionView,
  srtAddress,
  srtPassphrase,
} from "@rc/protocol";
import { Low } from "lowdb";
import { JSONFile } from "lowdb/node";
import { z } from "zod";
import { ROLES } from "./access.ts";

export const STORE_VERSION = 4;

const roomRecord = z.strictObject({
  id,
  name: z.string().min(1),
  level: z.enum(ROOM_LEVELS),
  kind: roomKind,
  parent: id.nullable(),
  /** Where the room's agent listens for its peers' SRT calls; null until registered (no link to it then). */
  srt: srtAddress.nullable(),
  createdAt: z.iso.datetime({ offset: true }),
});
export type RoomRecord = z.infer<typeof roomRecord>;

const credentialRecord = z.strictObject({
  algorithm: z.literal("scrypt"),
  salt: z.string(),
  hash: z.string(),
  createdAt: z.iso.datetime({ offset: true }),
});
export type CredentialRecord = z.infer<typeof credentialRecord>;

/**
 * A broker login: the scrypt hash the embedded broker checks, and the same password hashed for Mosquitto's password
 * file (`$7$…`, mosquitto-files.ts), made when the password is issued since it cannot be derived later. Logins issued
 * before it was kept have none: `controller rooms rotate-password` gives them one.
 */
const brokerCredentialRecord = credentialRecord.extend({
  mosquitto: z
    .string()
    .regex(/^\$7\$\d+\$[A-Za-z0-9+/]+=*\$[A-Za-z0-9+/]+=*$/)
    .optional(),
});
export type BrokerCredentialRecord = z.infer<typeof brokerCredentialRecord>;

/** A person (or a script's owner) who may use the API, with the role that says what they may do (access.ts). */
const userRecord = z.strictObject({
  name: id,
  role: z.enum(ROLES),
  /** The rooms an operator is bound to; empty for the other roles. */
  rooms: z.array(id),
  password: credentialRecord,
  createdAt: z.iso.datetime({ offset: true }),
  changedAt: z.iso.datetime({ offset: true }),
});
export type UserRecord = z.infer<typeof userRecord>;

/** A long-lived API token: only the sha256 of its secret is kept (the secret is random, not a password). */
const tokenRecord = z.strictObject({
  id: z.string().regex(/^[0-9a-f]{16}$/),
  user: id,
  label: z.string().max(200),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  createdAt: z.iso.datetime({ offset: true }),
});
export type TokenRecord = z.infer<typeof tokenRecord>;

/** A room's desired state: the one owner of every wanted fact (DESIGN §3.1), with who changed it last and when. */
const desiredRecord = z.strictObject({
  desired: desiredPayload,
  changedAt: z.iso.datetime({ offset: true }),
  changedBy: z.string().min(1),
});
export type DesiredRecord = z.infer<typeof desiredRecord>;

/** A guest point as stored: with the passphrase its SRT listener wants. */
export const guestPointRecord = guestPointView.extend({ passphrase: srtPassphrase });
export type GuestPointRecord = z.infer<typeof guestPointRecord>;

/** A session as stored: the view plus its secrets. */
export const sessionRecord = sessionView.extend({
  guests: z.array(guestPointRecord),
  /** Drawn fresh when the session goes live; every point's SRT link uses it. */
  passphrase: srtPassphrase.nullable(),
});
export type SessionRecord = z.infer<typeof sessionRecord>;

/** What every session of a schedule is made from, besides its times. */
export const sessionTemplate = z.strictObject({
  title: sessionView.shape.title,
  host: id,
  hostHead: z.string().max(200).nullable(),
  points: z.array(z.strictObject({ room: id, head: z.string().max(200).nullable() })),
  guests: z.array(guestPointRecord),
  presiding: sessionView.shape.presiding,
  caseRef: sessionView.shape.caseRef,
  confidential: z.boolean(),
  crossLevelReason: sessionView.shape.crossLevelReason,
});
export type SessionTemplate = z.infer<typeof sessionTemplate>;

export const scheduleRecord = z.strictObject({
  id,
  /** An RFC 5545 RRULE (without DTSTART), e.g. FREQ=MONTHLY;BYMONTHDAY=20. */
  rrule: z.string().min(1),
  /** The first session's start (DTSTART); later ones keep its time of day in Asia/Ho_Chi_Minh. */
  firstStart: z.iso.datetime({ offset: true }),
  durationMin: z
    .int()
    .min(1)
    .max(24 * 60),
  /** How far ahead its sessions exist. */
  horizonWeeks: z.int().min(1).max(52),
  template: sessionTemplate,
  createdAt: z.iso.datetime({ offset: true }),
  changedAt: z.iso.datetime({ offset: true }),
  changedBy: z.string().min(1),
});
export type ScheduleRecord = z.infer<typeof scheduleRecord>;

export const storeData = z.strictObject({
  version: z.literal(STORE_VERSION),
  rooms: z.record(z.string(), roomRecord),
  /** By broker username: the controller's own and one per room (username = room id). */
  credentials: z.record(z.string(), brokerCredentialRecord),
  /** By room id. */
  desired: z.record(z.string(), desiredRecord),
  /** By session id. */
  sessions: z.record(z.string(), sessionRecord),
  /** By schedule id. */
  schedules: z.record(z.string(), scheduleRecord),
  /** By user name. */
  users: z.record(z.string(), userRecord),
  /** By token id. */
  tokens: z.record(z.string(), tokenRecord),
  /** A room's panel PIN (scrypt), by room id. */
  pins: z.record(z.string(), credentialRecord),
});
export type StoreData = z.infer<typeof storeData>;

/** Forward-only migrations, by the version they upgrade from. */
const migrations: Record<number, (data: Record<string, unknown>) => Record<string, unknown>> = {
  // 1 → 2: desired states moved from the broker's memory into the store; nothing was wanted yet.
  1: (data) => ({ ...data, version: 2, desired: {} }),
  // 2 → 3: reception sessions and schedules; rooms get a kind (guessed from their level) and an SRT address to be
  // registered.
  2: (data) => {
    const rooms = Object.fromEntries(
      Object.entries((data.rooms ?? {}) as Record<string, Record<string, unknown>>).map(([key, room]) => [
        key,
        { ...room, kind: defaultRoomKind(room.level as RoomLevel), srt: null },
      ]),
    );
    return { ...data, version: 3, rooms, sessions: {}, schedules: {} };
  },
  // 3 → 4: users, API tokens and panel PINs (issue 14); none yet: the first start creates an admin.
  3: (data) => ({ ...data, version: 4, users: {}, tokens: {}, pins: {} }),
};

/** A room registered without a kind: a commune's point is its people's committee, others a reception office. */
export function defaultRoomKind(level: RoomLevel): RoomKind {
  return level === "commune" ? "commune" : "reception_office";
}

function emptyStore(): StoreData {
  return {
    version: STORE_VERSION,
    rooms: {},
    credentials: {},
    desired: {},
    sessions: {},
    schedules: {},
    users: {},
    tokens: {},
    pins: {},
  };
}

export class Store {
  readonly file: string;
  private readonly db: Low<StoreData>;
  /** Updates one after another: each reads, changes and writes the file whole. */
  private updates: Promise<void> = Promise.resolve();

  constructor(readonly dataDir: string) {
    this.file = join(dataDir, "controller.json");
    this.db = new Low<StoreData>(new JSONFile<StoreData>(this.file), emptyStore());
  }

  get data(): Readonly<StoreData> {
    return this.db.data;
  }

  /** Reads the file (creating it when missing); throws naming the file and the path of what is wrong. */
  async open(): Promise<void> {
    await mkdir(this.dataDir, { recursive: true, mode: 0o700 });
    await this.read();
    await this.db.write();
  }

  /**
   * Reads the file again (another process changed it). In turn with the updates: read in the middle of one, it would
   * put the content from before it back in memory until the next read (a token just revoked would work again).
   */
  reload(): Promise<void> {
    const reload = this.updates.then(() => this.read());
    this.updates = reload.catch(() => {});
    return reload;
  }

  private async read(): Promise<void> {
    await this.db.read();
    let raw = this.db.data as unknown as Record<string, unknown>;
    while (typeof raw.version === "number" && raw.version < STORE_VERSION && migrations[raw.version]) {
      raw = migrations[raw.version]!(raw);
    }
    this.db.data = validateProfile(storeData, raw, this.file);
  }

  /** Calls back when another process (the CLI) changed the file. */
  watch(onChange: () => void): () => void {
    const listener = () => onChange();
    watchFile(this.file, { interval: 1000 }, listener);
    return () => unwatchFile(this.file, listener);
  }

  update(change: (data: StoreData) => void): Promise<void> {
    const update = this.updates.then(async () => {
      await this.read();
      try {
        change(this.db.data);
        this.db.data = validateProfile(storeData, this.db.data, this.file);
        await this.db.write();
      } catch (error) {
        // Not stored, so not kept: the data in memory goes back to what the file holds.
        await this.read().catch(() => {});
        throw error;
      }
    });
    this.updates = update.catch(() => {});
    return update;
  }
}
