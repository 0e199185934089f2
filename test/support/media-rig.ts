// Rooms with only their media, in one process, for the media tests and the benchmark: each a real MediaDriver under
// a real DeviceSupervisor with its own worker (real GStreamer), on loopback, with test pictures of distinct colours.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type MediaDeviceEntry, mediaDeviceEntry, roomProfile } from "@rc/hardware-profiles";
import type { DesiredPayload, EventPayload } from "@rc/protocol";
import { pino } from "pino";
import { DeviceSupervisor } from "../../room-agent/src/devices/device-supervisor.ts";
import { MediaDriver } from "../../room-agent/src/devices/media/media-driver.ts";
import { RoomFacts } from "../../room-agent/src/room-facts.ts";
import { testUdpPort } from "./udp-ports.ts";

export interface RigRoom {
  id: string;
  port: number;
  facts: RoomFacts;
  driver: MediaDriver;
  supervisor: DeviceSupervisor;
  events: Pick<EventPayload, "type" | "reason" | "data">[];
  folder: string;
  stop(): Promise<void>;
}

export interface RigRoomOptions {
  id: string;
  /** Picture sources by camera id, e.g. { "cam-a": "testsrc:red" }. */
  inputs: Record<string, string>;
  /** The SRT listener's UDP port; a free one when not given. */
  port?: number;
  /** Overrides of the media line (recordings, video…). */
  media?: Partial<Record<keyof MediaDeviceEntry, unknown>>;
  logLevel?: string;
}

/** The small size and rate the demo machine carries. */
export const RIG_VIDEO = { width: 640, height: 360, fps: 15, bitrateKbps: 800, keyframeS: 2 };

export async function startRigRoom(options: RigRoomOptions): Promise<RigRoom> {
  const port = options.port ?? (await testUdpPort());
  const folder = mkdtempSync(join(tmpdir(), `rc-media-${options.id}-`));
  const entry = mediaDeviceEntry.parse({
    id: "media",
    kind: "media",
    video: RIG_VIDEO,
    audio: { input: "testsrc:440", bitrateKbps: 64 },
    inputs: options.inputs,
    srt: { bind: "127.0.0.1", port, latencyMs: 120 },
    recordings: { dir: join(folder, "recordings"), segmentS: 600, minFreeMb: 1 },
    display: "none",
    ...options.media,
  });
  const room = roomProfile.parse({
    version: 1,
    id: options.id,
    name: `Phòng ${options.id}`,
    level: "commune",
    parent: null,
    devices: [entry],
  });
  const facts = new RoomFacts();
  const events: RigRoom["events"] = [];
  const driver = new MediaDriver(entry, undefined, {
    room,
    facts,
    dataDir: folder,
    log: pino({ name: `media:${options.id}`, level: options.logLevel ?? process.env.LOG_LEVEL ?? "silent" }),
    emitEvent: (event) => events.push(event),
  });
  const supervisor = new DeviceSupervisor(driver, { probeIntervalMs: 1000, offlineAfter: 2 });
  supervisor.start();
  return {
    id: options.id,
    port,
    facts,
    driver,
    supervisor,
    events,
    folder,
    stop: async () => {
      await supervisor.stop();
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

/** A room of the session by its address only (its media may not be running). */
export type RigPeer = Pick<RigRoom, "id" | "port">;

/**
 * A running session: the first room is the central point, pulling every other; each other pulls the central one and
 * plays the sound track the central point makes for it (as the controller's planner says: its place among the
 * central point's peers). Rooms given as bare peers get no desired state (they are not running here).
 */
export function startSession(
  rooms: (RigRoom | RigPeer)[],
  passphrase = "phien-tiep-cong-dan-2024",
  id = "phien-1",
): void {
  const [central, ...components] = rooms;
  const peer = (room: RigPeer) => ({ room: room.id, srt: { host: "127.0.0.1", port: room.port } });
  rooms.forEach((room, index) => {
    if (!("facts" in room)) return;
    const desired: DesiredPayload = {
      rev: 1,
      session: {
        id,
        role: index === 0 ? "central" : "component",
        peers: index === 0 ? components.map(peer) : [{ ...peer(central!), soundTrack: index - 1 }],
        passphrase,
      },
      recording: false,
    };
    room.facts.set({ desired, session: { id, role: desired.session!.role } });
  });
}
