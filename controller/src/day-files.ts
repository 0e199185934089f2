// Append-only JSON-lines files rotated by day, shared by the audit log and the health history: one file per day
// named PREFIX-YYYY-MM-DD.jsonl, the date in Asia/Ho_Chi_Minh (the offices' day; UTC+7 all year, no daylight saving).
// A file is only ever appended to with whole lines, so growing it costs the same at any size, and a crash can at worst
// leave a torn last line (each reader decides what to do with one).
import { type FileHandle, open, readdir, rm } from "node:fs/promises";
import { join } from "node:path";

const DAY_MS = 24 * 3600_000;
const OFFICE_OFFSET_MS = 7 * 3600_000;

/** The offices' date of an instant, YYYY-MM-DD. */
export function dayOf(at: Date): string {
  return new Date(at.getTime() + OFFICE_OFFSET_MS).toISOString().slice(0, 10);
}

/** The day file an instant goes to. */
export function dayFileName(prefix: string, at: Date): string {
  return `${prefix}-${dayOf(at)}.jsonl`;
}

/** The day of a file name of this prefix, or null for another file. */
export function dayOfFile(prefix: string, name: string): string | null {
  if (!name.startsWith(`${prefix}-`) || !name.endsWith(".jsonl")) return null;
  const day = name.slice(prefix.length + 1, -".jsonl".length);
  return /^\d{4}-\d{2}-\d{2}$/.test(day) ? day : null;
}

/** The folder's day files of this prefix, oldest first (their names sort by date); none if the folder is missing. */
export async function dayFiles(dir: string, prefix: string): Promise<string[]> {
  const names = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return [] as string[];
    throw error;
  });
  return names.filter((name) => dayOfFile(prefix, name) !== null).sort();
}

/** Removes the day files of this prefix older than `keepDays` days before `now`; returns the names removed. */
export async function removeDayFilesOlderThan(
  dir: string,
  prefix: string,
  keepDays: number,
  now: Date,
): Promise<string[]> {
  const oldestKept = dayOf(new Date(now.getTime() - keepDays * DAY_MS));
  const removed: string[] = [];
  for (const name of await dayFiles(dir, prefix)) {
    if (dayOfFile(prefix, name)! >= oldestKept) break;
    await rm(join(dir, name), { force: true });
    removed.push(name);
  }
  return removed;
}

/**
 * Appends whole lines to day files with one write each (looping on a short write), keeping the last file open for
 * the next append. Not safe for two writers at once: each caller queues its appends.
 */
export class DayFileAppender {
  private file: { path: string; handle: FileHandle } | null = null;

  constructor(private readonly mode = 0o600) {}

  async append(path: string, text: string): Promise<void> {
    try {
      if (this.file?.path !== path) {
        await this.close();
        this.file = { path, handle: await open(path, "a", this.mode) };
      }
      const bytes = Buffer.from(text);
      let written = 0;
      while (written < bytes.length) {
        const { bytesWritten } = await this.file.handle.write(bytes, written);
        written += bytesWritten;
      }
    } catch (error) {
      // What reached the disk is unknown: the next append opens the file again.
      await this.close();
      throw error;
    }
  }

  async close(): Promise<void> {
    const file = this.file;
    this.file = null;
    await file?.handle.close().catch(() => {});
  }
}
