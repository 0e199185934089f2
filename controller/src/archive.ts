// The hearing's record at the centre (DESIGN §3.6, issue 13 part 6): the recording segments the agents upload, each
// with its sidecar. A file arrives in pieces into `{data}/archive-uploads/{session}/{room}/{file}.part`; only when it
// is whole and its sha256 is the one the agent declared is it renamed into `{data}/archive/{session}/{room}/{file}`
// and, for a segment, listed in its session's index (`{data}/archive/{session}/index.json`, replaced whole: temporary
// file, then rename; one per session, so that adding a segment costs the same with 10 or 100,000 in the archive).
// Nothing half-uploaded is ever listed. Retention is per session kind; a legal hold keeps a recording for ever.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { type Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { ID_PATTERN } from "@rc/protocol";
import type { Logger } from "pino";
import { Writer } from "steno";
import { ProblemError } from "./problem.ts";

/** A segment `{start}_{n}.mkv` or its sidecar `{start}_{n}.json`: one name inside one folder, nothing that climbs. */
const FILE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,120}\.(mkv|json)$/;
export const SHA256_PATTERN = /^[0-9a-f]{64}$/;
const INDEX_VERSION = 1;
const DAY_MS = 24 * 3600 * 1000;

/** Retention in days by the kind of the session a recording belongs to; null keeps it for ever. */
export interface RetentionDays {
  periodic: number | null;
  ad_hoc: number | null;
  /** Recordings of no known session (a room recording outside any session, a session since removed). */
  other: number | null;
}

export interface ArchiveSettings {
  /** The largest segment accepted (a 10-minute 1080p segment is well under 1 GB). */
  maxSegmentBytes: number;
  maxSidecarBytes: number;
  retentionDays: RetentionDays;
  sweepEveryMs: number;
  /** Read each segment's tracks with ffprobe when it is archived (off in benchmarks). */
  probeTracks: boolean;
}

export const DEFAULT_ARCHIVE_SETTINGS: ArchiveSettings = {
  maxSegmentBytes: 4 * 1024 ** 3,
  maxSidecarBytes: 1024 ** 2,
  // Five years for every kind until the offices say otherwise; a legal hold outlasts any of them.
  retentionDays: { periodic: 5 * 365, ad_hoc: 5 * 365, other: 5 * 365 },
  sweepEveryMs: 3600_000,
  probeTracks: true,
};

export interface Track {
  index: number;
  type: string;
  codec: string | null;
  channels?: number;
  width?: number;
  height?: number;
  /**
   * What the track holds, from the sidecar's track layout: `program` (the room's picture), `session-program` (a relay
   * host's grid of every point), `mix` (all points' sound) or `point` (one point's sound, `room` says whose).
   */
  content?: string;
  room?: string;
}

/**
 * The tracks of a segment: ffprobe's, each with what the sidecar's layout says it holds (the file's order is the
 * layout's); the layout alone when ffprobe could not tell; null when neither knows.
 */
export function trackLayout(probed: Track[] | null, sidecarTracks: unknown): Track[] | null {
  const layout = (Array.isArray(sidecarTracks) ? sidecarTracks : []).map((track) => {
    const { type, content, room } = (typeof track === "object" && track !== null ? track : {}) as Record<
      string,
      unknown
    >;
    return {
      type: typeof type === "string" ? type : "unknown",
      ...(typeof content === "string" ? { content } : {}),
      ...(typeof room === "string" ? { room } : {}),
    };
  });
  if (probed) {
    return probed.map((track) => {
      const described = layout[track.index];
      return described?.type === track.type ? { ...track, ...described } : track;
    });
  }
  return layout.length > 0 ? layout.map((track, index) => ({ index, codec: null, ...track })) : null;
}

export interface Hold {
  at: string;
  by: string;
  reason: string | null;
}

/** A segment in the archive: where it is, what it holds and what its sidecar said. */
export interface RecordingEntry {
  /** `{session}~{room}~{stem}`: readable, and each part checked on the way in. */
  id: string;
  session: string;
  room: string;
  file: string;
  bytes: number;
  sha256: string;
  start: string | null;
  end: string | null;
  closed: string | null;
  camera: string | null;
  cuts: { at: string; offsetS: number; camera: string }[];
  /** From ffprobe; null when it could not tell. */
  tracks: Track[] | null;
  archivedAt: string;
  hold: Hold | null;
}

