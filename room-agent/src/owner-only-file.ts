// Files of the agent's data folder: readable by the agent's user only, and written whole or not at all.
import { rename, rm, writeFile } from "node:fs/promises";

/**
 * Writes `text` into a fresh temporary file (mode 0600, whatever the process umask) and renames it over `file`: a
 * crash never leaves half a file. Callers that may write one file concurrently must queue their writes.
 */
export async function writeOwnerOnlyFile(file: string, text: string): Promise<void> {
  const temporary = `${file}.tmp`;
  await rm(temporary, { force: true });
  await writeFile(temporary, text, { mode: 0o600 });
  await rename(temporary, file);
}
