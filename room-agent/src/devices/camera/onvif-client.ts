// Our camera interface over the `onvif` package (research/onvif.md: maintained, Digest and WS-Security, GetServices
// with a fallback). The package stays behind this file: the driver sees typed results and errors that name the
// camera's fault, never the package's loose objects.
import { createHash, randomBytes } from "node:crypto";
import { Cam } from "onvif";
import { AgentError } from "../../agent-error.ts";

export interface PtzVector {
  pan: number;
  tilt: number;
  zoom: number;
}
export interface CameraStatus {
  position: PtzVector;
  /** undefined when the camera does not report MoveStatus (Hikvision): the driver infers motion itself. */
  moving: boolean | undefined;
}
export interface CameraPreset {
  token: string;
  name: string;
  position?: PtzVector;
}
export interface CameraIdentity {
  manufacturer: string;
  model: string;
  firmware: string;
  serial: string;
}
export interface ConnectOptions {
  host: string;
  port: number;
  username?: string;
  password?: string;
  /** "http-digest" sends no WS-Security header, so the camera asks for Digest (which the package answers). */
  auth: "ws-username-token" | "http-digest";
  timeoutMs: number;
}

/** A SOAP fault from the camera, e.g. "camera refused: no preset 7 (ter:NoToken)". */
export class CameraFault extends AgentError {
  constructor(
    readonly subcode: string,
    reason: string,
  ) {
    super(faultCode(subcode), `camera refused: ${reason}${subcode ? ` (${subcode})` : ""}`);
  }
}

/** The camera refused our login (NotAuthorized, or Digest refused): retrying only locks the account on cameras with a
 * lockout, so the driver says bad_config and stops. */
export class CameraLoginRefused extends Error {
  override name = "CameraLoginRefused";
}

/** Our error code for an ONVIF fault subcode (ONVIF Core §5.11.2 and the PTZ service's own). */
export function faultCode(subcode: string): "not_found" | "invalid_params" | "conflict" | "device_error" {
  const local = subcode.replace(/^.*:/, "");
  if (/^(NoToken|NoProfile|NoEntity|NoConfig|NoPTZProfile)$/.test(local)) return "not_found";
  if (
    /^(InvalidArgVal|InvalidArgs|InvalidPosition|InvalidSpeed|InvalidTranslation|InvalidVelocity|InvalidPresetName|ConfigurationConflict)$/.test(
      local,
    )
  )
    return "invalid_params";
  if (/^(PresetExist|TooManyPresets|MovingPTZ)$/.test(local)) return "conflict";
  return "device_error";
}

/** Faults and errors by which a camera says our login is wrong (WS-Security or HTTP Digest). */
const LOGIN_REFUSED = /NotAuthorized|Digest authentication failed|authentication failed|not authorized/i;

/** The characters every camera seen takes in a preset name (the strictest allowed only these). */
export const STORABLE_PRESET_NAME = /^[A-Za-z0-9_.-]{1,32}$/;

/** The subcode and reason of a SOAP 1.2 fault, read from the raw reply (the package keeps only the reason). */
export function parseFault(xml: string): { subcode: string; reason: string } | undefined {
  if (!/<(?:[\w.-]+:)?Fault[\s>]/.test(xml)) return undefined;
  const values = [...xml.matchAll(/<(?:[\w.-]+:)?Value>\s*([^<]*?)\s*<\/(?:[\w.-]+:)?Value>/g)].map((m) => m[1] ?? "");
  // The innermost Subcode carries the specific reason (ter:NoToken); the outer Value is just Sender/Receiver.
  const subcode = values.length > 1 ? (values.at(-1) ?? "") : "";
  const reason = /<(?:[\w.-]+:)?Text[^>]*>([\s\S]*?)<\/(?:[\w.-]+:)?Text>/.exec(xml)?.[1]?.trim() ?? "";
  return { subcode, reason: reason || values[0] || "SOAP fault" };
}

// biome-ignore lint/suspicious/noExplicitAny: the package's parsed replies are loose objects; every read is checked below.
type Loose = any;

const num = (v: unknown, fallback = 0): number => {
  const n = typeof v === "number" ? v : Number.parseFloat(String(v));
  return Number.isFinite(n) ? n : fallback;
};
const vectorOf = (pt: Loose, zoom: Loose): PtzVector => ({
  pan: num(pt?.$?.x),
  tilt: num(pt?.$?.y),
  zoom: num(zoom?.$?.x),
});

/** MoveStatus as cameras send it: a string, or {panTilt, zoom} strings; anything but MOVING counts as idle. */
export function parseMoveStatus(moveStatus: Loose): boolean | undefined {
  if (moveStatus === undefined || moveStatus === null || moveStatus === "") return undefined;
  const parts = typeof moveStatus === "object" ? [moveStatus.panTilt, moveStatus.zoom] : [moveStatus];
  const known = parts.filter((p) => typeof p === "string");
  if (known.length === 0) return undefined;
  return known.some((p) => p.toUpperCase() === "MOVING");
}

