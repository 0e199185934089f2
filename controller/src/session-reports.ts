// Supervision reports (issue 13 part 7): which points held their receptions, who presided, whether each point's head
// came in person, how long each point was really there and linked (from availability and the host's link state,
// never typed in), whether its recordings reached the archive whole, and the directions with their due dates. Pure: sessions and rooms in, tables out; JSON or CSV (UTF-8 with a BOM, so Excel reads
// Vietnamese).
import { type AttendanceInterval, sessionTimes } from "@rc/protocol";
import { localDate, localIso, localMonth, TIME_ZONE } from "./reception-time.ts";
import type { RoomRecord, SessionRecord } from "./store.ts";

export type ReportGroup = "room" | "level";

export interface PointRow {
  month: string;
  date: string;
  session: string;
  title: string;
  /** by room: the room; by level: the room's level. */
  group: string;
  host: string;
  presiding: string;
  presidingTitle: string;
  room: string;
  level: string;
  kind: string;
  role: "central" | "component";
  crossLevel: boolean;
  head: string | null;
  headInPerson: boolean | null;
  joinedAt: string | null;
  leftAt: string | null;
  minutes: number;
  /** Times the point's agent went away and came back during the session. */
  drops: number;
  /** Minutes the host's media link to the point was up, and times it dropped; null for the host itself. */
  linkedMinutes: number | null;
  linkDrops: number | null;
  /** Recording segments of the point in the archive, and whether they are whole (see `pointRecordings`). */
  recordings: number;
  recordingsComplete: boolean;
}

/** What the archive holds of one point's recording in one session. */
export interface ArchivedSegment {
  start: string | null;
  end: string | null;
  closed: string | null;
}

/** Longest pause between one segment's end and the next one's start that still counts as one recording. */
const SEGMENT_GAP_MS = 5000;

/**
 * A point's recordings are complete when there is at least one segment, each has its times, no two follow each other
 * with a pause over 5 s (a worker restart starts the next segment within 3 s), and the last one was closed by a stop
 * (the session ended, not a crash). Segments still on the agent are missing here, so the report says "not complete".
 */
export function pointRecordings(segments: readonly ArchivedSegment[]): {
  recordings: number;
  recordingsComplete: boolean;
} {
  const timed = segments
    .filter((segment) => segment.start !== null && segment.end !== null)
    .sort((a, b) => a.start!.localeCompare(b.start!));
  const joined = timed.every(
    (segment, index) =>
      index === 0 || Date.parse(segment.start!) - Date.parse(timed[index - 1]!.end!) <= SEGMENT_GAP_MS,
  );
  return {
    recordings: segments.length,
    recordingsComplete:
      segments.length > 0 && timed.length === segments.length && joined && timed.at(-1)!.closed === "stop",
  };
}

/** The archived segments of a room in a session (none when the archive is not there). */
export type ArchivedSegmentsOf = (session: string, room: string) => readonly ArchivedSegment[];

export interface SummaryRow {
  group: string;
  month: string;
  sessionsHeld: number;
  asHost: number;
  headInPerson: number;
  minutes: number;
}

export interface DirectionRow {
  month: string;
  date: string;
  session: string;
  presiding: string;
  at: string;
  text: string;
  responsible: string | null;
  due: string | null;
}

export interface SessionReport {
  from: string;
  to: string;
  groupBy: ReportGroup;
  timeZone: string;
  summary: SummaryRow[];
  points: PointRow[];
  directions: DirectionRow[];
}

const minutesBetween = (from: number, to: number) => Math.max(0, to - from) / 60_000;
const tenths = (value: number) => Math.round(value * 10) / 10;

