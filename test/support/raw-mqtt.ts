// MQTT packets by hand, for what a well-behaved client library refuses to send: binary or oversized fields, any
// protocol name and level, JavaScript built-in names as user names. Used by the connect fuzz and the chaos suite.

/** Names an object lookup finds without any login stored under them: every member of the common prototypes. */
export const BUILT_IN_NAMES = [
  ...new Set(
    [Object.prototype, Function.prototype, Array.prototype, String.prototype, Number.prototype, Promise.prototype]
      .flatMap((prototype) => Object.getOwnPropertyNames(prototype))
      .concat(["__proto__", "prototype", "constructor", "__defineGetter__", "then"]),
  ),
];

/** A length-prefixed field (MQTT's UTF-8 string or binary data), cut at its 65,535-byte maximum. */
export function mqttField(value: Buffer): Buffer {
  const bytes = value.subarray(0, 0xffff);
  const length = Buffer.alloc(2);
  length.writeUInt16BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

/** A whole packet: its first byte (0x10 for CONNECT), the remaining length, the body. */
export function rawPacket(first: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([first]), remainingLength(body.length), body]);
}

/** MQTT's variable-length "remaining length" (up to 268,435,455: what a packet may announce). */
export function remainingLength(length: number): Buffer {
  const bytes: number[] = [];
  do {
    let byte = length % 128;
    length = Math.floor(length / 128);
    if (length > 0) byte |= 0x80;
    bytes.push(byte);
  } while (length > 0);
  return Buffer.from(bytes);
}
