// The audit log (DESIGN §3.6, issue 14): who did what, when, to which room, session or schedule, and how it ended.
//
// Append-only JSON lines under DATA/audit/, one file per day (audit-YYYY-MM-DD.jsonl, the date in Asia/Ho_Chi_Minh,
// the offices' day; `at` inside is UTC). Each entry carries its sequence number, the hash of the entry before it
// (`prev`) and its own hash (`hash`: sha256 of its canonical JSON without `hash`), so an edited, missing or moved
// entry is found by `verifyAudit`; the chain runs on across the files. One process writes the chain, the controller:
// it appends one line per entry with one write to a file opened for appending, one entry at a time, and never
// rewrites a file. The CLI, which may run beside it, drops its entries into DATA/audit/inbox/, and the controller
// chains them in (at its start and every few seconds).
//
// A crash can leave a torn last line. The next start does not chain onto it: it ends that line and writes an
// `audit.recovered` entry naming the torn bytes' sha256, chained to the last whole entry; `verifyAudit` accepts a
// bad line only when such an entry follows it, and says so.
import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { chmod, mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { withSortedKeys } from "@rc/protocol";
import type { Logger } from "pino";
import { DayFileAppender, dayFileName, dayFiles } from "./day-files.ts";

/**
 * Who acted: the user ("panel:ROOM" for a panel's PIN; null before a login and for the controller itself; the CLI
 * is "cli"), how, from where, and with which credential ("password", "token:ID", "pin:ROOM").
 */
export interface AuditWho {
  user: string | null;
  /** room-panel: a room's own panel, served by its agent, reported by the agent (its login is the room's). */
  via: "rest" | "socket" | "cli" | "controller" | "room-panel";
  address: string | null;
  credential?: string;
}

export const AUDIT_TARGET_KINDS = [
  "room",
  "session",
  "schedule",
  "recording",
  "user",
  "token",
  "alarm",
  "audit",
  "device",
  "maintenance",
] as const;
export type AuditTargetKind = (typeof AUDIT_TARGET_KINDS)[number];
export type AuditTarget = Partial<Record<AuditTargetKind, string>>;

export type AuditResult = { ok: true; status?: number } | { ok: false; status?: number; code: string; message: string };

/** What a caller records; the log adds the sequence number, the time and the chain. */
export interface AuditRecord {
  who: AuditWho;
  what: { action: string; target: AuditTarget };
  params: unknown;
  result: AuditResult;
  /** When it happened (ISO), if not now: the CLI's entries reach the chain a little later. */
  at?: string;
}

export interface AuditEntry extends Required<AuditRecord> {
  seq: number;
  prev: string;
  hash: string;
}

export const GENESIS_HASH = "0".repeat(64);
export const REDACTED = "[redacted]";
const MAX_PARAMS_CHARS = 4096;
const MAX_PARAMS_DEPTH = 8;
const MAX_MESSAGE_CHARS = 500;
const FILE_PREFIX = "audit";
const INBOX_PATTERN = /^[\w.-]+\.json$/;
const SECRET_WORDS = new Set([
  "password",
  "passwd",
  "passphrase",
  "pass",
  "pin",
  "token",
  "secret",
  "credential",
  "credentials",
  "authorization",
  "cookie",
  "apikey",
]);

/** Whether a key names a secret: one of its words (camelCase, snake_case, kebab-case) is password, pin, token… */
export function isSecretKey(key: string): boolean {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/);
  return words.some((word) => SECRET_WORDS.has(word)) || SECRET_WORDS.has(key.toLowerCase().replace(/[^a-z]/g, ""));
}

