// Sends every finished recording segment, with its sidecar, to the controller's archive (DESIGN §3.6, issue 13 part
// 6), and deletes this PC's copy only once the controller confirmed it holds the same sha256. A segment is finished
// when its sidecar says `closed`. Uploads resume where the archive stopped receiving and are retried with a capped
// exponential backoff; nothing is deleted otherwise, also when the disk fills (the media driver's guard then stops
// the recording: a hearing's record is never traded for room on the disk).
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readdir, readFile, rm, stat } from "node:fs/promises";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { ID_PATTERN, type StatePayload } from "@rc/protocol";
import type { Logger } from "pino";
import type { RoomFeature } from "./room-feature.ts";

export interface Backoff {
  firstMs: number;
  maxMs: number;
}

export const UPLOAD_BACKOFF: Backoff = { firstMs: 1000, maxMs: 5 * 60_000 };
/** How often the recordings folders are looked through besides when a segment closes. */
const SCAN_EVERY_MS = 60_000;
/** An answer that stalls this long is given up (and retried); the archive reads a resumed file whole before it answers. */
const SOCKET_IDLE_MS = 120_000;

/** The wait before the attempt after `failures` failed ones: doubling from firstMs up to maxMs, ±20 % jitter. */
export function retryDelayMs(failures: number, backoff: Backoff, random = Math.random): number {
  const base = Math.min(backoff.maxMs, backoff.firstMs * 2 ** Math.max(0, failures - 1));
  return Math.round(base * (0.8 + 0.4 * random()));
}

export interface RecordingUploadOptions {
  /** The controller's base URL, e.g. http://controller:8080. */
  archiveUrl: string;
  room: string;
  /** The room's broker login: the archive takes uploads of its own room only. */
  username: string;
  password: string;
  /** The recordings folders of the room's media devices; segments are in {folder}/{session}/{room}/. */
  folders: string[];
  log: Logger;
  /** The uploads' part of the state changed. */
  changed: () => void;
  backoff?: Backoff;
  scanEveryMs?: number;
}

/** A finished segment waiting to be archived. */
interface Pending {
  session: string;
  /** The segment's path (its sidecar is beside it); the segment may be gone already, its sidecar left. */
  segment: string;
  sidecar: string;
  bytes: number;
  failures: number;
  dueAt: number;
}

/** What the archive answered about one file. */
interface ArchiveStatus {
  received: number;
  complete: boolean;
  sha256: string | null;
}

class UploadError extends Error {}

export class RecordingUpload implements RoomFeature {
  readonly name = "recording-upload";
  private readonly pending = new Map<string, Pending>();
  private readonly skipped = new Set<string>();
  private readonly hashes = new Map<string, { size: number; mtimeMs: number; sha256: string }>();
  private readonly backoff: Backoff;
  private scanTimer: NodeJS.Timeout | undefined;
  private wakeTimer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private rescan = false;
  private stopped = true;
  private abort = new AbortController();
  private lastError: string | null = null;
  private shown = "";

  constructor(private readonly options: RecordingUploadOptions) {
    this.backoff = options.backoff ?? UPLOAD_BACKOFF;
  }

