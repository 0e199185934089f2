// The agent's start counter, kept on disk: it goes into every availability message so the controller can tell
// a late will of an older connection from the news that the current one died (DESIGN §3.1).
import { chmod, mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { writeOwnerOnlyFile } from "./owner-only-file.ts";

/** Reads the last boot number under `dataDir`, adds one, stores it and returns it. */
export async function nextBoot(dataDir: string): Promise<number> {
  const file = join(dataDir, "boot.json");
  let previous = 0;
  try {
    const stored = JSON.parse(await readFile(file, "utf8")) as { boot?: unknown };
    if (typeof stored.boot === "number" && Number.isInteger(stored.boot) && stored.boot >= 0) previous = stored.boot;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
      throw new Error(`${file}: unreadable boot counter (${(error as Error).message}); fix or delete the file`);
    }
  }
  const boot = previous + 1;
  // The agent's folder and files are for its own user only (an older version left them readable by all).
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await chmod(dataDir, 0o700);
  await writeOwnerOnlyFile(file, `${JSON.stringify({ boot })}\n`);
  return boot;
}