/** A copy with every secret's value replaced by "[redacted]", keys sorted, bounded in depth and size. */
export function redactParams(value: unknown): unknown {
  const walk = (item: unknown, depth: number): unknown => {
    if (item === null || typeof item !== "object") {
      return typeof item === "string" && item.length > MAX_MESSAGE_CHARS
        ? `${item.slice(0, MAX_MESSAGE_CHARS)}…`
        : item;
    }
    if (depth >= MAX_PARAMS_DEPTH) return "[too deep]";
    if (Array.isArray(item)) return item.slice(0, 100).map((element) => walk(element, depth + 1));
    const record = item as Record<string, unknown>;
    // fromEntries defines own properties: a "__proto__" key stays data.
    return Object.fromEntries(
      Object.keys(record)
        .sort()
        .map((key) => [key, isSecretKey(key) ? REDACTED : walk(record[key], depth + 1)]),
    );
  };
  const redacted = walk(value, 0);
  const text = JSON.stringify(redacted) ?? "null";
  if (text.length <= MAX_PARAMS_CHARS) return redacted;
  return { truncated: true, chars: text.length, sha256: sha256(text) };
}

/** JSON with every object's keys sorted: the form that is hashed. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(withSortedKeys(value));
}

function sha256(text: string | Buffer): string {
  return createHash("sha256").update(text).digest("hex");
}

/** The entry's own hash: of its canonical JSON without `hash`. */
export function entryHash(entry: Omit<AuditEntry, "hash"> & { hash?: string }): string {
  const { hash: _own, ...rest } = entry;
  return sha256(canonicalJson(rest));
}

/** The day file an instant goes to: its date in Asia/Ho_Chi_Minh (UTC+7 all year, no daylight saving). */
export function auditFileName(at: Date): string {
  return dayFileName(FILE_PREFIX, at);
}

/** The day files in chain order (their names sort by date). */
export function auditFiles(dir: string): Promise<string[]> {
  return dayFiles(dir, FILE_PREFIX);
}

export interface AuditLogOptions {
  /** DATA/audit */
  dir: string;
  log: Logger;
  now?: () => Date;
  /** How often the CLI's inbox is looked at (0: only at start and on `ingestInbox()`). */
  inboxIntervalMs?: number;
}

/** The tail of the chain: the last whole entry and whether a torn line follows it. */
interface ChainTail {
  seq: number;
  hash: string;
  /** A line after the last whole entry that is not one: its file, line number and bytes. */
  torn: { file: string; line: number; bytes: Buffer; endsLine: boolean } | null;
}

