// The agent's memory of answered requests, kept on disk: a client retrying after a lost answer gets the answer again
// and never a second application — also after the agent restarted, when the controller may have restarted too and
// forgotten the answer (found by the chaos suite). One JSON line per answer, appended before the answer is sent;
// rewritten whole (owner-only, never half a file) when it has grown to twice what is remembered.
import { appendFile, readFile } from "node:fs/promises";
import { join } from "node:path";
import { responsePayload } from "@rc/protocol";
import type { Logger } from "pino";
import { z } from "zod";
import { writeOwnerOnlyFile } from "./owner-only-file.ts";

const journalEntry = z.strictObject({
  id: z.string(),
  at: z.number(),
  fingerprint: z.string(),
  response: responsePayload,
});
export type JournalEntry = z.infer<typeof journalEntry>;

export class AnswerJournal {
  private readonly file: string;
  private lines = 0;
  /** Writes one after another, so a rewrite never loses an append that came while it ran. */
  private writing: Promise<void> = Promise.resolve();

  constructor(
    dataDir: string,
    private readonly log: Logger,
  ) {
    this.file = join(dataDir, "answers.jsonl");
  }

  /** The answers remembered on disk, oldest first; unreadable lines are counted in a log line and skipped. */
  async load(): Promise<JournalEntry[]> {
    let text: string;
    try {
      text = await readFile(this.file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT")
        this.log.error({ err: (error as Error).message }, "answered requests unreadable: repeats may be applied again");
      return [];
    }
    const entries: JournalEntry[] = [];
    let bad = 0;
    for (const line of text.split("\n")) {
      if (line === "") continue;
      let parsed: ReturnType<typeof journalEntry.safeParse>;
      try {
        parsed = journalEntry.safeParse(JSON.parse(line));
      } catch {
        bad++;
        continue;
      }
      if (parsed.success) entries.push(parsed.data);
      else bad++;
    }
    if (bad > 0) this.log.warn({ bad, file: this.file }, "unreadable lines of the answered requests skipped");
    this.lines = entries.length + bad;
    return entries;
  }

  get length(): number {
    return this.lines;
  }

  append(entry: JournalEntry): Promise<void> {
    this.lines++;
    return this.queue(() => appendFile(this.file, `${JSON.stringify(entry)}\n`, { mode: 0o600 }));
  }

  /** Replaces the file with these entries (the ones still remembered). */
  rewrite(entries: JournalEntry[]): Promise<void> {
    this.lines = entries.length;
    return this.queue(() =>
      writeOwnerOnlyFile(this.file, entries.map((entry) => `${JSON.stringify(entry)}\n`).join("")),
    );
  }

  private queue(write: () => Promise<void>): Promise<void> {
    const next = this.writing.then(write);
    this.writing = next.catch(() => {});
    return next;
  }
}
