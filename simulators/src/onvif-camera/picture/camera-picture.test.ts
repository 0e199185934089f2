// The camera's live picture against real clients: GStreamer's rtspsrc in its own process (over TCP and UDP),
// ffprobe where Debian's ffmpeg is installed, and a raw socket for the bytes of the RTSP conversation.
import { execFile } from "node:child_process";
import { once } from "node:events";
import { connect, createServer } from "node:net";
import { promisify } from "node:util";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../../../../test/support/wait-for.ts";
import { CameraPicture, captionOf, type PictureView } from "./camera-picture.ts";
import { DEFAULT_SEATS, viewWindow } from "./hearing-room.ts";
import {
  decodeJpeg,
  difference,
  GstRtspViewer,
  PROBE_HEIGHT,
  PROBE_WIDTH,
  RawRtspClient,
} from "./picture-test-clients.ts";
import { startsKeyFrame } from "./rtp-h264.ts";

const quiet = pino({ level: "silent" });
let view: PictureView = { pan: 0, tilt: 0, zoom: 0 };
let picture: CameraPicture;
let uri: string;
let port: number;

const viewers: GstRtspViewer[] = [];
const sockets: RawRtspClient[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.close();
  await Promise.all(viewers.splice(0).map((viewer) => viewer.stop()));
});

beforeAll(async () => {
  picture = new CameraPicture({ name: "Camera chính", logger: quiet }, () => view);
  ({ rtspUri: uri } = await picture.listen());
  port = Number(new URL(uri).port);
});
afterAll(async () => {
  await picture.close();
});

function viewer(protocols: "tcp" | "udp" = "tcp"): GstRtspViewer {
  const started = new GstRtspViewer(uri, protocols);
  viewers.push(started);
  return started;
}
async function rawClient(): Promise<RawRtspClient> {
  const client = await RawRtspClient.open(port);
  sockets.push(client);
  return client;
}
const snapshotAt = async (at: PictureView, width = PROBE_WIDTH, height = PROBE_HEIGHT) => {
  view = at;
  return decodeJpeg(await picture.snapshot(), width, height);
};
/** This file's waits: 5 s unless a test says otherwise, asked every 25 ms. */
const until = (what: string, check: () => boolean, timeoutMs = 5000) => waitFor(what, check, timeoutMs, 25);

describe("camera picture: snapshots", () => {
  it("shows what the camera sees now: another view is another picture, the same view the same picture", async () => {
    const home = await snapshotAt({ pan: 0, tilt: 0, zoom: 0 });
    const again = await snapshotAt({ pan: 0, tilt: 0, zoom: 0 });
    const chair = DEFAULT_SEATS.find((seat) => seat.label === "Chủ trì");
    const zoomed = await snapshotAt({ pan: chair?.pan ?? 0, tilt: chair?.tilt ?? 0, zoom: 1 });
    const left = await snapshotAt({ pan: -1, tilt: 0, zoom: 0 });
    expect(difference(home, again)).toBeLessThan(1);
    expect(difference(home, zoomed)).toBeGreaterThan(10);
    expect(difference(home, left)).toBeGreaterThan(10);
    expect(difference(zoomed, left)).toBeGreaterThan(10);
  });

  it("writes the camera's position on the picture", async () => {
    // Tilt 0 and 0.002 crop the same window of the room; only the written position differs.
    const a = { pan: 0.25, tilt: 0, zoom: 0.5 };
    const b = { pan: 0.25, tilt: 0.002, zoom: 0.5 };
    expect(viewWindow(a)).toEqual(viewWindow(b));
    expect(captionOf("Camera chính", a)).toBe("Camera chính\nP +0.250  T +0.000  Z 0.500");
    view = b;
    expect(picture.caption).toBe("Camera chính\nP +0.250  T +0.002  Z 0.500");
    const [first, second] = [await snapshotAt(a, 640, 360), await snapshotAt(b, 640, 360)];
    const changed: { x: number; y: number }[] = [];
    for (let i = 0; i < first.length; i++) {
      if (Math.abs((first[i] as number) - (second[i] as number)) > 40)
        changed.push({ x: i % 640, y: Math.floor(i / 640) });
    }
    expect(changed.length).toBeGreaterThan(10);
    // Every changed pixel is in the caption box at the top left.
    expect(Math.max(...changed.map((p) => p.x))).toBeLessThan(320);
    expect(Math.max(...changed.map((p) => p.y))).toBeLessThan(60);
  });
});