export class AuditLog {
  private readonly dir: string;
  private readonly log: Logger;
  private readonly now: () => Date;
  private tail: ChainTail | null = null;
  private readonly appender = new DayFileAppender(0o600);
  private queue: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: AuditLogOptions) {
    this.dir = options.dir;
    this.log = options.log;
    this.now = options.now ?? (() => new Date());
  }

  async start(): Promise<void> {
    await mkdir(join(this.dir, "inbox"), { recursive: true, mode: 0o700 });
    await chmod(this.dir, 0o700);
    await this.ingestInbox();
    const every = this.options.inboxIntervalMs ?? 2000;
    if (every > 0) this.timer = setInterval(() => void this.ingestInbox(), every);
  }

  /** Waits for every entry queued so far to be written, then closes the file. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
    await this.appender.close();
  }

  /** Resolves once every entry recorded so far is written (or failed and was logged). */
  flush(): Promise<void> {
    return this.queue;
  }

  /**
   * Queues one entry. Never throws and never waits for the disk: an audit write that fails is logged as an error and
   * the command it describes goes on (see README, "Audit log": we fail open).
   */
  record(record: AuditRecord): void {
    const stamped = { ...record, at: record.at ?? this.now().toISOString() };
    this.queue = this.queue.then(() =>
      this.append(stamped).catch((error: unknown) => {
        this.log.error(
          { err: (error as Error).message, action: record.what.action },
          "AUDIT WRITE FAILED: this entry is missing from the audit log",
        );
      }),
    );
  }

  /** Chains in the entries the CLI left in the inbox, oldest first, and removes each once written. */
  ingestInbox(): Promise<void> {
    const job = this.queue.then(async () => {
      const inbox = join(this.dir, "inbox");
      const names = (await readdir(inbox).catch(() => [] as string[])).filter((name) => INBOX_PATTERN.test(name));
      for (const name of names.sort()) {
        const path = join(inbox, name);
        let record: AuditRecord;
        try {
          record = JSON.parse(await readFile(path, "utf8")) as AuditRecord;
          if (typeof record?.who !== "object" || typeof record.what?.action !== "string" || !record.result)
            throw new Error("not an audit record");
        } catch (error) {
          this.log.error({ err: (error as Error).message, file: name }, "AUDIT: inbox entry unreadable, set aside");
          await rename(path, `${path}.rejected`).catch(() => {});
          continue;
        }
        await this.append(record);
        await rm(path);
      }
    });
    this.queue = job.catch((error: unknown) => {
      this.log.error({ err: (error as Error).message }, "AUDIT WRITE FAILED: the CLI's entries wait in the inbox");
    });
    return this.queue;
  }

  private async append(record: AuditRecord): Promise<void> {
    if (!this.tail) this.tail = await readTail(this.dir);
    const at = this.now();
    const name = auditFileName(at);
    let prefix = "";
    if (this.tail.torn) {
      // Never chain onto a torn line: end it (if it is in the file we write to) and say what happened.
      const torn = this.tail.torn;
      if (!torn.endsLine && torn.file === name) prefix = "\n";
      await this.write(name, prefix + this.line(this.entryOf(at, recoveredRecord(torn))));
      this.tail.torn = null;
    }
    await this.write(name, this.line(this.entryOf(at, record)));
  }

  /** The next entry after the tail; the tail moves on only once it is written (see `write`). */
  private pending: AuditEntry | null = null;

  private entryOf(at: Date, record: AuditRecord): AuditEntry {
    const tail = this.tail!;
    const entry: Omit<AuditEntry, "hash"> = {
      seq: tail.seq + 1,
      at: record.at ?? at.toISOString(),
      prev: tail.hash,
      who: record.who,
      what: record.what,
      params: redactParams(record.params ?? {}),
      result: boundedResult(record.result),
    };
    this.pending = { ...entry, hash: entryHash(entry) };
    return this.pending;
  }

  private line(entry: AuditEntry): string {
    return `${canonicalJson(entry)}\n`;
  }

  /** One write of whole lines to the day's file, opened for appending (created 0600). */
  private async write(name: string, text: string): Promise<void> {
    const entry = this.pending!;
    try {
      await this.appender.append(join(this.dir, name), text);
    } catch (error) {
      // What reached the disk is unknown (perhaps a torn line): read the tail again before the next entry.
      this.tail = null;
      throw error;
    }
    this.tail = { seq: entry.seq, hash: entry.hash, torn: this.tail?.torn ?? null };
  }
}

function boundedResult(result: AuditResult): AuditResult {
  if (result.ok) return result;
  return { ...result, code: result.code.slice(0, 64), message: result.message.slice(0, MAX_MESSAGE_CHARS) };
}

function recoveredRecord(torn: NonNullable<ChainTail["torn"]>): AuditRecord {
  return {
    who: { user: null, via: "controller", address: null },
    what: { action: "audit.recovered", target: { audit: torn.file } },
    params: { file: torn.file, line: torn.line, bytes: torn.bytes.length, sha256: sha256(torn.bytes) },
    result: { ok: true },
  };
}

function parseEntry(text: string): AuditEntry | null {
  try {
    const entry = JSON.parse(text) as AuditEntry;
    if (typeof entry !== "object" || entry === null || !Number.isInteger(entry.seq) || typeof entry.hash !== "string")
      return null;
    return entryHash(entry) === entry.hash ? entry : null;
  } catch {
    return null;
  }
}

/**
 * The last whole entry of the chain, read backwards from the end of the newest day file (a few kB, whatever the
 * files' size), and the torn line after it if there is one.
 */
