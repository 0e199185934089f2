// A small RTSP/1.0 server (RFC 2326) for one live H.264 stream: OPTIONS, DESCRIBE, SETUP (RTP over the RTSP
// connection, or UDP unicast), PLAY, PAUSE, TEARDOWN, GET_/SET_PARAMETER keep-alives, several viewers at once.
// Every viewer starts on a key frame and gets its own sequence numbers, timestamps and SSRC, so what PLAY announces in
// RTP-Info is exactly what arrives. Bad input gets a 4xx and a log line; a stream that cannot be parsed is closed.
import { randomBytes, randomInt } from "node:crypto";
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { createServer, isIPv6, type Server, type Socket } from "node:net";
import type { Logger } from "pino";
import type { LoginChecker } from "../http-auth.ts";
import { payloadOffset, profileLevelId, startsKeyFrame } from "./rtp-h264.ts";
import { formatResponse, parseTransport, RtspParser, type RtspRequest } from "./rtsp-message.ts";

/** Where the packets come from: H.264 in RTP (payload type 96, 90 kHz clock, packetization-mode 1). */
export interface H264Source {
  /** SPS and PPS (NAL units without start codes) for the SDP; may start the encoder to learn them. */
  parameterSets(): Promise<{ sps: Buffer; pps: Buffer }>;
  /** Delivers every RTP packet until the returned function is called; throws if the source cannot start. */
  subscribe(onPacket: (packet: Buffer) => void): () => void;
  /** A new viewer waits for a key frame: send one soon. */
  requestKeyFrame(): void;
}

export interface RtspServerOptions {
  source: H264Source;
  /** The SDP session name (s=). */
  name: string;
  logger: Logger;
  /** The stream's path; the track is `${path}/trackID=0`. */
  path?: string;
  /** Announced in Session headers; a session with no sign of its client for this long is torn down. */
  sessionTimeoutS?: number;
  framerate?: number;
  maxSessions?: number;
  /** The login every request but OPTIONS needs (a real camera's RTSP asks for one); none when not given. */
  login?: LoginChecker;
}

type Transport = { kind: "tcp"; channel: number } | { kind: "udp"; address: string; rtpPort: number; rtcpPort: number };

interface Session {
  id: string;
  connection: Connection;
  transport: Transport;
  ssrc: number;
  playing: boolean;
  /** Has seen its first key frame since PLAY (or since packets were dropped for a slow reader). */
  synced: boolean;
  nextSeq: number;
  /** The rtptime announced by PLAY, given to the first packet after it. */
  announcedTs: number;
  seqOffset: number;
  tsOffset: number | undefined;
  lastSentTs: number;
  lastSentAt: number;
  lastSeen: number;
  warnedSlow: boolean;
}

interface Connection {
  socket: Socket;
  parser: RtspParser;
  /** Requests are answered in order even when one of them waits (DESCRIBE may start the encoder). */
  queue: Promise<void>;
  sessions: Set<Session>;
  peer: string;
  lastSeen: number;
}

interface Reply {
  status: number;
  headers?: [string, string][];
  body?: string;
  /** Runs after the reply is written (PLAY starts sending only then). */
  after?: () => void;
}

const METHODS = ["OPTIONS", "DESCRIBE", "SETUP", "PLAY", "PAUSE", "TEARDOWN", "GET_PARAMETER", "SET_PARAMETER"];
const SERVER = "rc-camera-simulator";
/** A viewer whose socket holds this much unsent data loses packets until the next key frame... */
const SLOW_BYTES = 1024 * 1024;
/** ...and is dropped past this. */
const STUCK_BYTES = 8 * 1024 * 1024;

export class RtspServer {
  private readonly path: string;
  private readonly timeoutS: number;
  private server: Server | undefined;
  private rtp: UdpSocket | undefined;
  private rtcp: UdpSocket | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private readonly connections = new Set<Connection>();
  private readonly sessions = new Map<string, Session>();
  private unsubscribe: (() => void) | undefined;
  private host = "127.0.0.1";
  private port = 0;
  private readonly sdpVersion = Date.now();

  constructor(private readonly options: RtspServerOptions) {
    this.path = (options.path ?? "/stream").replace(/\/+$/, "");
    this.timeoutS = options.sessionTimeoutS ?? 60;
  }

