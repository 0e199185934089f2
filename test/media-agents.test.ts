// Media between two real agents on loopback, through the controller and its broker: the central point's program
// reaches the component point over encrypted SRT (and a wrong passphrase says so), a cut at one shows at the
// other's decoder, and a media worker killed mid-recording comes back with a new segment while the room's mixer
// and camera keep answering. Test pictures of distinct colours stand for the cameras.
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import type { DesiredPayload, RoomView } from "@rc/protocol";
import { OnvifCamera, PtyPair, TesiraSimulator } from "@rc/simulators";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SegmentSidecar } from "../room-agent/src/devices/media/recording-segments.ts";
import { SESSION_PROGRAM_FILE } from "../room-agent/src/media-worker/launch-lines.ts";
import { isRunning, mediaWorkerOn } from "./support/process-table.ts";
import { type ManagedProcess, stopAll } from "./support/processes.ts";
import { inspectRecording } from "./support/recording-inspector.ts";
import { SITE_CAMERA_PASSWORD, TestSite } from "./support/test-site.ts";
import { testUdpPorts } from "./support/udp-ports.ts";
import { waitFor } from "./support/wait-for.ts";

const CENTRAL = "tinh-a";
const COMPONENT = "xa-b";
const PASSPHRASE = "phien-tiep-cong-dan-2024";
const cleanups: (() => Promise<unknown>)[] = [];

/** A media line for a test room: small pictures, loopback, recordings in the site's folder. */
function media(site: TestSite, room: string, port: number, inputs: Record<string, string>) {
  return {
    id: "media",
    kind: "media",
    video: { width: 640, height: 360, fps: 15, bitrateKbps: 800, keyframeS: 2 },
    audio: { input: "testsrc:440", bitrateKbps: 64 },
    inputs,
    srt: { bind: "127.0.0.1", port, latencyMs: 120 },
    recordings: { dir: join(site.dir, `recordings-${room}`), segmentS: 600, minFreeMb: 1 },
    display: "none",
  };
}

/** A segment of the room's own program (not of the session program a relay host records beside it). */
const isProgramSegment = (file: string) => file.endsWith(".mkv") && !basename(file).startsWith(SESSION_PROGRAM_FILE);

/** The room's own program's recording segments under a folder, by full path. */
function segmentsIn(folder: string): string[] {
  return readdirSync(folder, { recursive: true, encoding: "utf8" })
    .filter(isProgramSegment)
    .map((file) => join(folder, file));
}

