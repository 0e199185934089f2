// GStreamer's text as the binding hands it over: SRT statistics structures and the error-system log lines.
import { describe, expect, it } from "vitest";
import { parseCallerStatistics, parseElementMessage, parseListenerStatistics } from "./gstreamer-text.ts";

// Captured from srtsrc/srtsink 1.22 on loopback (trimmed to the fields that matter, order kept).
const CALLER =
  "application/x-srt-statistics, packets-sent=(gint64)0, packets-received=(gint64)1706, packets-received-lost=(int)12, " +
  "bytes-received=(guint64)395792, receive-rate-mbps=(double)0.90362077753367953, rtt-ms=(double)0.188, " +
  "bytes-received-total=(guint64)308884;";
const CALLER_DOWN = "application/x-srt-statistics, bytes-received-total=(guint64)308884;";
const LISTENER =
  'application/x-srt-statistics, callers=(GValueArray)< "application/x-srt-statistics\\,\\ packets-sent\\=\\(gint64\\)1706\\,\\ ' +
  "packets-sent-lost\\=\\(int\\)0\\,\\ bytes-sent\\=\\(guint64\\)395792\\,\\ rtt-ms\\=\\(double\\)0.16500000000000001\\,\\ " +
  'caller-address\\=\\(GSocketAddress\\)NULL\\;", "application/x-srt-statistics\\,\\ packets-sent\\=\\(gint64\\)10\\,\\ ' +
  'bytes-sent\\=\\(guint64\\)1880\\;" >, bytes-sent-total=(guint64)320728;';

describe("SRT statistics", () => {
  it("reads a connected caller's round trip, bytes and losses", () => {
    expect(parseCallerStatistics(CALLER)).toEqual({
      connected: true,
      rttMs: 0.19,
      bytes: 395792,
      packets: 1706,
      packetsLost: 12,
      callers: 1,
    });
  });

  it("tells a caller without a connection (no round trip) and survives nothing at all", () => {
    expect(parseCallerStatistics(CALLER_DOWN)).toMatchObject({ connected: false, rttMs: null, callers: 0 });
    expect(parseCallerStatistics(null)).toMatchObject({ connected: false, bytes: 0 });
  });

  it("counts a listener's callers from the nested, escaped structures", () => {
    expect(parseListenerStatistics(LISTENER)).toMatchObject({
      connected: true,
      callers: 2,
      bytes: 397672,
      packets: 1716,
    });
    expect(parseListenerStatistics("application/x-srt-statistics, bytes-sent-total=(guint64)0;").callers).toBe(0);
  });
});

describe("GStreamer error-system log lines", () => {
  it("gives the element and the human text of a posted warning or error", () => {
    const line =
      "0:00:00.031952266 19537     0x100bcc00 INFO        GST_ERROR_SYSTEM gstelement.c:2308:gst_element_message_full_with_details:" +
      "<srt-huyen-dong-son> posted warning message: Failed to authenticate: Incorrect passphrase. Trying to reconnect";
    expect(parseElementMessage(line)).toEqual({
      element: "srt-huyen-dong-son",
      level: "warning",
      text: "Failed to authenticate: Incorrect passphrase. Trying to reconnect",
    });
  });

  it("ignores the 'posting message' twin and any other line", () => {
    expect(parseElementMessage("… GST_ERROR_SYSTEM gstelement.c:2281:x:<in> posting message: Failed")).toBeNull();
    expect(parseElementMessage("WARN h264parse broken/invalid nal")).toBeNull();
  });
});
