// RTSP/1.0 framing (RFC 2326 §4, §10.12): requests and interleaved binary frames in from a byte stream, responses
// out. Pure: bytes in, typed items out; what to do with a bad item is the server's business.

export interface RtspRequest {
  method: string;
  uri: string;
  /** Header names in lower case; a repeated header keeps its last value. */
  headers: Map<string, string>;
  body: Buffer;
}

export type RtspItem =
  | { kind: "request"; request: RtspRequest }
  /** RTP/RTCP from the client over the RTSP connection ("$", channel, 16-bit length, data). */
  | { kind: "interleaved"; channel: number; data: Buffer }
  /** The stream cannot be parsed any further: answer `status` and close. */
  | { kind: "bad"; status: 400 | 413 | 505; reason: string };

const MAX_HEAD = 8 * 1024;
const MAX_BODY = 64 * 1024;
const REQUEST_LINE = /^([A-Za-z_]+) (\S+) (RTSP\/\d+\.\d+)$/;
const HEADER_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*?)[ \t]*$/;

export class RtspParser {
  private pending: Buffer = Buffer.alloc(0);
  private broken = false;

  /** Feeds bytes; returns every complete item. After a "bad" item the parser ignores everything. */
  push(data: Buffer): RtspItem[] {
    if (this.broken) return [];
    this.pending = this.pending.length === 0 ? data : Buffer.concat([this.pending, data]);
    const items: RtspItem[] = [];
    for (;;) {
      const item = this.next();
      if (!item) break;
      items.push(item);
      if (item.kind === "bad") {
        this.broken = true;
        this.pending = Buffer.alloc(0);
        break;
      }
    }
    return items;
  }

  private next(): RtspItem | undefined {
    const buf = this.pending;
    if (buf.length === 0) return undefined;
    if (buf[0] === 0x24) {
      if (buf.length < 4) return undefined;
      const length = buf.readUInt16BE(2);
      if (buf.length < 4 + length) return undefined;
      this.pending = buf.subarray(4 + length);
      return { kind: "interleaved", channel: buf[1] as number, data: buf.subarray(4, 4 + length) };
    }
    // Stray line ends between messages are allowed (RFC 2326 §15.1 via HTTP/1.1).
    if (buf[0] === 0x0d || buf[0] === 0x0a) {
      this.pending = buf.subarray(1);
      return this.next();
    }
    const end = headEnd(buf);
    if (end === undefined) {
      return buf.length > MAX_HEAD ? { kind: "bad", status: 413, reason: "request head over 8 KiB" } : undefined;
    }
    if (end.at > MAX_HEAD) return { kind: "bad", status: 413, reason: "request head over 8 KiB" };
    const lines = buf.subarray(0, end.at).toString("latin1").split(/\r?\n/);
    const requestLine = REQUEST_LINE.exec(lines[0] ?? "");
    if (!requestLine) return { kind: "bad", status: 400, reason: "not an RTSP request line" };
    const [, method, uri, version] = requestLine as unknown as [string, string, string, string];
    if (version !== "RTSP/1.0") return { kind: "bad", status: 505, reason: `version ${version} not supported` };
    const headers = new Map<string, string>();
    for (const line of lines.slice(1)) {
      const header = HEADER_LINE.exec(line);
      if (!header) return { kind: "bad", status: 400, reason: "malformed header line" };
      // Header values are UTF-8 in practice (RFC 2326 says ISO-8859-1 but nobody sends that).
      headers.set((header[1] as string).toLowerCase(), Buffer.from(header[2] as string, "latin1").toString("utf8"));
    }
    const lengthText = headers.get("content-length") ?? "0";
    if (!/^\d{1,9}$/.test(lengthText)) return { kind: "bad", status: 400, reason: "bad Content-Length" };
    const length = Number(lengthText);
    if (length > MAX_BODY) return { kind: "bad", status: 413, reason: "body over 64 KiB" };
    if (buf.length < end.next + length) return undefined;
    this.pending = buf.subarray(end.next + length);
    return {
      kind: "request",
      request: { method, uri, headers, body: Buffer.from(buf.subarray(end.next, end.next + length)) },
    };
  }
}

/** Where the head ends (the blank line, CRLF or bare LF) and where the body starts. */
function headEnd(buf: Buffer): { at: number; next: number } | undefined {
  const limit = Math.min(buf.length, MAX_HEAD + 4);
  for (let i = 0; i < limit; i++) {
    if (buf[i] !== 0x0a) continue;
    if (buf[i + 1] === 0x0a) return { at: i > 0 && buf[i - 1] === 0x0d ? i - 1 : i, next: i + 2 };
    if (buf[i + 1] === 0x0d && buf[i + 2] === 0x0a)
      return { at: i > 0 && buf[i - 1] === 0x0d ? i - 1 : i, next: i + 3 };
  }
  return undefined;
}

const REASONS: Record<number, string> = {
  200: "OK",
  400: "Bad Request",
  401: "Unauthorized",
  404: "Not Found",
  405: "Method Not Allowed",
  413: "Request Entity Too Large",
  451: "Parameter Not Understood",
  453: "Not Enough Bandwidth",
  454: "Session Not Found",
  455: "Method Not Valid in This State",
  459: "Aggregate Operation Not Allowed",
  461: "Unsupported Transport",
  500: "Internal Server Error",
  501: "Not Implemented",
  503: "Service Unavailable",
  505: "RTSP Version Not Supported",
  551: "Option not supported",
};

/** A response with its status line, the given headers (CSeq first when known), and Content-Length for a body. */
export function formatResponse(status: number, headers: [string, string][], body = ""): Buffer {
  const lines = [`RTSP/1.0 ${status} ${REASONS[status] ?? "Unknown"}`];
  for (const [name, value] of headers) lines.push(`${name}: ${value.replace(/[\r\n]+/g, " ")}`);
  const bytes = Buffer.from(body, "utf8");
  if (bytes.length > 0) lines.push(`Content-Length: ${bytes.length}`);
  return Buffer.concat([Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "utf8"), bytes]);
}

export interface TransportSpec {
  /** RTP/AVP/TCP interleaved on the RTSP connection, or RTP/AVP(/UDP) unicast to the client's ports. */
  lower: "tcp" | "udp";
  unicast: boolean;
  interleaved?: [number, number];
  clientPort?: [number, number];
}

/** The Transport header's alternatives in the client's order of preference (RFC 2326 §12.39). */
export function parseTransport(header: string): TransportSpec[] {
  const specs: TransportSpec[] = [];
  for (const alternative of header.split(",")) {
    const [protocol, ...parameters] = alternative.trim().split(";");
    const match = /^RTP\/AVP(?:\/(TCP|UDP))?$/i.exec(protocol?.trim() ?? "");
    if (!match) continue;
    const spec: TransportSpec = { lower: match[1]?.toUpperCase() === "TCP" ? "tcp" : "udp", unicast: true };
    for (const parameter of parameters) {
      const [name, value] = parameter.trim().split("=") as [string, string | undefined];
      const key = name.toLowerCase();
      if (key === "multicast") spec.unicast = false;
      else if (key === "interleaved" || key === "client_port") {
        const range = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(value ?? "");
        if (!range) continue;
        const first = Number(range[1]);
        const pair: [number, number] = [first, range[2] === undefined ? first + 1 : Number(range[2])];
        if (key === "interleaved") spec.interleaved = pair;
        else spec.clientPort = pair;
      }
    }
    specs.push(spec);
  }
  return specs;
}
