// The planner: each room's wanted session from the live sessions, and how a room's desired state follows it.
import type { DesiredPayload } from "@rc/protocol";
import { describe, expect, it } from "vitest";
import { plannedSessions, reconcileDesired } from "./session-planner.ts";
import type { RoomRecord, SessionRecord } from "./store.ts";

const AT = "2027-01-20T08:00:00+07:00";
const room = (id: string, parent: string | null, port: number | null): RoomRecord => ({
  id,
  name: id,
  level: parent ? "district" : "province",
  kind: "reception_office",
  parent,
  srt: port === null ? null : { host: "10.0.0.1", port },
  createdAt: AT,
});
const ROOMS = { tinh: room("tinh", null, 9000), huyen: room("huyen", "tinh", 9001), xa: room("xa", "huyen", null) };

const point = (id: string, role: "central" | "component", removedAt: string | null = null) => ({
  room: id,
  role,
  head: null,
  headInPerson: null,
  crossLevel: false,
  addedAt: AT,
  removedAt,
  attendance: [],
  linked: [],
});

function session(state: SessionRecord["state"], extra: Partial<SessionRecord> = {}): SessionRecord {
  return {
    id: "phien-1",
    title: "Tiếp công dân định kỳ",
    kind: "ad_hoc",
    scheduleId: null,
    start: AT,
    end: "2027-01-20T11:00:00+07:00",
    host: "tinh",
    points: [point("tinh", "central"), point("huyen", "component"), point("xa", "component")],
    guests: [
      {
        id: "ttcp",
        name: "Trụ sở TCD Trung ương",
        url: "srt://203.0.113.5:7000",
        programUrl: "srt://203.0.113.5:7001",
        passphrase: "khach-moi-01",
      },
    ],
    presiding: { name: "Nguyễn Văn A", title: "Chủ tịch UBND tỉnh" },
    caseRef: null,
    confidential: false,
    crossLevelReason: "xã liên quan",
    state,
    transitions: [{ state: "scheduled", at: AT, by: "test" }],
    notes: [],
    passphrase: state === "live" ? "mat-khau-phien-1234" : null,
    ...extra,
  };
}

describe("plannedSessions", () => {
  it("relay: the central point pulls every other point and the guests, each component pulls the central point", () => {
    const planned = plannedSessions([session("live")], ROOMS, "relay");
    expect(planned.get("tinh")).toEqual({
      id: "phien-1",
      role: "central",
      passphrase: "mat-khau-phien-1234",
      peers: [
        { room: "huyen", srt: { host: "10.0.0.1", port: 9001 } },
        { room: "xa" }, // no SRT address registered: listed, but no link can be made
        {
          room: "ttcp",
          srt: { host: "203.0.113.5", port: 7000 },
          // The host calls the guest's decoder too, to send it the session program.
          guest: {
            name: "Trụ sở TCD Trung ương",
            passphrase: "khach-moi-01",
            program: { host: "203.0.113.5", port: 7001 },
          },
        },
      ],
    });
    expect(planned.get("huyen")).toEqual({
      id: "phien-1",
      role: "component",
      passphrase: "mat-khau-phien-1234",
      // It plays the host's sound track made for it: its place among the host's peers (mix-minus).
      peers: [{ room: "tinh", srt: { host: "10.0.0.1", port: 9000 }, soundTrack: 0 }],
    });
    expect(planned.get("xa")?.peers).toEqual([{ room: "tinh", srt: { host: "10.0.0.1", port: 9000 }, soundTrack: 1 }]);
  });

  it("mesh: every room point pulls every other room point; guests stay with the host", () => {
    const planned = plannedSessions([session("live")], ROOMS, "mesh");
    expect(planned.get("huyen")?.peers.map((peer) => peer.room)).toEqual(["tinh", "xa"]);
    expect(planned.get("tinh")?.peers.map((peer) => peer.room)).toEqual(["huyen", "xa", "ttcp"]);
  });

  it("plans nothing for sessions not live, and nothing for a point that left", () => {
    for (const state of ["scheduled", "ended", "cancelled"] as const) {
      expect(plannedSessions([session(state)], ROOMS).size).toBe(0);
    }
    const left = session("live", { points: [point("tinh", "central"), point("huyen", "component", AT)] });
    const planned = plannedSessions([left], ROOMS);
    expect([...planned.keys()]).toEqual(["tinh"]);
    expect(planned.get("tinh")?.peers.map((peer) => peer.room)).toEqual(["ttcp"]);
  });
});

describe("reconcileDesired", () => {
  const wanted = plannedSessions([session("live")], ROOMS).get("huyen")!;
  const nothing: DesiredPayload = { rev: 5, session: null, recording: false };
  const known = (id: string) => id === "phien-1";

  it("entering a session turns the recording on; leaving it turns it off", () => {
    expect(reconcileDesired(nothing, wanted, known)).toEqual({ session: wanted, recording: true });
    expect(reconcileDesired({ rev: 6, session: wanted, recording: true }, null, known)).toEqual({
      session: null,
      recording: false,
    });
  });

  it("changes nothing when the room already wants the session; an operator's recording off in it stands", () => {
    expect(reconcileDesired({ rev: 6, session: wanted, recording: true }, wanted, known)).toBeNull();
    expect(reconcileDesired({ rev: 7, session: wanted, recording: false }, wanted, known)).toBeNull();
    // A peer joins: same session, new peers; the recording stays as the operator left it.
    const more = { ...wanted, peers: [...wanted.peers, { room: "xa" }] };
    expect(reconcileDesired({ rev: 7, session: wanted, recording: false }, more, known)).toEqual({
      session: more,
      recording: false,
    });
  });

  it("leaves alone a session the store does not know (written by hand), and a recording wished outside sessions", () => {
    const byHand = { ...wanted, id: "demo-2027-01-20" };
    expect(reconcileDesired({ rev: 8, session: byHand, recording: true }, null, known)).toBeNull();
    expect(reconcileDesired({ rev: 8, session: null, recording: true }, null, known)).toBeNull();
  });
});