  get uri(): string {
    return `rtsp://${isIPv6(this.host) ? `[${this.host}]` : this.host}:${this.port}${this.path}`;
  }

  /** Viewers receiving packets now. */
  get playingSessions(): number {
    return [...this.sessions.values()].filter((s) => s.playing).length;
  }

  async listen(host = "127.0.0.1", port = 0): Promise<{ port: number }> {
    if (this.server) throw new Error("RTSP server already listening");
    const server = createServer((socket) => this.accept(socket));
    server.maxConnections = 64;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    server.on("error", (err) => this.options.logger.error({ err }, "RTSP server socket error"));
    this.server = server;
    this.host = host;
    this.port = (server.address() as { port: number }).port;
    try {
      [this.rtp, this.rtcp] = await bindPortPair(host);
    } catch (err) {
      // Viewers can still use RTP over TCP; SETUP for UDP then answers 461 and they fall back.
      this.options.logger.warn({ err }, "no UDP port pair for RTP: UDP transport disabled");
    }
    this.rtcp?.on("message", (_data, from) => {
      for (const session of this.sessions.values()) {
        const t = session.transport;
        if (t.kind === "udp" && t.address === from.address && t.rtcpPort === from.port) session.lastSeen = Date.now();
      }
    });
    const sweepMs = Math.min(5000, (this.timeoutS * 1000) / 2);
    this.sweeper = setInterval(() => this.sweep(), sweepMs);
    this.sweeper.unref();
    return { port: this.port };
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    clearInterval(this.sweeper);
    for (const session of [...this.sessions.values()]) this.endSession(session, "server closing");
    for (const connection of this.connections) connection.socket.destroy();
    this.connections.clear();
    for (const socket of [this.rtp, this.rtcp]) socket?.close();
    this.rtp = undefined;
    this.rtcp = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    const connection: Connection = {
      socket,
      parser: new RtspParser(),
      queue: Promise.resolve(),
      sessions: new Set(),
      peer: `${socket.remoteAddress}:${socket.remotePort}`,
      lastSeen: Date.now(),
    };
    this.connections.add(connection);
    socket.setNoDelay(true);
    socket.on("data", (data: Buffer) => this.receive(connection, data));
    socket.on("error", (err) => this.options.logger.debug({ err, peer: connection.peer }, "RTSP connection error"));
    socket.on("close", () => {
      this.connections.delete(connection);
      // Its viewers are gone too: a session does not outlive the connection that set it up.
      for (const session of connection.sessions) this.endSession(session, "connection closed");
    });
  }

  private receive(connection: Connection, data: Buffer): void {
    connection.lastSeen = Date.now();
    for (const session of connection.sessions) session.lastSeen = connection.lastSeen;
    for (const item of connection.parser.push(data)) {
      if (item.kind === "interleaved") continue; // RTCP receiver reports: proof of life, nothing more
      if (item.kind === "bad") {
        this.options.logger.warn({ peer: connection.peer, reason: item.reason }, "bad RTSP input, closing connection");
        connection.queue = connection.queue.then(() => {
          connection.socket.end(formatResponse(item.status, [["Server", SERVER]]));
        });
        return;
      }
      const request = item.request;
      connection.queue = connection.queue.then(async () => {
        let reply: Reply;
        try {
          reply = await this.answer(connection, request);
        } catch (err) {
          this.options.logger.error({ err, method: request.method }, "RTSP request failed");
          reply = { status: 500 };
        }
        // A 401 is the usual first answer to a client that logs in (it asks for the challenge): not worth a warning.
        if (reply.status >= 400 && reply.status !== 401) {
          this.options.logger.warn(
            { peer: connection.peer, method: request.method, uri: request.uri, status: reply.status },
            "RTSP request refused",
          );
        }
        if (connection.socket.destroyed) return;
        const cseq = request.headers.get("cseq");
        const headers: [string, string][] = [
          ...(cseq === undefined ? [] : ([["CSeq", cseq]] as [string, string][])),
          ["Date", new Date().toUTCString()],
          ["Server", SERVER],
          ...(reply.headers ?? []),
        ];
        connection.socket.write(formatResponse(reply.status, headers, reply.body));
        try {
          reply.after?.();
        } catch (err) {
          this.options.logger.error({ err, method: request.method }, "RTSP stream did not start");
          connection.socket.destroy();
        }
      });
    }
  }