/** One session's index. */
interface IndexFile {
  version: typeof INDEX_VERSION;
  session: string;
  /** A hold on the session keeps every recording of it, present and to come. */
  hold: Hold | null;
  recordings: RecordingEntry[];
}

/** Which segment (or sidecar) an upload is: each part checked against the patterns before any path is made. */
export interface UploadKey {
  session: string;
  room: string;
  file: string;
}

/** A refusal with its HTTP status; `extra` goes into the problem answer (the bytes received, the sha256 held). */
export class ArchiveError extends ProblemError {
  constructor(status: number, message: string, extra: Record<string, unknown> = {}) {
    super(status, message, null, extra);
  }
}

/** Why a key is not a file of the archive, or null when it is. */
export function invalidKey(key: UploadKey): string | null {
  if (!ID_PATTERN.test(key.session)) return "session: expected a lower-case id";
  if (!ID_PATTERN.test(key.room)) return "room: expected a lower-case id";
  if (!FILE_PATTERN.test(key.file)) return "file: expected a segment name such as 20270120T013000Z_0.mkv or its .json";
  return null;
}

export const recordingIdOf = (key: UploadKey) => `${key.session}~${key.room}~${key.file.replace(/\.mkv$/, "")}`;

export interface UploadStatus {
  /** Bytes of the file the archive holds so far. */
  received: number;
  complete: boolean;
  /** The archived file's sha256 once complete. */
  sha256: string | null;
}

export interface PieceOfUpload {
  /** Where this piece starts in the file: what the archive said it had. */
  start: number;
  /** How many bytes this piece carries. */
  length: number;
  /** The whole file's size and sha256, as the agent computed them. */
  total: number;
  sha256: string;
}

