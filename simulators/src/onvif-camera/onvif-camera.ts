// A simulated ONVIF PTZ camera (Device, Media, PTZ services) written from research/onvif.md, on its own loopback port.
// Position follows a mechanical model with finite speeds; presets survive a simulated reboot.
import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { CameraPicture } from "./picture/camera-picture.ts";

export interface OnvifCameraOptions {
  name: string;
  port?: number; // 0 = any free port
  username?: string;
  password?: string;
  /** Accepted |camera clock − token Created| in seconds. */
  skewWindowS?: number;
  /** Camera clock minus real time, in ms (a camera whose clock is off). */
  clockOffsetMs?: number;
  /** Full-range travel time in seconds at velocity 1 (pan/tilt over −1..1, zoom over 0..1). */
  fullSpeedTravelS?: number;
  /** Quirk: GetStatus carries no MoveStatus (Hikvision). */
  noMoveStatus?: boolean;
  /** Quirk: GetServices faults (some AXIS firmware). */
  getServicesFaults?: boolean;
  /** Quirk: the encoder configuration lacks Resolution and RateControl (Lorex-style profiles). */
  encoderWithoutResolution?: boolean;
  /** Quirk: Hikvision-like 255 numeric preset slots with special-function presets (94 reboots), no MoveStatus. */
  hikvisionPresets?: boolean;
  /** "http-digest": the camera ignores WS-Security and answers 401 with a Digest challenge (some real cameras). */
  auth?: "ws-username-token" | "http-digest";
  /** Labels of the seats the picture shows (preset names of the room), for the live picture. */
  seats?: { label: string; pan: number; tilt: number }[];
  /**
   * A live picture (RTSP stream at GetStreamUri, JPEG at the snapshot URI) that follows the head; default true. Idle
   * it costs a listening socket; GStreamer runs only for a snapshot or while someone watches. Tests that run many
   * cameras and never look at them say false.
   */
  picture?: boolean;
  /** The RTSP port of the live picture (0 = any free port, then kept across a simulated reboot). */
  rtspPort?: number;
}

/** What a broken camera does on request: answer normally, never answer, or answer bytes that are not SOAP. */
export type CameraBehaviour = "normal" | "silent" | "garbage";

/** Hikvision's special-function presets (research/onvif.md and the recorded DS-2DF7276 GetPresets). */
const HIKVISION_SPECIALS: Record<number, string> = {
  33: "Auto-flip",
  34: "Back to origin",
  35: "Call patrol 1",
  36: "Call patrol 2",
  37: "Call patrol 3",
  38: "Call patrol 4",
  39: "Day mode",
  40: "Night mode",
  41: "Call pattern 1",
  42: "Call pattern 2",
  43: "Call pattern 3",
  44: "Call pattern 4",
  92: "Set manual limits",
  93: "Save manual limits",
  94: "Remote reboot",
  95: "Call OSD menu",
  96: "Stop a scan",
  97: "Start random scan",
  98: "Start frame scan",
  99: "Start auto scan",
  100: "Start tilt scan",
  101: "Start panorama scan",
  102: "Call patrol 5",
  103: "Call patrol 6",
  104: "Call patrol 7",
  105: "Call patrol 8",
};

interface Position {
  x: number;
  y: number;
  zoom: number;
}
interface Preset {
  token: string;
  /** "" for an unnamed slot (Hikvision has 255 slots, most of them unset). */
  name: string;
  position: Position | undefined;
}
/** Motion in progress: velocity-driven (continuous) or target-driven (absolute/relative/preset/home). */
type Motion =
  | { kind: "velocity"; vx: number; vy: number; vz: number; since: number; until: number }
  | { kind: "target"; from: Position; to: Position; since: number; durationMs: number };