  private async answer(connection: Connection, request: RtspRequest): Promise<Reply> {
    const cseq = request.headers.get("cseq");
    if (cseq === undefined || !/^\d{1,10}$/.test(cseq)) return { status: 400, body: "CSeq missing or not a number\n" };
    const require = request.headers.get("require");
    if (require) return { status: 551, headers: [["Unsupported", require]] };
    if (!METHODS.includes(request.method)) {
      return ["ANNOUNCE", "RECORD", "REDIRECT"].includes(request.method)
        ? { status: 405, headers: [["Allow", METHODS.join(", ")]] }
        : { status: 501 };
    }
    if (request.method === "OPTIONS") return { status: 200, headers: [["Public", METHODS.join(", ")]] };
    const { login } = this.options;
    if (login && !login.valid(request.headers.get("authorization"), request.method)) {
      return {
        status: 401,
        headers: login.challenges().map((value) => ["WWW-Authenticate", value] as [string, string]),
      };
    }
    const target = this.target(request.uri);
    if (target === "bad") return { status: 400, body: "request URI is not an rtsp:// URL\n" };
    if (target === "other") return { status: 404 };
    switch (request.method) {
      case "DESCRIBE":
        return this.describe(request);
      case "SETUP":
        return this.setup(connection, request);
      case "GET_PARAMETER":
      case "SET_PARAMETER": {
        const session = this.sessionOf(request);
        if (session === "unknown") return { status: 454 };
        if (session) session.lastSeen = Date.now();
        // Empty bodies are keep-alives; no parameter is known by name.
        return request.body.length === 0
          ? { status: 200, headers: session ? [["Session", this.sessionHeader(session)]] : [] }
          : { status: 451 };
      }
    }
    const session = this.sessionOf(request);
    if (!session || session === "unknown") return { status: 454 };
    session.lastSeen = Date.now();
    switch (request.method) {
      case "PLAY":
        return this.play(session, request);
      case "PAUSE":
        this.stopSending(session);
        return { status: 200, headers: [["Session", this.sessionHeader(session)]] };
      default:
        this.endSession(session, "TEARDOWN");
        return { status: 200 };
    }
  }

