// UDP ports for a test's SRT listeners, chosen well before their peer binds them (a session's guest decoder may start
// listening a minute after the session named its port). Below the system's ephemeral range: a socket bound to port 0
// meanwhile (an SRT caller, a media worker's loopback stream, any other test's) is given ports from that range only,
// so it cannot take one of these first. Free when chosen, and all different.
import { createSocket, type Socket } from "node:dgram";
import { readFileSync } from "node:fs";

const LOWEST = 20_000;

function ephemeralStart(): number {
  try {
    const [low] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number);
    if (low && low > LOWEST + 1000) return low;
  } catch {} // not Linux: take the usual start
  return 32_768;
}

export async function testUdpPorts(count: number): Promise<number[]> {
  const highest = ephemeralStart() - 1;
  const sockets: Socket[] = [];
  try {
    for (let tries = 0; sockets.length < count; tries++) {
      if (tries > 1000) throw new Error(`no ${count} free UDP ports in ${LOWEST}–${highest}`);
      const port = LOWEST + Math.floor(Math.random() * (highest - LOWEST + 1));
      if (sockets.some((socket) => socket.address().port === port)) continue;
      const socket = createSocket("udp4");
      const bound = await new Promise<boolean>((resolve) => {
        socket.once("error", () => resolve(false));
        socket.bind(port, "127.0.0.1", () => resolve(true));
      });
      if (bound) sockets.push(socket);
      else
        try {
          socket.close();
        } catch {} // a socket whose bind failed may be closed already
    }
    return sockets.map((socket) => socket.address().port);
  } finally {
    await Promise.all(sockets.map((socket) => new Promise<void>((resolve) => socket.close(() => resolve()))));
  }
}

export async function testUdpPort(): Promise<number> {
  const [port] = await testUdpPorts(1);
  return port!;
}
