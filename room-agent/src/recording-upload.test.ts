// The uploader against a small archive on a real socket that says what a real one would (and misbehaves on request):
// it sends only what the archive lacks, retries with a growing wait, and deletes its copy only after the archive
// confirmed the same sha256.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { waitFor } from "../../test/support/wait-for.ts";
import { RecordingUpload, retryDelayMs } from "./recording-upload.ts";

const sha = (data: Buffer | string) => createHash("sha256").update(data).digest("hex");

interface FakeFile {
  data: Buffer;
  complete: boolean;
}

/** The archive's side of the wire, in memory; `misbehave` may answer a request instead of it. */
class FakeArchive {
  readonly files = new Map<string, FakeFile>();
  readonly requests: { method: string; file: string; range?: string; auth?: string }[] = [];
  misbehave: ((request: IncomingMessage, response: ServerResponse) => boolean) | undefined;
  /** Answers a complete segment's sha256 as this instead of the real one. */
  lie: string | undefined;
  private server: Server | undefined;
  url = "";

  async start() {
    this.server = createServer((request, response) => void this.handle(request, response));
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  stop() {
    this.server?.closeAllConnections();
    return new Promise((resolve) => this.server?.close(resolve));
  }

  private async handle(request: IncomingMessage, response: ServerResponse) {
    const file = decodeURIComponent(request.url!.replace("/api/archive/uploads/", ""));
    this.requests.push({
      method: request.method!,
      file,
      range: request.headers["content-range"],
      auth: request.headers.authorization,
    });
    const body: Buffer[] = [];
    for await (const chunk of request) body.push(chunk as Buffer);
    if (this.misbehave?.(request, response)) return;
    const stored = this.files.get(file) ?? { data: Buffer.alloc(0), complete: false };
    const answer = (status: number, content: object) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify(content));
    };
    const status = () => ({
      received: stored.data.length,
      complete: stored.complete,
      sha256: stored.complete ? ((file.endsWith(".mkv") ? this.lie : undefined) ?? sha(stored.data)) : null,
    });
    if (request.method === "GET") return answer(200, status());
    const [, start, , total] = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(request.headers["content-range"]!)!.map(Number);
    if (start !== stored.data.length) return answer(409, { detail: "out of step", received: stored.data.length });
    stored.data = Buffer.concat([stored.data, ...body]);
    this.files.set(file, stored);
    if (stored.data.length < total!) return answer(200, status());
    if (sha(stored.data) !== request.headers["x-content-sha256"]) {
      this.files.delete(file);
      return answer(422, { detail: "sha256 mismatch" });
    }
    stored.complete = true;
    answer(201, status());
  }
}