  start(): void {
    this.stopped = false;
    this.abort = new AbortController();
    this.options.log.info(
      { archive: this.options.archiveUrl, folders: this.options.folders },
      "uploading finished recordings",
    );
    this.scanTimer = setInterval(() => this.segmentClosed(), this.options.scanEveryMs ?? SCAN_EVERY_MS);
    this.segmentClosed();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.scanTimer);
    clearTimeout(this.wakeTimer);
    this.abort.abort();
    await this.running;
  }

  /** A segment closed (or time to look again): look through the folders, then upload what is due. */
  segmentClosed(): void {
    this.rescan = true;
    this.kick();
  }

  /** Resolves once nothing is running (tests). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  state(): Partial<StatePayload> {
    return { uploads: this.uploads() };
  }

  uploads(): NonNullable<StatePayload["uploads"]> {
    let bytesPending = 0;
    for (const item of this.pending.values()) bytesPending += item.bytes;
    return { pending: this.pending.size, bytesPending, lastError: this.lastError };
  }

  private kick(): void {
    if (this.stopped || this.running) return;
    this.running = this.work()
      .catch((error: Error) => this.options.log.error({ err: error.message }, "recording upload failed"))
      .finally(() => {
        this.running = undefined;
        this.report();
        if (this.rescan) this.kick();
        else this.wakeForNext();
      });
  }

  private async work(): Promise<void> {
    while (!this.stopped) {
      if (this.rescan) {
        this.rescan = false;
        await this.scan();
        this.report();
      }
      const next = this.nextDue();
      if (!next) return;
      if ((await sizeOf(next.sidecar)) === null) {
        this.pending.delete(next.segment); // taken away by someone else: nothing left to send
        continue;
      }
      try {
        await this.archive(next);
        this.pending.delete(next.segment);
        this.lastError = null;
      } catch (error) {
        if (this.stopped) return;
        next.failures++;
        const delay = retryDelayMs(next.failures, this.backoff);
        next.dueAt = Date.now() + delay;
        this.lastError = `${next.segment.slice(next.segment.lastIndexOf("/") + 1)}: ${(error as Error).message}`;
        this.options.log.warn(
          { segment: next.segment, failures: next.failures, retryInMs: delay, err: (error as Error).message },
          "recording upload failed; the local copy is kept and sent again",
        );
      }
      this.report();
    }
  }

  private nextDue(): Pending | undefined {
    const now = Date.now();
    let next: Pending | undefined;
    for (const item of this.pending.values()) {
      if (item.dueAt <= now && (!next || item.segment < next.segment)) next = item;
    }
    return next;
  }

  private wakeForNext(): void {
    clearTimeout(this.wakeTimer);
    if (this.stopped || this.pending.size === 0) return;
    const soonest = Math.min(...[...this.pending.values()].map((item) => item.dueAt));
    this.wakeTimer = setTimeout(() => this.kick(), Math.max(0, soonest - Date.now()));
  }

  private report(): void {
    const shown = JSON.stringify(this.uploads());
    if (shown === this.shown) return;
    this.shown = shown;
    this.options.changed();
  }

  /** Finds the finished segments under every folder: {folder}/{session}/{this room}/{name}.json saying closed. */
  private async scan(): Promise<void> {
    for (const folder of this.options.folders) {
      for (const session of await listDir(folder)) {
        const dir = join(folder, session, this.options.room);
        const names = await listDir(dir);
        for (const name of names) {
          if (!name.endsWith(".json")) continue;
          const sidecar = join(dir, name);
          const segment = sidecar.replace(/\.json$/, ".mkv");
          if (this.pending.has(segment)) continue;
          if (!ID_PATTERN.test(session)) {
            this.skipOnce(dir, "a session folder the archive does not take (not a lower-case id): left here");
            continue;
          }
          if (!(await finished(sidecar))) continue;
          const bytes = names.includes(name.replace(/\.json$/, ".mkv")) ? ((await sizeOf(segment)) ?? 0) : 0;
          this.pending.set(segment, { session, segment, sidecar, bytes, failures: 0, dueAt: 0 });
        }
      }
    }
  }

  private skipOnce(path: string, reason: string): void {
    if (this.skipped.has(path)) return;
    this.skipped.add(path);
    this.options.log.warn({ path }, reason);
  }

  /** Sidecar first (the archive lists a segment with what its sidecar says), then the segment; then deletes both. */
  private async archive(item: Pending): Promise<void> {
    const sidecarSha = await this.sha256Of(item.sidecar);
    await this.send(item.session, item.sidecar, sidecarSha);
    const segmentSha = await this.sha256Of(item.segment).catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return null;
      throw error;
    });
    const name = item.segment.slice(item.segment.lastIndexOf("/") + 1);
    if (segmentSha === null) {
      // Deleted after its confirmation, the agent stopping before its sidecar went: the archive must have it whole.
      const status = await this.ask("GET", item.session, name);
      if (!status.complete) {
        this.skipOnce(item.sidecar, "a finished segment's sidecar without its segment, which the archive lacks: kept");
        throw new UploadError("the segment is missing here and not in the archive");
      }
      await rm(item.sidecar, { force: true });
      this.options.log.info({ sidecar: item.sidecar }, "sidecar of a segment archived earlier deleted (confirmed)");
      return;
    }
    const confirmed = await this.send(item.session, item.segment, segmentSha);
    await rm(item.segment);
    await rm(item.sidecar, { force: true });
    this.hashes.delete(item.segment);
    this.hashes.delete(item.sidecar);
    this.options.log.info(
      { segment: item.segment, bytes: confirmed.received, sha256: segmentSha },
      "recording segment archived, sha256 confirmed by the controller: local copy and sidecar deleted",
    );
  }

  /** Sends what the archive lacks of one file; resolves once the archive holds it whole with this sha256. */
  private async send(session: string, path: string, sha256: string): Promise<ArchiveStatus> {
    const name = path.slice(path.lastIndexOf("/") + 1);
    const size = (await stat(path)).size;
    for (let round = 0; round < 5; round++) {
      let status = await this.ask("GET", session, name);
      if (!status.complete) {
        if (status.received > size)
          throw new UploadError(`the archive has ${status.received} bytes of a ${size}-byte file`);
        if (status.received > 0) this.options.log.info({ file: path, from: status.received, size }, "upload resumed");
        status = await this.ask("PUT", session, name, { path, from: status.received, size, sha256 });
        if (!status.complete) continue; // cut short or out of step: ask again where to go on from
      }
      if (status.sha256 !== sha256) {
        throw new UploadError(`the archive holds ${name} with sha256 ${status.sha256}, not this copy's ${sha256}`);
      }
      return status;
    }
    throw new UploadError("the archive did not take the file after 5 rounds");
  }

  private ask(
    method: "GET" | "PUT",
    session: string,
    name: string,
    body?: { path: string; from: number; size: number; sha256: string },
  ): Promise<ArchiveStatus> {
    const { archiveUrl, room, username, password } = this.options;
    const url = new URL(
      `api/archive/uploads/${session}/${room}/${name}`,
      archiveUrl.endsWith("/") ? archiveUrl : `${archiveUrl}/`,
    );
    const headers: Record<string, string> = {
      authorization: `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`,
    };
    if (body) {
      headers["content-type"] = "application/octet-stream";
      headers["content-length"] = String(body.size - body.from);
      headers["content-range"] = `bytes ${body.from}-${body.size - 1}/${body.size}`;
      headers["x-content-sha256"] = body.sha256;
    }
    return new Promise((resolve, reject) => {
      const send = url.protocol === "https:" ? httpsRequest : httpRequest;
      const request = send(url, { method, headers, signal: this.abort.signal }, (response) => {
        readAnswer(response).then((answer) => {
          const status = response.statusCode ?? 0;
          if (status === 200 || status === 201) return resolve(answer as unknown as ArchiveStatus);
          // Out of step (another piece, or the archive restarted): the caller asks again where to go on from.
          if (status === 409 && typeof answer.received === "number") {
            return resolve({ received: answer.received, complete: false, sha256: null });
          }
          reject(new UploadError(`${method} ${status}: ${String(answer.detail ?? "no detail")}`));
        }, reject);
      });
      request.setTimeout(SOCKET_IDLE_MS, () => request.destroy(new UploadError("the archive stopped answering")));
      request.on("error", reject);
      if (!body) return void request.end();
      pipeline(createReadStream(body.path, { start: body.from }), request).catch(reject);
    });
  }

  /** A file's sha256, read once per size and modification time. */
  private async sha256Of(path: string): Promise<string> {
    const { size, mtimeMs } = await stat(path);
    const known = this.hashes.get(path);
    if (known && known.size === size && known.mtimeMs === mtimeMs) return known.sha256;
    const hash = createHash("sha256");
    await pipeline(createReadStream(path), hash);
    const sha256 = hash.digest("hex");
    this.hashes.set(path, { size, mtimeMs, sha256 });
    return sha256;
  }
}

async function readAnswer(response: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  try {
    const answer = JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown;
    return typeof answer === "object" && answer !== null ? (answer as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch {
    return [];
  }
}

async function sizeOf(path: string): Promise<number | null> {
  try {
    return (await stat(path)).size;
  } catch {
    return null;
  }
}

/** Whether a sidecar says its segment is closed (the worker is done with it). */
async function finished(sidecar: string): Promise<boolean> {
  try {
    const content = JSON.parse(await readFile(sidecar, "utf8")) as { version?: unknown; closed?: unknown };
    return content.version === 1 && typeof content.closed === "string";
  } catch {
    return false;
  }
}