  /** Which resource a request URI names: the stream, its one track, something else, or not a URL at all. */
  private target(uri: string): "stream" | "track" | "other" | "bad" {
    if (uri === "*") return "stream";
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      return "bad";
    }
    if (url.protocol !== "rtsp:") return "bad";
    const path = url.pathname.replace(/\/+$/, "");
    if (path === this.path) return "stream";
    if (path === `${this.path}/trackID=0`) return "track";
    return "other";
  }

  private async describe(request: RtspRequest): Promise<Reply> {
    const { sps, pps } = await this.options.source.parameterSets();
    const ip6 = isIPv6(this.host);
    const sdp = [
      "v=0",
      `o=- ${this.sdpVersion} 1 IN ${ip6 ? "IP6" : "IP4"} ${this.host}`,
      `s=${this.options.name.replace(/[\r\n]+/g, " ") || "camera"}`,
      `c=IN ${ip6 ? "IP6 ::" : "IP4 0.0.0.0"}`,
      "t=0 0",
      `a=tool:${SERVER}`,
      "a=type:broadcast",
      "a=control:*",
      "a=range:npt=now-",
      "m=video 0 RTP/AVP 96",
      "a=rtpmap:96 H264/90000",
      `a=fmtp:96 packetization-mode=1;profile-level-id=${profileLevelId(sps)};sprop-parameter-sets=${sps.toString("base64")},${pps.toString("base64")}`,
      ...(this.options.framerate ? [`a=framerate:${this.options.framerate}`] : []),
      "a=control:trackID=0",
      "",
    ].join("\r\n");
    const base = request.uri === "*" ? this.uri : request.uri;
    return {
      status: 200,
      headers: [
        ["Content-Base", base.endsWith("/") ? base : `${base}/`],
        ["Content-Type", "application/sdp"],
      ],
      body: sdp,
    };
  }

  private setup(connection: Connection, request: RtspRequest): Reply {
    const existing = this.sessionOf(request);
    if (existing === "unknown") return { status: 454 };
    if (existing?.playing) return { status: 455, headers: [["Allow", "PLAY, PAUSE, TEARDOWN, GET_PARAMETER"]] };
    if (!existing && this.sessions.size >= (this.options.maxSessions ?? 16)) return { status: 453 };
    let transport: Transport | undefined;
    let reply = "";
    for (const spec of parseTransport(request.headers.get("transport") ?? "")) {
      if (!spec.unicast) continue;
      if (spec.lower === "tcp") {
        const channel = spec.interleaved?.[0] ?? 2 * connection.sessions.size;
        if (channel > 254) continue;
        transport = { kind: "tcp", channel };
        reply = `RTP/AVP/TCP;unicast;interleaved=${channel}-${channel + 1}`;
        break;
      }
      if (spec.clientPort && this.rtp && this.rtcp) {
        // RTP goes to the address the RTSP request came from, never to a "destination" a client names.
        transport = {
          kind: "udp",
          address: connection.socket.remoteAddress ?? this.host,
          rtpPort: spec.clientPort[0],
          rtcpPort: spec.clientPort[1],
        };
        reply = `RTP/AVP;unicast;client_port=${spec.clientPort[0]}-${spec.clientPort[1]};server_port=${this.rtp.address().port}-${this.rtcp.address().port}`;
        break;
      }
    }
    if (!transport) return { status: 461 };
    const session: Session = existing ?? {
      id: randomBytes(8).toString("hex"),
      connection,
      transport,
      ssrc: randomInt(1, 0xffffffff),
      playing: false,
      synced: false,
      nextSeq: randomInt(0, 0x10000),
      announcedTs: randomInt(0, 0xffffffff),
      seqOffset: 0,
      tsOffset: undefined,
      lastSentTs: 0,
      lastSentAt: 0,
      lastSeen: Date.now(),
      warnedSlow: false,
    };
    session.transport = transport;
    if (!existing) {
      this.sessions.set(session.id, session);
      connection.sessions.add(session);
      this.options.logger.debug(
        { session: session.id, peer: connection.peer, transport: transport.kind },
        "RTSP setup",
      );
    }
    const ssrc = session.ssrc.toString(16).toUpperCase().padStart(8, "0");
    return {
      status: 200,
      headers: [
        ["Transport", `${reply};ssrc=${ssrc};mode="PLAY"`],
        ["Session", this.sessionHeader(session)],
      ],
    };
  }

  private play(session: Session, request: RtspRequest): Reply {
    if (!session.playing) {
      // Timestamps go on from the last packet as if the clock had kept running through a PAUSE.
      if (session.lastSentAt > 0) {
        session.announcedTs = (session.lastSentTs + Math.round((Date.now() - session.lastSentAt) * 90)) >>> 0;
      }
      session.tsOffset = undefined;
      session.synced = false;
    }
    const trackUrl = `${request.uri.replace(/\/trackID=0\/?$/, "").replace(/\/+$/, "")}/trackID=0`;
    const starting = !session.playing;
    return {
      status: 200,
      headers: [
        ["Range", "npt=now-"],
        ["RTP-Info", `url=${trackUrl};seq=${session.nextSeq};rtptime=${session.announcedTs}`],
        ["Session", this.sessionHeader(session)],
      ],
      after: starting ? () => this.startSending(session) : undefined,
    };
  }

  private startSending(session: Session): void {
    if (!this.sessions.has(session.id)) return;
    if (!this.unsubscribe) {
      this.unsubscribe = this.options.source.subscribe((packet) => this.fanOut(packet));
    } else {
      this.options.source.requestKeyFrame();
    }
    session.playing = true;
    this.options.logger.debug({ session: session.id }, "RTSP play");
  }

  private stopSending(session: Session): void {
    if (!session.playing) return;
    session.playing = false;
    if (this.playingSessions === 0) {
      this.unsubscribe?.();
      this.unsubscribe = undefined;
    }
  }

  private endSession(session: Session, why: string): void {
    if (!this.sessions.delete(session.id)) return;
    session.connection.sessions.delete(session);
    this.stopSending(session);
    this.options.logger.debug({ session: session.id, why }, "RTSP session ended");
  }

  private fanOut(packet: Buffer): void {
    const offset = payloadOffset(packet);
    if (offset === undefined) return;
    let keyFrame: boolean | undefined;
    const seq = packet.readUInt16BE(2);
    const ts = packet.readUInt32BE(4);
    for (const session of this.sessions.values()) {
      if (!session.playing) continue;
      const { socket } = session.connection;
      if (session.transport.kind === "tcp" && socket.writableLength > SLOW_BYTES) {
        if (socket.writableLength > STUCK_BYTES) {
          this.options.logger.warn({ session: session.id }, "RTSP viewer stopped reading: closing its connection");
          socket.destroy();
          continue;
        }
        if (!session.warnedSlow) {
          this.options.logger.warn(
            { session: session.id },
            "RTSP viewer reads too slowly: dropping to the next key frame",
          );
          session.warnedSlow = true;
        }
        session.synced = false;
        continue;
      }
      if (!session.synced) {
        keyFrame ??= startsKeyFrame(packet);
        if (!keyFrame) continue;
        session.synced = true;
        session.seqOffset = (session.nextSeq - seq) & 0xffff;
        session.tsOffset ??= (session.announcedTs - ts) >>> 0;
      }
      const outSeq = (seq + session.seqOffset) & 0xffff;
      const outTs = (ts + (session.tsOffset ?? 0)) >>> 0;
      session.nextSeq = (outSeq + 1) & 0xffff;
      session.lastSentTs = outTs;
      session.lastSentAt = Date.now();
      const t = session.transport;
      if (t.kind === "tcp") {
        const framed = Buffer.allocUnsafe(packet.length + 4);
        framed[0] = 0x24;
        framed[1] = t.channel;
        framed.writeUInt16BE(packet.length, 2);
        packet.copy(framed, 4);
        rewrite(framed.subarray(4), outSeq, outTs, session.ssrc);
        socket.write(framed);
      } else {
        const copy = Buffer.from(packet);
        rewrite(copy, outSeq, outTs, session.ssrc);
        this.rtp?.send(copy, t.rtpPort, t.address);
      }
    }
  }

  private sessionOf(request: RtspRequest): Session | "unknown" | undefined {
    const header = request.headers.get("session");
    if (header === undefined) return undefined;
    return this.sessions.get(header.split(";")[0]?.trim() ?? "") ?? "unknown";
  }

  private sessionHeader(session: Session): string {
    return `${session.id};timeout=${this.timeoutS}`;
  }

  private sweep(): void {
    const now = Date.now();
    const timeoutMs = this.timeoutS * 1000;
    for (const session of [...this.sessions.values()]) {
      if (now - session.lastSeen > timeoutMs) {
        this.options.logger.info({ session: session.id }, "RTSP session timed out");
        this.endSession(session, "timeout");
      }
    }
    // A connection with no session that has said nothing for a whole timeout is dropped; one with a session lives
    // as long as the session (its client may keep it alive over RTCP only).
    for (const connection of this.connections) {
      if (connection.sessions.size === 0 && now - connection.lastSeen > timeoutMs) connection.socket.destroy();
    }
  }
}

