// Mosquitto's password and ACL files for a real site, written by the controller from its store instead of by hand
// with mosquitto_passwd: one login per room (username = room id) and the controller's, and the ACL of acl.ts.
import { pbkdf2, randomBytes } from "node:crypto";
import { chmod, chown, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { CONTROLLER_USERNAME } from "@rc/protocol";
import { renderMosquittoAcl } from "./acl.ts";
import type { Store } from "./store.ts";

const pbkdf2Async = promisify(pbkdf2);

/** Mosquitto 2's own default (mosquitto_passwd -H sha512-pbkdf2): each login costs the broker this many rounds. */
const PBKDF2_ITERATIONS = 101;
const SALT_BYTES = 12;
const HASH_BYTES = 64;

export const MOSQUITTO_PASSWORD_FILE = "passwd";
export const MOSQUITTO_ACL_FILE = "acl";

/** A password as a line of Mosquitto 2's password file holds it: `$7$ROUNDS$SALT$HASH`, PBKDF2-SHA512, base64. */
export async function mosquittoPasswordHash(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await pbkdf2Async(password, salt, PBKDF2_ITERATIONS, HASH_BYTES, "sha512");
  return `$7$${PBKDF2_ITERATIONS}$${salt.toString("base64")}$${hash.toString("base64")}`;
}

/** Logins in the store that Mosquitto cannot be told (issued before their Mosquitto hash was kept). */
export class MissingMosquittoHashError extends Error {
  constructor(readonly usernames: string[]) {
    super(
      `no Mosquitto password kept for ${usernames.join(", ")} (issued before the controller wrote Mosquitto's files); ` +
        `give each a new one with \`controller rooms rotate-password ID\`, update its agent, and write again`,
    );
  }
}

/**
 * Writes DIR/passwd and DIR/acl, each atomically (a temporary file renamed over it: Mosquitto never reads half of
 * one) and readable by their owner only. `controllerPassword` is the controller's own login, which the store keeps in
 * clear elsewhere. Throws MissingMosquittoHashError, writing nothing, when a room's login has no Mosquitto hash.
 * Mosquitto reads the files again on SIGHUP (`systemctl reload mosquitto`).
 */
export async function writeMosquittoFiles(store: Store, dir: string, controllerPassword: string): Promise<string[]> {
  await store.reload();
  const lines = [`${CONTROLLER_USERNAME}:${await mosquittoPasswordHash(controllerPassword)}`];
  const missing: string[] = [];
  for (const room of Object.keys(store.data.rooms).sort()) {
    const hash = Object.hasOwn(store.data.credentials, room) ? store.data.credentials[room]?.mosquitto : undefined;
    if (hash === undefined) missing.push(room);
    else lines.push(`${room}:${hash}`);
  }
  if (missing.length > 0) throw new MissingMosquittoHashError(missing);
  const passwords = join(dir, MOSQUITTO_PASSWORD_FILE);
  const acl = join(dir, MOSQUITTO_ACL_FILE);
  await writePrivateFile(passwords, `${lines.join("\n")}\n`);
  await writePrivateFile(acl, renderMosquittoAcl());
  return [passwords, acl];
}

/**
 * Temporary file beside the target (0600, created new), then renamed over it. Written as root, it goes to the owner
 * of its folder: a folder given to the mosquitto user makes files Mosquitto can read after dropping privileges.
 */
async function writePrivateFile(file: string, text: string): Promise<void> {
  const temporary = `${file}.${randomBytes(6).toString("hex")}.tmp`;
  try {
    await writeFile(temporary, text, { mode: 0o600, flag: "wx" });
    await chmod(temporary, 0o600);
    if (process.getuid?.() === 0) {
      const folder = await stat(dirname(file));
      await chown(temporary, folder.uid, folder.gid);
    }
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw new Error(`${file}: ${(error as Error).message}`);
  }
}
