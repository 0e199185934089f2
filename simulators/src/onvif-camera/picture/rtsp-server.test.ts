// The RTSP server's session logic against a scripted H.264 source: the test decides which packet comes when, so
// "starts on a key frame", sequence numbering, UDP delivery, PAUSE, timeouts and garbage are checked exactly.
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { once } from "node:events";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { RawRtspClient } from "./picture-test-clients.ts";
import { type H264Source, RtspServer } from "./rtsp-server.ts";

const quiet = pino({ level: "silent" });
const SPS = Buffer.from("6742c01eda0280bf", "hex");
const PPS = Buffer.from("68ce3c80", "hex");

/** An RTP packet: payload type 96, the given sequence number and timestamp, SSRC 0x11223344. */
function rtp(seq: number, ts: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(12);
  header[0] = 0x80;
  header[1] = 96;
  header.writeUInt16BE(seq, 2);
  header.writeUInt32BE(ts, 4);
  header.writeUInt32BE(0x11223344, 8);
  return Buffer.concat([header, payload]);
}
const stapA = (...units: Buffer[]) =>
  Buffer.concat([
    Buffer.from([24]),
    ...units.flatMap((unit) => [Buffer.from([unit.length >> 8, unit.length & 0xff]), unit]),
  ]);
const pFrame = Buffer.from([0x41, 0x9a, 0x01, 0x02]);
const idrStart = Buffer.from([0x7c, 0x85, 0x88, 0x84]); // FU-A, start bit, IDR

class ScriptedSource implements H264Source {
  listeners = new Set<(packet: Buffer) => void>();
  keyFrameRequests = 0;
  subscriptions = 0;
  async parameterSets() {
    return { sps: SPS, pps: PPS };
  }
  subscribe(onPacket: (packet: Buffer) => void) {
    this.subscriptions++;
    this.listeners.add(onPacket);
    return () => this.listeners.delete(onPacket);
  }
  requestKeyFrame() {
    this.keyFrameRequests++;
  }
  send(packet: Buffer) {
    for (const listener of this.listeners) listener(packet);
  }
  /** A key frame as the encoder sends it: SPS+PPS aggregated, then the IDR in fragments. */
  keyFrame(seq: number, ts: number) {
    this.send(rtp(seq, ts, stapA(SPS, PPS)));
    this.send(rtp(seq + 1, ts, idrStart));
  }
}