/** A byte range of a file of `size` bytes from a Range header; null for the whole file, "unsatisfiable" for 416. */
export function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | null | "unsatisfiable" {
  if (!header) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  // Several ranges or another unit: the whole file is a correct answer too (RFC 9110 §14.2).
  if (!match || (match[1] === "" && match[2] === "")) return null;
  if (match[1] === "") {
    const suffix = Number(match[2]);
    if (suffix === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === "" ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (start >= size || end < start) return "unsatisfiable";
  return { start, end };
}

export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash("sha256");
  await pipeline(createReadStream(path), hash);
  return hash.digest("hex");
}

async function sizeOf(path: string): Promise<number | null> {
  try {
    return (await stat(path)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

/**
 * Appends the body, through `check`, to the file. When the body breaks (the connection lost) what arrived is still
 * flushed to disk, for the next piece to go on from; resolves with what went wrong, or null.
 */
function appendTo(path: string, body: Readable, check: Transform): Promise<Error | null> {
  return new Promise((resolve) => {
    const file = createWriteStream(path, { flags: "a", mode: 0o600 });
    let failure: Error | null = null;
    let ended = false;
    const bodyBroke = (error: Error) => {
      if (failure || ended) return;
      failure = error;
      body.unpipe(check);
      check.end(); // what it holds goes on to the file, which then ends
    };
    body.once("end", () => {
      ended = true;
    });
    body.on("error", bodyBroke);
    body.once("close", () => bodyBroke(new Error("the connection closed mid-file")));
    check.on("error", (error) => {
      failure ??= error;
      body.unpipe(check);
      check.unpipe(file);
      file.end();
    });
    file.on("error", (error) => {
      failure ??= error;
      body.unpipe(check);
    });
    file.once("close", () => resolve(failure));
    body.pipe(check).pipe(file);
  });
}

/** The streams' tracks as ffprobe sees them, or null (no ffprobe, not a file it reads). */
function probeTracks(path: string): Promise<Track[] | null> {
  const args = ["-v", "error", "-show_entries", "stream=index,codec_type,codec_name,channels,width,height"];
  return new Promise((resolve) => {
    execFile("ffprobe", [...args, "-of", "json", path], { timeout: 15_000 }, (error, stdout) => {
      if (error) return resolve(null);
      try {
        const streams = (JSON.parse(stdout) as { streams?: Record<string, unknown>[] }).streams ?? [];
        resolve(
          streams.map((stream) => ({
            index: Number(stream.index),
            type: String(stream.codec_type ?? "unknown"),
            codec: typeof stream.codec_name === "string" ? stream.codec_name : null,
            ...(typeof stream.channels === "number" ? { channels: stream.channels } : {}),
            ...(typeof stream.width === "number" ? { width: stream.width, height: Number(stream.height) } : {}),
          })),
        );
      } catch {
        resolve(null);
      }
    });
  });
}

/** What a sidecar must say to be archived beside its segment (room-agent's SegmentSidecar, version 1). */
function checkSidecar(text: string, key: UploadKey): Record<string, unknown> | string {
  let sidecar: Record<string, unknown>;
  try {
    sidecar = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return "the sidecar is not JSON";
  }
  if (typeof sidecar !== "object" || sidecar === null || sidecar.version !== 1) return "the sidecar is not version 1";
  if (sidecar.session !== key.session || sidecar.room !== key.room) {
    return `the sidecar names session ${String(sidecar.session)} and room ${String(sidecar.room)}, not its folder's`;
  }
  if (sidecar.file !== key.file.replace(/\.json$/, ".mkv")) return "the sidecar describes another segment";
  if (sidecar.closed === null || sidecar.closed === undefined) return "the sidecar says its segment is still open";
  return sidecar;
}

export interface RecordingArchiveOptions {
  dataDir: string;
  settings?: Partial<ArchiveSettings>;
  /** The kind of a session (periodic, ad_hoc), or undefined when the controller knows no such session. */
  sessionKind: (session: string) => string | undefined;
  log: Logger;
}

export class RecordingArchive {
  readonly root: string;
  readonly uploadsRoot: string;
  readonly settings: ArchiveSettings;
  private readonly recordings = new Map<string, RecordingEntry>();
  /** The same entries by session, by id: a session is listed and its index written without going through all. */
  private readonly bySession = new Map<string, Map<string, RecordingEntry>>();
  private readonly heldSessions = new Map<string, Hold>();
  private readonly writers = new Map<string, Writer>();
  /** Files being received: a second upload of one file at once is refused, not interleaved. */
  private readonly receiving = new Set<string>();
  private sweepTimer: NodeJS.Timeout | undefined;
  private readonly log: Logger;

  constructor(private readonly options: RecordingArchiveOptions) {
    this.root = join(options.dataDir, "archive");
    this.uploadsRoot = join(options.dataDir, "archive-uploads");
    this.settings = { ...DEFAULT_ARCHIVE_SETTINGS, ...options.settings };
    this.log = options.log;
  }

  async start(): Promise<void> {
    await mkdir(this.root, { recursive: true, mode: 0o700 });
    for (const session of await readdir(this.root)) {
      if (!ID_PATTERN.test(session)) continue;
      let text: string;
      try {
        text = await readFile(join(this.root, session, "index.json"), "utf8");
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") continue;
        throw error;
      }
      const index = JSON.parse(text) as IndexFile;
      if (index.version !== INDEX_VERSION) throw new Error(`archive index of ${session}: version ${index.version}?`);
      for (const entry of index.recordings) this.add(entry);
      if (index.hold) this.heldSessions.set(session, index.hold);
    }
    this.sweepTimer = setInterval(() => void this.sweep().catch(() => {}), this.settings.sweepEveryMs);
    this.sweepTimer.unref();
    await this.sweep();
    this.log.info({ recordings: this.recordings.size }, "archive opened");
  }

  stop(): void {
    clearInterval(this.sweepTimer);
  }

  get size(): number {
    return this.recordings.size;
  }

  private archivedPath(key: UploadKey): string {
    return join(this.root, key.session, key.room, key.file);
  }

  private partPath(key: UploadKey): string {
    return join(this.uploadsRoot, key.session, key.room, `${key.file}.part`);
  }

  private checked(key: UploadKey): UploadKey {
    const invalid = invalidKey(key);
    if (invalid) throw new ArchiveError(400, invalid);
    return key;
  }

  /** How much of a file the archive has: whole (with its sha256) or the bytes of its upload so far. */
  async status(key: UploadKey): Promise<UploadStatus> {
    this.checked(key);
    const indexed = this.recordings.get(recordingIdOf(key));
    if (key.file.endsWith(".mkv") && indexed)
      return { received: indexed.bytes, complete: true, sha256: indexed.sha256 };
    const archived = await sizeOf(this.archivedPath(key));
    if (archived !== null) {
      // A segment renamed in but not indexed (the controller stopped between the two): index it now.
      const sha256 = key.file.endsWith(".mkv")
        ? (await this.index(key, await sha256OfFile(this.archivedPath(key)), archived)).sha256
        : await sha256OfFile(this.archivedPath(key));
      return { received: archived, complete: true, sha256 };
    }
    return { received: (await sizeOf(this.partPath(key))) ?? 0, complete: false, sha256: null };
  }

  /**
   * Appends one piece of an upload; when the file is whole, checks it against the declared sha256 and archives it
   * (a wrong one is discarded with 422: the agent keeps its copy and sends it again). A piece cut short (the
   * connection lost) leaves what arrived for the next one to go on from.
   */
  async receive(key: UploadKey, piece: PieceOfUpload, body: Readable): Promise<UploadStatus> {
    this.checked(key);
    const name = `${key.session}/${key.room}/${key.file}`;
    const isSegment = key.file.endsWith(".mkv");
    const limit = isSegment ? this.settings.maxSegmentBytes : this.settings.maxSidecarBytes;
    if (piece.total > limit) throw new ArchiveError(413, `${piece.total} bytes: more than the ${limit} accepted`);
    if (piece.total < 1) throw new ArchiveError(400, "an empty file holds nothing to archive");
    if (piece.start + piece.length > piece.total) throw new ArchiveError(400, "the piece ends past the file's size");
    if (this.receiving.has(name)) throw new ArchiveError(409, "this file is being uploaded already");
    this.receiving.add(name);
    try {
      const before = await this.status(key);
      if (before.complete) throw new ArchiveError(409, "archived already", { ...before });
      if (piece.start !== before.received) {
        throw new ArchiveError(409, `the archive has ${before.received} bytes of this file, not ${piece.start}`, {
          received: before.received,
        });
      }
      if (
        isSegment &&
        (await sizeOf(this.archivedPath({ ...key, file: key.file.replace(/\.mkv$/, ".json") }))) === null
      ) {
        throw new ArchiveError(409, "upload the segment's sidecar first");
      }
      const part = this.partPath(key);
      await mkdir(join(this.uploadsRoot, key.session, key.room), { recursive: true, mode: 0o700 });
      // A piece from the start is hashed as it arrives; a resumed file is read again once whole.
      const hash = piece.start === 0 ? createHash("sha256") : null;
      let written = 0;
      const counter = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          written += chunk.length;
          if (written > piece.length) return done(new ArchiveError(400, "more bytes than the Content-Range says"));
          hash?.update(chunk);
          done(null, chunk);
        },
      });
      const failure = await appendTo(part, body, counter);
      if (failure) {
        const received = (await sizeOf(part)) ?? 0;
        this.log.warn({ file: name, received, err: failure.message }, "archive upload cut short");
        if (failure instanceof ArchiveError) throw failure;
        throw new ArchiveError(400, `the upload was cut short: ${failure.message}`, { received });
      }
      const received = (await sizeOf(part)) ?? 0;
      if (received < piece.total) return { received, complete: false, sha256: null };
      if (received > piece.total) {
        await rm(part, { force: true });
        throw new ArchiveError(409, "the file grew past its declared size: discarded, send it again");
      }
      const sha256 = hash && written === piece.total ? hash.digest("hex") : await sha256OfFile(part);
      if (sha256 !== piece.sha256) {
        await rm(part, { force: true });
        this.log.warn(
          { file: name, declared: piece.sha256, received: sha256 },
          "archive upload refused: its sha256 is not the one declared; discarded",
        );
        throw new ArchiveError(422, "sha256 mismatch: the received file was discarded, send it again", { sha256 });
      }
      if (!isSegment) {
        const sidecar = checkSidecar(await readFile(part, "utf8"), key);
        if (typeof sidecar === "string") {
          await rm(part, { force: true });
          this.log.warn({ file: name, reason: sidecar }, "archive upload refused: not this segment's sidecar");
          throw new ArchiveError(422, sidecar);
        }
      }
      await mkdir(join(this.root, key.session, key.room), { recursive: true, mode: 0o700 });
      await rename(part, this.archivedPath(key));
      if (isSegment) await this.index(key, sha256, received);
      this.log.info({ file: name, bytes: received, sha256 }, "archived");
      return { received, complete: true, sha256 };
    } finally {
      this.receiving.delete(name);
    }
  }

  /** Lists a segment now in the archive, with what its sidecar says and the tracks ffprobe finds (and what each holds). */
  private async index(key: UploadKey, sha256: string, bytes: number): Promise<RecordingEntry> {
    const id = recordingIdOf(key);
    let sidecar: Record<string, unknown> = {};
    try {
      const text = await readFile(this.archivedPath({ ...key, file: key.file.replace(/\.mkv$/, ".json") }), "utf8");
      sidecar = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // Checked on its way in; gone since: the segment is listed all the same, without its times.
    }
    const text = (value: unknown) => (typeof value === "string" ? value : null);
    const entry: RecordingEntry = {
      id,
      session: key.session,
      room: key.room,
      file: key.file,
      bytes,
      sha256,
      start: text(sidecar.start),
      end: text(sidecar.end),
      closed: text(sidecar.closed),
      camera: text(sidecar.camera),
      cuts: Array.isArray(sidecar.cuts) ? (sidecar.cuts as RecordingEntry["cuts"]) : [],
      tracks: trackLayout(this.settings.probeTracks ? await probeTracks(this.archivedPath(key)) : null, sidecar.tracks),
      archivedAt: new Date().toISOString(),
      hold: null,
    };
    this.add(entry);
    await this.save(key.session);
    return entry;
  }

  private add(entry: RecordingEntry): void {
    this.recordings.set(entry.id, entry);
    let session = this.bySession.get(entry.session);
    if (!session) {
      session = new Map();
      this.bySession.set(entry.session, session);
    }
    session.set(entry.id, entry);
  }

  /** Rewrites one session's index (steno: temporary file, then rename; writes that queue up become one). */
  private async save(session: string): Promise<void> {
    let writer = this.writers.get(session);
    if (!writer) {
      await mkdir(join(this.root, session), { recursive: true, mode: 0o700 });
      writer = new Writer(join(this.root, session, "index.json"));
      this.writers.set(session, writer);
    }
    const index: IndexFile = {
      version: INDEX_VERSION,
      session,
      hold: this.heldSessions.get(session) ?? null,
      recordings: this.list(session),
    };
    await writer.write(`${JSON.stringify(index)}\n`);
  }

  /** A session's recordings in the order they were recorded. */
  list(session: string): RecordingEntry[] {
    const found = [...(this.bySession.get(session)?.values() ?? [])];
    return found.sort((a, b) => (a.start ?? a.file).localeCompare(b.start ?? b.file) || a.room.localeCompare(b.room));
  }

  get(id: string): RecordingEntry | undefined {
    return this.recordings.get(id);
  }

  filePath(entry: RecordingEntry): string {
    return this.archivedPath(entry);
  }

  /** The hold that keeps a recording: its own or its session's. */
  holdOf(entry: RecordingEntry): Hold | null {
    return entry.hold ?? this.heldSessions.get(entry.session) ?? null;
  }

  sessionHold(session: string): Hold | null {
    return this.heldSessions.get(session) ?? null;
  }

  async holdRecording(id: string, hold: Hold | null): Promise<RecordingEntry> {
    const entry = this.recordings.get(id);
    if (!entry) throw new ArchiveError(404, `no recording "${id}"`);
    entry.hold = hold;
    await this.save(entry.session);
    this.log.info({ recording: id, hold: hold !== null, by: hold?.by }, hold ? "legal hold set" : "legal hold lifted");
    return entry;
  }

  async holdSession(session: string, hold: Hold | null): Promise<void> {
    if (hold) this.heldSessions.set(session, hold);
    else this.heldSessions.delete(session);
    await this.save(session);
    this.log.info({ session, hold: hold !== null, by: hold?.by }, hold ? "legal hold set" : "legal hold lifted");
  }

  /** Deletes every recording past its session kind's retention that no hold keeps, logging each. */
  async sweep(now = Date.now()): Promise<string[]> {
    const deleted: string[] = [];
    const touched = new Set<string>();
    for (const entry of [...this.recordings.values()]) {
      if (this.holdOf(entry)) continue;
      const kind = this.options.sessionKind(entry.session);
      const days =
        kind === "periodic" || kind === "ad_hoc"
          ? this.settings.retentionDays[kind]
          : this.settings.retentionDays.other;
      if (days === null) continue;
      const endedAt = Date.parse(entry.end ?? entry.archivedAt);
      if (!(endedAt + days * DAY_MS < now)) continue;
      await rm(this.archivedPath(entry), { force: true });
      await rm(this.archivedPath({ ...entry, file: entry.file.replace(/\.mkv$/, ".json") }), { force: true });
      this.recordings.delete(entry.id);
      this.bySession.get(entry.session)?.delete(entry.id);
      deleted.push(entry.id);
      touched.add(entry.session);
      this.log.info(
        { recording: entry.id, session: entry.session, kind: kind ?? "other", retentionDays: days, end: entry.end },
        "recording deleted: past its retention",
      );
    }
    for (const session of touched) await this.save(session);
    return deleted;
  }
}
