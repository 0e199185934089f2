// Finding a room's cameras with WS-Discovery: one Probe for NetworkVideoTransmitters, every ProbeMatch collected for
// a while and de-duplicated by endpoint. By default to the multicast group, as on a room's own LAN; a directed probe
// to one address (e.g. 127.0.0.1 in the demo) keeps discovery off the network.
import { randomUUID } from "node:crypto";
import { createSocket } from "node:dgram";

export interface DiscoveredCamera {
  endpoint: string;
  xaddrs: string[];
  name: string;
  hardware: string;
  location: string;
  scopes: string[];
}

export interface DiscoverOptions {
  /** Where the Probe goes: the WS-Discovery group (default) or one camera/responder address. */
  target?: string;
  port?: number;
  timeoutMs?: number;
  /** Local interface to send multicast from. */
  interfaceAddress?: string;
}

const local = (name: string) => `<(?:[\\w.-]+:)?${name}(?:\\s[^>]*)?>([\\s\\S]*?)</(?:[\\w.-]+:)?${name}>`;

/** The ProbeMatch entries of one reply (a camera may list several, e.g. http and https XAddrs). */
export function parseProbeMatches(xml: string): DiscoveredCamera[] {
  const found: DiscoveredCamera[] = [];
  for (const match of xml.matchAll(new RegExp(local("ProbeMatch"), "g"))) {
    const body = match[1] ?? "";
    const endpoint = new RegExp(local("Address")).exec(body)?.[1]?.trim() ?? "";
    const xaddrs = (new RegExp(local("XAddrs")).exec(body)?.[1] ?? "").trim().split(/\s+/).filter(Boolean);
    const scopes = (new RegExp(local("Scopes")).exec(body)?.[1] ?? "").trim().split(/\s+/).filter(Boolean);
    if (!endpoint || xaddrs.length === 0) continue;
    const scoped = (kind: string) => {
      const s = scopes.find((x) => x.toLowerCase().startsWith(`onvif://www.onvif.org/${kind}/`));
      return s ? decodeURIComponent(s.slice(`onvif://www.onvif.org/${kind}/`.length)) : "";
    };
    found.push({
      endpoint,
      xaddrs,
      name: scoped("name"),
      hardware: scoped("hardware"),
      location: scoped("location"),
      scopes,
    });
  }
  return found;
}

export async function discoverCameras(options: DiscoverOptions = {}): Promise<DiscoveredCamera[]> {
  const target = options.target ?? "239.255.255.250";
  const messageId = `uuid:${randomUUID()}`;
  const probe = `<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" xmlns:dn="http://www.onvif.org/ver10/network/wsdl"><s:Header><a:Action s:mustUnderstand="1">http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</a:Action><a:MessageID>${messageId}</a:MessageID><a:ReplyTo><a:Address>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo><a:To s:mustUnderstand="1">urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To></s:Header><s:Body><d:Probe><d:Types>dn:NetworkVideoTransmitter</d:Types></d:Probe></s:Body></s:Envelope>`;
  const socket = createSocket("udp4");
  const found = new Map<string, DiscoveredCamera>();
  socket.on("message", (message) => {
    const text = message.toString("utf8");
    // Answers to someone else's probe are not ours.
    if (!text.includes(messageId)) return;
    for (const camera of parseProbeMatches(text)) if (!found.has(camera.endpoint)) found.set(camera.endpoint, camera);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(0, () => resolve());
    });
    if (options.interfaceAddress && target.startsWith("239.")) socket.setMulticastInterface(options.interfaceAddress);
    // UDP may drop one datagram: ask twice, a little apart, as cameras expect.
    for (let i = 0; i < 2; i++) {
      await new Promise<void>((resolve, reject) =>
        socket.send(probe, options.port ?? 3702, target, (error) => (error ? reject(error) : resolve())),
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await new Promise((resolve) => setTimeout(resolve, options.timeoutMs ?? 1500));
  } finally {
    socket.close();
  }
  return [...found.values()];
}
