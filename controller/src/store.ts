// The controller's lowdb store: room registrations, broker credentials and each room's desired state. Written atomically (lowdb writes a
// temporary file and renames it), versioned, checked on every read.
import { unwatchFile, watchFile } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { id, validateProfile } from "@rc/hardware-profiles";
import { desiredPayload, ROOM_LEVELS } from "@rc/protocol";
import { Low } from "lowdb";
import { JSONFile } from "lowdb/node";
import { z } from "zod";

export const STORE_VERSION = 2;

const roomRecord = z.strictObject({
  id,
  name: z.string().min(1),
  level: z.enum(ROOM_LEVELS),
  parent: id.nullable(),
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

/** A room's desired state: the one owner of every wanted fact (DESIGN §3.1), with who changed it last and when. */
const desiredRecord = z.strictObject({
  desired: desiredPayload,
  changedAt: z.iso.datetime({ offset: true }),
  changedBy: z.string().min(1),
});
export type DesiredRecord = z.infer<typeof desiredRecord>;

export const storeData = z.strictObject({
  version: z.literal(STORE_VERSION),
  rooms: z.record(z.string(), roomRecord),
  /** By broker username: the controller's own and one per room (username = room id). */
  credentials: z.record(z.string(), credentialRecord),
  /** By room id. */
  desired: z.record(z.string(), desiredRecord),
});
export type StoreData = z.infer<typeof storeData>;

/** Forward-only migrations, by the version they upgrade from. */
const migrations: Record<number, (data: Record<string, unknown>) => Record<string, unknown>> = {
  // 1 → 2: desired states moved from the broker's memory into the store; nothing was wanted yet.
  1: (data) => ({ ...data, version: 2, desired: {} }),
};

function emptyStore(): StoreData {
  return { version: STORE_VERSION, rooms: {}, credentials: {}, desired: {} };
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
    await this.reload();
    await this.db.write();
  }

  async reload(): Promise<void> {
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
      await this.reload();
      change(this.db.data);
      this.db.data = validateProfile(storeData, this.db.data, this.file);
      await this.db.write();
    });
    this.updates = update.catch(() => {});
    return update;
  }
}