async function readTail(dir: string): Promise<ChainTail> {
  const files = await auditFiles(dir);
  let torn: ChainTail["torn"] = null;
  for (const file of files.reverse()) {
    const path = join(dir, file);
    const { size } = await stat(path);
    if (size === 0) continue;
    const handle = await open(path, "r");
    try {
      // Read enough of the end to hold the last two lines (an entry is at most a few kB: params are bounded).
      const length = Math.min(size, 64 * 1024);
      const buffer = Buffer.alloc(length);
      await handle.read(buffer, 0, length, size - length);
      const endsLine = buffer[length - 1] === 0x0a;
      const body = endsLine ? buffer.subarray(0, length - 1) : buffer;
      const cut = body.lastIndexOf(0x0a);
      const last = body.subarray(cut + 1);
      const entry = parseEntry(last.toString("utf8"));
      if (entry) return { seq: entry.seq, hash: entry.hash, torn };
      if (torn) throw new Error(`audit log ${file}: two bad lines at its end; verify it before the controller writes`);
      // Line numbers need the whole file; a torn line is rare, so count once.
      const start = size - (endsLine ? 1 : 0) - last.length;
      const lines = (await readFile(path)).subarray(0, start).filter((byte) => byte === 0x0a).length;
      // As text, the way the verifier reads it (a torn line may end inside a character).
      torn = { file, line: lines + 1, bytes: Buffer.from(last.toString("utf8")), endsLine };
      const before = body.subarray(0, Math.max(cut, 0));
      const previous = parseEntry(before.subarray(before.lastIndexOf(0x0a) + 1).toString("utf8"));
      if (previous) return { seq: previous.seq, hash: previous.hash, torn };
      if (cut >= 0)
        throw new Error(`audit log ${file}: two bad lines at its end; verify it before the controller writes`);
    } finally {
      await handle.close();
    }
  }
  return { seq: 0, hash: GENESIS_HASH, torn };
}

/** For the CLI: leaves an entry for the controller to chain in (written whole: a temporary file, then renamed). */
export async function recordFromCli(dir: string, record: AuditRecord): Promise<void> {
  const inbox = join(dir, "inbox");
  await mkdir(inbox, { recursive: true, mode: 0o700 });
  const at = record.at ?? new Date().toISOString();
  const name = `${at.replace(/[:.]/g, "-")}-${randomBytes(4).toString("hex")}.json`;
  const temporary = join(inbox, `.${name}.tmp`);
  await writeFile(temporary, JSON.stringify({ ...record, at }), { mode: 0o600 });
  await rename(temporary, join(inbox, name));
}

export type AuditVerdict =
  | { ok: true; entries: number; recovered: { file: string; line: number }[] }
  | { ok: false; entries: number; file: string; line: number; reason: string };

/** One line of the chain, as read by `readAuditLines`. */
interface ChainLine {
  file: string;
  line: number;
  text: string;
  /** Whether the file goes on after it (a torn last line has no newline). */
  endsLine: boolean;
}

async function* chainLines(dir: string): AsyncGenerator<ChainLine> {
  for (const file of await auditFiles(dir)) {
    const path = join(dir, file);
    const { size } = await stat(path);
    let endsWithNewline = true;
    if (size > 0) {
      const handle = await open(path, "r");
      const last = Buffer.alloc(1);
      await handle.read(last, 0, 1, size - 1);
      await handle.close();
      endsWithNewline = last[0] === 0x0a;
    }
    let number = 0;
    let previous: ChainLine | null = null;
    for await (const text of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) {
      number++;
      if (previous) yield previous;
      previous = { file, line: number, text, endsLine: true };
    }
    if (previous) yield { ...previous, endsLine: endsWithNewline };
  }
}

/**
 * Walks the whole chain and returns its length, or the first bad line (file, 1-based line number) and why: not an
 * entry (bad JSON, a torn line), its own hash wrong (edited), a sequence gap (lines missing), entries out of order,
 * or a `prev` that is not the hash of the entry before it.
 */
