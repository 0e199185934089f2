// The login a simulated camera asks for on its snapshots, its RTSP stream and (digest cameras) its SOAP services:
// HTTP Digest (RFC 7616, MD5 and/or SHA-256, qop=auth) or Basic (RFC 7617), as real cameras do. RTSP uses the same
// headers (RFC 2326 §D), so one checker serves both.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

export type LoginScheme = "digest" | "basic" | "none";
export type DigestAlgorithm = "MD5" | "SHA-256";

export interface LoginOptions {
  /** Read at every check: a camera whose password is changed takes the new one at once. */
  credentials: () => { username: string; password: string };
  scheme: LoginScheme;
  /** Digest only: the algorithms offered, one challenge each (a Hikvision offers SHA-256 and MD5). */
  algorithms?: DigestAlgorithm[];
  realm?: string;
}

const hash = (algorithm: DigestAlgorithm, text: string) =>
  createHash(algorithm === "MD5" ? "md5" : "sha256")
    .update(text)
    .digest("hex");

/** The fields of an Authorization or WWW-Authenticate value; quoted values may hold "=" and ",". */
export function authFields(value: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const m of value.replace(/^\w+\s+/, "").matchAll(/([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g)) {
    fields[(m[1] ?? "").toLowerCase()] = m[2] ?? m[3] ?? "";
  }
  return fields;
}

export class LoginChecker {
  private readonly nonces = new Set<string>();
  private readonly realm: string;
  private readonly algorithms: DigestAlgorithm[];
  /** Requests refused for a wrong login (not the first, unauthenticated, try that only asks for the challenge). */
  failures = 0;

  constructor(private readonly options: LoginOptions) {
    this.realm = options.realm ?? "rc-camera";
    this.algorithms = options.algorithms ?? ["MD5"];
  }

  get scheme(): LoginScheme {
    return this.options.scheme;
  }

  /** The WWW-Authenticate values of a 401 (one per digest algorithm). */
  challenges(): string[] {
    if (this.options.scheme === "basic") return [`Basic realm="${this.realm}"`];
    // The nonce holds "=" as base64 does, which trips naive parsers (node-onvif).
    const nonce = randomBytes(12).toString("base64");
    this.nonces.add(nonce);
    if (this.nonces.size > 1000) this.nonces.delete(this.nonces.values().next().value as string);
    const opaque = randomBytes(4).toString("hex");
    return this.algorithms.map(
      (algorithm) =>
        `Digest realm="${this.realm}", qop="auth", nonce="${nonce}", opaque="${opaque}", algorithm=${algorithm}`,
    );
  }

  /** Whether an Authorization value is a right login for this method; a wrong one (not a missing one) is counted. */
  valid(authorization: string | undefined, method: string): boolean {
    if (this.options.scheme === "none") return true;
    if (!authorization) return false;
    const ok = this.check(authorization, method);
    if (!ok) this.failures++;
    return ok;
  }

  private check(authorization: string, method: string): boolean {
    const { scheme } = this.options;
    const { username, password } = this.options.credentials();
    if (scheme === "basic") {
      if (!/^Basic\s/i.test(authorization)) return false;
      const given = Buffer.from(authorization.slice(6).trim(), "base64");
      const expected = Buffer.from(`${username}:${password}`);
      return given.length === expected.length && timingSafeEqual(given, expected);
    }
    if (!/^Digest\s/i.test(authorization)) return false;
    const f = authFields(authorization);
    const algorithm = (f.algorithm ?? "MD5").toUpperCase() as DigestAlgorithm;
    if (!this.algorithms.includes(algorithm)) return false;
    if (f.username !== username || f.realm !== this.realm || !f.nonce || !this.nonces.has(f.nonce)) return false;
    const ha1 = hash(algorithm, `${username}:${this.realm}:${password}`);
    const ha2 = hash(algorithm, `${method}:${f.uri ?? ""}`);
    const expected =
      f.qop === "auth"
        ? hash(algorithm, `${ha1}:${f.nonce}:${f.nc}:${f.cnonce}:auth:${ha2}`)
        : hash(algorithm, `${ha1}:${f.nonce}:${ha2}`);
    return expected === f.response;
  }
}

/**
 * A client's answer to a challenge, for tests and tools that talk to the simulated camera: Digest (the first
 * challenge's algorithm) or Basic, as the challenge asks.
 */
export function answerChallenge(
  challenge: string,
  method: string,
  uri: string,
  username: string,
  password: string,
): string {
  if (/^Basic/i.test(challenge)) return `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
  const f = authFields(challenge);
  const algorithm = (f.algorithm ?? "MD5").toUpperCase() as DigestAlgorithm;
  const cnonce = randomBytes(8).toString("hex");
  const nc = "00000001";
  const ha1 = hash(algorithm, `${username}:${f.realm}:${password}`);
  const ha2 = hash(algorithm, `${method}:${uri}`);
  const response = hash(algorithm, `${ha1}:${f.nonce}:${nc}:${cnonce}:auth:${ha2}`);
  return `Digest username="${username}", realm="${f.realm}", nonce="${f.nonce}", uri="${uri}", response="${response}", algorithm=${algorithm}, qop=auth, nc=${nc}, cnonce="${cnonce}", opaque="${f.opaque ?? ""}"`;
}

/** A GET with the camera's login: the 401's first challenge answered (Digest or Basic). */
export async function fetchWithLogin(url: string, username: string, password: string): Promise<Response> {
  const first = await fetch(url);
  if (first.status !== 401) return first;
  await first.body?.cancel();
  const challenge = (first.headers.get("www-authenticate") ?? "").split(/,\s*(?=(?:Digest|Basic)\s)/i)[0] ?? "";
  const { pathname, search } = new URL(url);
  return fetch(url, {
    headers: { Authorization: answerChallenge(challenge, "GET", pathname + search, username, password) },
  });
}
