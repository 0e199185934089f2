// The supervision report over a generated month (January 2027) whose counts are known by construction:
//   every 3rd day  tinh hosts huyen-a (huyen-a joins 10 min late: 50 min; its link drops for 1 min: 49 min linked),
//                  with one direction
//   every 5th day  tinh hosts huyen-b (huyen-b drops for 5 min: 55 min, 1 drop)
//   the 20th       huyen-a hosts xa-1 (joins 10 min late), confidential
//   31 Jan 23:30 (Vietnam) tinh hosts huyen-b: still January there, though 16:30 UTC
//   1 Feb 00:30 (Vietnam) is February there, though 31 Jan 17:30 UTC: left out; so are a cancelled and a scheduled one
// Every session lasts 60 minutes, hosts attend all of it; heads came in person on even days (hosts always).
import { describe, expect, it } from "vitest";
import { fromWallTime } from "./reception-time.ts";
import { type ArchivedSegment, pointRecordings, reportCsv, sessionReport } from "./session-reports.ts";
import type { RoomRecord, SessionRecord } from "./store.ts";

const room = (id: string, level: RoomRecord["level"], parent: string | null): RoomRecord => ({
  id,
  name: id,
  level,
  kind: level === "commune" ? "commune" : "reception_office",
  parent,
  srt: null,
  createdAt: "2026-12-01T00:00:00.000Z",
});
const ROOMS = {
  tinh: room("tinh", "province", null),
  "huyen-a": room("huyen-a", "district", "tinh"),
  "huyen-b": room("huyen-b", "district", "tinh"),
  "xa-1": room("xa-1", "commune", "huyen-a"),
};

const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** A held session starting at `local` (Vietnam wall time, YYYY-MM-DDTHH:MM), lasting 60 minutes. */
function held(
  id: string,
  local: string,
  host: string,
  component: string,
  attendance: (start: number) => [number, number][],
  extra: Partial<SessionRecord> = {},
  links: (start: number) => [number, number][] | undefined = () => undefined,
): SessionRecord {
  const start = fromWallTime(new Date(`${local}:00Z`)).getTime();
  const spans = (intervals: [number, number][]) =>
    intervals.map(([from, to]) => ({ joinedAt: iso(start + from * MIN), leftAt: iso(start + to * MIN) }));
  const day = Number(local.slice(8, 10));
  const point = (name: string, role: "central" | "component", intervals: [number, number][]) => ({
    room: name,
    role,
    head: `Thủ trưởng ${name}`,
    headInPerson: role === "central" || day % 2 === 0,
    crossLevel: false,
    addedAt: iso(start - 60 * MIN),
    removedAt: null,
    attendance: spans(intervals),
    linked: role === "central" ? [] : spans(links(start) ?? intervals),
  });
  return {
    id,
    title: `Tiếp công dân, "ngày ${day}", phiên định kỳ`,
    kind: "ad_hoc",
    scheduleId: null,
    start: iso(start),
    end: iso(start + 60 * MIN),
    host,
    points: [point(host, "central", [[0, 60]]), point(component, "component", attendance(start))],
    guests: [],
    presiding: { name: "Nguyễn Văn A", title: "Phó Chủ tịch UBND tỉnh" },
    caseRef: null,
    confidential: false,
    crossLevelReason: null,
    state: "ended",
    transitions: [
      { state: "scheduled", at: iso(start - 60 * MIN), by: "fixture" },
      { state: "live", at: iso(start), by: "fixture" },
      { state: "ended", at: iso(start + 60 * MIN), by: "fixture" },
    ],
    notes: [],
    passphrase: null,
    ...extra,
  };
}

const late = (): [number, number][] => [[10, 60]];
const linkDrop = (): [number, number][] => [
  [10, 30],
  [31, 60],
];
const drop = (): [number, number][] => [
  [0, 20],
  [25, 60],
];