describe("media between two agents", () => {
  let site: TestSite;
  let camera: OnvifCamera;
  const ports: Record<string, number> = {};
  let centralAgent: ManagedProcess;

  beforeAll(async () => {
    const [centralPort, componentPort] = await testUdpPorts(2);
    ports[CENTRAL] = centralPort!;
    ports[COMPONENT] = componentPort!;
    const pty = new PtyPair(`/tmp/rc-media-dsp-${process.pid}`, `/tmp/rc-media-host-${process.pid}`);
    await pty.start();
    cleanups.push(() => pty.stop());
    const dsp = new TesiraSimulator(pty.devicePath, 8);
    await dsp.start();
    cleanups.push(() => dsp.stop());
    camera = new OnvifCamera({ name: "cam-red", username: "admin", password: SITE_CAMERA_PASSWORD });
    await camera.start();
    cleanups.push(() => camera.stop());
    site = await TestSite.create("embedded", [CENTRAL, COMPONENT]);
    cleanups.push(() => site.stop());
    cleanups.push(() => stopAll());
    // The central point: a real camera and DSP beside its media, whose two pictures are red and blue.
    const central = JSON.parse(readFileSync(site.room(CENTRAL).profile, "utf8"));
    central.devices.push(
      {
        id: "cam-red",
        kind: "camera",
        model: "generic-onvif-ptz",
        connection: { host: "127.0.0.1", port: camera.port, username: "admin", passwordEnv: "RC_CAMERA_PASSWORD" },
      },
      { id: "dsp", kind: "mixer", model: "biamp-tesira", connection: { path: pty.hostPath } },
      media(site, CENTRAL, ports[CENTRAL], { "cam-red": "testsrc:red", "cam-blue": "testsrc:blue" }),
    );
    writeFileSync(site.room(CENTRAL).profile, JSON.stringify(central));
    const component = JSON.parse(readFileSync(site.room(COMPONENT).profile, "utf8"));
    component.devices.push(media(site, COMPONENT, ports[COMPONENT], { "cam-green": "testsrc:green" }));
    writeFileSync(site.room(COMPONENT).profile, JSON.stringify(component));
    centralAgent = site.startAgent(CENTRAL);
    site.startAgent(COMPONENT);
    await waitFor(
      "both media ok",
      () => view(CENTRAL).health.media?.status === "ok" && view(COMPONENT).health.media?.status === "ok",
      20_000,
    );
  });
  afterAll(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  const view = (room: string): RoomView => site.controller.registry.get(room)!;
  const reading = (room: string, name: string) => view(room).state?.devices.media?.[name];
  /** Starts the central point's agent again; it adopts the worker, which records on in the same segment. */
  async function restartAdopting(
    bootBefore: string | null | undefined,
    was: { worker: number; socket: string; segment: string },
  ): Promise<void> {
    centralAgent = site.startAgent(CENTRAL);
    await centralAgent.waitForLine(/media worker adopted/, 20_000);
    await waitFor("the new agent online", () => isBack(bootBefore), 20_000);
    await waitFor("recording", () => reading(CENTRAL, "recording.on") === true, 20_000);
    expect(reading(CENTRAL, "recording.segment")).toBe(was.segment);
    expect(mediaWorkerOn(was.socket)?.pid).toBe(was.worker);
  }
  /** The central point's agent is online in another boot than `before`, and has said so in its state. */
  const isBack = (before: string | null | undefined) => {
    const { availability, state } = view(CENTRAL);
    return availability.state === "online" && availability.bootId !== before && state?.bootId === availability.bootId;
  };
  const peer = (room: string) => ({ room, srt: { host: "127.0.0.1", port: ports[room]! } });
  async function desire(room: string, session: DesiredPayload["session"]) {
    await site.controller.desired.change(room, (current) => ({ ...current, session }), "test");
  }
  const request = (room: string, action: string, params: Record<string, unknown>) =>
    site.post(room, { action, params: { device: "media", ...params } });

  it("carries the central point's program to the component point with the passphrase, and refuses a wrong one", async () => {
    const session = (role: "central" | "component", passphrase = PASSPHRASE) => ({
      id: "phien-1",
      role,
      peers: role === "central" ? [peer(COMPONENT)] : [peer(CENTRAL)],
      passphrase,
    });
    await desire(CENTRAL, session("central"));
    await desire(COMPONENT, session("component"));
    await waitFor(
      "both links up",
      () =>
        reading(COMPONENT, `link.${CENTRAL}.status`) === "ok" && reading(CENTRAL, `link.${COMPONENT}.status`) === "ok",
      20_000,
    );
    // The callers count is a number: it is read every 3 s and reaches the state at most every 10 s (NUMBERS_EVERY_MS).
    await waitFor("one caller at the central point", () => reading(CENTRAL, "srt.callers") === 1, 15_000);
    const seen = await request(COMPONENT, "media.snapshot", { source: CENTRAL });
    expect(seen).toMatchObject({ status: 200, body: { ok: true, result: { source: CENTRAL } } });
    expect((seen.body.result as { meanRgb: number[] }).meanRgb[0]).toBeGreaterThan(200); // the red camera

    await desire(COMPONENT, session("component", "mat-khau-sai-hoan-toan"));
    await waitFor(
      "the link refused",
      () => /passphrase/.test(String(reading(COMPONENT, `link.${CENTRAL}.detail`))),
      20_000,
    );
    expect(reading(COMPONENT, `link.${CENTRAL}.status`)).toBe("offline");
    expect(reading(COMPONENT, `link.${CENTRAL}.detail`)).toMatch(/refused our passphrase/);
    const none = await request(COMPONENT, "media.snapshot", { source: CENTRAL });
    expect(none).toMatchObject({ body: { ok: false } });

    await desire(COMPONENT, session("component"));
    await waitFor("the link back", () => reading(COMPONENT, `link.${CENTRAL}.status`) === "ok", 40_000);
  });

  it("shows a cut at the central point on the component point's decoder", async () => {
    const cut = await request(CENTRAL, "media.cut", { camera: "cam-blue" });
    expect(cut).toMatchObject({ status: 200, body: { ok: true, result: { camera: "cam-blue" } } });
    await waitFor("the program camera reported", () => view(CENTRAL).state?.programCamera === "cam-blue");
    const blue = await waitFor(
      "blue at the component point",
      async () => {
        const seen = await request(COMPONENT, "media.snapshot", { source: CENTRAL });
        const rgb = (seen.body.result as { meanRgb?: number[] } | undefined)?.meanRgb;
        return rgb && rgb[2]! > 200 && rgb[0]! < 60 ? rgb : undefined;
      },
      5000,
    );
    expect(blue[2]).toBeGreaterThan(200);
    const unknown = await request(CENTRAL, "media.cut", { camera: "cam-nowhere" });
    expect(unknown).toMatchObject({ status: 404, body: { ok: false, error: { code: "not_found" } } });
  });

  it("keeps mixer and camera answering while the media worker is killed mid-recording, and records on in a new segment", async () => {
    expect(await request(CENTRAL, "media.record", { on: true })).toMatchObject({ body: { ok: true } });
    await waitFor("a segment", () => typeof reading(CENTRAL, "recording.segment") === "string", 10_000);
    await new Promise((resolve) => setTimeout(resolve, 4500)); // two GOPs written
    const first = String(reading(CENTRAL, "recording.segment"));
    const ready = centralAgent.lines.filter((line) => line.includes("media worker ready")).at(-1) ?? "";
    const worker = Number(/"worker":(\d+)/.exec(ready)?.[1]);
    expect(worker).toBeGreaterThan(0);

    // Control requests all along: each must be answered, and answered well.
    const answers: { action: string; ok: boolean; ms: number }[] = [];
    let asking = true;
    const ask = (async () => {
      for (let i = 0; asking; i++) {
        const [action, params] =
          i % 2 === 0
            ? ["mixer.level", { device: "dsp", channel: 1, levelDb: -10 - (i % 10) }]
            : ["ptz.presets", { device: "cam-red" }];
        const started = performance.now();
        const response = await site.post(CENTRAL, { action, params });
        answers.push({ action, ok: response.body.ok === true, ms: performance.now() - started });
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    process.kill(worker, "SIGKILL");
    const killedAt = Date.now();
    await waitFor(
      "a new segment",
      () => {
        const now = reading(CENTRAL, "recording.segment");
        return typeof now === "string" && now !== first;
      },
      15_000,
    );
    // Asked all through the restart and a while after it, however quick the restart was.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, killedAt + 2500 - Date.now())));
    asking = false;
    await ask;

    expect(answers.length).toBeGreaterThan(10);
    expect(answers.filter((answer) => !answer.ok)).toEqual([]);
    expect(answers.some((answer) => answer.action === "ptz.presets")).toBe(true);
    const sidecar = JSON.parse(readFileSync(first.replace(/\.mkv$/, ".json"), "utf8")) as SegmentSidecar;
    expect(sidecar).toMatchObject({ session: "phien-1", room: CENTRAL, closed: "interrupted" });
    const report = await inspectRecording(first);
    expect(report.error).toBeNull();
    expect(report.videoFrames).toBeGreaterThan(10);
    const folder = first.slice(0, first.lastIndexOf("/"));
    expect(readdirSync(folder).filter(isProgramSegment).length).toBe(2);
    expect(await request(CENTRAL, "media.record", { on: false })).toMatchObject({ body: { ok: true } });
  });

  it("an agent SIGKILLed mid-recording leaves its media worker recording, and the restarted agent adopts it: one segment, no gap", async () => {
    const folder = join(site.dir, `recordings-${CENTRAL}`);
    const before = new Set(segmentsIn(folder));
    expect(await request(CENTRAL, "media.record", { on: true })).toMatchObject({ body: { ok: true } });
    await waitFor("a segment", () => typeof reading(CENTRAL, "recording.segment") === "string", 10_000);
    const segment = String(reading(CENTRAL, "recording.segment"));
    const recordingFrom = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const socket = join(site.room(CENTRAL).dataDir, "media-worker.sock");
    const worker = mediaWorkerOn(socket)?.pid;
    expect(worker).toBeGreaterThan(0);

    const bootBefore = view(CENTRAL).availability.bootId;
    centralAgent.signal("SIGKILL");
    await waitFor("the agent gone", () => centralAgent.exited, 5000);
    // Alone for a while, as when a supervisor is slow to start the agent again.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(isRunning(worker!)).toBe(true);
    await restartAdopting(bootBefore, { worker: worker!, socket, segment });
    // The adopting agent writes on in the segment's sidecar.
    expect(await request(CENTRAL, "media.cut", { camera: "cam-blue" })).toMatchObject({ body: { ok: true } });
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(await request(CENTRAL, "media.record", { on: false })).toMatchObject({ body: { ok: true } });
    const recordedS = (Date.now() - recordingFrom) / 1000;

    expect(segmentsIn(folder).filter((file) => !before.has(file))).toEqual([segment]);
    const sidecar = JSON.parse(readFileSync(segment.replace(/\.mkv$/, ".json"), "utf8")) as SegmentSidecar;
    expect(sidecar).toMatchObject({ room: CENTRAL, closed: "stop" });
    expect(sidecar.cuts.at(-1)?.camera).toBe("cam-blue");
    const report = await inspectRecording(segment);
    expect(report.error).toBeNull();
    // All the time it was on, without a hole: the span covers it, and no two pictures are further apart than a few
    // frames (the agent was away for 2.5 s). Not the frame count: on a loaded machine the rate drops without a hole.
    expect(report.videoSeconds).toBeGreaterThan(recordedS - 1.5);
    expect(report.videoLargestGapS, JSON.stringify(report)).toBeLessThan(0.5);
    expect(report.audioSeconds).toBeGreaterThan(recordedS - 1.5);
  });

  it("a worker whose agent died and whose data folder was wiped puts its socket back, and the new agent adopts it", async () => {
    expect(await request(CENTRAL, "media.record", { on: true })).toMatchObject({ body: { ok: true } });
    await waitFor("a segment", () => typeof reading(CENTRAL, "recording.segment") === "string", 10_000);
    const segment = String(reading(CENTRAL, "recording.segment"));
    const { dataDir } = site.room(CENTRAL);
    const socket = join(dataDir, "media-worker.sock");
    const worker = mediaWorkerOn(socket)?.pid;
    expect(worker).toBeGreaterThan(0);
    const bootBefore = view(CENTRAL).availability.bootId;
    centralAgent.signal("SIGKILL");
    await waitFor("the agent gone", () => centralAgent.exited, 5000);
    rmSync(dataDir, { recursive: true, force: true });
    await waitFor("the socket back", () => existsSync(socket), 5000);
    await restartAdopting(bootBefore, { worker: worker!, socket, segment });
    expect(await request(CENTRAL, "media.record", { on: false })).toMatchObject({ body: { ok: true } });
  });

  it("fault 2: a recording started by request stays on when the agent's broker connection drops and comes back", async () => {
    expect(await request(CENTRAL, "media.record", { on: true })).toMatchObject({ status: 200, body: { ok: true } });
    expect(view(CENTRAL).desired).toMatchObject({ recording: true });
    await waitFor("recording", () => reading(CENTRAL, "recording.on") === true, 10_000);
    // Frozen past its keep-alive, the agent loses its connection; on waking it reconnects and re-subscribes.
    centralAgent.signal("SIGSTOP");
    await waitFor("the central point offline", () => view(CENTRAL).availability.state === "offline", 10_000);
    centralAgent.signal("SIGCONT");
    await waitFor("the central point back", () => view(CENTRAL).availability.state === "online", 10_000);
    await new Promise((resolve) => setTimeout(resolve, 1500)); // the retained desired re-read, the state published
    expect(view(CENTRAL).state).toMatchObject({ recording: true, desiredRev: view(CENTRAL).desired!.rev });
    // A worker that missed its probes while the agent was frozen is restarted: recording goes on in a new segment.
    await waitFor("still recording", () => reading(CENTRAL, "recording.on") === true, 10_000);
    expect(view(CENTRAL).state?.recording).toBe(true);
    expect(await request(CENTRAL, "media.record", { on: false })).toMatchObject({ body: { ok: true } });
    expect(view(CENTRAL).desired).toMatchObject({ recording: false });
  });
});
