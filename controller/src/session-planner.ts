// The session planner: what each room should be doing, from the live sessions alone (DESIGN §3.6). Pure: the
// store's sessions and rooms in, each room's wanted session out; DesiredStates stores and publishes the result.
import type { DesiredPayload, Peer } from "@rc/protocol";
import type { RoomRecord, SessionRecord } from "./store.ts";

export type WantedSession = NonNullable<DesiredPayload["session"]>;

/**
 * Who pulls whose stream. "relay": the central point pulls every other point (and its guests) and each component
 * pulls the central point, whose session program carries everyone; "mesh": every room point pulls every other one.
 * Which one the media does is issue 13 part 4's measured choice; the planner offers both.
 */
export type Topology = "relay" | "mesh";
export const TOPOLOGY: Topology = "relay";

function roomPeer(room: string, rooms: Readonly<Record<string, RoomRecord>>): Peer {
  const srt = Object.hasOwn(rooms, room) ? rooms[room]!.srt : null;
  return srt ? { room, srt } : { room };
}

/** A guest's `srt://host:port` as the address its link calls (the URL was checked when the guest was added). */
export function guestAddress(url: string): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname.replace(/^\[(.*)\]$/, "$1"), port: Number(parsed.port) };
}

/** Each room's wanted session, for every room point of a live session. */
export function plannedSessions(
  sessions: Iterable<SessionRecord>,
  rooms: Readonly<Record<string, RoomRecord>>,
  topology: Topology = TOPOLOGY,
): Map<string, WantedSession> {
  const planned = new Map<string, WantedSession>();
  for (const session of sessions) {
    if (session.state !== "live" || session.passphrase === null) continue;
    const active = session.points.filter((point) => point.removedAt === null);
    const others = (room: string) => active.filter((point) => point.room !== room).map((point) => point.room);
    for (const point of active) {
      const central = point.role === "central";
      const pulls = central || topology === "mesh" ? others(point.room) : [session.host];
      const peers = pulls.map((room) => roomPeer(room, rooms));
      if (!central && topology === "relay") {
        // The host sends one sound track per peer, in the order of its own peers: this room's is its place there.
        const soundTrack = others(session.host).indexOf(point.room);
        if (soundTrack >= 0) peers[0] = { ...peers[0]!, soundTrack };
      }
      if (central) {
        for (const guest of session.guests) {
          peers.push({
            room: guest.id,
            srt: guestAddress(guest.url),
            guest: {
              name: guest.name,
              passphrase: guest.passphrase,
              ...(guest.programUrl ? { program: guestAddress(guest.programUrl) } : {}),
            },
          });
        }
      }
      planned.set(point.room, { id: session.id, role: point.role, peers, passphrase: session.passphrase });
    }
  }
  return planned;
}

function sameSession(a: WantedSession | null, b: WantedSession | null): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The room's new wanted facts, or null when nothing changes. The planner owns the session of every room and
 * turns the recording on when a room enters a session and off when it leaves one; in between, an operator's
 * `media.record` stands. A session the store does not know (written by hand before sessions existed) is left alone.
 */
export function reconcileDesired(
  current: DesiredPayload,
  wanted: WantedSession | null,
  isKnownSession: (id: string) => boolean,
): Omit<DesiredPayload, "rev"> | null {
  if (sameSession(current.session, wanted)) return null;
  if (wanted === null && current.session && !isKnownSession(current.session.id)) return null;
  const entering = wanted !== null && current.session?.id !== wanted.id;
  const leaving = wanted === null;
  const recording = entering ? true : leaving ? false : current.recording;
  return { session: wanted, recording };
}