const PROFILE = "profile_1";
const NS = {
  soap: "http://www.w3.org/2003/05/soap-envelope",
  tds: "http://www.onvif.org/ver10/device/wsdl",
  trt: "http://www.onvif.org/ver10/media/wsdl",
  tptz: "http://www.onvif.org/ver20/ptz/wsdl",
  tt: "http://www.onvif.org/ver10/schema",
  ter: "http://www.onvif.org/ver10/error",
};

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/** xs:duration like PT1S, PT0.5S, PT1M → ms. */
export function parseDuration(text: string): number | undefined {
  const m = /^P(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(text.trim());
  if (!m) return undefined;
  return ((Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0)) * 60 + Number(m[3] ?? 0)) * 1000;
}

class SoapFault extends Error {
  constructor(
    readonly code: "Sender" | "Receiver",
    readonly subcode: string,
    message: string,
  ) {
    super(message);
  }
}

/** First element with this local name (any prefix): its attributes and inner text. */
function element(xml: string, local: string): { attrs: Record<string, string>; inner: string } | undefined {
  const re = new RegExp(`<(?:[\\w.-]+:)?${local}(\\s[^>]*?)?(/>|>([\\s\\S]*?)</(?:[\\w.-]+:)?${local}>)`);
  const m = re.exec(xml);
  if (!m) return undefined;
  const attrs: Record<string, string> = {};
  for (const a of (m[1] ?? "").matchAll(/([\w:.-]+)\s*=\s*"([^"]*)"/g)) {
    attrs[(a[1] ?? "").replace(/^.*:/, "")] = a[2] ?? "";
  }
  return { attrs, inner: m[3] ?? "" };
}
const text = (xml: string, local: string) => element(xml, local)?.inner.trim();
const escapeXml = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const unescapeXml = (s: string) =>
  s
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, "&");

export class OnvifCamera {
  readonly options: Required<Omit<OnvifCameraOptions, "port" | "rtspPort">> & { port: number; rtspPort: number };
  /** Every operation received, in order (for tests and the latency benchmark). */
  readonly requests: { operation: string; at: number }[] = [];
  /** Every motion the head started: wall-clock start and when it will have arrived (for the director's tests). */
  readonly motions: { startedAt: number; arrivesAt: number }[] = [];
  /** Misbehaviour: delay every answer by this many ms. */
  slowMs = 0;
  /** Misbehaviour: "silent" accepts requests and never answers, "garbage" answers bytes that are not SOAP. */
  behaviour: CameraBehaviour = "normal";
  /** The live picture's JPEG, when one is attached (served at /snapshot.jpg). */
  snapshotSource: (() => Promise<Buffer>) | undefined;
  /** The live picture's RTSP URI, when one is attached (returned by GetStreamUri). */
  streamUri: string | undefined;
  private server: Server | undefined;
  private picture: CameraPicture | undefined;
  private position: Position = { x: 0, y: 0, zoom: 0 };
  private home: Position = { x: 0, y: 0, zoom: 0 };
  private motion: Motion | undefined;
  // Kept outside the server's life: a reboot keeps presets (they live in the camera's flash).
  private readonly presets = new Map<string, Preset>();
  private nextPreset = 1;

  constructor(options: OnvifCameraOptions) {
    this.options = {
      port: 0,
      username: "admin",
      password: "admin",
      skewWindowS: 300,
      clockOffsetMs: 0,
      fullSpeedTravelS: 4,
      noMoveStatus: false,
      getServicesFaults: false,
      encoderWithoutResolution: false,
      hikvisionPresets: false,
      auth: "ws-username-token",
      seats: [],
      picture: true,
      rtspPort: 0,
      ...options,
    };
    if (this.options.hikvisionPresets) {
      for (let slot = 1; slot <= 255; slot++) {
        const token = String(slot);
        this.presets.set(token, { token, name: HIKVISION_SPECIALS[slot] ?? "", position: undefined });
      }
    }
  }

