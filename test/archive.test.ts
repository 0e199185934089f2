// The hearing's record reaches the centre (issue 13 part 6): a real controller with its embedded broker, the real
// agent (as a process with --archive-url, and its uploader in this process where the wire must misbehave) and real
// files. Uploads complete with matching sha256; a connection cut mid-file resumes without sending everything again;
// bytes damaged on the way are refused and sent again while the agent keeps its copy; another room's login is
// refused; ranges read the right bytes; half a file is never listed.
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RecordingUpload } from "../room-agent/src/recording-upload.ts";
import { startTs, stopAll } from "./support/processes.ts";
import { TcpRelay } from "./support/tcp-relay.ts";
import { TestSite } from "./support/test-site.ts";
import { waitFor } from "./support/wait-for.ts";

const ROOM = "xa-an-phu";
const OTHER = "xa-khac";
const SESSION = "phien-luu-tru";
const sha = (data: Buffer) => createHash("sha256").update(data).digest("hex");
const basic = (login: string, password: string) => `Basic ${Buffer.from(`${login}:${password}`).toString("base64")}`;

let site: TestSite;
let recordings = "";

/** A segment and its finished sidecar under {recordings}/{session}/{room}/; returns the segment's bytes. */
function segment(name: string, data: Buffer, closed: string | null = "split", session = SESSION): Buffer {
  const folder = join(recordings, session, ROOM);
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, `${name}.mkv`), data);
  const start = "2027-01-20T01:30:00.000Z";
  const sidecar = {
    version: 1,
    session,
    room: ROOM,
    file: `${name}.mkv`,
    start,
    end: "2027-01-20T01:30:01.000Z",
    camera: "cam-a",
    cuts: [],
    closed,
  };
  writeFileSync(join(folder, `${name}.json`), JSON.stringify(sidecar));
  return data;
}
const segmentPath = (name: string, session = SESSION) => join(recordings, session, ROOM, `${name}.mkv`);

/** A one-second H.264 Matroska file made by GStreamer, as the media worker's recorder makes them. */
function realMkv(): Buffer {
  const file = join(recordings, "made.mkv");
  execFileSync("gst-launch-1.0", [
    "-q",
    "videotestsrc",
    "num-buffers=25",
    "!",
    "x264enc",
    "!",
    "matroskamux",
    "!",
    "filesink",
    `location=${file}`,
  ]);
  const data = readFileSync(file);
  rmSync(file);
  return data;
}

async function listing(session = SESSION) {
  const response = await site.fetch(`/api/sessions/${session}/recordings`);
  return { status: response.status, body: (await response.json()) as { recordings: Record<string, unknown>[] } };
}

/** The agent's uploader in this process, through `archiveUrl`, logging into `lines`. */
function uploader(archiveUrl: string, lines: string[], login = ROOM) {
  const log = pino({ level: "info" }, { write: (line: string) => void lines.push(line) });
  return new RecordingUpload({
    archiveUrl,
    room: ROOM,
    username: login,
    password: site.room(login).password,
    folders: [recordings],
    log,
    changed: () => {},
    backoff: { firstMs: 100, maxMs: 400 },
  });
}

