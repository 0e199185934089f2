// The API's users, tokens and panel PINs in the store (issue 14): one set of functions for the CLI, the REST routes,
// the controller's first start, the demo and the tests. Passwords and PINs are kept as scrypt hashes; a token's secret
// is random (32 bytes), so the sha256 of it is kept, and checking one costs a hash, not a scrypt.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { isValidId } from "@rc/protocol";
import { ROLES, type Role } from "./access.ts";
import { generatePassword, hashPassword } from "./credentials.ts";
import { renewDesired } from "./desired-states.ts";
import { ProblemError } from "./problem.ts";
import type { Store, TokenRecord, UserRecord } from "./store.ts";

/** A refusal of a change, naming the field at fault (the CLI prints it, REST answers 400/404/409 with it). */
export class UserChangeError extends ProblemError {
  constructor(status: 400 | 404 | 409, field: string | null, message: string) {
    super(status, message, field);
  }
}

export const MIN_PASSWORD_LENGTH = 12;
export const PIN_PATTERN = /^\d{4,8}$/;

export interface NewUser {
  name: string;
  role: Role;
  rooms?: readonly string[];
  /** Drawn at random (and returned) when not given. */
  password?: string;
}

function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH || password.length > 256) {
    throw new UserChangeError(400, "password", `a password has ${MIN_PASSWORD_LENGTH} to 256 characters`);
  }
}

function checkRooms(store: Store, role: Role, rooms: readonly string[]): string[] {
  if (role !== "operator" && rooms.length > 0) {
    throw new UserChangeError(400, "rooms", `only an operator is bound to rooms, not a user with role ${role}`);
  }
  if (role === "operator" && rooms.length === 0) {
    throw new UserChangeError(400, "rooms", "an operator is bound to at least one room");
  }
  for (const room of rooms) {
    if (!isValidId(room) || !Object.hasOwn(store.data.rooms, room)) {
      throw new UserChangeError(404, "rooms", `no room "${room}"`);
    }
  }
  return [...new Set(rooms)];
}

/** Adds a user; returns the password (the one given, or one drawn at random, to be shown once). */
export async function addUser(store: Store, user: NewUser): Promise<{ password: string }> {
  if (!isValidId(user.name)) {
    throw new UserChangeError(400, "name", `"${user.name}" is not a valid user name (lower-case letters, digits, -)`);
  }
  if (!ROLES.includes(user.role)) {
    throw new UserChangeError(400, "role", `role must be one of ${ROLES.join(", ")}`);
  }
  const password = user.password ?? generatePassword();
  checkPassword(password);
  const hash = await hashPassword(password);
  await store.update((data) => {
    if (Object.hasOwn(data.users, user.name)) throw new UserChangeError(409, "name", `user ${user.name} exists`);
    const rooms = checkRooms(store, user.role, user.rooms ?? []);
    const now = new Date().toISOString();
    data.users[user.name] = {
      name: user.name,
      role: user.role,
      rooms,
      password: { ...hash, createdAt: now },
      createdAt: now,
      changedAt: now,
    };
  });
  return { password };
}

/** A new password for a user (drawn at random when not given); their browser sessions end with the old one. */
export async function setPassword(store: Store, name: string, password = generatePassword()): Promise<string> {
  checkPassword(password);
  const hash = await hashPassword(password);
  await store.update((data) => {
    const user = findUser(data.users, name);
    if (!user) throw new UserChangeError(404, "name", `no user "${name}"`);
    const now = new Date().toISOString();
    user.password = { ...hash, createdAt: now };
    user.changedAt = now;
  });
  return password;
}

/** Removes a user and every token of theirs; false when there was none. The last admin stays (409). */
export async function removeUser(store: Store, name: string): Promise<boolean> {
  let removed = false;
  await store.update((data) => {
    const user = findUser(data.users, name);
    if (!user) return;
    const admins = Object.values(data.users).filter((each) => each.role === "admin");
    if (user.role === "admin" && admins.length === 1) {
      throw new UserChangeError(409, "name", `${name} is the last admin: add another before removing it`);
    }
    removed = true;
    delete data.users[name];
    for (const token of Object.values(data.tokens)) if (token.user === name) delete data.tokens[token.id];
  });
  return removed;
}

/** Own members only: a name such as "__proto__" finds nobody. */
export function findUser(users: Readonly<Record<string, UserRecord>>, name: string): UserRecord | undefined {
  return Object.hasOwn(users, name) ? users[name] : undefined;
}

const TOKEN_PATTERN = /^rc_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

function sha256(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

/** Creates an API token for a user; returns its id and the token itself (shown once, never stored). */
export async function addToken(store: Store, user: string, label = ""): Promise<{ id: string; token: string }> {
  if (label.length > 200) throw new UserChangeError(400, "label", "a label has at most 200 characters");
  const id = randomBytes(8).toString("hex");
  const secret = randomBytes(32).toString("base64url");
  await store.update((data) => {
    if (!findUser(data.users, user)) throw new UserChangeError(404, "user", `no user "${user}"`);
    data.tokens[id] = { id, user, label, sha256: sha256(secret), createdAt: new Date().toISOString() };
  });
  return { id, token: `rc_${id}_${secret}` };
}

/** Revokes a token: the next request with it is refused. False when there was none. */
export async function revokeToken(store: Store, id: string): Promise<boolean> {
  let revoked = false;
  await store.update((data) => {
    if (!Object.hasOwn(data.tokens, id)) return;
    revoked = true;
    delete data.tokens[id];
  });
  return revoked;
}

/** The stored token a presented one is, if it is one (its secret compared in constant time). */
export function tokenOf(tokens: Readonly<Record<string, TokenRecord>>, presented: string): TokenRecord | undefined {
  const match = TOKEN_PATTERN.exec(presented);
  if (!match || !Object.hasOwn(tokens, match[1]!)) return undefined;
  const stored = tokens[match[1]!]!;
  const expected = Buffer.from(stored.sha256, "hex");
  const actual = Buffer.from(sha256(match[2]!), "hex");
  return timingSafeEqual(actual, expected) ? stored : undefined;
}

/**
 * Sets a room's panel PIN (4 to 8 digits); the panels logged in with the old one are logged out, at the controller and
 * (once its agent has the new desired state) at the room's own local panel.
 */
export async function setRoomPin(store: Store, room: string, pin: string): Promise<void> {
  if (!PIN_PATTERN.test(pin)) throw new UserChangeError(400, "pin", "a PIN has 4 to 8 digits");
  const hash = await hashPassword(pin);
  await store.update((data) => {
    if (!Object.hasOwn(data.rooms, room)) throw new UserChangeError(404, "room", `no room "${room}"`);
    data.pins[room] = { ...hash, createdAt: new Date().toISOString() };
    // The hash goes to the room's agent with its desired state (for its local panel): a new revision carries it.
    renewDesired(data, room, "room.pin");
  });
}

/** On a first start (no users at all): one admin, "admin", with a random password to be shown once. */
export async function createFirstAdmin(store: Store): Promise<{ name: string; password: string } | undefined> {
  if (Object.keys(store.data.users).length > 0) return undefined;
  const { password } = await addUser(store, { name: "admin", role: "admin" });
  return { name: "admin", password };
}