describe("camera picture: RTSP with real clients", () => {
  it("plays in GStreamer's rtspsrc over TCP, and the picture follows the camera", async () => {
    view = { pan: 0, tilt: 0, zoom: 0 };
    const reference = await snapshotAt(view);
    const client = viewer("tcp");
    await client.waitForFrames(5);
    expect(picture.encoding).toBe(true);
    const latest = () => client.frames.at(-1)?.pixels ?? Buffer.alloc(0);
    // H.264 at 800 kbit/s and the snapshot's JPEG are different losses of the same picture.
    expect(difference(latest(), reference)).toBeLessThan(6);
    const moved = await snapshotAt({ pan: 0.6, tilt: 0.3, zoom: 0.8 });
    await until("the stream to show the moved camera", () => difference(latest(), moved) < 6);
    expect(difference(latest(), reference)).toBeGreaterThan(10);
  });

  it("serves two viewers at once, one over UDP, and stops encoding after the last one leaves", async () => {
    view = { pan: -0.3, tilt: -0.2, zoom: 0.3 };
    const first = viewer("tcp");
    const second = viewer("udp");
    await Promise.all([first.waitForFrames(10), second.waitForFrames(10)]);
    await first.stop();
    const seen = second.frames.length;
    await second.waitForFrames(seen + 5);
    await second.stop();
    await until("the encoder to stop", () => !picture.encoding, 5000);
  });

  it("is read by ffprobe (Debian's ffmpeg, which scripts/setup.sh installs)", async () => {
    const { stdout } = await promisify(execFile)(
      "ffprobe",
      ["-v", "error", "-rtsp_transport", "tcp", "-show_streams", "-select_streams", "v", "-of", "json", uri],
      { timeout: 15_000 },
    );
    const stream = JSON.parse(stdout).streams[0];
    expect(stream).toMatchObject({ codec_name: "h264", width: 640, height: 360 });
  });
});