describe("recording archive", () => {
  beforeAll(async () => {
    recordings = mkdtempSync(join(tmpdir(), "rc-recordings-"));
    site = await TestSite.create("embedded", [ROOM, OTHER], {
      // The media device only says where the recordings are: disabled, so no media worker starts.
      extend: () => ({ devices: [{ id: "media", kind: "media", enabled: false, recordings: { dir: recordings } }] }),
    });
  });

  afterAll(async () => {
    await stopAll();
    await site?.stop();
    rmSync(recordings, { recursive: true, force: true });
  });

  it("the agent uploads finished segments with --archive-url; sha256 matches; it deletes its copy only then; ranges read the right bytes", async () => {
    const video = segment("20270120T013000Z_0", realMkv());
    segment("20270120T013000Z_1", randomBytes(1000), null);
    const agent = startTs("agent", "room-agent/src/cli.ts", [...site.agentArgs(ROOM), "--archive-url", site.httpUrl]);
    await agent.waitForLine(/local copy and sidecar deleted/, 20_000);
    expect(existsSync(segmentPath("20270120T013000Z_0"))).toBe(false);
    expect(existsSync(segmentPath("20270120T013000Z_1"))).toBe(true); // still open: the worker's
    expect(agent.lines.join("\n")).not.toContain(site.room(ROOM).password);
    await agent.stop();

    const { status, body } = await listing();
    expect(status).toBe(200);
    expect(body.recordings).toHaveLength(1);
    const [recording] = body.recordings as { id: string; url: string; tracks: { type: string; codec: string }[] }[];
    expect(recording).toMatchObject({
      room: ROOM,
      bytes: video.length,
      sha256: sha(video),
      start: "2027-01-20T01:30:00.000Z",
      camera: "cam-a",
    });
    expect(recording!.tracks).toEqual([expect.objectContaining({ type: "video", codec: "h264" })]);

    const file = `${site.httpUrl}${recording!.url}`;
    const whole = await site.fetch(file);
    expect(whole.status).toBe(200);
    expect(whole.headers.get("content-type")).toBe("video/x-matroska");
    expect(whole.headers.get("accept-ranges")).toBe("bytes");
    expect(Buffer.from(await whole.arrayBuffer()).equals(video)).toBe(true);
    const first = await site.fetch(file, { headers: { range: "bytes=0-99" } });
    expect(first.status).toBe(206);
    expect(first.headers.get("content-range")).toBe(`bytes 0-99/${video.length}`);
    expect(Buffer.from(await first.arrayBuffer()).equals(video.subarray(0, 100))).toBe(true);
    const tail = await site.fetch(file, { headers: { range: "bytes=-10" } });
    expect(tail.headers.get("content-range")).toBe(`bytes ${video.length - 10}-${video.length - 1}/${video.length}`);
    expect(Buffer.from(await tail.arrayBuffer()).equals(video.subarray(-10))).toBe(true);
    const middle = await site.fetch(file, { headers: { range: "bytes=1000-" } });
    expect(Buffer.from(await middle.arrayBuffer()).equals(video.subarray(1000))).toBe(true);
    const past = await site.fetch(file, { headers: { range: `bytes=${video.length}-` } });
    expect(past.status).toBe(416);
    expect(past.headers.get("content-range")).toBe(`bytes */${video.length}`);
  });

  it("an upload cut mid-file resumes where the archive stopped, without sending everything again", async () => {
    const data = segment("20270120T014000Z_0", randomBytes(8 * 1024 * 1024));
    const relay = new TcpRelay();
    await relay.start(new URL(site.httpUrl));
    relay.cutAt = 3 * 1024 * 1024;
    const lines: string[] = [];
    const upload = uploader(relay.url, lines);
    upload.start();
    try {
      await waitFor("the segment archived and deleted", () => !existsSync(segmentPath("20270120T014000Z_0")), 20_000);
    } finally {
      await upload.stop();
      await relay.stop();
    }
    const resumed = site.controllerLog.filter(
      (line) => line.includes("archive upload resumed") && line.includes("20270120T014000Z_0.mkv"),
    );
    expect(resumed).toHaveLength(1);
    expect(JSON.parse(resumed[0]!).from).toBeGreaterThan(1024 * 1024);
    expect(relay.forwarded).toBeLessThan(data.length * 1.5);
    const entry = (await listing()).body.recordings.find((recording) => recording.file === "20270120T014000Z_0.mkv");
    expect(entry).toMatchObject({ bytes: data.length, sha256: sha(data) });
    expect(lines.join("\n")).toMatch(/sha256 confirmed by the controller/);
  });

  it("bytes damaged on the way are refused (422), the agent keeps its copy and sends it again", async () => {
    const data = segment("20270120T015000Z_0", randomBytes(2 * 1024 * 1024));
    const relay = new TcpRelay();
    await relay.start(new URL(site.httpUrl));
    relay.damageAt = 1024 * 1024;
    const lines: string[] = [];
    const upload = uploader(relay.url, lines);
    upload.start();
    try {
      await waitFor("the refusal", () => upload.uploads().lastError?.includes("422"), 20_000);
      expect(existsSync(segmentPath("20270120T015000Z_0"))).toBe(true);
      expect(site.controllerLog.some((line) => line.includes("sha256 is not the one declared"))).toBe(true);
      await waitFor("the segment archived and deleted", () => !existsSync(segmentPath("20270120T015000Z_0")), 20_000);
    } finally {
      await upload.stop();
      await relay.stop();
    }
    const entry = (await listing()).body.recordings.find((recording) => recording.file === "20270120T015000Z_0.mkv");
    expect(entry).toMatchObject({ sha256: sha(data) });

    // Said straight to the archive: a wrong sha256 is refused, and nothing of the file is kept.
    const url = `${site.httpUrl}/api/archive/uploads/${SESSION}/${ROOM}/20270120T016000Z_0.json`;
    const headers = { authorization: basic(ROOM, site.room(ROOM).password) };
    const wrong = await fetch(url, {
      method: "PUT",
      headers: { ...headers, "content-range": "bytes 0-1/2", "x-content-sha256": "0".repeat(64) },
      body: "{}",
    });
    expect(wrong.status).toBe(422);
    expect(wrong.headers.get("content-type")).toMatch(/problem\+json/);
    expect(await (await fetch(url, { headers })).json()).toEqual({ received: 0, complete: false, sha256: null });
  });

  it("another room's login is refused (403) and logged, a wrong password too (401); the agent keeps its copy", async () => {
    segment("20270120T017000Z_0", randomBytes(1000));
    const url = `${site.httpUrl}/api/archive/uploads/${SESSION}/${ROOM}/20270120T017000Z_0.json`;
    const other = await fetch(url, { headers: { authorization: basic(OTHER, site.room(OTHER).password) } });
    expect(other.status).toBe(403);
    expect(site.controllerLog.some((line) => line.includes("another room's login") && line.includes(OTHER))).toBe(true);
    expect((await fetch(url, { headers: { authorization: basic(ROOM, "wrong") } })).status).toBe(401);
    expect((await fetch(url)).status).toBe(401);
    expect(
      (await fetch(url, { headers: { authorization: basic("controller", site.controllerPassword) } })).status,
    ).toBe(401);
    expect(site.controllerLog.join("\n")).not.toContain(site.room(OTHER).password);

    const lines: string[] = [];
    const upload = uploader(site.httpUrl, lines, OTHER);
    upload.start();
    try {
      await waitFor("the refusal", () => upload.uploads().lastError?.includes("403"), 10_000);
    } finally {
      await upload.stop();
    }
    expect(existsSync(segmentPath("20270120T017000Z_0"))).toBe(true);
    rmSync(segmentPath("20270120T017000Z_0"));
    rmSync(segmentPath("20270120T017000Z_0").replace(/mkv$/, "json"));
  });

  it("half a file is never listed, and names that climb out of their folder are refused", async () => {
    const headers = { authorization: basic(ROOM, site.room(ROOM).password) };
    const base = `${site.httpUrl}/api/archive/uploads/${SESSION}/${ROOM}`;
    const half = await fetch(`${base}/20270120T018000Z_0.json`, {
      method: "PUT",
      headers: { ...headers, "content-range": "bytes 0-9/20", "x-content-sha256": "0".repeat(64) },
      body: "0123456789",
    });
    expect(await half.json()).toEqual({ received: 10, complete: false, sha256: null });
    const files = (await listing()).body.recordings.map((recording) => recording.file);
    expect(files).not.toContain("20270120T018000Z_0.mkv");
    expect(files.some((file) => String(file).includes("part"))).toBe(false);
    for (const bad of [
      `${SESSION}/${ROOM}/..%2Fx.mkv`,
      `..%2F..%2Fetc/${ROOM}/x.mkv`,
      `${SESSION}/${ROOM}/x.mkv.part`,
      `__proto__/${ROOM}/x.mkv`,
    ]) {
      const response = await fetch(`${site.httpUrl}/api/archive/uploads/${bad}`, { headers });
      expect(response.status, bad).toBe(400);
    }
    expect((await site.fetch("/api/recordings/__proto__/file")).status).toBe(404);
    expect((await listing("khong-co")).status).toBe(404);
  });

  // Last: it spends this address's budget of unproven logins (127.0.0.1 for every test here).
  it("logins not yet proven are limited per address before any scrypt (429), and a room's proven login is not", async () => {
    const url = `${site.httpUrl}/api/archive/uploads/${SESSION}/${ROOM}/20270120T019000Z_0.json`;
    // All at once, as a flood comes: the address's burst reaches scrypt, the rest is refused before it.
    const statuses = await Promise.all(
      Array.from({ length: 60 }, async (_, i) => {
        const response = await fetch(url, { headers: { authorization: basic(ROOM, `wrong-${i}`) } });
        return response.status;
      }),
    );
    expect(statuses.filter((status) => status === 401).length).toBeGreaterThan(0);
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThan(0);
    expect(site.controllerLog.some((line) => line.includes("too many logins from this address"))).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 1000)); // a few tokens back
    const proven = await fetch(url, { headers: { authorization: basic(ROOM, site.room(ROOM).password) } });
    expect(proven.status).toBe(200);
  });
});