  get port(): number {
    return this.options.port;
  }
  get deviceServiceUrl(): string {
    return `http://127.0.0.1:${this.port}/onvif/device_service`;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.options.port, "127.0.0.1", () => resolve());
    });
    this.options.port = (server.address() as AddressInfo).port;
    this.server = server;
    if (this.options.picture) {
      try {
        await this.startPicture();
      } catch (error) {
        await this.stop();
        throw error;
      }
    }
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await this.stopPicture();
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The live picture: the window follows the head as the mechanical model has it now (what GetStatus answers). */
  private async startPicture(): Promise<void> {
    const { seats } = this.options;
    const picture = new CameraPicture({ name: this.options.name, ...(seats.length > 0 ? { seats } : {}) }, () => {
      const { position } = this.status();
      return { pan: position.x, tilt: position.y, zoom: position.zoom };
    });
    this.picture = picture;
    const { rtspUri } = await picture.listen("127.0.0.1", this.options.rtspPort);
    // The same URI after a reboot, as a real camera keeps its RTSP port: viewers and the media worker reconnect to it.
    this.options.rtspPort = Number(new URL(rtspUri).port);
    this.streamUri = rtspUri;
    this.snapshotSource = () => picture.snapshot();
  }

  private async stopPicture(): Promise<void> {
    const picture = this.picture;
    this.picture = undefined;
    if (!picture) return;
    this.streamUri = undefined;
    this.snapshotSource = undefined;
    await picture.close();
  }

  /** Simulated power cycle: the port goes away, motion stops, the head goes home; presets remain. */
  async reboot(offlineMs = 200): Promise<void> {
    await this.stop();
    this.motion = undefined;
    this.position = { ...this.home };
    await new Promise((r) => setTimeout(r, offlineMs));
    await this.start();
  }

  /** Current head position and whether it still moves (the mechanical model, evaluated now). */
  status(now = Date.now()): { position: Position; moving: boolean } {
    const motion = this.motion;
    if (!motion) return { position: { ...this.position }, moving: false };
    const travelMs = this.options.fullSpeedTravelS * 1000;
    if (motion.kind === "velocity") {
      const end = Math.min(now, motion.until);
      const dt = (end - motion.since) / travelMs;
      const p = {
        x: clamp(this.position.x + motion.vx * dt * 2, -1, 1),
        y: clamp(this.position.y + motion.vy * dt * 2, -1, 1),
        zoom: clamp(this.position.zoom + motion.vz * dt, 0, 1),
      };
      if (now >= motion.until) {
        this.position = p;
        this.motion = undefined;
        return { position: { ...p }, moving: false };
      }
      return { position: p, moving: true };
    }
    const f = motion.durationMs <= 0 ? 1 : Math.min(1, (now - motion.since) / motion.durationMs);
    const p = {
      x: motion.from.x + (motion.to.x - motion.from.x) * f,
      y: motion.from.y + (motion.to.y - motion.from.y) * f,
      zoom: motion.from.zoom + (motion.to.zoom - motion.from.zoom) * f,
    };
    if (f >= 1) {
      this.position = p;
      this.motion = undefined;
      return { position: { ...p }, moving: false };
    }
    return { position: p, moving: true };
  }

  /** A preset stored as an installer does it at the camera's web page (the demo seeds each seat's preset). */
  storePreset(name: string, position: { x: number; y: number; zoom: number }): string {
    const token = this.newPresetToken();
    this.presets.set(token, { token, name, position: { ...position } });
    return token;
  }

  /** A new preset's token: the lowest unnamed ordinary slot on a Hikvision-like camera, else the next number. */
  private newPresetToken(): string {
    if (this.options.hikvisionPresets) {
      const free = [...this.presets.values()].find(
        (p) => p.name === "" && HIKVISION_SPECIALS[Number(p.token)] === undefined,
      );
      if (!free) throw new SoapFault("Receiver", "ter:TooManyPresets", "no free preset slot");
      return free.token;
    }
    return String(this.nextPreset++);
  }

  private settle(now: number): void {
    this.position = this.status(now).position;
    this.motion = undefined;
  }

  private moveTo(target: Position, speed = 1): void {
    const now = Date.now();
    this.settle(now);
    const to = { x: clamp(target.x, -1, 1), y: clamp(target.y, -1, 1), zoom: clamp(target.zoom, 0, 1) };
    const travelMs = this.options.fullSpeedTravelS * 1000;
    const s = clamp(speed, 0.05, 1);
    const dist = Math.max(
      Math.abs(to.x - this.position.x) / 2,
      Math.abs(to.y - this.position.y) / 2,
      Math.abs(to.zoom - this.position.zoom),
    );
    this.motion = { kind: "target", from: { ...this.position }, to, since: now, durationMs: (dist * travelMs) / s };
    this.motions.push({ startedAt: now, arrivesAt: now + this.motion.durationMs });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    if (this.slowMs > 0) await new Promise((r) => setTimeout(r, this.slowMs));
    if (this.behaviour === "silent") return; // the socket stays open, unanswered, until stop()
    if (this.behaviour === "garbage") {
      const junk = randomBytes(256);
      res.writeHead(200, { "Content-Type": "application/soap+xml; charset=utf-8", "Content-Length": junk.length });
      res.end(junk);
      return;
    }
    const wantsDigest = this.options.auth === "http-digest";
    const isTimeQuery = /GetSystemDateAndTime/.test(body);
    if (req.method === "GET" && req.url?.split("?")[0] === "/snapshot.jpg") {
      if (wantsDigest && !this.digestValid(req, "GET")) return this.challenge(res);
      return this.serveSnapshot(res);
    }
    if (wantsDigest && !isTimeQuery && !this.digestValid(req, "POST")) return this.challenge(res);
    let status = 200;
    let reply: string;
    try {
      const soapBody = element(body, "Body");
      if (req.method !== "POST" || !soapBody) throw new SoapFault("Sender", "ter:InvalidArgVal", "not a SOAP request");
      const op = /<(?:[\w.-]+:)?(\w+)[\s/>]/.exec(soapBody.inner.trim())?.[1];
      if (!op) throw new SoapFault("Sender", "ter:InvalidArgVal", "empty SOAP body");
      this.requests.push({ operation: op, at: performance.now() });
      if (op !== "GetSystemDateAndTime" && !wantsDigest) this.authenticate(body);
      reply = this.operate(op, soapBody.inner);
    } catch (err) {
      const fault =
        err instanceof SoapFault ? err : new SoapFault("Receiver", "ter:Action", (err as Error).message ?? "error");
      status = fault.code === "Sender" ? 400 : 500;
      reply = `<s:Fault><s:Code><s:Value>s:${fault.code}</s:Value><s:Subcode><s:Value>${fault.subcode}</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang="en">${escapeXml(fault.message)}</s:Text></s:Reason></s:Fault>`;
    }
    const xmlns = Object.entries(NS)
      .map(([p, u]) => `xmlns:${p === "soap" ? "s" : p}="${u}"`)
      .join(" ");
    const out = Buffer.from(
      `<?xml version="1.0" encoding="UTF-8"?><s:Envelope ${xmlns}><s:Body>${reply}</s:Body></s:Envelope>`,
    );
    res.writeHead(status, { "Content-Type": "application/soap+xml; charset=utf-8", "Content-Length": out.length });
    res.end(out);
  }

  private readonly digestNonces = new Set<string>();

  /** 401 with an RFC 7616 challenge; the nonce holds "=" as base64 does, which trips naive parsers (node-onvif). */
  private challenge(res: ServerResponse): void {
    const nonce = randomBytes(12).toString("base64");
    this.digestNonces.add(nonce);
    if (this.digestNonces.size > 1000) this.digestNonces.delete(this.digestNonces.values().next().value as string);
    res.writeHead(401, {
      "WWW-Authenticate": `Digest realm="rc-camera", qop="auth", nonce="${nonce}", opaque="${randomBytes(4).toString("hex")}", algorithm=MD5`,
      "Content-Length": 0,
    });
    res.end();
  }

  private digestValid(req: IncomingMessage, method: string): boolean {
    const header = req.headers.authorization ?? "";
    if (!/^Digest\s/i.test(header)) return false;
    const f: Record<string, string> = {};
    for (const m of header.slice(7).matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]*))/g)) f[m[1] ?? ""] = m[2] ?? m[3] ?? "";
    if (f.username !== this.options.username || !f.nonce || !this.digestNonces.has(f.nonce)) return false;
    const md5 = (x: string) => createHash("md5").update(x).digest("hex");
    const ha1 = md5(`${f.username}:${f.realm}:${this.options.password}`);
    const ha2 = md5(`${method}:${f.uri}`);
    const expected =
      f.qop === "auth" ? md5(`${ha1}:${f.nonce}:${f.nc}:${f.cnonce}:auth:${ha2}`) : md5(`${ha1}:${f.nonce}:${ha2}`);
    return expected === f.response;
  }

  private async serveSnapshot(res: ServerResponse): Promise<void> {
    const jpeg = await this.snapshotSource?.().catch(() => undefined);
    if (!jpeg) {
      res.writeHead(503, { "Content-Type": "text/plain", "Content-Length": 19 });
      res.end("no picture attached");
      return;
    }
    res.writeHead(200, { "Content-Type": "image/jpeg", "Content-Length": jpeg.length });
    res.end(jpeg);
  }

  /** WS-UsernameToken with PasswordDigest, checked against the camera's own clock with a skew window. */
  private authenticate(envelope: string): void {
    const token = element(envelope, "UsernameToken");
    if (!token) throw new SoapFault("Sender", "ter:NotAuthorized", "authentication required");
    const user = text(token.inner, "Username");
    const digest = text(token.inner, "Password");
    const nonce = text(token.inner, "Nonce");
    const created = text(token.inner, "Created");
    if (user !== this.options.username || !digest || !nonce || !created) {
      throw new SoapFault("Sender", "ter:NotAuthorized", "sender not authorized");
    }
    const expected = createHash("sha1")
      .update(Buffer.concat([Buffer.from(nonce, "base64"), Buffer.from(created), Buffer.from(this.options.password)]))
      .digest("base64");
    if (expected !== digest) throw new SoapFault("Sender", "ter:NotAuthorized", "sender not authorized");
    const skewS = Math.abs(Date.now() + this.options.clockOffsetMs - Date.parse(created)) / 1000;
    if (!(skewS <= this.options.skewWindowS)) {
      throw new SoapFault("Sender", "ter:NotAuthorized", "sender not authorized (clock skew)");
    }
  }

  private checkProfile(body: string): void {
    const token = text(body, "ProfileToken");
    if (token !== PROFILE) throw new SoapFault("Sender", "ter:NoProfile", `no profile ${token ?? ""}`);
  }

  private operate(op: string, body: string): string {
    const base = `http://127.0.0.1:${this.port}/onvif`;
    switch (op) {
      case "GetSystemDateAndTime": {
        const d = new Date(Date.now() + this.options.clockOffsetMs);
        return `<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime><tt:DateTimeType>NTP</tt:DateTimeType><tt:DaylightSavings>false</tt:DaylightSavings><tt:TimeZone><tt:TZ>UTC0</tt:TZ></tt:TimeZone><tt:UTCDateTime><tt:Time><tt:Hour>${d.getUTCHours()}</tt:Hour><tt:Minute>${d.getUTCMinutes()}</tt:Minute><tt:Second>${d.getUTCSeconds()}</tt:Second></tt:Time><tt:Date><tt:Year>${d.getUTCFullYear()}</tt:Year><tt:Month>${d.getUTCMonth() + 1}</tt:Month><tt:Day>${d.getUTCDate()}</tt:Day></tt:Date></tt:UTCDateTime></tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>`;
      }
      case "GetServices":
        if (this.options.getServicesFaults) throw new SoapFault("Receiver", "ter:ActionNotSupported", "GetServices");
        return `<tds:GetServicesResponse>${[
          [NS.tds, "device_service"],
          [NS.trt, "media_service"],
          [NS.tptz, "ptz_service"],
        ]
          .map(
            ([ns, path]) =>
              `<tds:Service><tds:Namespace>${ns}</tds:Namespace><tds:XAddr>${base}/${path}</tds:XAddr><tds:Version><tt:Major>2</tt:Major><tt:Minor>0</tt:Minor></tds:Version></tds:Service>`,
          )
          .join("")}</tds:GetServicesResponse>`;
      case "GetCapabilities":
        return `<tds:GetCapabilitiesResponse><tds:Capabilities><tt:Device><tt:XAddr>${base}/device_service</tt:XAddr></tt:Device><tt:Media><tt:XAddr>${base}/media_service</tt:XAddr><tt:StreamingCapabilities><tt:RTPMulticast>false</tt:RTPMulticast><tt:RTP_TCP>true</tt:RTP_TCP><tt:RTP_RTSP_TCP>true</tt:RTP_RTSP_TCP></tt:StreamingCapabilities></tt:Media><tt:PTZ><tt:XAddr>${base}/ptz_service</tt:XAddr></tt:PTZ></tds:Capabilities></tds:GetCapabilitiesResponse>`;
      case "GetDeviceInformation":
        return `<tds:GetDeviceInformationResponse><tds:Manufacturer>RC Simulator</tds:Manufacturer><tds:Model>${this.options.name}</tds:Model><tds:FirmwareVersion>1.0</tds:FirmwareVersion><tds:SerialNumber>SIM-${this.port}</tds:SerialNumber><tds:HardwareId>sim</tds:HardwareId></tds:GetDeviceInformationResponse>`;
      case "GetVideoSources":
        return `<trt:GetVideoSourcesResponse><trt:VideoSources token="video_src_1"><tt:Framerate>15</tt:Framerate><tt:Resolution><tt:Width>640</tt:Width><tt:Height>360</tt:Height></tt:Resolution></trt:VideoSources></trt:GetVideoSourcesResponse>`;
      case "GetProfiles":
        return `<trt:GetProfilesResponse><trt:Profiles token="${PROFILE}" fixed="true"><tt:Name>main</tt:Name><tt:VideoSourceConfiguration token="vsc_1"><tt:Name>vsc</tt:Name><tt:UseCount>1</tt:UseCount><tt:SourceToken>video_src_1</tt:SourceToken><tt:Bounds x="0" y="0" width="640" height="360"/></tt:VideoSourceConfiguration><tt:VideoEncoderConfiguration token="vec_1"><tt:Name>vec</tt:Name><tt:UseCount>1</tt:UseCount><tt:Encoding>H264</tt:Encoding>${this.options.encoderWithoutResolution ? "" : "<tt:Resolution><tt:Width>640</tt:Width><tt:Height>360</tt:Height></tt:Resolution>"}<tt:Quality>5</tt:Quality>${this.options.encoderWithoutResolution ? "" : "<tt:RateControl><tt:FrameRateLimit>15</tt:FrameRateLimit><tt:EncodingInterval>1</tt:EncodingInterval><tt:BitrateLimit>1024</tt:BitrateLimit></tt:RateControl>"}<tt:SessionTimeout>PT60S</tt:SessionTimeout></tt:VideoEncoderConfiguration><tt:PTZConfiguration token="ptz_cfg_1"><tt:Name>ptz</tt:Name><tt:UseCount>1</tt:UseCount><tt:NodeToken>ptz_node_1</tt:NodeToken><tt:DefaultContinuousPanTiltVelocitySpace>http://www.onvif.org/ver10/tptz/PanTiltSpaces/VelocityGenericSpace</tt:DefaultContinuousPanTiltVelocitySpace><tt:DefaultPTZTimeout>PT5S</tt:DefaultPTZTimeout><tt:PanTiltLimits><tt:Range><tt:URI>http://www.onvif.org/ver10/tptz/PanTiltSpaces/PositionGenericSpace</tt:URI><tt:XRange><tt:Min>-1</tt:Min><tt:Max>1</tt:Max></tt:XRange><tt:YRange><tt:Min>-1</tt:Min><tt:Max>1</tt:Max></tt:YRange></tt:Range></tt:PanTiltLimits><tt:ZoomLimits><tt:Range><tt:URI>http://www.onvif.org/ver10/tptz/ZoomSpaces/PositionGenericSpace</tt:URI><tt:XRange><tt:Min>0</tt:Min><tt:Max>1</tt:Max></tt:XRange></tt:Range></tt:ZoomLimits></tt:PTZConfiguration></trt:Profiles></trt:GetProfilesResponse>`;
      case "GetStreamUri":
        this.checkProfile(body);
        return `<trt:GetStreamUriResponse><trt:MediaUri><tt:Uri>${this.streamUri ?? `rtsp://127.0.0.1:${this.port}/stream`}</tt:Uri><tt:InvalidAfterConnect>false</tt:InvalidAfterConnect><tt:InvalidAfterReboot>false</tt:InvalidAfterReboot><tt:Timeout>PT0S</tt:Timeout></trt:MediaUri></trt:GetStreamUriResponse>`;
      case "GetSnapshotUri":
        this.checkProfile(body);
        return `<trt:GetSnapshotUriResponse><trt:MediaUri><tt:Uri>http://127.0.0.1:${this.port}/snapshot.jpg</tt:Uri><tt:InvalidAfterConnect>false</tt:InvalidAfterConnect><tt:InvalidAfterReboot>false</tt:InvalidAfterReboot><tt:Timeout>PT0S</tt:Timeout></trt:MediaUri></trt:GetSnapshotUriResponse>`;
      case "ContinuousMove": {
        this.checkProfile(body);
        const velocity = element(body, "Velocity")?.inner ?? "";
        const pt = element(velocity, "PanTilt")?.attrs;
        const z = element(velocity, "Zoom")?.attrs;
        const timeoutText = text(body, "Timeout");
        const timeoutMs = timeoutText === undefined ? 5000 : parseDuration(timeoutText);
        if (timeoutMs === undefined) throw new SoapFault("Sender", "ter:InvalidArgVal", `bad Timeout ${timeoutText}`);
        const now = Date.now();
        this.settle(now);
        this.motion = {
          kind: "velocity",
          vx: clamp(Number(pt?.x ?? 0) || 0, -1, 1),
          vy: clamp(Number(pt?.y ?? 0) || 0, -1, 1),
          vz: clamp(Number(z?.x ?? 0) || 0, -1, 1),
          since: now,
          until: now + timeoutMs,
        };
        this.motions.push({ startedAt: now, arrivesAt: now + timeoutMs });
        return "<tptz:ContinuousMoveResponse/>";
      }
      case "Stop":
        this.checkProfile(body);
        this.settle(Date.now());
        return "<tptz:StopResponse/>";
      case "AbsoluteMove":
      case "RelativeMove": {
        this.checkProfile(body);
        const field = op === "AbsoluteMove" ? "Position" : "Translation";
        const vec = element(body, field)?.inner ?? "";
        const pt = element(vec, "PanTilt")?.attrs;
        const z = element(vec, "Zoom")?.attrs;
        const now = this.status().position;
        const rel = op === "RelativeMove";
        const coord = (v: string | undefined, cur: number) =>
          v === undefined || Number.isNaN(Number(v)) ? cur : rel ? cur + Number(v) : Number(v);
        const speed = Number(
          element(body, "Speed") && element(element(body, "Speed")?.inner ?? "", "PanTilt")?.attrs.x,
        );
        this.moveTo(
          { x: coord(pt?.x, now.x), y: coord(pt?.y, now.y), zoom: coord(z?.x, now.zoom) },
          Number.isFinite(speed) && speed > 0 ? speed : 1,
        );
        return `<tptz:${op}Response/>`;
      }
      case "GetStatus": {
        this.checkProfile(body);
        const { position, moving } = this.status();
        const state = moving ? "MOVING" : "IDLE";
        const moveStatus = this.options.noMoveStatus
          ? ""
          : `<tt:MoveStatus><tt:PanTilt>${state}</tt:PanTilt><tt:Zoom>${state}</tt:Zoom></tt:MoveStatus>`;
        return `<tptz:GetStatusResponse><tptz:PTZStatus><tt:Position><tt:PanTilt x="${position.x.toFixed(4)}" y="${position.y.toFixed(4)}" space="http://www.onvif.org/ver10/tptz/PanTiltSpaces/PositionGenericSpace"/><tt:Zoom x="${position.zoom.toFixed(4)}" space="http://www.onvif.org/ver10/tptz/ZoomSpaces/PositionGenericSpace"/></tt:Position>${moveStatus}<tt:UtcTime>${new Date(Date.now() + this.options.clockOffsetMs).toISOString()}</tt:UtcTime></tptz:PTZStatus></tptz:GetStatusResponse>`;
      }
      case "GetPresets":
        this.checkProfile(body);
        return `<tptz:GetPresetsResponse>${[...this.presets.values()]
          .map(
            (p) =>
              `<tptz:Preset token="${p.token}">${p.name ? `<tt:Name>${escapeXml(p.name)}</tt:Name>` : ""}${p.position ? `<tt:PTZPosition><tt:PanTilt x="${p.position.x}" y="${p.position.y}"/><tt:Zoom x="${p.position.zoom}"/></tt:PTZPosition>` : ""}</tptz:Preset>`,
          )
          .join("")}</tptz:GetPresetsResponse>`;
      case "SetPreset": {
        this.checkProfile(body);
        const given = text(body, "PresetToken");
        if (given !== undefined && !this.presets.has(given)) {
          throw new SoapFault("Sender", "ter:NoToken", `no preset ${given}`);
        }
        const token = given ?? this.newPresetToken();
        const name = unescapeXml(text(body, "PresetName") ?? "") || this.presets.get(token)?.name || `Preset ${token}`;
        this.presets.set(token, { token, name, position: this.status().position });
        return `<tptz:SetPresetResponse><tptz:PresetToken>${token}</tptz:PresetToken></tptz:SetPresetResponse>`;
      }
      case "GotoPreset": {
        this.checkProfile(body);
        const token = text(body, "PresetToken") ?? "";
        const preset = this.presets.get(token);
        if (!preset) throw new SoapFault("Sender", "ter:NoToken", `no preset ${token}`);
        if (this.options.hikvisionPresets && HIKVISION_SPECIALS[Number(token)] !== undefined) {
          // The real thing: calling a special preset runs its function — 94 reboots the camera mid-hearing.
          if (token === "94") setTimeout(() => void this.reboot(3000), 50);
          return "<tptz:GotoPresetResponse/>";
        }
        if (!preset.position) throw new SoapFault("Sender", "ter:InvalidArgVal", `preset ${token} is not set`);
        this.moveTo(preset.position);
        return "<tptz:GotoPresetResponse/>";
      }
      case "RemovePreset": {
        this.checkProfile(body);
        const token = text(body, "PresetToken") ?? "";
        if (!this.presets.has(token)) throw new SoapFault("Sender", "ter:NoToken", `no preset ${token}`);
        // Fixed slots are emptied, not deleted.
        if (this.options.hikvisionPresets) this.presets.set(token, { token, name: "", position: undefined });
        else this.presets.delete(token);
        return "<tptz:RemovePresetResponse/>";
      }
      case "GotoHomePosition":
        // node-onvif sends a schema-invalid <Speed>0.5: tolerated, the head just goes home at full speed.
        this.checkProfile(body);
        this.moveTo(this.home);
        return "<tptz:GotoHomePositionResponse/>";
      case "SetHomePosition":
        this.checkProfile(body);
        this.home = this.status().position;
        return "<tptz:SetHomePositionResponse/>";
      default:
        throw new SoapFault("Receiver", "ter:ActionNotSupported", `${op} not supported`);
    }
  }
}
