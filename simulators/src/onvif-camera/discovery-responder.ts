// WS-Discovery for simulated cameras (research/onvif.md): join 239.255.255.250:3702 on one interface, match Types by
// local name, and answer each Probe unicast to its sender with one ProbeMatches per camera, carrying a stable
// urn:uuid endpoint, non-empty scopes (name, hardware, location, type), the XAddrs and a MetadataVersion.
// Multicast is for a network namespace a test made; on a shared machine bind loopback and probe it directly.
import { createHash, randomUUID } from "node:crypto";
import { createSocket, type Socket } from "node:dgram";

export const DISCOVERY_ADDRESS = "239.255.255.250";
export const DISCOVERY_PORT = 3702;

export interface DiscoverableCamera {
  name: string;
  hardware: string;
  location: string;
  /** The device service URL (XAddrs). */
  xaddr: string;
}

export interface DiscoveryResponderOptions {
  /** Interface address to bind and to join the multicast group on (default 127.0.0.1). */
  interfaceAddress?: string;
  port?: number;
  /** Join the multicast group (only inside a private network namespace); otherwise directed probes only. */
  multicast?: boolean;
}

/** A stable endpoint address per camera (node-onvif deduplicates on it across its nine probes). */
export function endpointOf(camera: DiscoverableCamera): string {
  const hex = createHash("sha1").update(`${camera.name}|${camera.xaddr}`).digest("hex");
  return `urn:uuid:${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

const scope = (kind: string, value: string) => `onvif://www.onvif.org/${kind}/${encodeURIComponent(value)}`;

export function probeMatches(camera: DiscoverableCamera, relatesTo: string): string {
  const scopes = [
    scope("type", "ptz"),
    scope("type", "video_encoder"),
    scope("Profile", "Streaming"),
    scope("name", camera.name),
    scope("hardware", camera.hardware),
    scope("location", camera.location),
  ].join(" ");
  return `<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" xmlns:dn="http://www.onvif.org/ver10/network/wsdl" xmlns:tds="http://www.onvif.org/ver10/device/wsdl"><s:Header><a:MessageID>uuid:${randomUUID()}</a:MessageID><a:RelatesTo>${relatesTo}</a:RelatesTo><a:To s:mustUnderstand="1">http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To><a:Action s:mustUnderstand="1">http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches</a:Action></s:Header><s:Body><d:ProbeMatches><d:ProbeMatch><a:EndpointReference><a:Address>${endpointOf(camera)}</a:Address></a:EndpointReference><d:Types>dn:NetworkVideoTransmitter tds:Device</d:Types><d:Scopes>${scopes}</d:Scopes><d:XAddrs>${camera.xaddr}</d:XAddrs><d:MetadataVersion>1</d:MetadataVersion></d:ProbeMatch></d:ProbeMatches></s:Body></s:Envelope>`;
}

/** Whether a Probe's Types (by local name; empty = all) include what a camera is. */
export function probeWants(probe: string): boolean {
  const types = /<(?:[\w.-]+:)?Types[^>]*>([^<]*)</.exec(probe)?.[1]?.trim() ?? "";
  if (types === "") return true;
  return types.split(/\s+/).some((t) => ["NetworkVideoTransmitter", "Device"].includes(t.replace(/^.*:/, "")));
}

export class DiscoveryResponder {
  private socket: Socket | undefined;
  /** Probes answered (for tests). */
  probes = 0;

  constructor(
    private readonly cameras: () => DiscoverableCamera[],
    private readonly options: DiscoveryResponderOptions = {},
  ) {}

  async start(): Promise<void> {
    const socket = createSocket({ type: "udp4", reuseAddr: true });
    const iface = this.options.interfaceAddress ?? "127.0.0.1";
    socket.on("message", (message, sender) => this.answer(message.toString("utf8"), sender.address, sender.port));
    socket.on("error", () => {}); // a bad datagram or a closed peer must not end the responder
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      // Multicast needs the wildcard bind to receive group traffic; a directed-only responder stays on loopback.
      socket.bind(this.options.port ?? DISCOVERY_PORT, this.options.multicast ? undefined : iface, () => {
        socket.off("error", reject);
        resolve();
      });
    });
    if (this.options.multicast) {
      socket.addMembership(DISCOVERY_ADDRESS, iface);
      socket.setMulticastInterface(iface);
    }
    this.socket = socket;
  }

  async stop(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  private answer(message: string, address: string, port: number): void {
    if (!/<(?:[\w.-]+:)?Probe[\s>/]/.test(message) || !probeWants(message)) return;
    const messageId = /<(?:[\w.-]+:)?MessageID[^>]*>([^<]+)</.exec(message)?.[1]?.trim() ?? "";
    this.probes++;
    for (const camera of this.cameras()) {
      this.socket?.send(Buffer.from(probeMatches(camera, messageId)), port, address);
    }
  }
}
