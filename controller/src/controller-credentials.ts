// The controller's own broker login. The password is generated once and kept in a 0600 file under --data (the
// controller needs it in clear to log in); the store keeps only its hash, for the embedded broker.
import { chmod, readFile } from "node:fs/promises";
import { join } from "node:path";
import { CONTROLLER_USERNAME } from "@rc/protocol";
import { Writer } from "steno";
import { generatePassword, hashPassword } from "./credentials.ts";
import type { Store } from "./store.ts";

export function controllerSecretFile(dataDir: string): string {
  return join(dataDir, "controller-credentials.json");
}

/** The password the controller logs in with, kept on disk (created, with its hash in the store, when missing). */
export async function controllerCredentials(store: Store): Promise<string> {
  const file = controllerSecretFile(store.dataDir);
  let password: string | undefined;
  try {
    password = (JSON.parse(await readFile(file, "utf8")) as { password?: string }).password;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw new Error(`${file}: ${(error as Error).message}`);
  }
  if (!password || !store.data.credentials[CONTROLLER_USERNAME]) {
    password = generatePassword();
    const hash = await hashPassword(password);
    // The data folder is 0700 (Store.open), so the file is never readable by others, not even before the chmod.
    await new Writer(file).write(`${JSON.stringify({ username: CONTROLLER_USERNAME, password }, null, 2)}\n`);
    await chmod(file, 0o600);
    await store.update((data) => {
      data.credentials[CONTROLLER_USERNAME] = { ...hash, createdAt: new Date().toISOString() };
    });
  }
  return password;
}