function january(): SessionRecord[] {
  const sessions: SessionRecord[] = [];
  for (let day = 1; day <= 31; day++) {
    const date = `2027-01-${String(day).padStart(2, "0")}`;
    if (day % 3 === 0) {
      const session = held(`d3-${day}`, `${date}T08:00`, "tinh", "huyen-a", late, {}, linkDrop);
      session.notes.push({
        id: "n1",
        kind: "direction",
        at: iso(Date.parse(session.start) + 30 * MIN),
        offsetS: 1800,
        text: `Giải quyết đơn ngày ${day}`,
        responsible: "UBND huyện A",
        due: "2027-02-15",
        by: "fixture",
      });
      sessions.push(session);
    }
    if (day % 5 === 0) sessions.push(held(`d5-${day}`, `${date}T14:00`, "tinh", "huyen-b", drop));
  }
  sessions.push(held("d20-xa", "2027-01-20T09:00", "huyen-a", "xa-1", late, { confidential: true }));
  sessions.push(held("late-jan", "2027-01-31T23:30", "tinh", "huyen-b", drop));
  sessions.push(held("early-feb", "2027-02-01T00:30", "tinh", "huyen-b", drop));
  sessions.push({ ...held("cancelled", "2027-01-12T08:00", "tinh", "huyen-a", late), state: "cancelled" });
  const scheduled = held("scheduled", "2027-01-13T08:00", "tinh", "huyen-a", late);
  sessions.push({ ...scheduled, state: "scheduled", transitions: scheduled.transitions.slice(0, 1) });
  return sessions;
}

const FROM = fromWallTime(new Date("2027-01-01T00:00:00Z"));
const TO = fromWallTime(new Date("2027-02-01T00:00:00Z"));
const NOW = new Date("2027-03-01T00:00:00Z");