/** Sessions held (live or ended) whose start falls in [from, to), by group and month, with their points and directions. */
export function sessionReport(
  sessions: Iterable<SessionRecord>,
  rooms: Readonly<Record<string, RoomRecord>>,
  from: Date,
  to: Date,
  groupBy: ReportGroup,
  now: Date,
  archived: ArchivedSegmentsOf = () => [],
): SessionReport {
  const points: PointRow[] = [];
  const directions: DirectionRow[] = [];
  const held = [...sessions]
    .map((session) => ({ session, ...sessionTimes(session) }))
    .filter(({ session, startedAt }) => {
      if (startedAt === null || (session.state !== "live" && session.state !== "ended")) return false;
      const at = Date.parse(startedAt);
      return at >= from.getTime() && at < to.getTime();
    })
    .sort((a, b) => a.startedAt!.localeCompare(b.startedAt!) || a.session.id.localeCompare(b.session.id));
  for (const { session, startedAt, endedAt } of held) {
    const start = new Date(startedAt!);
    const end = endedAt ? Date.parse(endedAt) : now.getTime();
    const month = localMonth(start);
    const date = localDate(start);
    // A confidential session's title may name the citizen: reports leave it out (DESIGN §3.6).
    const title = session.confidential ? "(bảo mật)" : session.title;
    for (const point of session.points) {
      const room = Object.hasOwn(rooms, point.room) ? rooms[point.room] : undefined;
      const level = room?.level ?? "unknown";
      const minutesIn = (intervals: AttendanceInterval[]) =>
        intervals.reduce((total, interval) => {
          const joined = Math.max(Date.parse(interval.joinedAt), start.getTime());
          const left = Math.min(interval.leftAt ? Date.parse(interval.leftAt) : end, end);
          return total + minutesBetween(joined, left);
        }, 0);
      // A link interval closed before the session's end (or the point's leaving) is a drop.
      const over = point.removedAt ?? endedAt;
      const linkDrops = point.linked.filter((interval) => interval.leftAt !== null && interval.leftAt !== over).length;
      const last = point.attendance.at(-1);
      points.push({
        month,
        date,
        session: session.id,
        title,
        group: groupBy === "room" ? point.room : level,
        host: session.host,
        presiding: session.presiding.name,
        presidingTitle: session.presiding.title,
        room: point.room,
        level,
        kind: room?.kind ?? "unknown",
        role: point.role,
        crossLevel: point.crossLevel,
        head: point.head,
        headInPerson: point.headInPerson,
        joinedAt: point.attendance[0] ? localIso(new Date(point.attendance[0].joinedAt)) : null,
        leftAt: last?.leftAt ? localIso(new Date(last.leftAt)) : null,
        minutes: tenths(minutesIn(point.attendance)),
        drops: Math.max(0, point.attendance.length - 1),
        linkedMinutes: point.role === "central" ? null : tenths(minutesIn(point.linked)),
        linkDrops: point.role === "central" ? null : linkDrops,
        ...pointRecordings(archived(session.id, point.room)),
      });
    }
    for (const note of session.notes) {
      if (note.kind !== "direction") continue;
      directions.push({
        month,
        date,
        session: session.id,
        presiding: session.presiding.name,
        at: localIso(new Date(note.at)),
        text: session.confidential ? "(bảo mật)" : note.text,
        responsible: note.responsible,
        due: note.due,
      });
    }
  }
  return {
    from: localIso(from),
    to: localIso(to),
    groupBy,
    timeZone: TIME_ZONE,
    summary: summarise(points),
    points,
    directions,
  };
}

function summarise(points: PointRow[]): SummaryRow[] {
  const rows = new Map<string, SummaryRow & { sessions: Set<string> }>();
  for (const point of points) {
    const key = JSON.stringify([point.group, point.month]);
    const row = rows.get(key) ?? {
      group: point.group,
      month: point.month,
      sessionsHeld: 0,
      asHost: 0,
      headInPerson: 0,
      minutes: 0,
      sessions: new Set<string>(),
    };
    row.sessions.add(point.session);
    row.sessionsHeld = row.sessions.size;
    if (point.role === "central") row.asHost++;
    if (point.headInPerson === true) row.headInPerson++;
    row.minutes = Math.round((row.minutes + point.minutes) * 10) / 10;
    rows.set(key, row);
  }
  return [...rows.values()]
    .map(({ sessions: _sessions, ...row }) => row)
    .sort((a, b) => a.group.localeCompare(b.group) || a.month.localeCompare(b.month));
}

export type ReportTable = "summary" | "points" | "directions";

/** The columns of each table, in order (also the header of an empty one). */
const COLUMNS = {
  summary: ["group", "month", "sessionsHeld", "asHost", "headInPerson", "minutes"],
  points: [
    "month",
    "date",
    "session",
    "title",
    "group",
    "host",
    "presiding",
    "presidingTitle",
    "room",
    "level",
    "kind",
    "role",
    "crossLevel",
    "head",
    "headInPerson",
    "joinedAt",
    "leftAt",
    "minutes",
    "drops",
    "linkedMinutes",
    "linkDrops",
    "recordings",
    "recordingsComplete",
  ],
  directions: ["month", "date", "session", "presiding", "at", "text", "responsible", "due"],
} satisfies { summary: (keyof SummaryRow)[]; points: (keyof PointRow)[]; directions: (keyof DirectionRow)[] };
export const REPORT_TABLES = Object.keys(COLUMNS) as ReportTable[];

function csvCell(value: unknown): string {
  if (value === null || value === undefined) return "";
  let text = typeof value === "boolean" ? (value ? "yes" : "no") : String(value);
  // A text cell starting like a formula would run as one in a spreadsheet.
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One table of the report as CSV (RFC 4180, CRLF), UTF-8 with a byte-order mark for Excel. */
export function reportCsv(report: SessionReport, table: ReportTable): string {
  const columns: string[] = COLUMNS[table];
  const rows = report[table] as object[];
  const lines = [columns.join(",")];
  for (const row of rows) {
    lines.push(columns.map((column) => csvCell((row as Record<string, unknown>)[column])).join(","));
  }
  return `\uFEFF${lines.join("\r\n")}\r\n`;
}
