import { describe, expect, it } from "vitest";
import { formatResponse, parseTransport, type RtspItem, RtspParser } from "./rtsp-message.ts";

const parseAll = (...chunks: (string | Buffer)[]) => {
  const parser = new RtspParser();
  return chunks.flatMap((chunk) => parser.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk, "utf8")));
};
const requestOf = (item: RtspItem | undefined) => (item?.kind === "request" ? item.request : undefined);

describe("RTSP framing", () => {
  const setParameter =
    "SET_PARAMETER rtsp://cam/stream RTSP/1.0\r\nCSeq: 7\r\nContent-Length: 9\r\nSession: abc;timeout=60\r\n\r\nvolume: 3";

  it("reads a request with headers and body, even one byte at a time", () => {
    const whole = parseAll(setParameter);
    const bytewise = parseAll(...[...Buffer.from(setParameter)].map((b) => Buffer.from([b])));
    for (const items of [whole, bytewise]) {
      expect(items).toHaveLength(1);
      const request = requestOf(items[0]);
      expect(request?.method).toBe("SET_PARAMETER");
      expect(request?.uri).toBe("rtsp://cam/stream");
      expect(request?.headers.get("cseq")).toBe("7");
      expect(request?.headers.get("session")).toBe("abc;timeout=60");
      expect(request?.body.toString()).toBe("volume: 3");
    }
  });

  it("reads interleaved frames between requests, and bare LF line ends", () => {
    const frame = Buffer.from([0x24, 1, 0, 3, 0xaa, 0xbb, 0xcc]);
    const items = parseAll(
      "OPTIONS * RTSP/1.0\nCSeq: 1\n\n",
      frame,
      "\r\nTEARDOWN rtsp://cam/stream RTSP/1.0\r\nCSeq: 2\r\n\r\n",
    );
    expect(items.map((item) => item.kind)).toEqual(["request", "interleaved", "request"]);
    expect(items[1]).toEqual({ kind: "interleaved", channel: 1, data: Buffer.from([0xaa, 0xbb, 0xcc]) });
    expect(requestOf(items[2])?.method).toBe("TEARDOWN");
  });

  it("keeps header values as UTF-8", () => {
    const items = parseAll(Buffer.from("OPTIONS * RTSP/1.0\r\nCSeq: 1\r\nUser-Agent: Phòng họp\r\n\r\n", "utf8"));
    expect(requestOf(items[0])?.headers.get("user-agent")).toBe("Phòng họp");
  });

  it.each([
    ["an HTTP request", "GET / HTTP/1.1\r\nHost: cam\r\n\r\n", 400],
    ["another RTSP version", "OPTIONS * RTSP/2.0\r\nCSeq: 1\r\n\r\n", 505],
    ["a header line without a colon", "OPTIONS * RTSP/1.0\r\nCSeq 1\r\n\r\n", 400],
    ["a Content-Length that is no number", "OPTIONS * RTSP/1.0\r\nContent-Length: -1\r\n\r\n", 400],
    ["a body over 64 KiB", "OPTIONS * RTSP/1.0\r\nContent-Length: 70000\r\n\r\n", 413],
    ["a head over 8 KiB", `OPTIONS * RTSP/1.0\r\nX: ${"a".repeat(9000)}`, 413],
  ])("refuses %s, then ignores the rest of the stream", (_what, input, status) => {
    const parser = new RtspParser();
    const items = parser.push(Buffer.from(input));
    expect(items.at(-1)).toMatchObject({ kind: "bad", status });
    expect(parser.push(Buffer.from("OPTIONS * RTSP/1.0\r\nCSeq: 2\r\n\r\n"))).toEqual([]);
  });

  it("never throws on 100,000 random bytes in random pieces", () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    for (let round = 0; round < 20; round++) {
      const parser = new RtspParser();
      for (let sent = 0; sent < 5000; ) {
        const piece = Buffer.alloc(1 + (random() % 300));
        for (let i = 0; i < piece.length; i++) piece[i] = random() % 3 === 0 ? 0x0a : random() & 0xff;
        expect(() => parser.push(piece)).not.toThrow();
        sent += piece.length;
      }
    }
  });
});

describe("RTSP responses and transports", () => {
  it("formats a response with Content-Length and no header injection", () => {
    const text = formatResponse(
      200,
      [
        ["CSeq", "3"],
        ["X", "a\r\nEvil: 1"],
      ],
      "v=0\r\n",
    ).toString();
    expect(text).toBe("RTSP/1.0 200 OK\r\nCSeq: 3\r\nX: a Evil: 1\r\nContent-Length: 5\r\n\r\nv=0\r\n");
  });

  it("reads the client's transport alternatives in order", () => {
    expect(
      parseTransport("RTP/AVP/TCP;unicast;interleaved=2-3, RTP/AVP;unicast;client_port=5000-5001,RTP/AVP;multicast"),
    ).toEqual([
      { lower: "tcp", unicast: true, interleaved: [2, 3] },
      { lower: "udp", unicast: true, clientPort: [5000, 5001] },
      { lower: "udp", unicast: false },
    ]);
    expect(parseTransport("RTP/AVP/UDP;unicast;client_port=6000")).toEqual([
      { lower: "udp", unicast: true, clientPort: [6000, 6001] },
    ]);
    expect(parseTransport("RAW/RAW/UDP;unicast, nonsense")).toEqual([]);
  });
});