describe("camera picture: the RTSP conversation on the wire", () => {
  it("describes, sets up, joins a running stream at a key frame with the announced numbers, and tears down", async () => {
    const other = viewer("tcp");
    await other.waitForFrames(5);
    const client = await rawClient();
    const options = await client.request("OPTIONS", uri);
    expect(options.status).toBe(200);
    expect(options.headers.get("cseq")).toBe("1");
    expect(options.headers.get("public")).toContain("DESCRIBE");

    const describe = await client.request("DESCRIBE", uri, { Accept: "application/sdp" });
    expect(describe.status).toBe(200);
    expect(describe.headers.get("content-type")).toBe("application/sdp");
    expect(describe.headers.get("content-base")).toBe(`${uri}/`);
    expect(describe.body).toContain("m=video 0 RTP/AVP 96");
    expect(describe.body).toContain("a=rtpmap:96 H264/90000");
    expect(describe.body).toMatch(
      /a=fmtp:96 packetization-mode=1;profile-level-id=[0-9A-F]{6};sprop-parameter-sets=[\w+/=]+,[\w+/=]+/,
    );
    expect(describe.body).toContain("a=control:trackID=0");

    const setup = await client.request("SETUP", `${uri}/trackID=0`, {
      Transport: "RTP/AVP/TCP;unicast;interleaved=0-1",
    });
    expect(setup.status).toBe(200);
    expect(setup.headers.get("transport")).toMatch(/^RTP\/AVP\/TCP;unicast;interleaved=0-1;ssrc=[0-9A-F]{8}/);
    const session = setup.headers.get("session")?.split(";")[0] ?? "";
    expect(setup.headers.get("session")).toMatch(/^[0-9a-f]{16};timeout=60$/);

    const started = performance.now();
    const play = await client.request("PLAY", uri, { Session: session, Range: "npt=0-" });
    expect(play.status).toBe(200);
    const info = /url=(\S+);seq=(\d+);rtptime=(\d+)/.exec(play.headers.get("rtp-info") ?? "");
    expect(info?.[1]).toBe(`${uri}/trackID=0`);
    await client.until(() => client.packets.length >= 20, 5000, "RTP packets");
    const first = client.packets[0];
    expect(first?.channel).toBe(0);
    expect(first?.data.readUInt16BE(2)).toBe(Number(info?.[2]));
    expect(first?.data.readUInt32BE(4)).toBe(Number(info?.[3]));
    expect(first?.data.readUInt32BE(8).toString(16).toUpperCase().padStart(8, "0")).toBe(
      /ssrc=([0-9A-F]{8})/.exec(setup.headers.get("transport") ?? "")?.[1],
    );
    expect(startsKeyFrame(first?.data ?? Buffer.alloc(0))).toBe(true);
    // The encoder was asked for a key frame: no waiting for the next one of the 1 s cycle.
    expect((first?.at ?? Number.POSITIVE_INFINITY) - started).toBeLessThan(500);
    // Consecutive sequence numbers: nothing lost or reordered on the way.
    const seqs = client.packets.map((p) => p.data.readUInt16BE(2));
    seqs.slice(1).forEach((seq, i) => {
      expect(seq).toBe(((seqs[i] as number) + 1) & 0xffff);
    });

    const keepAlive = await client.request("GET_PARAMETER", uri, { Session: session });
    expect(keepAlive.status).toBe(200);
    const teardown = await client.request("TEARDOWN", uri, { Session: session });
    expect(teardown.status).toBe(200);
    const after = await client.request("PLAY", uri, { Session: session });
    expect(after.status).toBe(454);
    await other.stop();
    await until("the encoder to stop", () => !picture.encoding, 5000);
  });

  it("answers bad requests with a clear 4xx and keeps the connection", async () => {
    const client = await rawClient();
    expect((await client.request("PLAY", uri)).status).toBe(454); // no session
    expect((await client.request("PLAY", uri, { Session: "0123456789abcdef" })).status).toBe(454);
    expect((await client.request("DESCRIBE", uri.replace("/stream", "/other"))).status).toBe(404);
    expect((await client.request("SETUP", `${uri}/trackID=0`, { Transport: "RTP/AVP;multicast" })).status).toBe(461);
    expect((await client.request("SETUP", `${uri}/trackID=0`, { Transport: "RAW/RAW/UDP;unicast" })).status).toBe(461);
    expect((await client.request("RECORD", uri)).status).toBe(405);
    expect((await client.request("FROBNICATE", uri)).status).toBe(501);
    expect((await client.request("OPTIONS", uri, { Require: "implicit-play" })).status).toBe(551);
    expect((await client.request("OPTIONS", uri, { CSeq: "" })).status).toBe(400);
    expect((await client.request("DESCRIBE", "http://example/stream")).status).toBe(400);
    expect((await client.request("SET_PARAMETER", uri, {}, "volume: 3\r\n")).status).toBe(451);
    expect((await client.request("OPTIONS", "*")).status).toBe(200);
  });

  it("answers garbage with an error and a close, and goes on serving others", async () => {
    const http = await rawClient();
    const reply = await http.send("GET / HTTP/1.1\r\nHost: camera\r\n\r\n");
    expect(reply.status).toBe(400);
    await http.until(() => http.closed, 2000, "the close");

    const binary = await rawClient();
    const noise = Buffer.alloc(20_000);
    for (let i = 0; i < noise.length; i++) noise[i] = (i * 7919 + 13) & 0xff;
    noise[0] = 0x41; // not "$", so it is read as a request head
    const tooLong = await binary.send(noise);
    expect(tooLong.status).toBe(413);
    await binary.until(() => binary.closed, 2000, "the close");

    const after = await rawClient();
    expect((await after.request("OPTIONS", uri)).status).toBe(200);
  });
});

describe("camera picture: close", () => {
  it("stops the encoder, frees the port and is safe twice", async () => {
    const own = new CameraPicture({ name: "cam", logger: quiet }, () => ({ pan: 0, tilt: 0, zoom: 0 }));
    const { rtspUri } = await own.listen();
    const ownPort = Number(new URL(rtspUri).port);
    const watching = new GstRtspViewer(rtspUri, "tcp");
    viewers.push(watching);
    await watching.waitForFrames(3);
    expect(own.encoding).toBe(true);
    await own.close();
    await own.close();
    expect(own.encoding).toBe(false);
    await expect(own.snapshot()).rejects.toThrow(/closed/);
    const refused = connect(ownPort, "127.0.0.1");
    const outcome = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
      refused.once("error", resolve);
      refused.once("connect", () => resolve(undefined));
    });
    refused.destroy();
    expect(outcome?.code).toBe("ECONNREFUSED");
    const reuse = createServer();
    reuse.listen(ownPort, "127.0.0.1");
    await once(reuse, "listening");
    await new Promise((resolve) => reuse.close(resolve));
  });
});
