// REST of the recording archive (issue 13 part 6). Agents upload with their room's broker login (HTTP Basic):
//   GET|HEAD /api/archive/uploads/:session/:room/:file   how much the archive has ({received, complete, sha256})
//   PUT      /api/archive/uploads/:session/:room/:file   a piece: Content-Range bytes START-END/TOTAL, X-Content-SHA256
// People (a confidential session's recordings: admin and its points' operators alone, access.ts):
//   GET  /api/sessions/:id/recordings · GET /api/recordings/:id/file (HTTP Range)
//   POST /api/recordings/:id/hold · POST /api/sessions/:id/recordings/hold   {hold: boolean, reason?}
import { createReadStream } from "node:fs";
import { describeZodError } from "@rc/protocol";
import express, { type Request, type Response, type Router } from "express";
import type { Logger } from "pino";
import { z } from "zod";
import { mayReadRecordings } from "./access.ts";
import {
  invalidKey,
  parseRange,
  type RecordingArchive,
  type RecordingEntry,
  SHA256_PATTERN,
  type UploadKey,
} from "./archive.ts";
import { actorOf, callerOf } from "./auth.ts";
import { ConnectRateLimit } from "./connection-guard.ts";
import { type PasswordHash, VerifiedPasswords } from "./credentials.ts";
import { jsonBody } from "./json-body.ts";
import { problemRoute, sendProblem } from "./problem.ts";
import type { Store } from "./store.ts";

export interface ArchiveRouteParts {
  archive: RecordingArchive;
  store: Store;
  log: Logger;
}

export const holdBody = z.strictObject({ hold: z.boolean(), reason: z.string().max(500).optional() });

/** `bytes START-END/TOTAL` → the piece's start, length and total; undefined when it is not that. */
function contentRange(header: string | undefined): { start: number; length: number; total: number } | undefined {
  const match = /^bytes (\d{1,15})-(\d{1,15})\/(\d{1,15})$/.exec(header ?? "");
  if (!match) return undefined;
  const [start, end, total] = [Number(match[1]), Number(match[2]), Number(match[3])];
  return end < start ? undefined : { start, length: end - start + 1, total };
}

