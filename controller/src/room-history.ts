// What happened to each room, kept apart from the lowdb document (issue 14 parts 3 and 6): append-only JSON lines in
// one folder per room, one file per day (DIR/{room}/{prefix}-YYYY-MM-DD.jsonl, see day-files.ts), kept `keepDays`
// days. Health uses two: the history (status changes, alarms, the agents' events; 180 days) and the telemetry series
// (7 days). Appends never wait for the disk: lines are queued and written every `flushEveryMs`, one append per file,
// so a write costs the same whatever the files hold. A crash loses at most the lines of the last interval; a torn
// last line is skipped by readers.
import { mkdir, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { ID_PATTERN } from "@rc/protocol";
import type { Logger } from "pino";
import { DayFileAppender, dayFileName, dayFiles, dayOf, dayOfFile, removeDayFilesOlderThan } from "./day-files.ts";

/** Every line carries when it happened; the rest is the kind's own. */
export interface RoomHistoryLine {
  at: string;
  [field: string]: unknown;
}

export interface RoomHistoryOptions {
  dir: string;
  /** File names: PREFIX-YYYY-MM-DD.jsonl. */
  prefix: string;
  keepDays: number;
  log: Logger;
  now?: () => Date;
  flushEveryMs?: number;
  /** Lines waiting for the disk beyond this are dropped (the disk is gone or far too slow), and that is logged. */
  maxQueuedLines?: number;
}

export interface RoomHistoryQuery {
  from?: Date;
  to?: Date;
  /** A `nextCursor` of an earlier page. */
  cursor?: string;
  limit: number;
}

export interface RoomHistoryPage {
  items: RoomHistoryLine[];
  /** Where the next (older) page starts: `DAY:LINE`, the lines of that day's file before that line, then older days. */
  nextCursor: string | null;
}

export const HISTORY_CURSOR = /^\d{4}-\d{2}-\d{2}:\d{1,9}$/;
const MAX_LINE_CHARS = 8192;
const DAY_MS = 24 * 3600_000;

export class RoomHistory {
  private readonly queued = new Map<string, string[]>();
  private queuedLines = 0;
  private dropped = 0;
  private readonly madeFolders = new Set<string>();
  private readonly appender = new DayFileAppender(0o600);
  private writing: Promise<void> = Promise.resolve();
  private flushTimer: NodeJS.Timeout | undefined;
  private pruneTimer: NodeJS.Timeout | undefined;
  private readonly now: () => Date;

  constructor(private readonly options: RoomHistoryOptions) {
    this.now = options.now ?? (() => new Date());
  }

  async start(): Promise<void> {
    await mkdir(this.options.dir, { recursive: true, mode: 0o700 });
    await this.prune();
    this.pruneTimer = setInterval(() => void this.prune(), 3600_000);
    this.pruneTimer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.pruneTimer);
    await this.flush();
    await this.appender.close();
  }

  /** Queues one line for the room's file of the line's day. Never throws, never waits. */
  append(room: string, line: RoomHistoryLine): void {
    if (!ID_PATTERN.test(room)) return; // only registered rooms get here; an id is also a folder name
    const maximum = this.options.maxQueuedLines ?? 100_000;
    if (this.queuedLines >= maximum) {
      if (this.dropped++ === 0)
        this.options.log.error({ maximum }, `${this.options.prefix}: too much unwritten, lines dropped`);
      return;
    }
    let text = JSON.stringify(line);
    if (text.length > MAX_LINE_CHARS) text = JSON.stringify({ at: line.at, kind: line.kind, truncated: text.length });
    const path = join(room, dayFileName(this.options.prefix, new Date(line.at)));
    const lines = this.queued.get(path);
    if (lines) lines.push(text);
    else this.queued.set(path, [text]);
    this.queuedLines++;
    this.flushTimer ??= setTimeout(() => void this.flush(), this.options.flushEveryMs ?? 1000);
  }

  /** Writes every queued line; resolves when they are on disk (or failed and were logged). */
  flush(): Promise<void> {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const batch = [...this.queued];
    this.queued.clear();
    this.queuedLines = 0;
    this.writing = this.writing.then(async () => {
      for (const [path, lines] of batch) {
        try {
          const room = path.slice(0, path.indexOf("/"));
          if (!this.madeFolders.has(room)) {
            await mkdir(join(this.options.dir, room), { recursive: true, mode: 0o700 });
            this.madeFolders.add(room);
          }
          await this.appender.append(join(this.options.dir, path), `${lines.join("\n")}\n`);
        } catch (error) {
          this.options.log.error(
            { err: (error as Error).message, file: path, lines: lines.length },
            "history write failed",
          );
        }
      }
      if (this.dropped > 0) {
        this.options.log.error(
          { dropped: this.dropped },
          `${this.options.prefix}: lines dropped while the disk lagged`,
        );
        this.dropped = 0;
      }
    });
    return this.writing;
  }

  /** Removes every room's files older than the retention. */
  async prune(): Promise<void> {
    try {
      const rooms = await readdir(this.options.dir).catch(() => [] as string[]);
      for (const room of rooms) {
        if (!ID_PATTERN.test(room)) continue;
        await removeDayFilesOlderThan(
          join(this.options.dir, room),
          this.options.prefix,
          this.options.keepDays,
          this.now(),
        );
      }
    } catch (error) {
      this.options.log.error({ err: (error as Error).message }, `${this.options.prefix}: old files not removed`);
    }
  }

  /**
   * A room's lines newest first within [from, to), a page at a time. Files wholly outside the range are skipped by
   * their name (a day of margin each side); a page reads only the files it needs.
   */
  async query(room: string, query: RoomHistoryQuery): Promise<RoomHistoryPage> {
    if (!ID_PATTERN.test(room)) return { items: [], nextCursor: null };
    const dir = join(this.options.dir, room);
    const firstDay = query.from ? dayOf(new Date(query.from.getTime() - DAY_MS)) : "";
    const lastDay = query.to ? dayOf(new Date(query.to.getTime() + DAY_MS)) : "9999-12-31";
    const [cursorDay, cursorLine] = query.cursor ? query.cursor.split(":") : [undefined, undefined];
    const from = query.from?.getTime() ?? Number.NEGATIVE_INFINITY;
    const to = query.to?.getTime() ?? Number.POSITIVE_INFINITY;
    const items: RoomHistoryLine[] = [];
    for (const file of (await dayFiles(dir, this.options.prefix)).reverse()) {
      const day = dayOfFile(this.options.prefix, file)!;
      if (day < firstDay || day > lastDay || (cursorDay !== undefined && day > cursorDay)) continue;
      const lines = (await readFile(join(dir, file), "utf8")).split("\n");
      const start = day === cursorDay ? Math.min(Number(cursorLine), lines.length) : lines.length;
      for (let index = start - 1; index >= 0; index--) {
        const line = parseLine(lines[index]!);
        if (!line) continue;
        const at = Date.parse(line.at);
        if (at < from || at >= to) continue;
        if (items.length === query.limit) return { items, nextCursor: `${day}:${index + 1}` };
        items.push(line);
      }
    }
    return { items, nextCursor: null };
  }
}

function parseLine(text: string): RoomHistoryLine | null {
  if (text === "") return null;
  try {
    const line = JSON.parse(text) as RoomHistoryLine;
    return typeof line === "object" && line !== null && typeof line.at === "string" ? line : null;
  } catch {
    return null; // a torn last line
  }
}
