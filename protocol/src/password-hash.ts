// Passwords and panel PINs as they are kept: salted scrypt hashes (Node's defaults: N 16384, r 8, p 1, 32 bytes),
// deliberately slow to guess against. The controller makes and checks them; a room agent checks its panel's PIN
// against the hash the controller gave it. Node only (node:crypto): a subpath of its own, out of the panel's bundle.
import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";

const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, length: number) => Promise<Buffer>;
const KEY_LENGTH = 32;

export interface PasswordHash {
  algorithm: "scrypt";
  salt: string;
  hash: string;
}

export async function hashPassword(password: string): Promise<PasswordHash> {
  const salt = randomBytes(16);
  const hash = await scryptAsync(password, salt, KEY_LENGTH);
  return { algorithm: "scrypt", salt: salt.toString("base64"), hash: hash.toString("base64") };
}

export async function verifyPassword(password: string, stored: PasswordHash): Promise<boolean> {
  const expected = Buffer.from(stored.hash, "base64");
  // A hash of no bytes would match anything (and scrypt refuses a length of 0).
  if (expected.length === 0) return false;
  const actual = await scryptAsync(password, Buffer.from(stored.salt, "base64"), expected.length);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** Compared against when there is no stored hash, so that a wrong name takes as long as a wrong password. */
export function dummyHash(): PasswordHash {
  return { algorithm: "scrypt", salt: randomBytes(16).toString("base64"), hash: randomBytes(32).toString("base64") };
}