export function parsePresets(presets: Loose): CameraPreset[] {
  const list = presets === undefined ? [] : Array.isArray(presets) ? presets : [presets];
  return list
    .filter((p) => p?.$?.token !== undefined)
    .map((p) => ({
      // Numeric-looking tokens come back as numbers from the package (research/onvif.md); ours are strings.
      token: String(p.$.token),
      name: typeof p.name === "string" ? p.name : String(p.name ?? ""),
      position: p.PTZPosition ? vectorOf(p.PTZPosition.panTilt, p.PTZPosition.zoom) : undefined,
    }));
}

/** The profile to drive: the first with PTZ and H.264, else the first with PTZ, else the first. */
export function chooseProfile(profiles: Loose[]): { token: string; name: string; hasPtz: boolean } | undefined {
  const withPtz = profiles.filter((p) => p?.PTZConfiguration);
  const h264 = withPtz.filter((p) => String(p?.videoEncoderConfiguration?.encoding ?? "").toUpperCase() === "H264");
  const chosen = h264[0] ?? withPtz[0] ?? profiles[0];
  if (chosen?.$?.token === undefined) return undefined;
  return { token: String(chosen.$.token), name: String(chosen.name ?? ""), hasPtz: Boolean(chosen.PTZConfiguration) };
}

export class OnvifClient {
  private profileToken = "";
  /** Camera clock minus ours, learnt from GetSystemDateAndTime at connect (the package signs tokens with it). */
  clockOffsetMs = 0;
  streamUri: string | undefined;
  snapshotUri: string | undefined;
  identity: CameraIdentity | undefined;

  private constructor(
    private readonly cam: Loose,
    private readonly options: ConnectOptions,
  ) {}

  /** GetSystemDateAndTime, GetServices (or GetCapabilities), GetProfiles, GetVideoSources; then the chosen profile's URIs. */
  static async connect(options: ConnectOptions): Promise<OnvifClient> {
    const cam: Loose = new Cam({
      hostname: options.host,
      port: options.port,
      username: options.username,
      password: options.password,
      timeout: options.timeoutMs,
      autoconnect: false,
      // The configured address is the one known to work; cameras often advertise another (NAT, link-local).
      preserveAddress: true,
      useWSSecurity: options.auth === "ws-username-token",
    });
    // The package turns a refused GetProfiles or GetVideoSources into a warning and connects with no profile: every
    // refusal of our login during connect is caught here, from the warnings and from the raw replies.
    let refused: string | undefined;
    const noteRefusal = (what: string) => {
      if (LOGIN_REFUSED.test(what)) refused ??= what;
    };
    const onWarning = (message: unknown) => noteRefusal(String(message));
    const onRaw = (xml: string, statusCode?: number) => {
      const fault = typeof xml === "string" ? parseFault(xml) : undefined;
      if (fault && /NotAuthorized/.test(fault.subcode)) noteRefusal(`${fault.reason} (${fault.subcode})`);
      else if (statusCode === 401) noteRefusal("not authorized (HTTP 401)");
    };
    cam.on("warning", onWarning);
    cam.on("rawResponse", onRaw);
    const client = new OnvifClient(cam, options);
    try {
      await client.call((done) => cam.connect(done));
    } catch (error) {
      noteRefusal((error as Error).message);
      if (refused) throw new CameraLoginRefused(`the camera refused the login: ${refused}`);
      throw error;
    }
    if (refused) throw new CameraLoginRefused(`the camera refused the login: ${refused}`);
    const profile = chooseProfile(cam.profiles ?? []);
    if (!profile) throw new AgentError("device_error", "camera has no media profile");
    if (!profile.hasPtz) throw new AgentError("device_error", `profile ${profile.token} has no PTZ configuration`);
    client.profileToken = profile.token;
    // The package keeps (camera time − process uptime); turn it into camera − wall clock for our readings.
    client.clockOffsetMs = Math.round(num(cam.timeShift) + process.uptime() * 1000 - Date.now());
    const info = await client.call<Loose>((done) => cam.getDeviceInformation(done)).catch(() => undefined);
    if (info)
      client.identity = {
        manufacturer: String(info.manufacturer ?? ""),
        model: String(info.model ?? ""),
        firmware: String(info.firmwareVersion ?? ""),
        serial: String(info.serialNumber ?? ""),
      };
    const uri = (r: Loose) => (typeof r?.uri === "string" ? r.uri : undefined);
    // As with the SOAP services, the configured address wins over the one the camera advertises (NAT, a second
    // interface); a login written into the URI is dropped (ours goes to the media pipeline on its own, never logged).
    client.streamUri = await client
      .call<Loose>((done) => cam.getStreamUri({ protocol: "RTSP", profileToken: profile.token }, done))
      .then((r) => withHost(uri(r), options.host))
      .catch(() => undefined);
    client.snapshotUri = await client
      .call<Loose>((done) => cam.getSnapshotUri({ profileToken: profile.token }, done))
      .then((r) => withHost(uri(r), options.host))
      .catch(() => undefined);
    cam.off("warning", onWarning);
    cam.off("rawResponse", onRaw);
    cam.on("warning", () => {});
    if (refused) throw new CameraLoginRefused(`the camera refused the login: ${refused}`);
    return client;
  }