const servers: RtspServer[] = [];
const clients: RawRtspClient[] = [];
const udpSockets: UdpSocket[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  for (const socket of udpSockets.splice(0)) socket.close();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function serve(sessionTimeoutS?: number) {
  const source = new ScriptedSource();
  const server = new RtspServer({ source, name: "cam", logger: quiet, sessionTimeoutS, maxSessions: 3 });
  servers.push(server);
  const { port } = await server.listen();
  const client = await RawRtspClient.open(port);
  clients.push(client);
  return { source, server, client, uri: server.uri };
}
const sessionOf = (reply: { headers: Map<string, string> }) => reply.headers.get("session")?.split(";")[0] ?? "";
const rtpInfo = (reply: { headers: Map<string, string> }) => {
  const match = /seq=(\d+);rtptime=(\d+)/.exec(reply.headers.get("rtp-info") ?? "");
  return { seq: Number(match?.[1]), rtptime: Number(match?.[2]) };
};
const tick = () => new Promise((resolve) => setTimeout(resolve, 30));

describe("RTSP server with a scripted source", () => {
  it("announces the parameter sets in the SDP", async () => {
    const { client, uri } = await serve();
    const reply = await client.request("DESCRIBE", uri);
    expect(reply.body).toContain(
      `a=fmtp:96 packetization-mode=1;profile-level-id=42C01E;sprop-parameter-sets=${SPS.toString("base64")},${PPS.toString("base64")}`,
    );
  });

  it("starts a viewer on a key frame, with the sequence number, timestamp and SSRC it announced", async () => {
    const { source, client, uri } = await serve();
    const setup = await client.request("SETUP", `${uri}/trackID=0`, {
      Transport: "RTP/AVP/TCP;unicast;interleaved=4-5",
    });
    const ssrc = Number.parseInt(/ssrc=([0-9A-F]+)/.exec(setup.headers.get("transport") ?? "")?.[1] ?? "", 16);
    const play = await client.request("PLAY", uri, { Session: sessionOf(setup) });
    const announced = rtpInfo(play);
    source.send(rtp(100, 9000, pFrame)); // mid-picture: a new viewer cannot decode from here
    source.send(rtp(101, 12000, pFrame));
    await tick();
    expect(client.packets).toHaveLength(0);
    source.keyFrame(102, 15000);
    source.send(rtp(104, 18000, pFrame));
    await client.until(() => client.packets.length === 3, 2000, "three packets");
    const seqs = client.packets.map((p) => p.data.readUInt16BE(2));
    const stamps = client.packets.map((p) => p.data.readUInt32BE(4));
    expect(client.packets.every((p) => p.channel === 4 && p.data.readUInt32BE(8) === ssrc)).toBe(true);
    expect(seqs).toEqual([0, 1, 2].map((i) => (announced.seq + i) & 0xffff));
    expect(stamps).toEqual([0, 0, 3000].map((d) => (announced.rtptime + d) >>> 0));
    expect(client.packets[0]?.data.subarray(12)).toEqual(stapA(SPS, PPS));
  });

  it("asks the encoder for a key frame when a viewer joins a running stream", async () => {
    const { source, client, uri } = await serve();
    const first = await client.request("SETUP", `${uri}/trackID=0`, { Transport: "RTP/AVP/TCP;unicast" });
    await client.request("PLAY", uri, { Session: sessionOf(first) });
    await tick();
    expect(source.keyFrameRequests).toBe(0); // a fresh encoder starts with one anyway
    const second = await client.request("SETUP", `${uri}/trackID=0`, { Transport: "RTP/AVP/TCP;unicast" });
    expect(second.headers.get("transport")).toContain("interleaved=2-3"); // the next free pair on this connection
    await client.request("PLAY", uri, { Session: sessionOf(second) });
    await tick();
    expect(source.keyFrameRequests).toBe(1);
    expect(source.subscriptions).toBe(1); // one subscription, fanned out
  });

  it("sends RTP over UDP to the client's port and keeps the session alive on its RTCP", async () => {
    const { source, server, client, uri } = await serve(1);
    const rtpIn = createSocket("udp4");
    udpSockets.push(rtpIn);
    rtpIn.bind(0, "127.0.0.1");
    await once(rtpIn, "listening");
    const clientPort = rtpIn.address().port;
    const setup = await client.request("SETUP", `${uri}/trackID=0`, {
      Transport: `RTP/AVP;multicast,RTP/AVP;unicast;client_port=${clientPort}-${clientPort + 1}`,
    });
    expect(setup.status).toBe(200);
    const transport = setup.headers.get("transport") ?? "";
    const serverPorts = /server_port=(\d+)-(\d+)/.exec(transport);
    expect(Number(serverPorts?.[2])).toBe(Number(serverPorts?.[1]) + 1);
    await client.request("PLAY", uri, { Session: sessionOf(setup) });
    const received = once(rtpIn, "message");
    source.keyFrame(7, 70);
    const [datagram] = (await received) as [Buffer];
    expect(datagram.subarray(12)).toEqual(stapA(SPS, PPS));
    // RTCP receiver reports from the client's RTCP port count as life; without them the session ends in ~1 s.
    const rtcpOut = createSocket("udp4");
    udpSockets.push(rtcpOut);
    rtcpOut.bind(clientPort + 1, "127.0.0.1");
    await once(rtcpOut, "listening");
    const alive = setInterval(
      () => rtcpOut.send(Buffer.from([0x80, 201, 0, 1, 0, 0, 0, 0]), Number(serverPorts?.[2]), "127.0.0.1"),
      200,
    );
    await new Promise((resolve) => setTimeout(resolve, 1800));
    clearInterval(alive);
    expect(server.playingSessions).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(server.playingSessions).toBe(0);
    expect(source.listeners.size).toBe(0);
  });

  it("stops sending on PAUSE, goes on with the next sequence number on PLAY", async () => {
    const { source, client, uri } = await serve();
    const setup = await client.request("SETUP", `${uri}/trackID=0`, {
      Transport: "RTP/AVP/TCP;unicast;interleaved=0-1",
    });
    const session = sessionOf(setup);
    const play = await client.request("PLAY", uri, { Session: session });
    source.keyFrame(1, 1000);
    await client.until(() => client.packets.length === 2, 2000, "two packets");
    expect((await client.request("PAUSE", uri, { Session: session })).status).toBe(200);
    expect(source.listeners.size).toBe(0);
    expect(
      (await client.request("SETUP", `${uri}/trackID=0`, { Session: "nope", Transport: "RTP/AVP/TCP" })).status,
    ).toBe(454);
    const again = await client.request("PLAY", uri, { Session: session });
    expect(rtpInfo(again).seq).toBe((rtpInfo(play).seq + 2) & 0xffff);
    source.keyFrame(50, 99_000);
    await client.until(() => client.packets.length === 4, 2000, "two more packets");
    expect(client.packets[2]?.data.readUInt16BE(2)).toBe(rtpInfo(again).seq);
    const playing = await client.request("SETUP", `${uri}/trackID=0`, { Session: session, Transport: "RTP/AVP/TCP" });
    expect(playing.status).toBe(455);
  });

  it("ends a viewer's sessions when its connection closes, and refuses sessions past the limit", async () => {
    const { source, server, client, uri } = await serve();
    for (let i = 0; i < 3; i++) {
      const setup = await client.request("SETUP", `${uri}/trackID=0`, { Transport: "RTP/AVP/TCP;unicast" });
      expect(setup.status).toBe(200);
      await client.request("PLAY", uri, { Session: sessionOf(setup) });
    }
    expect((await client.request("SETUP", `${uri}/trackID=0`, { Transport: "RTP/AVP/TCP;unicast" })).status).toBe(453);
    expect(server.playingSessions).toBe(3);
    client.close();
    const deadline = Date.now() + 2000;
    while (server.playingSessions > 0 && Date.now() < deadline) await tick();
    expect(server.playingSessions).toBe(0);
    expect(source.listeners.size).toBe(0);
  });

  it("survives 100,000 random bytes on many connections and still answers", async () => {
    const { server, uri } = await serve();
    const port = Number(new URL(uri).port);
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    for (let c = 0; c < 20; c++) {
      const noisy = await RawRtspClient.open(port);
      clients.push(noisy);
      const bytes = Buffer.alloc(5000);
      for (let i = 0; i < bytes.length; i++) {
        // Mostly printable with line ends, so some of it reaches the header parser; some "$" frames too.
        const r = random() % 100;
        bytes[i] = r < 5 ? 0x0a : r < 8 ? 0x24 : r < 10 ? random() & 0xff : 0x20 + (random() % 95);
      }
      noisy.socket.write(bytes);
    }
    await tick();
    const fresh = await RawRtspClient.open(port);
    clients.push(fresh);
    expect((await fresh.request("OPTIONS", uri)).status).toBe(200);
    expect(server.playingSessions).toBe(0);
  });
});
