// A simulated ONVIF PTZ camera (Device, Media, PTZ services) written from research/onvif.md, on its own loopback port.
// Position follows a mechanical model with finite speeds; presets survive a simulated reboot. As real cameras do, it
// answers GetSystemDateAndTime, GetServices and GetCapabilities to anyone and wants a login for the rest, and its
// snapshots and RTSP stream want one too (Digest, or Basic as a switch). Switches make it misbehave the way cameras we
// did not write did: requests handled concurrently and out of order with ContinuousMove's Timeout ignored, an address
// advertised that the room cannot reach, a lockout after failed logins, strict preset names.
import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type DigestAlgorithm, LoginChecker, type LoginScheme } from "./http-auth.ts";
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
  /** The login the snapshots and the RTSP stream want: Digest (default, as real cameras), Basic, or none. */
  mediaLogin?: LoginScheme;
  /** The Digest algorithms a snapshot's challenge offers (RTSP offers MD5: GStreamer's client knows no other). */
  snapshotDigest?: DigestAlgorithm[];
  /**
   * Misbehaviour of an ONVIF implementation we did not write: requests are handled concurrently, each applied and
   * answered after a random 0..unorderedDelayMs, so two in flight may be applied in either order (a Stop before the
   * ContinuousMove it was sent after); and ContinuousMove's Timeout is ignored, the head moves until a Stop.
   */
  unordered?: boolean;
  unorderedDelayMs?: number;
  /** The host the camera puts in its service, stream and snapshot addresses (behind NAT, a second interface). */
  advertisedHost?: string;
  /** Failed logins after which every login is refused, even a right one, for lockoutMs (0: never, the default). */
  lockoutAfter?: number;
  lockoutMs?: number;
  /** How many presets the camera holds (Hikvision-like: its 255 slots); one more faults ter:TooManyPresets. */
  maxPresets?: number;
  /** The preset names the camera takes; another faults ter:InvalidPresetName. */
  presetNames?: RegExp;
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
const PTZ_NODE = "ptz_node_1";
const PTZ_CONFIGURATION = "ptz_cfg_1";
/** What a camera answers without a login (ONVIF Core's PRE_AUTH class as real cameras apply it). */
const PRE_AUTH = new Set(["GetSystemDateAndTime", "GetServices", "GetCapabilities"]);
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
  private readonly soapDigest: LoginChecker;
  private readonly snapshotLogin: LoginChecker;
  private readonly rtspLogin: LoginChecker;
  /** Failed WS-Security logins (the Digest ones are counted by their checkers). */
  private wsFailures = 0;
  /** Until when every login is refused (a lockout after too many failed ones). */
  private lockedUntil = 0;
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
      mediaLogin: "digest",
      snapshotDigest: ["MD5"],
      unordered: false,
      unorderedDelayMs: 40,
      advertisedHost: "127.0.0.1",
      lockoutAfter: 0,
      lockoutMs: 30_000,
      maxPresets: 128,
      presetNames: /^.{1,64}$/u,
      ...options,
    };
    const login = { credentials: () => ({ username: this.options.username, password: this.options.password }) };
    this.soapDigest = new LoginChecker({ ...login, scheme: "digest" });
    this.snapshotLogin = new LoginChecker({
      ...login,
      scheme: this.options.mediaLogin,
      algorithms: this.options.snapshotDigest,
    });
    this.rtspLogin = new LoginChecker({ ...login, scheme: this.options.mediaLogin, algorithms: ["MD5"] });
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
    const picture = new CameraPicture(
      {
        name: this.options.name,
        ...(seats.length > 0 ? { seats } : {}),
        ...(this.options.mediaLogin === "none" ? {} : { login: this.rtspLogin }),
      },
      () => {
        const { position } = this.status();
        return { pan: position.x, tilt: position.y, zoom: position.zoom };
      },
    );
    this.picture = picture;
    const { rtspUri } = await picture.listen("127.0.0.1", this.options.rtspPort);
    // The same URI after a reboot, as a real camera keeps its RTSP port: viewers and the media worker reconnect to it.
    this.options.rtspPort = Number(new URL(rtspUri).port);
    const advertised = new URL(rtspUri);
    advertised.hostname = this.options.advertisedHost;
    this.streamUri = advertised.href;
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
    if (this.presets.size >= this.options.maxPresets) {
      throw new SoapFault("Receiver", "ter:TooManyPresets", "the camera holds no more presets");
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
    if (req.method === "GET" && req.url?.split("?")[0] === "/snapshot.jpg") {
      if (!this.loginOk(this.snapshotLogin, req.headers.authorization, "GET")) {
        return this.challenge(res, this.snapshotLogin);
      }
      return this.serveSnapshot(res);
    }
    let status = 200;
    let reply: string;
    try {
      const soapBody = element(body, "Body");
      if (req.method !== "POST" || !soapBody) throw new SoapFault("Sender", "ter:InvalidArgVal", "not a SOAP request");
      const op = /<(?:[\w.-]+:)?(\w+)[\s/>]/.exec(soapBody.inner.trim())?.[1];
      if (!op) throw new SoapFault("Sender", "ter:InvalidArgVal", "empty SOAP body");
      const digest = this.options.auth === "http-digest";
      // A digest camera ignores WS-Security and asks for HTTP Digest on everything but the pre-auth operations.
      if (digest && !PRE_AUTH.has(op) && !this.loginOk(this.soapDigest, req.headers.authorization, "POST")) {
        return this.challenge(res, this.soapDigest);
      }
      this.requests.push({ operation: op, at: performance.now() });
      if (!digest && !PRE_AUTH.has(op)) this.authenticate(body);
      if (this.options.unordered) {
        await new Promise((r) => setTimeout(r, Math.random() * this.options.unorderedDelayMs));
      }
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

  /** Logins refused for a wrong password or user (SOAP, snapshots and RTSP together): a test sees a retry loop. */
  get authFailures(): number {
    return this.wsFailures + this.soapDigest.failures + this.snapshotLogin.failures + this.rtspLogin.failures;
  }

  /** Whether every login is refused now, after too many failed ones. */
  get lockedOut(): boolean {
    return Date.now() < this.lockedUntil;
  }

  /** Counts a failed login towards the lockout. */
  private loginFailed(): void {
    const { lockoutAfter, lockoutMs } = this.options;
    if (lockoutAfter > 0 && this.authFailures >= lockoutAfter && !this.lockedOut)
      this.lockedUntil = Date.now() + lockoutMs;
  }

  private loginOk(checker: LoginChecker, authorization: string | undefined, method: string): boolean {
    const before = checker.failures;
    const ok = checker.valid(authorization, method);
    if (checker.failures > before) this.loginFailed();
    return ok && !this.lockedOut;
  }

  /** 401 with the checker's challenges (Digest: one per algorithm; Basic). */
  private challenge(res: ServerResponse, checker: LoginChecker): void {
    res.setHeader("WWW-Authenticate", checker.challenges());
    res.writeHead(401, { "Content-Length": 0 });
    res.end();
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
    try {
      this.checkToken(envelope);
    } catch (error) {
      if (element(envelope, "UsernameToken")) {
        this.wsFailures++;
        this.loginFailed();
      }
      throw error;
    }
    if (this.lockedOut) throw new SoapFault("Sender", "ter:NotAuthorized", "sender not authorized (locked out)");
  }

  private checkToken(envelope: string): void {
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

  /** The one media profile, as GetProfiles and GetProfile give it. */
  private profileXml(tag: string): string {
    return `<${tag} token="${PROFILE}" fixed="true"><tt:Name>main</tt:Name><tt:VideoSourceConfiguration token="vsc_1"><tt:Name>vsc</tt:Name><tt:UseCount>1</tt:UseCount><tt:SourceToken>video_src_1</tt:SourceToken><tt:Bounds x="0" y="0" width="640" height="360"/></tt:VideoSourceConfiguration><tt:VideoEncoderConfiguration token="vec_1"><tt:Name>vec</tt:Name><tt:UseCount>1</tt:UseCount><tt:Encoding>H264</tt:Encoding>${this.options.encoderWithoutResolution ? "" : "<tt:Resolution><tt:Width>640</tt:Width><tt:Height>360</tt:Height></tt:Resolution>"}<tt:Quality>5</tt:Quality>${this.options.encoderWithoutResolution ? "" : "<tt:RateControl><tt:FrameRateLimit>15</tt:FrameRateLimit><tt:EncodingInterval>1</tt:EncodingInterval><tt:BitrateLimit>1024</tt:BitrateLimit></tt:RateControl>"}<tt:SessionTimeout>PT60S</tt:SessionTimeout></tt:VideoEncoderConfiguration>${this.ptzConfigurationXml("tt:PTZConfiguration")}</${tag}>`;
  }

  /** The PTZ configuration, in a profile and from PTZ GetConfigurations. */
  private ptzConfigurationXml(tag: string): string {
    return `<${tag} token="${PTZ_CONFIGURATION}"><tt:Name>ptz</tt:Name><tt:UseCount>1</tt:UseCount><tt:NodeToken>${PTZ_NODE}</tt:NodeToken><tt:DefaultContinuousPanTiltVelocitySpace>http://www.onvif.org/ver10/tptz/PanTiltSpaces/VelocityGenericSpace</tt:DefaultContinuousPanTiltVelocitySpace><tt:DefaultPTZTimeout>PT5S</tt:DefaultPTZTimeout><tt:PanTiltLimits><tt:Range><tt:URI>http://www.onvif.org/ver10/tptz/PanTiltSpaces/PositionGenericSpace</tt:URI><tt:XRange><tt:Min>-1</tt:Min><tt:Max>1</tt:Max></tt:XRange><tt:YRange><tt:Min>-1</tt:Min><tt:Max>1</tt:Max></tt:YRange></tt:Range></tt:PanTiltLimits><tt:ZoomLimits><tt:Range><tt:URI>http://www.onvif.org/ver10/tptz/ZoomSpaces/PositionGenericSpace</tt:URI><tt:XRange><tt:Min>0</tt:Min><tt:Max>1</tt:Max></tt:XRange></tt:Range></tt:ZoomLimits></${tag}>`;
  }

  /** The spaces the PTZ node supports (all generic: pan/tilt −1..1, zoom 0..1, speeds 0..1). */
  private ptzSpacesXml(): string {
    const space = (tag: string, uri: string, x: [number, number], y?: [number, number]) =>
      `<tt:${tag}><tt:URI>http://www.onvif.org/ver10/tptz/${uri}</tt:URI><tt:XRange><tt:Min>${x[0]}</tt:Min><tt:Max>${x[1]}</tt:Max></tt:XRange>${y ? `<tt:YRange><tt:Min>${y[0]}</tt:Min><tt:Max>${y[1]}</tt:Max></tt:YRange>` : ""}</tt:${tag}>`;
    const both: [number, number] = [-1, 1];
    return [
      space("AbsolutePanTiltPositionSpace", "PanTiltSpaces/PositionGenericSpace", both, both),
      space("AbsoluteZoomPositionSpace", "ZoomSpaces/PositionGenericSpace", [0, 1]),
      space("RelativePanTiltTranslationSpace", "PanTiltSpaces/TranslationGenericSpace", both, both),
      space("RelativeZoomTranslationSpace", "ZoomSpaces/TranslationGenericSpace", both),
      space("ContinuousPanTiltVelocitySpace", "PanTiltSpaces/VelocityGenericSpace", both, both),
      space("ContinuousZoomVelocitySpace", "ZoomSpaces/VelocityGenericSpace", both),
      `<tt:PanTiltSpeedSpace><tt:URI>http://www.onvif.org/ver10/tptz/PanTiltSpaces/GenericSpeedSpace</tt:URI><tt:XRange><tt:Min>0</tt:Min><tt:Max>1</tt:Max></tt:XRange></tt:PanTiltSpeedSpace>`,
      `<tt:ZoomSpeedSpace><tt:URI>http://www.onvif.org/ver10/tptz/ZoomSpaces/ZoomGenericSpeedSpace</tt:URI><tt:XRange><tt:Min>0</tt:Min><tt:Max>1</tt:Max></tt:XRange></tt:ZoomSpeedSpace>`,
    ].join("");
  }

  private nodeXml(): string {
    const presets = this.options.hikvisionPresets ? 255 : this.options.maxPresets;
    return `<tptz:PTZNode token="${PTZ_NODE}" FixedHomePosition="false"><tt:Name>ptz</tt:Name><tt:SupportedPTZSpaces>${this.ptzSpacesXml()}</tt:SupportedPTZSpaces><tt:MaximumNumberOfPresets>${presets}</tt:MaximumNumberOfPresets><tt:HomeSupported>true</tt:HomeSupported></tptz:PTZNode>`;
  }

  private operate(op: string, body: string): string {
    const host = this.options.advertisedHost;
    const base = `http://${host}:${this.port}/onvif`;
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
      case "GetHostname":
        return `<tds:GetHostnameResponse><tds:HostnameInformation><tt:FromDHCP>false</tt:FromDHCP><tt:Name>rc-camera-${this.port}</tt:Name></tds:HostnameInformation></tds:GetHostnameResponse>`;
      case "GetScopes":
        return `<tds:GetScopesResponse>${[
          ["Fixed", "onvif://www.onvif.org/type/ptz"],
          ["Fixed", "onvif://www.onvif.org/type/video_encoder"],
          ["Fixed", "onvif://www.onvif.org/Profile/Streaming"],
          ["Fixed", "onvif://www.onvif.org/hardware/RC-SIM-PTZ"],
          ["Configurable", `onvif://www.onvif.org/name/${encodeURIComponent(this.options.name)}`],
        ]
          .map(
            ([def, item]) =>
              `<tds:Scopes><tt:ScopeDef>${def}</tt:ScopeDef><tt:ScopeItem>${escapeXml(item ?? "")}</tt:ScopeItem></tds:Scopes>`,
          )
          .join("")}</tds:GetScopesResponse>`;
      case "GetDeviceInformation":
        return `<tds:GetDeviceInformationResponse><tds:Manufacturer>RC Simulator</tds:Manufacturer><tds:Model>${this.options.name}</tds:Model><tds:FirmwareVersion>1.0</tds:FirmwareVersion><tds:SerialNumber>SIM-${this.port}</tds:SerialNumber><tds:HardwareId>sim</tds:HardwareId></tds:GetDeviceInformationResponse>`;
      case "GetVideoSources":
        return `<trt:GetVideoSourcesResponse><trt:VideoSources token="video_src_1"><tt:Framerate>15</tt:Framerate><tt:Resolution><tt:Width>640</tt:Width><tt:Height>360</tt:Height></tt:Resolution></trt:VideoSources></trt:GetVideoSourcesResponse>`;
      case "GetProfiles":
        return `<trt:GetProfilesResponse>${this.profileXml("trt:Profiles")}</trt:GetProfilesResponse>`;
      case "GetProfile":
        this.checkProfile(body);
        return `<trt:GetProfileResponse>${this.profileXml("trt:Profile")}</trt:GetProfileResponse>`;
      case "GetStreamUri":
        this.checkProfile(body);
        return `<trt:GetStreamUriResponse><trt:MediaUri><tt:Uri>${this.streamUri ?? `rtsp://${host}:${this.port}/stream`}</tt:Uri><tt:InvalidAfterConnect>false</tt:InvalidAfterConnect><tt:InvalidAfterReboot>false</tt:InvalidAfterReboot><tt:Timeout>PT0S</tt:Timeout></trt:MediaUri></trt:GetStreamUriResponse>`;
      case "GetSnapshotUri":
        this.checkProfile(body);
        return `<trt:GetSnapshotUriResponse><trt:MediaUri><tt:Uri>http://${host}:${this.port}/snapshot.jpg</tt:Uri><tt:InvalidAfterConnect>false</tt:InvalidAfterConnect><tt:InvalidAfterReboot>false</tt:InvalidAfterReboot><tt:Timeout>PT0S</tt:Timeout></trt:MediaUri></trt:GetSnapshotUriResponse>`;
      case "GetNodes":
        return `<tptz:GetNodesResponse>${this.nodeXml()}</tptz:GetNodesResponse>`;
      case "GetNode": {
        const token = text(body, "NodeToken");
        if (token !== PTZ_NODE) throw new SoapFault("Sender", "ter:NoEntity", `no PTZ node ${token ?? ""}`);
        return `<tptz:GetNodeResponse>${this.nodeXml()}</tptz:GetNodeResponse>`;
      }
      case "GetConfigurations":
        return `<tptz:GetConfigurationsResponse>${this.ptzConfigurationXml("tptz:PTZConfiguration")}</tptz:GetConfigurationsResponse>`;
      case "GetConfiguration": {
        const token = text(body, "PTZConfigurationToken");
        if (token !== PTZ_CONFIGURATION)
          throw new SoapFault("Sender", "ter:NoConfig", `no PTZ configuration ${token ?? ""}`);
        return `<tptz:GetConfigurationResponse>${this.ptzConfigurationXml("tptz:PTZConfiguration")}</tptz:GetConfigurationResponse>`;
      }
      case "GetConfigurationOptions": {
        const token = text(body, "ConfigurationToken");
        if (token !== PTZ_CONFIGURATION)
          throw new SoapFault("Sender", "ter:NoConfig", `no PTZ configuration ${token ?? ""}`);
        return `<tptz:GetConfigurationOptionsResponse><tptz:PTZConfigurationOptions><tt:Spaces>${this.ptzSpacesXml()}</tt:Spaces><tt:PTZTimeout><tt:Min>PT1S</tt:Min><tt:Max>PT60S</tt:Max></tt:PTZTimeout></tptz:PTZConfigurationOptions></tptz:GetConfigurationOptionsResponse>`;
      }
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
          // The misbehaving implementation ignores Timeout: only a Stop ends the move.
          until: this.options.unordered ? Number.POSITIVE_INFINITY : now + timeoutMs,
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
        const asked = unescapeXml(text(body, "PresetName") ?? "");
        if (asked !== "" && !this.options.presetNames.test(asked)) {
          throw new SoapFault("Sender", "ter:InvalidPresetName", `preset name "${asked}" not accepted`);
        }
        if (given === undefined && asked !== "" && [...this.presets.values()].some((p) => p.name === asked)) {
          throw new SoapFault("Sender", "ter:PresetExist", `a preset named "${asked}" exists`);
        }
        const token = given ?? this.newPresetToken();
        const name = asked || this.presets.get(token)?.name || `Preset ${token}`;
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