  get profile(): string {
    return this.profileToken;
  }

  async status(): Promise<CameraStatus> {
    const status = await this.call<Loose>((done) => this.cam.getStatus({ profileToken: this.profileToken }, done));
    return {
      position: { pan: num(status?.position?.x), tilt: num(status?.position?.y), zoom: num(status?.position?.zoom) },
      moving: parseMoveStatus(status?.moveStatus),
    };
  }

  async continuousMove(velocity: PtzVector, timeoutMs: number): Promise<void> {
    await this.call((done) =>
      this.cam.continuousMove(
        { profileToken: this.profileToken, x: velocity.pan, y: velocity.tilt, zoom: velocity.zoom, timeout: timeoutMs },
        done,
      ),
    );
  }

  async stop(): Promise<void> {
    await this.call((done) => this.cam.stop({ profileToken: this.profileToken, panTilt: true, zoom: true }, done));
  }

  async absoluteMove(target: Partial<PtzVector>): Promise<void> {
    await this.call((done) =>
      this.cam.absoluteMove(
        { profileToken: this.profileToken, x: target.pan, y: target.tilt, zoom: target.zoom },
        done,
      ),
    );
  }

  async relativeMove(translation: PtzVector): Promise<void> {
    await this.call((done) =>
      this.cam.relativeMove(
        { profileToken: this.profileToken, x: translation.pan, y: translation.tilt, zoom: translation.zoom },
        done,
      ),
    );
  }

  async presets(): Promise<CameraPreset[]> {
    // The package's result is keyed by name (duplicates collapse); the raw list is read instead.
    return this.call<Loose>((done) =>
      this.cam._request(
        {
          service: "ptz",
          body: `${this.cam._envelopeHeader()}<GetPresets xmlns="http://www.onvif.org/ver20/ptz/wsdl"><ProfileToken>${this.profileToken}</ProfileToken></GetPresets>${this.cam._envelopeFooter()}`,
        },
        done,
      ),
    ).then((body) => parsePresets(linerase(body)?.getPresetsResponse?.preset));
  }

  async gotoPreset(token: string): Promise<void> {
    await this.call((done) => this.cam.gotoPreset({ profileToken: this.profileToken, preset: token }, done));
  }

  /** Stores the current position; without a token the camera makes a new preset. Returns its token. */
  async setPreset(name: string, token?: string): Promise<string> {
    const body = await this.call<Loose>((done) =>
      this.cam.setPreset({ profileToken: this.profileToken, presetName: name, presetToken: token }, done),
    );
    const made = linerase(body)?.setPresetResponse?.presetToken;
    if (made === undefined || made === "")
      throw new AgentError("device_error", "camera stored a preset without a token");
    return String(made);
  }

  async removePreset(token: string): Promise<void> {
    await this.call((done) => this.cam.removePreset({ profileToken: this.profileToken, presetToken: token }, done));
  }

  async home(): Promise<void> {
    await this.call((done) => this.cam.gotoHomePosition({ profileToken: this.profileToken }, done));
  }

  /** The JPEG at the camera's snapshot URI (same credentials; Digest when the camera asks). */
  async snapshot(): Promise<Buffer> {
    if (!this.snapshotUri) throw new AgentError("device_error", "camera gives no snapshot URI");
    return fetchSnapshot(this.snapshotUri, this.options);
  }

  /** Runs one package call; a fault becomes a CameraFault naming the camera's reason and subcode. */
  private call<T = unknown>(run: (done: (err: Error | null, data?: T, xml?: string) => void) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      try {
        run((err, data, xml) => {
          if (!err) return resolve(data as T);
          const fault = typeof xml === "string" ? parseFault(xml) : undefined;
          reject(fault ? new CameraFault(fault.subcode, fault.reason) : err);
        });
      } catch (err) {
        reject(err);
      }
    });
  }
}

