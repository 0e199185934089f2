// What GStreamer tells us as text, parsed (pure): the SRT elements' `stats` structures (gstreamer-superficial hands
// a GstStructure over as its serialised string) and the GST_ERROR_SYSTEM debug lines, the only place a warning's
// human-readable text survives (the binding drops a bus message's GError; an SRT wrong passphrase is a warning).

export interface SrtStatistics {
  /** A caller is connected: SRT measures a round trip only on a live connection. */
  connected: boolean;
  rttMs: number | null;
  /** Bytes received (caller) or sent (listener) so far on this connection. */
  bytes: number;
  packets: number;
  packetsLost: number;
  /** Callers connected to a listener. */
  callers: number;
}

/** Fields of one `application/x-srt-statistics, a=(type)v, …` structure. */
function fields(structure: string): Map<string, string> {
  const result = new Map<string, string>();
  for (const match of structure.matchAll(/([\w-]+)=\([\w]+\)([^,;<>]+)/g)) result.set(match[1]!, match[2]!.trim());
  return result;
}

/** The statistics of an srtsrc in caller mode (one connection). */
export function parseCallerStatistics(text: string | null | undefined): SrtStatistics {
  const values = fields(text ?? "");
  const number = (key: string) => Number(values.get(key) ?? 0) || 0;
  const rtt = values.get("rtt-ms");
  return {
    connected: rtt !== undefined,
    rttMs: rtt === undefined ? null : Math.round(Number(rtt) * 100) / 100,
    bytes: number("bytes-received"),
    packets: number("packets-received"),
    packetsLost: number("packets-received-lost"),
    callers: rtt === undefined ? 0 : 1,
  };
}

/** The statistics of an srtsink listener: one nested structure (escaped) per connected caller. */
export function parseListenerStatistics(text: string | null | undefined): SrtStatistics {
  const callers = [...(text ?? "").matchAll(/"application\/x-srt-statistics(.*?)"/g)].map((match) =>
    fields(match[1]!.replace(/\\(.)/g, "$1")),
  );
  return {
    connected: callers.length > 0,
    rttMs: null,
    bytes: callers.reduce((sum, values) => sum + (Number(values.get("bytes-sent")) || 0), 0),
    packets: callers.reduce((sum, values) => sum + (Number(values.get("packets-sent")) || 0), 0),
    packetsLost: callers.reduce((sum, values) => sum + (Number(values.get("packets-sent-lost")) || 0), 0),
    callers: callers.length,
  };
}

export interface ElementMessage {
  element: string;
  level: "error" | "warning";
  text: string;
}

/**
 * One line of GStreamer's debug log at GST_ERROR_SYSTEM:4, e.g.
 * `… INFO GST_ERROR_SYSTEM gstelement.c:2308:gst_element_message_full_with_details:<srt-b> posted warning message: Failed to authenticate: Incorrect passphrase. Trying to reconnect`
 */
export function parseElementMessage(line: string): ElementMessage | null {
  const match = /GST_ERROR_SYSTEM .*?:<([^>]+)> posted (error|warning) message: (.*)$/.exec(line);
  if (!match) return null;
  return { element: match[1]!, level: match[2] as "error" | "warning", text: match[3]!.trim() };
}
