// Broker passwords: random, shown once, stored only as salted scrypt hashes; proofs of passwords already checked.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { chmod, readFile } from "node:fs/promises";
import { join } from "node:path";
import { type PasswordHash, verifyPassword } from "@rc/protocol/password-hash";
import { Writer } from "steno";

export { hashPassword, type PasswordHash, verifyPassword } from "@rc/protocol/password-hash";

export function generatePassword(): string {
  return randomBytes(18).toString("base64url");
}

export type PasswordVerifier = (password: string, stored: PasswordHash) => Promise<boolean>;

export interface VerifiedPasswordsOptions {
  /** The folder the proofs survive a restart in (the controller's data folder); in memory only without it. */
  dir?: string;
  /** The slow check (scrypt); tests count its calls. */
  verifier?: PasswordVerifier;
  /** A proof that could not be saved costs one scrypt after the next restart, nothing more: report it, go on. */
  onSaveError?: (error: Error) => void;
}

const KEY_FILE = "broker-proof-key";
const PROOFS_FILE = "broker-proofs.json";
const PROOFS_VERSION = 1;

/**
 * Remembers passwords already proven right, so thousands of agents reconnecting after a broker or controller restart
 * cost a keyed hash each instead of a deliberately slow scrypt. A proof is HMAC-SHA256, under a random key kept in
 * the data folder (0600), of the username, the stored salt and hash, and the password: it is never the password nor a
 * plain hash of it (the proofs file alone gives nothing to guess against), and it stops matching as soon as the
 * stored credential changes. Concurrent checks of one login share one scrypt.
 */
export class VerifiedPasswords {
  private key: Buffer = randomBytes(32);
  private proofs = new Map<string, string>();
  private readonly pending = new Map<string, Promise<boolean>>();
  private writer: Writer | undefined;
  private saving: Promise<void> = Promise.resolve();
  private readonly verifier: PasswordVerifier;

  constructor(private readonly options: VerifiedPasswordsOptions = {}) {
    this.verifier = options.verifier ?? verifyPassword;
  }

  /** Loads the key and the proofs from the data folder, creating the key when missing. */
  async start(): Promise<void> {
    const dir = this.options.dir;
    if (!dir) return;
    this.writer = new Writer(join(dir, PROOFS_FILE));
    const key = await readKey(join(dir, KEY_FILE));
    if (key) {
      this.key = key;
      this.proofs = await readProofs(join(dir, PROOFS_FILE));
    } else {
      this.key = randomBytes(32);
      this.proofs = new Map(); // proofs under a lost key can never match again
      await writePrivate(new Writer(join(dir, KEY_FILE)), join(dir, KEY_FILE), `${this.key.toString("base64")}\n`);
      this.save();
      await this.saving;
    }
  }

  /** Waits for the proofs being written. */
  async stop(): Promise<void> {
    await this.saving;
  }

  async verify(username: string, password: string, stored: PasswordHash | undefined): Promise<boolean> {
    if (!isPasswordHash(stored)) {
      if (this.proofs.delete(username)) this.save(); // the login is gone: so is its proof
      return false;
    }
    const proof = this.proofOf(username, password, stored);
    const known = this.proofs.get(username);
    if (known !== undefined && sameText(known, proof)) return true;
    const inFlight = this.pending.get(proof);
    if (inFlight) return inFlight;
    const check = this.verifier(password, stored).then((ok) => {
      if (ok) {
        this.proofs.set(username, proof);
        this.save();
      }
      return ok;
    });
    this.pending.set(proof, check);
    try {
      return await check;
    } finally {
      this.pending.delete(proof);
    }
  }

  private proofOf(username: string, password: string, stored: PasswordHash): string {
    // JSON keeps the fields apart: no two different tuples give the same text.
    return createHmac("sha256", this.key)
      .update(JSON.stringify([username, stored.salt, stored.hash, password]))
      .digest("base64");
  }

  /** Writes the proofs in the background (steno keeps only the latest of writes that queue up). */
  private save(): void {
    const dir = this.options.dir;
    const writer = this.writer;
    if (!dir || !writer) return;
    const content = { version: PROOFS_VERSION, proofs: Object.fromEntries(this.proofs) };
    const write = writePrivate(writer, join(dir, PROOFS_FILE), `${JSON.stringify(content)}\n`).catch((error) =>
      this.options.onSaveError?.(error as Error),
    );
    this.saving = Promise.all([this.saving, write]).then(() => {});
  }
}

function isPasswordHash(stored: unknown): stored is PasswordHash {
  const candidate = stored as Partial<PasswordHash> | undefined;
  return (
    typeof candidate === "object" &&
    candidate !== null &&
    candidate.algorithm === "scrypt" &&
    typeof candidate.salt === "string" &&
    typeof candidate.hash === "string"
  );
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** steno writes a temporary file and renames it over the old one: a crash never leaves half a file. */
async function writePrivate(writer: Writer, file: string, content: string): Promise<void> {
  await writer.write(content);
  await chmod(file, 0o600); // the data folder is 0700 already; this keeps the file private if it is moved
}

async function readKey(file: string): Promise<Buffer | undefined> {
  const text = await readIfThere(file);
  const key = text === undefined ? undefined : Buffer.from(text.trim(), "base64");
  return key?.length === 32 ? key : undefined;
}

async function readProofs(file: string): Promise<Map<string, string>> {
  const proofs = new Map<string, string>();
  const text = await readIfThere(file);
  if (text === undefined) return proofs;
  try {
    const content = JSON.parse(text) as { version?: unknown; proofs?: unknown };
    if (content.version !== PROOFS_VERSION || typeof content.proofs !== "object" || content.proofs === null) {
      return proofs;
    }
    for (const [username, proof] of Object.entries(content.proofs)) {
      if (typeof proof === "string") proofs.set(username, proof);
    }
  } catch {
    // An unreadable cache is an empty one: every login proves itself once more.
  }
  return proofs;
}

async function readIfThere(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}