let dir = "";
let archive: FakeArchive;
let upload: RecordingUpload | undefined;
let changes = 0;
const segmentData = Buffer.from(Array.from({ length: 200_000 }, (_, index) => index % 253));

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "rc-upload-"));
  archive = new FakeArchive();
  await archive.start();
  changes = 0;
});
afterEach(async () => {
  await upload?.stop();
  upload = undefined;
  await archive.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A segment and its sidecar in {dir}/{session}/{room}/, finished unless `closed` is null. */
function segment(name: string, closed: string | null = "split", session = "phien-1") {
  const folder = join(dir, session, "xa-an-phu");
  mkdirSync(folder, { recursive: true });
  const path = join(folder, `${name}.mkv`);
  writeFileSync(path, segmentData);
  const sidecar = { version: 1, session, room: "xa-an-phu", file: `${name}.mkv`, start: "", end: "", cuts: [], closed };
  writeFileSync(join(folder, `${name}.json`), JSON.stringify(sidecar));
  return { path, sidecar: join(folder, `${name}.json`) };
}

/** Nothing left to send: the segment is deleted first, then its sidecar, then it leaves the backlog. */
const done = () => upload?.uploads().pending === 0;

function startUpload() {
  upload = new RecordingUpload({
    archiveUrl: archive.url,
    room: "xa-an-phu",
    username: "xa-an-phu",
    password: "mat-khau",
    folders: [dir],
    log: pino({ level: "silent" }),
    changed: () => changes++,
    backoff: { firstMs: 20, maxMs: 80 },
    scanEveryMs: 60_000,
  });
  upload.start();
  return upload;
}

describe("recording upload", () => {
  it("sends the sidecar then the segment, with the room's login, and deletes both once the sha256 is confirmed", async () => {
    const { path, sidecar } = segment("20270120T013000Z_0");
    const open = segment("20270120T013000Z_1", null);
    startUpload();
    await waitFor("the segment deleted after its confirmation", () => !existsSync(path) && done(), 5000);
    expect(existsSync(sidecar)).toBe(false);
    expect(archive.files.get("phien-1/xa-an-phu/20270120T013000Z_0.mkv")?.data.equals(segmentData)).toBe(true);
    expect(archive.requests.map(({ method, file }) => `${method} ${file}`)).toEqual([
      "GET phien-1/xa-an-phu/20270120T013000Z_0.json",
      "PUT phien-1/xa-an-phu/20270120T013000Z_0.json",
      "GET phien-1/xa-an-phu/20270120T013000Z_0.mkv",
      "PUT phien-1/xa-an-phu/20270120T013000Z_0.mkv",
    ]);
    expect(archive.requests[0]!.auth).toBe(`Basic ${Buffer.from("xa-an-phu:mat-khau").toString("base64")}`);
    // The open segment is the worker's still: untouched, not sent.
    expect(existsSync(open.path) && existsSync(open.sidecar)).toBe(true);
    expect(upload!.uploads()).toEqual({ pending: 0, bytesPending: 0, lastError: null });
    expect(changes).toBeGreaterThan(0);
  });

  it("goes on from the bytes the archive has, never sending them again", async () => {
    const { path } = segment("20270120T013000Z_0");
    archive.files.set("phien-1/xa-an-phu/20270120T013000Z_0.mkv", {
      data: segmentData.subarray(0, 150_000),
      complete: false,
    });
    startUpload();
    await waitFor("the segment deleted after its confirmation", () => !existsSync(path) && done(), 5000);
    const put = archive.requests.find(({ method, file }) => method === "PUT" && file.endsWith(".mkv"));
    expect(put?.range).toBe("bytes 150000-199999/200000");
  });

  it("retries with a growing wait while the archive fails, keeping its copy, then gets through", async () => {
    const { path } = segment("20270120T013000Z_0");
    const failedAt: number[] = [];
    archive.misbehave = (_request, response) => {
      if (failedAt.length >= 4) return false;
      failedAt.push(Date.now());
      response.writeHead(503).end();
      return true;
    };
    startUpload();
    await waitFor("two failed attempts", () => failedAt.length >= 2, 5000, 5);
    expect(existsSync(path)).toBe(true);
    expect(upload!.uploads()).toMatchObject({
      pending: 1,
      bytesPending: segmentData.length,
      lastError: expect.stringMatching(/503/),
    });
    await waitFor("the segment deleted after its confirmation", () => !existsSync(path) && done(), 5000);
    const waits = failedAt.slice(1).map((at, index) => at - failedAt[index]!);
    expect(waits[0]).toBeGreaterThanOrEqual(15);
    expect(waits[2]).toBeGreaterThanOrEqual(60); // 20, 40, 80 ms ±20 %
    expect(upload!.uploads().lastError).toBeNull();
  });

  it("keeps its copy when the archive refuses the checksum or confirms another sha256, and tries again", async () => {
    const { path, sidecar } = segment("20270120T013000Z_0");
    let refusals = 0;
    archive.misbehave = (request, response) => {
      if (request.method !== "PUT" || !request.url!.endsWith(".mkv") || refusals >= 2) return false;
      refusals++;
      response.writeHead(422, { "content-type": "application/problem+json" });
      response.end(JSON.stringify({ detail: "sha256 mismatch" }));
      return true;
    };
    archive.lie = sha("not this file");
    startUpload();
    const archived = () => archive.files.get("phien-1/xa-an-phu/20270120T013000Z_0.mkv")?.complete === true;
    await waitFor("two refusals, then the file archived", () => refusals >= 2 && archived(), 5000);
    await waitFor("the other sha256 reported", () => upload!.uploads().lastError?.includes("not this copy's"), 5000);
    expect(existsSync(path) && existsSync(sidecar)).toBe(true);
    archive.lie = undefined; // the archive now says the truth: confirmed, deleted
    await waitFor("the segment deleted after its confirmation", () => !existsSync(path) && done(), 5000);
  });

  it("finds a segment closed later, when told one closed", async () => {
    startUpload();
    await upload!.idle();
    const { path } = segment("20270120T020000Z_0");
    upload!.segmentClosed();
    await waitFor("the segment deleted after its confirmation", () => !existsSync(path) && done(), 5000);
  });
});

describe("retry delay", () => {
  it("doubles from the first wait up to the cap, with ±20 % jitter", () => {
    const backoff = { firstMs: 1000, maxMs: 300_000 };
    expect([1, 2, 3, 4].map((failures) => retryDelayMs(failures, backoff, () => 0.5))).toEqual([
      1000, 2000, 4000, 8000,
    ]);
    expect(retryDelayMs(30, backoff, () => 0.5)).toBe(300_000);
    expect(retryDelayMs(1, backoff, () => 0)).toBe(800);
    expect(retryDelayMs(1, backoff, () => 1)).toBe(1200);
  });
});
