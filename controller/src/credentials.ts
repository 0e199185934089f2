// Broker passwords: random, shown once, stored only as salted scrypt hashes.
import { createHash, randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";

const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, length: number) => Promise<Buffer>;
const KEY_LENGTH = 32;

export interface PasswordHash {
  algorithm: "scrypt";
  salt: string;
  hash: string;
}

export function generatePassword(): string {
  return randomBytes(18).toString("base64url");
}

export async function hashPassword(password: string): Promise<PasswordHash> {
  const salt = randomBytes(16);
  const hash = await scryptAsync(password, salt, KEY_LENGTH);
  return { algorithm: "scrypt", salt: salt.toString("base64"), hash: hash.toString("base64") };
}

export async function verifyPassword(password: string, stored: PasswordHash): Promise<boolean> {
  const expected = Buffer.from(stored.hash, "base64");
  const actual = await scryptAsync(password, Buffer.from(stored.salt, "base64"), expected.length);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/**
 * Remembers passwords already proven right, so thousands of agents reconnecting after a broker restart cost a
 * hash lookup each instead of a deliberately slow scrypt.
 */
export class VerifiedPasswords {
  private readonly proven = new Map<string, string>();

  async verify(username: string, password: string, stored: PasswordHash | undefined): Promise<boolean> {
    if (!stored) return false;
    const key = createHash("sha256").update(stored.hash).update("\0").update(password).digest("base64");
    if (this.proven.get(username) === key) return true;
    const ok = await verifyPassword(password, stored);
    if (ok) this.proven.set(username, key);
    return ok;
  }
}
