import { createSocket, type Socket } from "node:dgram";

/**
 * UDP ports on loopback that nobody uses right now (SRT and the program's loopback streams are UDP), all different:
 * every socket is held open until all ports are known. Asked one at a time, the system may hand back the port it just
 * released — two of the worker's streams once shared one, and its recording never started.
 */
export async function freeUdpPorts(count: number): Promise<number[]> {
  const sockets: Socket[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const socket = createSocket("udp4");
      sockets.push(socket);
      await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
    }
    return sockets.map((socket) => socket.address().port);
  } finally {
    await Promise.all(sockets.map((socket) => new Promise<void>((resolve) => socket.close(() => resolve()))));
  }
}

/** One UDP port on loopback that nobody uses right now. */
export async function freeUdpPort(): Promise<number> {
  const [port] = await freeUdpPorts(1);
  return port!;
}