export function archiveRoutes({ archive, store, log }: ArchiveRouteParts): Router {
  const router = express.Router();
  // Proofs of passwords already checked, in memory: a resumed upload costs a keyed hash, not another scrypt.
  const passwords = new VerifiedPasswords();
  // Before a login is proven, each try may cost a scrypt: an address gets a few, as at the broker.
  const unproven = new ConnectRateLimit({ burst: 20, perSecond: 5 });

  /** The room whose broker login the request carries, after answering 401/403 when it may not upload here. */
  const uploader = async (request: Request, response: Response, key: UploadKey): Promise<boolean> => {
    const match = /^Basic ([A-Za-z0-9+/=]+)$/.exec(request.headers.authorization ?? "");
    const decoded = match ? Buffer.from(match[1]!, "base64").toString("utf8") : "";
    const colon = decoded.indexOf(":");
    const [login, password] = colon > 0 ? [decoded.slice(0, colon), decoded.slice(colon + 1)] : ["", ""];
    // Own members only: a login such as "__proto__" finds nothing. Only rooms upload, never the controller's login.
    const address = request.socket.remoteAddress ?? "";
    if (!unproven.take(address)) {
      log.warn({ ip: address }, "archive upload refused: too many logins from this address");
      response.setHeader("Retry-After", "1");
      sendProblem(response, 429, "rate_limited", "too many uploads not yet logged in from this address: retry later");
      return false;
    }
    const rooms = store.data.rooms;
    const credentials = store.data.credentials as Record<string, PasswordHash>;
    const known = Object.hasOwn(rooms, login) && Object.hasOwn(credentials, login);
    if (!known || !(await passwords.verify(login, password, credentials[login]))) {
      log.warn({ login: login.slice(0, 64), ip: request.ip }, "archive upload refused: bad login");
      response.setHeader("WWW-Authenticate", 'Basic realm="archive", charset="UTF-8"');
      sendProblem(response, 401, "unauthorized", "the room's broker login is needed to upload");
      return false;
    }
    unproven.giveBack(address);
    if (login !== key.room) {
      log.warn({ login, room: key.room, file: key.file }, "archive upload refused: another room's login");
      sendProblem(response, 403, "forbidden", `room ${login} may upload only its own recordings, not ${key.room}'s`);
      return false;
    }
    return true;
  };

  const keyOf = (request: Request, response: Response): UploadKey | undefined => {
    const key = {
      session: String(request.params.session),
      room: String(request.params.room),
      file: String(request.params.file),
    };
    const invalid = invalidKey(key);
    if (!invalid) return key;
    sendProblem(response, 400, "invalid_params", invalid, invalid.slice(0, invalid.indexOf(":")));
    return undefined;
  };

  const uploadPath = "/api/archive/uploads/:session/:room/:file";
  router.get(
    uploadPath,
    problemRoute(async (request, response) => {
      const key = keyOf(request, response);
      if (!key || !(await uploader(request, response, key))) return;
      const status = await archive.status(key);
      response.setHeader("Upload-Offset", String(status.received));
      response.json(status);
    }),
  );

  router.put(
    uploadPath,
    problemRoute(async (request, response) => {
      const key = keyOf(request, response);
      if (!key || !(await uploader(request, response, key))) return;
      const range = contentRange(request.headers["content-range"]);
      if (!range) {
        return sendProblem(
          response,
          400,
          "invalid_params",
          "Content-Range: expected bytes START-END/TOTAL",
          "Content-Range",
        );
      }
      if (Number(request.headers["content-length"]) !== range.length) {
        return sendProblem(
          response,
          400,
          "invalid_params",
          "Content-Length must be the piece's length",
          "Content-Length",
        );
      }
      const sha256 = String(request.headers["x-content-sha256"] ?? "");
      if (!SHA256_PATTERN.test(sha256)) {
        return sendProblem(
          response,
          400,
          "invalid_params",
          "X-Content-SHA256: expected 64 lower-case hex digits",
          "X-Content-SHA256",
        );
      }
      if (range.start > 0)
        log.info({ file: `${key.session}/${key.room}/${key.file}`, from: range.start }, "archive upload resumed");
      const status = await archive.receive(key, { ...range, sha256 }, request);
      response.setHeader("Upload-Offset", String(status.received));
      response.status(status.complete ? 201 : 200).json(status);
    }),
  );

  const sessionOf = (id: string) => (Object.hasOwn(store.data.sessions, id) ? store.data.sessions[id] : undefined);
  const view = (entry: RecordingEntry) => ({
    ...entry,
    hold: archive.holdOf(entry),
    url: `/api/recordings/${encodeURIComponent(entry.id)}/file`,
  });

  router.get(
    "/api/sessions/:id/recordings",
    problemRoute((request, response) => {
      const id = String(request.params.id);
      const session = sessionOf(id);
      const recordings = archive.list(id);
      if (!session && recordings.length === 0) return sendProblem(response, 404, "not_found", `no session "${id}"`);
      if (!mayReadRecordings(callerOf(request)!, session)) {
        return sendProblem(response, 403, "forbidden", "the recordings of a confidential session are restricted");
      }
      response.json({ session: id, hold: archive.sessionHold(id), recordings: recordings.map(view) });
    }),
  );

  const recordingOf = (request: Request, response: Response): RecordingEntry | undefined => {
    const entry = archive.get(String(request.params.id));
    if (!entry) return void sendProblem(response, 404, "not_found", `no recording "${String(request.params.id)}"`);
    if (!mayReadRecordings(callerOf(request)!, sessionOf(entry.session))) {
      return void sendProblem(response, 403, "forbidden", "the recordings of a confidential session are restricted");
    }
    return entry;
  };

  router.get(
    "/api/recordings/:id/file",
    problemRoute((request, response) => {
      const entry = recordingOf(request, response);
      if (!entry) return;
      const range = parseRange(request.headers.range, entry.bytes);
      response.setHeader("Accept-Ranges", "bytes");
      response.setHeader("Content-Type", "video/x-matroska");
      response.setHeader("ETag", `"${entry.sha256}"`);
      response.setHeader("Content-Disposition", `inline; filename="${entry.session}-${entry.room}-${entry.file}"`);
      if (range === "unsatisfiable") {
        response.setHeader("Content-Range", `bytes */${entry.bytes}`);
        return sendProblem(response, 416, "invalid_params", `the file has ${entry.bytes} bytes`, "Range");
      }
      const { start, end } = range ?? { start: 0, end: entry.bytes - 1 };
      if (range) {
        response.status(206);
        response.setHeader("Content-Range", `bytes ${start}-${end}/${entry.bytes}`);
      }
      response.setHeader("Content-Length", String(end - start + 1));
      if (request.method === "HEAD") return void response.end();
      const file = createReadStream(archive.filePath(entry), { start, end });
      file.on("error", (error) => {
        log.error({ recording: entry.id, err: error.message }, "archived file unreadable");
        response.destroy(error);
      });
      file.pipe(response);
    }),
  );

  router.post(
    "/api/recordings/:id/hold",
    ...jsonBody("8kb"),
    problemRoute(async (request, response) => {
      const body = holdBody.safeParse(request.body ?? {});
      if (!body.success) return sendProblem(response, 400, "invalid_params", describeZodError(body.error), "hold");
      const entry = recordingOf(request, response);
      if (!entry) return;
      const hold = body.data.hold
        ? { at: new Date().toISOString(), by: actorOf(request), reason: body.data.reason ?? null }
        : null;
      response.json(view(await archive.holdRecording(entry.id, hold)));
    }),
  );

  router.post(
    "/api/sessions/:id/recordings/hold",
    ...jsonBody("8kb"),
    problemRoute(async (request, response) => {
      const body = holdBody.safeParse(request.body ?? {});
      if (!body.success) return sendProblem(response, 400, "invalid_params", describeZodError(body.error), "hold");
      const id = String(request.params.id);
      if (!sessionOf(id) && archive.list(id).length === 0)
        return sendProblem(response, 404, "not_found", `no session "${id}"`);
      const hold = body.data.hold
        ? { at: new Date().toISOString(), by: actorOf(request), reason: body.data.reason ?? null }
        : null;
      await archive.holdSession(id, hold);
      response.json({ session: id, hold });
    }),
  );

  return router;
}