export async function verifyAudit(dir: string): Promise<AuditVerdict> {
  let expected = { seq: 1, hash: GENESIS_HASH };
  let entries = 0;
  const recovered: { file: string; line: number }[] = [];
  let torn: ChainLine | null = null;
  let upcoming: ChainLine | null = null;
  const lines = chainLines(dir);
  const next = async () => {
    if (upcoming) {
      const line = upcoming;
      upcoming = null;
      return line;
    }
    const step = await lines.next();
    return step.done ? null : step.value;
  };
  const bad = (line: ChainLine, reason: string): AuditVerdict => ({
    ok: false,
    entries,
    file: line.file,
    line: line.line,
    reason,
  });
  for (let line = await next(); line; line = await next()) {
    let raw: unknown;
    try {
      raw = JSON.parse(line.text);
    } catch {
      raw = undefined;
    }
    const entry = raw as AuditEntry | undefined;
    if (typeof entry !== "object" || entry === null || !Number.isInteger(entry.seq)) {
      if (torn) return bad(torn, "not an audit entry (bad JSON)");
      torn = line; // a torn line is fine only when an audit.recovered entry names it next
      continue;
    }
    if (torn) {
      const params = entry.params as { sha256?: unknown } | undefined;
      if (entry.what?.action !== "audit.recovered" || params?.sha256 !== sha256(Buffer.from(torn.text))) {
        return bad(
          torn,
          torn.endsLine ? "not an audit entry (bad JSON)" : "torn last line (no newline): not recovered",
        );
      }
      recovered.push({ file: torn.file, line: torn.line });
      torn = null;
    }
    if (entryHash(entry) !== entry.hash) return bad(line, "hash mismatch: the entry was changed after it was written");
    if (entry.seq !== expected.seq) {
      if (entry.seq < expected.seq)
        return bad(line, `reordered: entry ${entry.seq} comes after entry ${expected.seq - 1}`);
      upcoming = await next();
      const following = upcoming ? (JSON.parse(safeJson(upcoming.text)) as { seq?: unknown }) : null;
      if (following?.seq === expected.seq)
        return bad(line, `reordered: entry ${entry.seq} comes before entry ${expected.seq}`);
      return bad(line, `sequence gap: expected entry ${expected.seq}, found ${entry.seq} (entries missing)`);
    }
    if (entry.prev !== expected.hash) return bad(line, "hash mismatch: prev is not the hash of the entry before it");
    expected = { seq: entry.seq + 1, hash: entry.hash };
    entries++;
  }
  if (torn) {
    return bad(torn, torn.endsLine ? "not an audit entry (bad JSON)" : "torn last line (no newline): not recovered");
  }
  return { ok: true, entries, recovered };
}

function safeJson(text: string): string {
  try {
    JSON.parse(text);
    return text;
  } catch {
    return "null";
  }
}

/** The verdict in one line, as the CLI prints it. */
export function describeVerdict(verdict: AuditVerdict): string {
  if (!verdict.ok)
    return `bad ${verdict.file}:${verdict.line}: ${verdict.reason} (after ${verdict.entries} good entries)`;
  const notes = verdict.recovered.map(({ file, line }) => `; torn line ${file}:${line} recovered`).join("");
  return `ok ${verdict.entries} entries${notes}`;
}

export interface AuditQuery {
  from?: Date;
  to?: Date;
  room?: string;
  user?: string;
  /** Entries with a smaller sequence number than this (the last one a page showed). */
  before?: number;
  limit: number;
}

/**
 * Entries newest first, read from the day files (newest file first, so a page of recent entries reads a few files).
 * Files wholly outside [from, to) are skipped by their name (a day of margin each side, for the CLI's late entries).
 */
export async function queryAudit(dir: string, query: AuditQuery): Promise<{ items: AuditEntry[]; more: boolean }> {
  const day = 24 * 3600_000;
  const firstName = query.from ? auditFileName(new Date(query.from.getTime() - day)) : "";
  const lastName = query.to ? auditFileName(new Date(query.to.getTime() + day)) : "~";
  const items: AuditEntry[] = [];
  for (const file of (await auditFiles(dir)).reverse()) {
    if (file < firstName || file > lastName) continue;
    const text = await readFile(join(dir, file), "utf8");
    const lines = text.split("\n");
    for (let index = lines.length - 1; index >= 0; index--) {
      const entry = parseEntry(lines[index]!);
      if (!entry || !matches(entry, query)) continue;
      if (items.length === query.limit) return { items, more: true };
      items.push(entry);
    }
  }
  return { items, more: false };
}

function matches(entry: AuditEntry, query: AuditQuery): boolean {
  const at = Date.parse(entry.at);
  return (
    (query.before === undefined || entry.seq < query.before) &&
    (query.from === undefined || at >= query.from.getTime()) &&
    (query.to === undefined || at < query.to.getTime()) &&
    (query.room === undefined || entry.what.target.room === query.room) &&
    (query.user === undefined || entry.who.user === query.user)
  );
}