function rewrite(packet: Buffer, seq: number, ts: number, ssrc: number): void {
  packet.writeUInt16BE(seq, 2);
  packet.writeUInt32BE(ts, 4);
  packet.writeUInt32BE(ssrc >>> 0, 8);
}

/** Two UDP sockets on consecutive ports (RTP even, RTCP the next one), as RFC 3550 §11 expects. */
async function bindPortPair(host: string): Promise<[UdpSocket, UdpSocket]> {
  const type = isIPv6(host) ? "udp6" : "udp4";
  const bind = (port: number) =>
    new Promise<UdpSocket>((resolve, reject) => {
      const socket = createSocket(type);
      socket.once("error", (err) => {
        socket.close();
        reject(err);
      });
      socket.bind(port, host, () => {
        socket.removeAllListeners("error");
        socket.on("error", () => {}); // ICMP port unreachable from a viewer gone away: nothing to do
        resolve(socket);
      });
    });
  for (let attempt = 0; attempt < 20; attempt++) {
    const rtp = await bind(0);
    const port = rtp.address().port;
    if (port % 2 === 0 && port < 65535) {
      const rtcp = await bind(port + 1).catch(() => undefined);
      if (rtcp) return [rtp, rtcp];
    }
    rtp.close();
  }
  throw new Error("no free pair of consecutive UDP ports");
}
