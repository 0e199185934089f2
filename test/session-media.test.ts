// A reception session through the controller with real media (issue 13, "Done when"): the real controller with its
// embedded broker, a real agent process with its media worker for each point, and gst-launch-1.0 as a guest point
// (not our code). Each point is a colour and a tone. Through the REST API: create → start → every link up → every
// point sees the others (decoded pictures: the host's session program, a grid with the one speaking large) and
// hears the others but not itself (its sound track, measured by GStreamer's spectrum) → a point joins mid-session →
// the host's media worker is SIGKILLed and its upload cut mid-file → two minutes after the start, end → desired
// cleared everywhere → every closed segment in the archive with its sha256, readable by ffprobe with all its tracks,
// and the session program's segments covering the session.
import type { ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import type { EventPayload, RoomView } from "@rc/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mixMinusPid, SESSION_PROGRAM_FILE } from "../room-agent/src/media-worker/launch-lines.ts";
import { mediaWorkerOn } from "./support/process-table.ts";
import { type ManagedProcess, startTs, stopAll } from "./support/processes.ts";
import { inspectRecording, probeStreams } from "./support/recording-inspector.ts";
import { guestEncoder, hearTones } from "./support/sound-judge.ts";
import { TcpRelay } from "./support/tcp-relay.ts";
import { SITE_CAMERA_PASSWORD, TestSite } from "./support/test-site.ts";
import { testUdpPorts } from "./support/udp-ports.ts";
import { waitFor } from "./support/wait-for.ts";

const HOST = "tinh";
const COMPONENT = "huyen";
const JOINER = "xa";
const GUEST = "khach-1";
const GUEST_PASSPHRASE = "khach-thanh-tra-cp-2027";
/** Each point's picture and tone; the component speaks loudest, so the host's session program shows it large. */
const POINTS: Record<string, { colour: string; hz: number; volume: number }> = {
  [HOST]: { colour: "red", hz: 525, volume: 0.05 },
  [COMPONENT]: { colour: "blue", hz: 1025, volume: 0.3 },
  [JOINER]: { colour: "green", hz: 1525, volume: 0.05 },
  [GUEST]: { colour: "yellow", hz: 2025, volume: 0.05 },
};
const FREQUENCIES = Object.values(POINTS).map((point) => point.hz);
/** Measured in the media driver's test: a quiet tone heard at about -39 dB; a point's own tone, absent, under -65. */
const PRESENT_DB = -50;
const ABSENT_DB = -60;
const SESSION_S = 120;

/** A cell of an 8×8 picture as a colour name. */
function colourOf([r, g, b]: number[]): string {
  if (r! > 180 && g! > 180 && b! < 80) return "yellow";
  if (r! > 180 && g! < 80 && b! < 80) return "red";
  if (b! > 180 && r! < 80 && g! < 80) return "blue";
  if (g! > 180 && r! < 80 && b! < 80) return "green";
  return `rgb(${r},${g},${b})`;
}
/** The session program as a viewer sees it: the large picture and the tiles along the bottom (quarter-size each). */
const grid = (cells: number[][], tiles: number) => ({
  large: colourOf(cells[2 * 8 + 3]!),
  tiles: Array.from({ length: tiles }, (_, index) => colourOf(cells[7 * 8 + 2 * index]!)),
});

describe("a reception session through the controller, with real media", () => {
  let site: TestSite;
  let relay: TcpRelay;
  let guest: ChildProcess;
  const ports: Record<string, number> = {};
  const agents: Record<string, ManagedProcess> = {};
  const events: Record<string, EventPayload[]> = {};
  let guestProgramPort = 0;
  let sessionId = "";
  let startedAt = 0;
  /** Each room's recordings folder is under it (the site's own folder is made with the site). */
  const recordings = mkdtempSync(join(tmpdir(), "rc-session-recordings-"));
  const recordingsOf = (room: string) => join(recordings, room);

  beforeAll(async () => {
    const free = await testUdpPorts(5);
    [HOST, COMPONENT, JOINER, GUEST].forEach((point, index) => {
      ports[point] = free[index]!;
    });
    guestProgramPort = free[4]!;
    site = await TestSite.create("embedded", [HOST, COMPONENT, JOINER], {
      extend: (room) => ({
        // DESIGN §3.2's probing: the site's quick 0.5 s would restart a media worker whenever the machine is slow.
        probe: { intervalMs: 2000, offlineAfter: 2 },
        devices: [
          {
            id: "media",
            kind: "media",
            video: { width: 640, height: 360, fps: 15, bitrateKbps: 800, keyframeS: 2 },
            audio: { input: `testsrc:${POINTS[room]!.hz}:${POINTS[room]!.volume}`, bitrateKbps: 64 },
            inputs: { camera: `testsrc:${POINTS[room]!.colour}` },
            srt: { bind: "127.0.0.1", port: ports[room]!, latencyMs: 120 },
            recordings: { dir: recordingsOf(room), segmentS: 600, minFreeMb: 1 },
            display: "none",
          },
        ],
      }),
    });
    // The level tree and the SRT listeners, as `controller rooms add --parent --srt` registers them.
    await site.controller.store.update((data) => {
      data.rooms[HOST]!.level = "province";
      for (const room of [COMPONENT, JOINER]) data.rooms[room]!.parent = HOST;
      for (const room of [HOST, COMPONENT, JOINER]) data.rooms[room]!.srt = { host: "127.0.0.1", port: ports[room]! };
    });
    guest = guestEncoder({
      port: ports[GUEST]!,
      passphrase: GUEST_PASSPHRASE,
      colour: "0xffffff00",
      hz: POINTS[GUEST]!.hz,
      volume: POINTS[GUEST]!.volume,
    });
    // The host uploads through a wire that will be cut once mid-file; the others straight to the controller.
    relay = new TcpRelay();
    await relay.start(new URL(site.httpUrl));
    relay.cutAt = 1024 * 1024;
    for (const room of [HOST, COMPONENT, JOINER]) {
      events[room] = await site.watchEvents(room);
      agents[room] = startTs(
        `agent ${room}`,
        "room-agent/src/cli.ts",
        [...site.agentArgs(room), "--keepalive", "2", "--archive-url", room === HOST ? relay.url : site.httpUrl],
        { RC_CAMERA_PASSWORD: SITE_CAMERA_PASSWORD },
      );
    }
    await waitFor(
      "every point's media ok",
      () => [HOST, COMPONENT, JOINER].every((room) => view(room)?.health.media?.status === "ok"),
      // Three media workers starting at once on a busy 2-core machine: each next try gets longer (startAllowanceMs).
      150_000,
    ).catch((error: Error) => {
      const health = [HOST, COMPONENT, JOINER].map((room) => `${room}: ${JSON.stringify(view(room)?.health.media)}`);
      const logs = Object.values(agents).map((agent) => `${agent.name}:\n${agent.lines.slice(-10).join("\n")}`);
      throw new Error(`${error.message}\n${health.join("\n")}\n${logs.join("\n")}`);
    });
  }, 200_000);

  afterAll(async () => {
    guest?.kill("SIGKILL");
    await stopAll();
    await relay?.stop();
    await site?.stop();
    rmSync(recordings, { recursive: true, force: true });
  });

  const view = (room: string): RoomView | undefined => site.controller.registry.get(room);
  const reading = (room: string, name: string) => view(room)?.state?.devices.media?.[name];
  const linkUp = (room: string, peer: string) => reading(room, `link.${peer}.status`) === "ok";
  /** What the host sends this room: its sound track, as the controller planned it, with the session's passphrase. */
  function soundTrackOf(room: string): { pid: number; passphrase: string } {
    const session = site.controller.desired.get(room).session!;
    return { pid: mixMinusPid(session.peers[0]!.soundTrack!), passphrase: session.passphrase };
  }
  /** The sound the host sends `room`, as a component's decoder gets it, heard by gst-launch-1.0. */
  async function heardAt(room: string) {
    const { pid, passphrase } = soundTrackOf(room);
    const url = `srt://127.0.0.1:${ports[HOST]}`;
    return (await hearTones({ url, passphrase, pid, frequencies: FREQUENCIES, seconds: 3 })).tones;
  }
  const snapshotCells = async (room: string, source: string) => {
    const answer = await site.post(room, { action: "media.snapshot", params: { device: "media", source } });
    return (answer.body.result as { cells?: number[][] } | undefined)?.cells;
  };
  /** Waits until `room` shows the session program with these tiles, the component large. */
  async function seesGrid(room: string, source: string, tiles: string[]) {
    const wanted = JSON.stringify({ large: POINTS[COMPONENT]!.colour, tiles });
    let seen = "nothing";
    await waitFor(
      `the session program at ${room}`,
      async () => {
        const cells = await snapshotCells(room, source);
        seen = cells ? JSON.stringify(grid(cells, tiles.length)) : "no picture";
        return seen === wanted;
      },
      30_000,
      500,
    ).catch(explain(`${room} saw ${seen}`));
  }
  /** A failed wait's error with what the points reported then: their links, and what else is said here. */
  const explain = (said: string) => (error: Error) => {
    const links = [HOST, COMPONENT, JOINER].flatMap((room) =>
      Object.entries(view(room)?.state?.devices.media ?? {})
        .filter(([name]) => /^(link|send)\..*\.(status|detail)$/.test(name))
        .map(([name, value]) => `${room} ${name}: ${value}`),
    );
    throw new Error(`${error.message}; ${said}\n${links.join("\n")}`);
  };

  it("create → start through REST → every link up at every point, the guest's too", async () => {
    const now = Date.now();
    const created = await site.call("POST", "/api/sessions", {
      title: "Tiếp công dân đột xuất",
      kind: "ad_hoc",
      start: new Date(now).toISOString(),
      end: new Date(now + 3600_000).toISOString(),
      host: HOST,
      points: [{ room: COMPONENT, head: "Chủ tịch UBND huyện" }],
      guests: [
        {
          id: GUEST,
          name: "Thanh tra Chính phủ",
          url: `srt://127.0.0.1:${ports[GUEST]}`,
          passphrase: GUEST_PASSPHRASE,
          programUrl: `srt://127.0.0.1:${guestProgramPort}`,
        },
      ],
      presiding: { name: "Nguyễn Văn A", title: "Chủ tịch UBND tỉnh" },
    });
    expect(created.status).toBe(201);
    sessionId = String(created.body.id);
    startedAt = Date.now();
    expect((await site.call("POST", `/api/sessions/${sessionId}/start`)).body).toMatchObject({ state: "live" });
    await waitFor(
      "every link up",
      () => linkUp(HOST, COMPONENT) && linkUp(HOST, GUEST) && linkUp(COMPONENT, HOST),
      60_000,
      200,
    );
    expect(view(HOST)?.state?.session).toEqual({ id: sessionId, role: "central" });
    expect(view(COMPONENT)?.state?.session).toEqual({ id: sessionId, role: "component" });
    await waitFor(
      "recording at both points",
      () => reading(HOST, "recording.on") && reading(COMPONENT, "recording.on"),
    );
  }, 90_000);

  it("every point sees the others, the one speaking large, and hears the others but not itself", async () => {
    const tiles = [POINTS[HOST]!.colour, POINTS[COMPONENT]!.colour, POINTS[GUEST]!.colour];
    await seesGrid(HOST, "display", tiles);
    await seesGrid(COMPONENT, HOST, tiles);
    // The guest's decoder: listening where the session says, as a hardware codec's would (the host calls it).
    const [atComponent, atGuest] = await Promise.all([
      heardAt(COMPONENT),
      hearTones({
        url: `srt://127.0.0.1:${guestProgramPort}?mode=listener`,
        passphrase: GUEST_PASSPHRASE,
        frequencies: FREQUENCIES,
        seconds: 3,
        waitS: 60,
        picture: true,
      }),
    ]);
    expect(atComponent[POINTS[HOST]!.hz], "the host at the component").toBeGreaterThan(PRESENT_DB);
    expect(atComponent[POINTS[GUEST]!.hz], "the guest at the component").toBeGreaterThan(PRESENT_DB);
    expect(atComponent[POINTS[COMPONENT]!.hz], "the component's own sound at the component").toBeLessThan(ABSENT_DB);
    expect(atGuest.tones[POINTS[HOST]!.hz], "the host at the guest").toBeGreaterThan(PRESENT_DB);
    expect(atGuest.tones[POINTS[COMPONENT]!.hz], "the component at the guest").toBeGreaterThan(PRESENT_DB);
    expect(atGuest.tones[POINTS[GUEST]!.hz], "the guest's own sound at the guest").toBeLessThan(ABSENT_DB);
    expect(grid(atGuest.cells!, 3)).toEqual({ large: POINTS[COMPONENT]!.colour, tiles });
  }, 180_000);

  it("a point joins mid-session: links up, it sees everyone and hears everyone but itself, and they hear it", async () => {
    const joined = await site.call("POST", `/api/sessions/${sessionId}/points`, { room: JOINER, head: "Chủ tịch xã" });
    expect(joined.status).toBe(200);
    await waitFor("the joiner's links up", () => linkUp(HOST, JOINER) && linkUp(JOINER, HOST), 60_000, 200);
    const tiles = [HOST, COMPONENT, JOINER, GUEST].map((point) => POINTS[point]!.colour);
    await seesGrid(JOINER, HOST, tiles);
    await seesGrid(COMPONENT, HOST, tiles);
    const [atComponent, atJoiner] = await Promise.all([heardAt(COMPONENT), heardAt(JOINER)]);
    for (const point of [HOST, COMPONENT, GUEST])
      expect(atJoiner[POINTS[point]!.hz], `${point} at the joiner`).toBeGreaterThan(PRESENT_DB);
    expect(atJoiner[POINTS[JOINER]!.hz], "the joiner's own sound at the joiner").toBeLessThan(ABSENT_DB);
    expect(atComponent[POINTS[JOINER]!.hz], "the joiner at the component").toBeGreaterThan(PRESENT_DB);
    expect(atComponent[POINTS[COMPONENT]!.hz], "the component's own sound at the component").toBeLessThan(ABSENT_DB);
  }, 180_000);

  it("the host's media worker SIGKILLed: links back, recording on in new segments", async () => {
    await waitFor("a session program segment", () => reading(HOST, "recording.sessionSegment"), 20_000);
    const before = String(reading(HOST, "recording.sessionSegment"));
    const socket = join(site.room(HOST).dataDir, "media-worker.sock");
    const worker = mediaWorkerOn(socket)?.pid;
    expect(worker).toBeGreaterThan(0);
    process.kill(worker!, "SIGKILL");
    await waitFor(
      "a new session program segment",
      () => {
        const now = reading(HOST, "recording.sessionSegment");
        return typeof now === "string" && now !== before;
      },
      30_000,
    );
    await waitFor(
      "every link back",
      () => [COMPONENT, JOINER, GUEST].every((peer) => linkUp(HOST, peer)) && linkUp(COMPONENT, HOST),
      60_000,
      200,
    ).catch(explain("after the kill"));
  }, 120_000);

  it(`ended after ${SESSION_S} s: desired cleared everywhere, every point out of the session`, async () => {
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, startedAt + SESSION_S * 1000 - Date.now())));
    const ended = await site.call("POST", `/api/sessions/${sessionId}/end`);
    expect(ended.body).toMatchObject({ state: "ended" });
    for (const room of [HOST, COMPONENT, JOINER]) {
      expect(site.controller.desired.get(room)).toMatchObject({ session: null, recording: false });
      await waitFor(
        `${room} out of the session`,
        () => view(room)?.state?.session === null && view(room)?.state?.desiredRev === view(room)?.desired?.rev,
        30_000,
      );
      await waitFor(
        `${room}'s links gone`,
        () => !Object.keys(view(room)?.state?.devices.media ?? {}).some((name) => name.startsWith("link.")),
        30_000,
      );
    }
  }, 240_000);

  it("every closed segment reaches the archive whole (sha256, ffprobe, every track), none lost to the kill or the cut", async () => {
    // Every agent deletes its copy once the archive confirmed the sha256: folders empty means all went.
    await waitFor(
      "every segment uploaded and deleted",
      () =>
        [HOST, COMPONENT, JOINER].every(
          (room) =>
            readdirSync(recordingsOf(room), { recursive: true, encoding: "utf8" }).filter((file) =>
              /\.(mkv|json)$/.test(file),
            ).length === 0,
        ),
      120_000,
      500,
    );
    expect(relay.cuts).toBe(1);
    expect(site.controllerLog.some((line) => line.includes("archive upload resumed") && line.includes(HOST))).toBe(
      true,
    );
    const listing = await site.call("GET", `/api/sessions/${sessionId}/recordings`);
    const recordings = listing.body.recordings as {
      room: string;
      file: string;
      bytes: number;
      sha256: string;
      url: string;
      closed: string;
      tracks: { type: string; content?: string; room?: string }[];
    }[];
    // Each segment an agent said it closed (with something in it) is there, with the bytes it had.
    const closed = Object.values(events)
      .flat()
      .filter((event) => event.type === "recording_segment_closed" && event.data?.removed !== true)
      .map((event) => ({ room: String(event.data!.room), file: String(event.data!.file), bytes: event.data!.bytes }));
    // The host: its program and the session program, closed when the joiner came, by the kill and at the end.
    expect(closed.length).toBeGreaterThanOrEqual(6 + 1 + 1);
    expect(
      recordings.map((entry) => ({ room: entry.room, file: entry.file, bytes: entry.bytes })).sort(byFile),
    ).toEqual(closed.sort(byFile));
    const interrupted = recordings.filter((entry) => entry.closed === "interrupted" && entry.room === HOST);
    expect(new Set(interrupted.map((entry) => entry.file.startsWith(SESSION_PROGRAM_FILE)))).toEqual(
      new Set([false, true]),
    );

    let sessionProgramS = 0;
    for (const entry of recordings) {
      const data = Buffer.from(await (await site.fetch(entry.url)).arrayBuffer());
      expect(createHash("sha256").update(data).digest("hex"), entry.file).toBe(entry.sha256);
      const file = join(site.dir, `check-${basename(entry.file)}`);
      writeFileSync(file, data);
      const streams = await probeStreams(file);
      if (entry.file.startsWith(SESSION_PROGRAM_FILE)) {
        // The picture, the mix and one track per point shown at the time (the guest's too).
        const points = entry.tracks.filter((track) => track.content === "point").map((track) => track.room);
        const shown = points.includes(JOINER) ? [HOST, COMPONENT, JOINER, GUEST] : [HOST, COMPONENT, GUEST];
        expect(points, entry.file).toEqual(shown);
        expect(streams, entry.file).toEqual(["video:h264", "audio:aac", ...points.map(() => "audio:aac")]);
        const report = await inspectRecording(file, 120_000);
        expect(report.error, entry.file).toBeNull();
        sessionProgramS += report.videoSeconds;
      } else {
        expect(streams, entry.file).toEqual(["video:h264", "audio:aac"]);
      }
    }
    // The host's session program over the whole session: only the restarts' few seconds missing (the worker's
    // restart, the recording started again for the joiner, a key frame's wait after each).
    const liveS = (Date.now() - startedAt) / 1000;
    expect(sessionProgramS).toBeGreaterThan(SESSION_S - 20);
    expect(sessionProgramS).toBeLessThan(liveS);
  }, 300_000);
});

const byFile = (a: { room: string; file: string }, b: { room: string; file: string }) =>
  `${a.room}/${a.file}`.localeCompare(`${b.room}/${b.file}`);
