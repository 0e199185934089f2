// Supervision reports (issue 13 part 7): which points held their receptions, who presided, whether each point's head
// came in person, how long each point was really connected (from availability, never typed in) and the directions
// with their due dates. Pure: sessions and rooms in, tables out; JSON or CSV (UTF-8 with a BOM, so Excel reads
// Vietnamese).
import { sessionTimes } from "@rc/protocol";
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
}

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

/** Sessions held (live or ended) whose start falls in [from, to), by group and month, with their points and directions. */
export function sessionReport(
  sessions: Iterable<SessionRecord>,
  rooms: Readonly<Record<string, RoomRecord>>,
  from: Date,
  to: Date,
  groupBy: ReportGroup,
  now: Date,
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
      const minutes = point.attendance.reduce((total, interval) => {
        const joined = Math.max(Date.parse(interval.joinedAt), start.getTime());
        const left = Math.min(interval.leftAt ? Date.parse(interval.leftAt) : end, end);
        return total + minutesBetween(joined, left);
      }, 0);
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
        minutes: Math.round(minutes * 10) / 10,
        drops: Math.max(0, point.attendance.length - 1),
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
