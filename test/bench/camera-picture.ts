// Benchmark of the simulated camera's live picture (issue 3): CPU of one core per streaming camera at 640×360@15
// (still and moving), CPU when nobody watches (idle, and with one snapshot a second for a panel preview), and the
// time from PLAY to the first packet and to the whole first picture, for a cold encoder and for joining a running one.
//   node --import tsx test/bench/camera-picture.ts
// The viewers are raw RTSP sockets in this process that only count packets, so the CPU is the camera's own.
import { CameraPicture, type PictureView } from "@rc/simulators";
import { pino } from "pino";
import { RawRtspClient } from "../../simulators/src/onvif-camera/picture/picture-test-clients.ts";

const quiet = pino({ level: "silent" });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const percentOfCore = (cpu: NodeJS.CpuUsage, wallMs: number) =>
  (((cpu.user + cpu.system) / 1000 / wallMs) * 100).toFixed(1);

/** CPU of this process (GStreamer's threads included) over a stretch of time. */
async function cpuOver(ms: number): Promise<string> {
  const before = process.cpuUsage();
  const start = performance.now();
  await sleep(ms);
  return percentOfCore(process.cpuUsage(before), performance.now() - start);
}

interface Viewer {
  client: RawRtspClient;
  session: string;
  playSentAt: number;
}

async function play(uri: string): Promise<Viewer> {
  const client = await RawRtspClient.open(Number(new URL(uri).port));
  await client.request("DESCRIBE", uri);
  const setup = await client.request("SETUP", `${uri}/trackID=0`, { Transport: "RTP/AVP/TCP;unicast;interleaved=0-1" });
  const session = setup.headers.get("session")?.split(";")[0] ?? "";
  const playSentAt = performance.now();
  const reply = await client.request("PLAY", uri, { Session: session });
  if (reply.status !== 200) throw new Error(`PLAY answered ${reply.status}`);
  return { client, session, playSentAt };
}

/** ms from PLAY to the first RTP packet, and to the packet with the marker bit that ends the first picture. */
async function firstFrame(viewer: Viewer): Promise<{ packet: number; picture: number }> {
  const { client } = viewer;
  await client.until(() => client.packets.some((p) => ((p.data[1] as number) & 0x80) !== 0), 10_000, "a first picture");
  const end = client.packets.find((p) => ((p.data[1] as number) & 0x80) !== 0);
  return {
    packet: (client.packets[0]?.at ?? Number.NaN) - viewer.playSentAt,
    picture: (end?.at ?? Number.NaN) - viewer.playSentAt,
  };
}

const stats = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return `median ${sorted[Math.floor(sorted.length / 2)]?.toFixed(0)} ms, max ${sorted.at(-1)?.toFixed(0)} ms (n=${sorted.length})`;
};

const cleanups: (() => Promise<unknown> | unknown)[] = [];
const baseRss = process.memoryUsage().rss;
try {
  let moving = false;
  const started = performance.now();
  const view = (): PictureView => {
    if (!moving) return { pan: 0.1, tilt: 0.1, zoom: 0.2 };
    const t = (performance.now() - started) / 1000;
    return { pan: Math.sin(t / 2) * 0.8, tilt: Math.sin(t / 3) * 0.4, zoom: (Math.sin(t / 5) + 1) / 2 };
  };
  const cameras = Array.from({ length: 3 }, (_, i) => new CameraPicture({ name: `cam${i + 1}`, logger: quiet }, view));
  const uris: string[] = [];
  for (const camera of cameras) {
    cleanups.push(() => camera.close());
    uris.push((await camera.listen()).rtspUri);
  }
  const [first] = cameras as [CameraPicture];
  const firstUri = uris[0] as string;

  // Idle: listening, nobody watching; then a snapshot a second (the panel's preview).
  await first.snapshot(); // the room is drawn once per camera, before any measuring
  await sleep(500);
  console.log(`idle camera, nobody watching: ${await cpuOver(5000)} % of one core`);
  const snapshotTimes: number[] = [];
  const poller = setInterval(async () => {
    const at = performance.now();
    await first.snapshot();
    snapshotTimes.push(performance.now() - at);
  }, 1000);
  const withSnapshots = await cpuOver(10_000);
  clearInterval(poller);
  await sleep(200);
  console.log(
    `idle camera, one 640×360 JPEG snapshot a second: ${withSnapshots} % of one core; snapshot ${stats(snapshotTimes)}`,
  );

  // First picture after PLAY: cold (the encoder starts) and joining a stream that runs.
  // The very first DESCRIBE runs the encoder for a moment to learn SPS/PPS; let that pass so "cold" is cold.
  const learn = await play(firstUri);
  learn.client.close();
  while (first.encoding) await sleep(50);
  const cold: { packet: number; picture: number }[] = [];
  const warm: { packet: number; picture: number }[] = [];
  for (let round = 0; round < 5; round++) {
    const viewer = await play(firstUri);
    cleanups.push(() => viewer.client.close());
    cold.push(await firstFrame(viewer));
    await sleep(300 + round * 97); // another phase of the 1 s key-frame cycle each time
    const joining = await play(firstUri);
    cleanups.push(() => joining.client.close());
    warm.push(await firstFrame(joining));
    viewer.client.close();
    joining.client.close();
    while (first.encoding) await sleep(50); // the encoder stops 1.5 s after the last viewer
  }
  console.log(`PLAY → first packet, cold encoder: ${stats(cold.map((f) => f.packet))}`);
  console.log(`PLAY → first whole picture, cold encoder: ${stats(cold.map((f) => f.picture))}`);
  console.log(`PLAY → first whole picture, joining a running stream: ${stats(warm.map((f) => f.picture))}`);

  // Streaming: one camera still, one moving; then three moving at once.
  const one = await play(firstUri);
  cleanups.push(() => one.client.close());
  await firstFrame(one);
  await sleep(1000);
  const still = await cpuOver(8000);
  moving = true;
  await sleep(500);
  const packetsBefore = one.client.packets.reduce((sum, p) => sum + p.data.length, 0);
  const movingCpu = await cpuOver(8000);
  const bytes = one.client.packets.reduce((sum, p) => sum + p.data.length, 0) - packetsBefore;
  console.log(
    `one camera streaming 640×360@15 to one viewer: still ${still} %, moving ${movingCpu} % of one core ` +
      `(${((bytes * 8) / 8 / 1000).toFixed(0)} kbit/s while moving); RSS ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB ` +
      `(${(baseRss / 1e6).toFixed(0)} MB before any camera)`,
  );
  const others = await Promise.all(uris.slice(1).map((uri) => play(uri)));
  for (const other of others) cleanups.push(() => other.client.close());
  await Promise.all(others.map((other) => firstFrame(other)));
  await sleep(1000);
  const three = Number(await cpuOver(8000));
  console.log(
    `three cameras streaming and moving: ${three.toFixed(1)} % of one core, ${(three / 3).toFixed(1)} % per camera; ` +
      `RSS ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB`,
  );
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup();
}