describe("session report over a generated month", () => {
  it("by room: sessions held, as host, heads in person and minutes per point and month", () => {
    const report = sessionReport(january(), ROOMS, FROM, TO, "room", NOW);
    expect(report.summary).toEqual([
      { group: "huyen-a", month: "2027-01", sessionsHeld: 11, asHost: 1, headInPerson: 6, minutes: 560 },
      { group: "huyen-b", month: "2027-01", sessionsHeld: 7, asHost: 0, headInPerson: 3, minutes: 385 },
      { group: "tinh", month: "2027-01", sessionsHeld: 17, asHost: 17, headInPerson: 17, minutes: 1020 },
      { group: "xa-1", month: "2027-01", sessionsHeld: 1, asHost: 0, headInPerson: 1, minutes: 50 },
    ]);
    expect(report.points).toHaveLength(36);
    expect(report.directions).toHaveLength(10);
    expect(report.directions[0]).toMatchObject({ due: "2027-02-15", responsible: "UBND huyện A", session: "d3-3" });
    const lateJan = report.points.filter((point) => point.session === "late-jan");
    expect(lateJan.map((point) => [point.room, point.date, point.minutes, point.drops])).toEqual([
      ["tinh", "2027-01-31", 60, 0],
      ["huyen-b", "2027-01-31", 55, 1],
    ]);
    expect(lateJan[1]).toMatchObject({ joinedAt: "2027-01-31T23:30:00+07:00", leftAt: "2027-02-01T00:30:00+07:00" });
    expect(report.points.find((point) => point.session === "d20-xa")?.title).toBe("(bảo mật)");
  });

  it("link minutes and drops come from the host's link state; the host has none", () => {
    const report = sessionReport(january(), ROOMS, FROM, TO, "room", NOW);
    const row = (session: string, room: string) =>
      report.points.find((point) => point.session === session && point.room === room)!;
    expect(row("d3-3", "huyen-a")).toMatchObject({ minutes: 50, drops: 0, linkedMinutes: 49, linkDrops: 1 });
    // The agent went away for 5 minutes, and its link with it; the link closed at the session's end is no drop.
    expect(row("d5-5", "huyen-b")).toMatchObject({ minutes: 55, drops: 1, linkedMinutes: 55, linkDrops: 1 });
    expect(row("d5-5", "tinh")).toMatchObject({ linkedMinutes: null, linkDrops: null });
  });

  it("recordings: counted per point, complete only when whole and closed by a stop", () => {
    const at = (minute: number) => iso(Date.parse("2027-01-03T01:00:00Z") + minute * MIN);
    const segment = (from: number, to: number, closed: string | null = "split"): ArchivedSegment => ({
      start: at(from),
      end: at(to),
      closed,
    });
    const whole = [segment(0, 30), segment(30, 60, "stop")];
    expect(pointRecordings(whole)).toEqual({ recordings: 2, recordingsComplete: true });
    // A worker restart: the next segment starts 2 s after the interrupted one.
    const restarted = [
      segment(0, 30, "interrupted"),
      { ...segment(30, 60, "stop"), start: iso(Date.parse(at(30)) + 2000) },
    ];
    expect(pointRecordings(restarted).recordingsComplete).toBe(true);
    expect(pointRecordings([segment(0, 30), segment(31, 60, "stop")]).recordingsComplete).toBe(false); // a gap
    expect(pointRecordings([segment(0, 30), segment(30, 60, "interrupted")]).recordingsComplete).toBe(false);
    expect(pointRecordings([{ start: at(0), end: null, closed: "stop" }]).recordingsComplete).toBe(false);
    expect(pointRecordings([])).toEqual({ recordings: 0, recordingsComplete: false });

    const report = sessionReport(january(), ROOMS, FROM, TO, "room", NOW, (session, room) =>
      session === "d3-3" && room === "huyen-a" ? whole : [],
    );
    const rows = report.points.filter((point) => point.session === "d3-3");
    expect(rows.map((point) => [point.room, point.recordings, point.recordingsComplete])).toEqual([
      ["tinh", 0, false],
      ["huyen-a", 2, true],
    ]);
  });

  it("by level", () => {
    const report = sessionReport(january(), ROOMS, FROM, TO, "level", NOW);
    expect(report.summary).toEqual([
      { group: "commune", month: "2027-01", sessionsHeld: 1, asHost: 0, headInPerson: 1, minutes: 50 },
      { group: "district", month: "2027-01", sessionsHeld: 18, asHost: 1, headInPerson: 9, minutes: 945 },
      { group: "province", month: "2027-01", sessionsHeld: 17, asHost: 17, headInPerson: 17, minutes: 1020 },
    ]);
  });

  it("as CSV: UTF-8 with a BOM, CRLF, the same counts, quoted text cells", () => {
    const report = sessionReport(january(), ROOMS, FROM, TO, "room", NOW);
    const summary = reportCsv(report, "summary");
    expect(summary.startsWith("\uFEFFgroup,month,sessionsHeld,asHost,headInPerson,minutes\r\n")).toBe(true);
    expect(summary.slice(1).trimEnd().split("\r\n").slice(1)).toEqual([
      "huyen-a,2027-01,11,1,6,560",
      "huyen-b,2027-01,7,0,3,385",
      "tinh,2027-01,17,17,17,1020",
      "xa-1,2027-01,1,0,1,50",
    ]);
    const points = reportCsv(report, "points").slice(1).trimEnd().split("\r\n");
    expect(points).toHaveLength(1 + 36);
    expect(points[1]).toBe(
      '2027-01,2027-01-03,d3-3,"Tiếp công dân, ""ngày 3"", phiên định kỳ",tinh,tinh,Nguyễn Văn A,Phó Chủ tịch UBND tỉnh,' +
        "tinh,province,reception_office,central,no,Thủ trưởng tinh,yes,2027-01-03T08:00:00+07:00,2027-01-03T09:00:00+07:00,60,0,,,0,no",
    );
    expect(reportCsv(report, "directions").slice(1).trimEnd().split("\r\n")).toHaveLength(1 + 10);
  });

  it("an empty period has headers and no rows; a cell that looks like a formula is defused", () => {
    const empty = sessionReport([], ROOMS, FROM, TO, "room", NOW);
    expect(reportCsv(empty, "summary")).toBe("\uFEFFgroup,month,sessionsHeld,asHost,headInPerson,minutes\r\n");
    const [first] = january();
    const report = sessionReport([{ ...first!, title: "=HYPERLINK(1)" }], ROOMS, FROM, TO, "room", NOW);
    expect(reportCsv(report, "points")).toContain(",'=HYPERLINK(1),");
  });
});