/** The package's linerase: single-element arrays unwrapped, so replies read as plain objects. */
function linerase(value: Loose): Loose {
  if (Array.isArray(value)) return value.length > 1 ? value.map(linerase) : linerase(value[0]);
  if (value && typeof value === "object") {
    const out: Loose = {};
    for (const [key, inner] of Object.entries(value)) out[key] = linerase(inner);
    return out;
  }
  return value;
}

/** A camera's URI with the configured host in place of the advertised one, and no login written into it. */
export function withHost(uri: string | undefined, host: string): string | undefined {
  if (uri === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return undefined;
  }
  url.username = "";
  url.password = "";
  url.hostname = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  return url.href;
}

async function fetchSnapshot(uri: string, options: ConnectOptions): Promise<Buffer> {
  const signal = AbortSignal.timeout(options.timeoutMs);
  const url = new URL(uri);
  // No port in the URI: the camera's HTTP port as configured (the SOAP services' one), unless that is 80.
  if (url.port === "" && options.port !== 80) url.port = String(options.port);
  let res = await fetch(url, { signal });
  if (res.status === 401 && options.username !== undefined) {
    const authorization = snapshotAuthorization(
      res.headers.get("www-authenticate") ?? "",
      url,
      options.username,
      options.password ?? "",
    );
    await res.body?.cancel();
    if (authorization) res = await fetch(url, { signal, headers: { Authorization: authorization } });
  }
  if (res.status === 401)
    throw new AgentError("device_error", "camera snapshot: the camera refused the login (HTTP 401)");
  if (!res.ok) throw new AgentError("device_error", `camera snapshot failed: HTTP ${res.status}`);
  return Buffer.from(await res.arrayBuffer());
}

/**
 * The Authorization for a snapshot's 401: Digest when offered (SHA-256 before MD5), else Basic when that is what the
 * camera asks for (never sent unasked: it carries the password in the clear). undefined when no scheme is known.
 */
export function snapshotAuthorization(header: string, url: URL, user: string, password: string): string | undefined {
  // Several challenges arrive joined by commas (fetch joins repeated headers): split before each scheme name.
  const challenges = header
    .split(/,\s*(?=(?:Digest|Basic)\s)/i)
    .map((c) => c.trim())
    .filter(Boolean);
  const digests = challenges.filter((c) => /^Digest\s/i.test(c));
  const algorithmOf = (c: string) => (/algorithm="?([\w-]+)"?/i.exec(c)?.[1] ?? "MD5").toUpperCase();
  const chosen = digests.find((c) => algorithmOf(c) === "SHA-256") ?? digests.find((c) => algorithmOf(c) === "MD5");
  if (chosen) return digestAuthorization(chosen, "GET", url, user, password);
  if (challenges.some((c) => /^Basic(\s|$)/i.test(c))) {
    return `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
  }
  return undefined;
}

/** RFC 7616 Digest (MD5 or SHA-256, qop=auth), parsed tolerantly: nonces may hold "=" or "," inside quotes. */
export function digestAuthorization(
  challenge: string,
  method: string,
  url: URL,
  user: string,
  password: string,
): string {
  const fields: Record<string, string> = {};
  for (const m of challenge.replace(/^Digest\s+/i, "").matchAll(/([\w-]+)=(?:"([^"]*)"|([^,\s]*))/g))
    fields[(m[1] ?? "").toLowerCase()] = m[2] ?? m[3] ?? "";
  const algorithm = (fields.algorithm ?? "MD5").toUpperCase() === "SHA-256" ? "SHA-256" : "MD5";
  const hash = (s: string) =>
    createHash(algorithm === "MD5" ? "md5" : "sha256")
      .update(s)
      .digest("hex");
  const uri = url.pathname + url.search;
  const cnonce = randomBytes(8).toString("hex");
  const nc = "00000001";
  const ha1 = hash(`${user}:${fields.realm ?? ""}:${password}`);
  const ha2 = hash(`${method}:${uri}`);
  const qop = fields.qop
    ?.split(",")
    .map((q) => q.trim())
    .includes("auth")
    ? "auth"
    : undefined;
  const response = qop
    ? hash(`${ha1}:${fields.nonce ?? ""}:${nc}:${cnonce}:${qop}:${ha2}`)
    : hash(`${ha1}:${fields.nonce ?? ""}:${ha2}`);
  const parts = [
    `username="${user}"`,
    `realm="${fields.realm ?? ""}"`,
    `nonce="${fields.nonce ?? ""}"`,
    `uri="${uri}"`,
    `response="${response}"`,
    `algorithm=${algorithm}`,
  ];
  if (fields.opaque !== undefined) parts.push(`opaque="${fields.opaque}"`);
  if (qop) parts.push(`qop=${qop}`, `nc=${nc}`, `cnonce="${cnonce}"`);
  return `Digest ${parts.join(", ")}`;
}
