// Just enough of RTP (RFC 3550) and the H.264 payload format (RFC 6184) for the RTSP server: where a packet's payload
// starts, which NAL units it carries, and the parameter sets the SDP announces.

export const NAL_SPS = 7;
export const NAL_PPS = 8;
const STAP_A = 24;
const FU_A = 28;

/** Offset of the payload in an RTP packet (after CSRCs and a header extension), or undefined if it is no RTP. */
export function payloadOffset(packet: Buffer): number | undefined {
  if (packet.length < 12 || (packet[0] as number) >> 6 !== 2) return undefined;
  let offset = 12 + ((packet[0] as number) & 0x0f) * 4;
  if ((packet[0] as number) & 0x10) {
    if (packet.length < offset + 4) return undefined;
    offset += 4 + packet.readUInt16BE(offset + 2) * 4;
  }
  return offset < packet.length ? offset : undefined;
}

/** The NAL units carried whole by a packet (single NAL or STAP-A), and the type a FU-A starts. */
export function nalUnits(packet: Buffer): { types: number[]; units: Buffer[] } {
  const offset = payloadOffset(packet);
  if (offset === undefined) return { types: [], units: [] };
  const payload = packet.subarray(offset);
  const type = (payload[0] as number) & 0x1f;
  if (type >= 1 && type <= 23) return { types: [type], units: [payload] };
  if (type === STAP_A) {
    const units: Buffer[] = [];
    for (let at = 1; at + 2 <= payload.length; ) {
      const size = payload.readUInt16BE(at);
      if (size === 0 || at + 2 + size > payload.length) break;
      units.push(payload.subarray(at + 2, at + 2 + size));
      at += 2 + size;
    }
    return { types: units.map((unit) => (unit[0] as number) & 0x1f), units };
  }
  if (type === FU_A && payload.length > 1 && (payload[1] as number) & 0x80) {
    return { types: [(payload[1] as number) & 0x1f], units: [] };
  }
  return { types: [], units: [] };
}

/**
 * A packet a new viewer can start with: the encoder sends SPS and PPS in front of every key frame
 * (rtph264pay config-interval=-1), so the first packet carrying an SPS begins a decodable picture.
 */
export function startsKeyFrame(packet: Buffer): boolean {
  return nalUnits(packet).types.includes(NAL_SPS);
}

/** profile-level-id for the SDP: the three bytes after the SPS NAL header, in hex (RFC 6184 §8.1). */
export function profileLevelId(sps: Buffer): string {
  return sps.subarray(1, 4).toString("hex").toUpperCase();
}

/** The SPS and PPS a packet carries whole, if any. */
export function parameterSetsIn(packet: Buffer): { sps?: Buffer; pps?: Buffer } {
  const { types, units } = nalUnits(packet);
  const found: { sps?: Buffer; pps?: Buffer } = {};
  types.forEach((type, i) => {
    if (type === NAL_SPS) found.sps = units[i];
    if (type === NAL_PPS) found.pps = units[i];
  });
  return found;
}
