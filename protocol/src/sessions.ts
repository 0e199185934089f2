// A reception session (phiên tiếp công dân trực tuyến) as the controller shows it over REST and socket.io (DESIGN
// §3.6). The controller's store keeps the same record plus its secrets (the SRT passphrases).
import { z } from "zod";
import { ID_PATTERN } from "./topics.ts";

const isoTime = z.iso.datetime({ offset: true });
const id = z.string().regex(ID_PATTERN, "expected a lower-case id: letters, digits, '-'");

export const SESSION_STATES = ["scheduled", "live", "ended", "cancelled"] as const;
export const sessionState = z.enum(SESSION_STATES);
export type SessionState = z.infer<typeof sessionState>;

/** Periodic (định kỳ, from a schedule) or ad hoc (đột xuất). */
export const SESSION_KINDS = ["periodic", "ad_hoc"] as const;
export const sessionKind = z.enum(SESSION_KINDS);

/** A time in the session during which a point's agent was online: from availability, never typed in. */
export const attendanceInterval = z.strictObject({ joinedAt: isoTime, leftAt: isoTime.nullable() });
export type AttendanceInterval = z.infer<typeof attendanceInterval>;

export const sessionPoint = z.strictObject({
  room: id,
  /** The host is the central point; every other room a component point. */
  role: z.enum(["central", "component"]),
  /** The head of the point expected to attend (name and title, as people write it). */
  head: z.string().max(200).nullable(),
  /** Whether that head attended in person: set by the operator, null until then. */
  headInPerson: z.boolean().nullable(),
  /** A component that is not a direct subordinate of the host (skip-level, a department): allowed, and visible. */
  crossLevel: z.boolean(),
  /** When the point was added (a point may join a live session). */
  addedAt: isoTime,
  /** When it left a live session; it stays listed for the record and the reports, without links. */
  removedAt: isoTime.nullable(),
  attendance: z.array(attendanceInterval),
  /**
   * Times the host's link to this component was up (from the host agent's reported link state, never typed in);
   * empty for the host itself. Absent in sessions stored before it was kept.
   */
  linked: z.array(attendanceInterval).default([]),
});
export type SessionPoint = z.infer<typeof sessionPoint>;

/** A point without our agent, reached by SRT (its passphrase stays in the controller). */
export const guestPointView = z.strictObject({
  id,
  name: z.string().min(1).max(200),
  /** `srt://host:port`: the guest's picture and sound, called by the host. */
  url: z.string(),
  /** `srt://host:port` the host calls to send the guest the session program; null: the guest only sends. */
  programUrl: z.string().nullable().default(null),
});
export type GuestPointView = z.infer<typeof guestPointView>;

export const sessionTransition = z.strictObject({ state: sessionState, at: isoTime, by: z.string().min(1) });

/** A time-coded note, or a direction of the presiding official with who must act and by when. */
export const sessionNote = z.strictObject({
  id: z.string().min(1),
  kind: z.enum(["note", "direction"]),
  at: isoTime,
  /** Seconds from the session's start when written (null before the session started): the record's time code. */
  offsetS: z.number().nonnegative().nullable(),
  text: z.string().min(1).max(10_000),
  responsible: z.string().max(200).nullable(),
  /** A calendar date, YYYY-MM-DD. */
  due: z.iso.date().nullable(),
  by: z.string().min(1),
});
export type SessionNote = z.infer<typeof sessionNote>;

export const sessionView = z.strictObject({
  id,
  title: z.string().min(1).max(300),
  kind: sessionKind,
  /** The schedule that made it; null for a session created on its own. */
  scheduleId: id.nullable(),
  /** The planned times; the real ones are in `transitions`. */
  start: isoTime,
  end: isoTime,
  host: id,
  /** Every room point, the host first. */
  points: z.array(sessionPoint),
  guests: z.array(guestPointView),
  presiding: z.strictObject({ name: z.string().min(1).max(200), title: z.string().max(200) }),
  caseRef: z.string().max(200).nullable(),
  /** A denunciation: the citizen's identity is protected; lists leave out title and case reference. */
  confidential: z.boolean(),
  /** Why components that are not direct subordinates of the host take part; null when all are. */
  crossLevelReason: z.string().min(1).max(500).nullable(),
  state: sessionState,
  /** Every change of state with who and when, the creation (state "scheduled") first. */
  transitions: z.array(sessionTransition).min(1),
  notes: z.array(sessionNote),
});
export type SessionView = z.infer<typeof sessionView>;

/** When a session went live and ended, from its transitions (null when it has not). */
export function sessionTimes(session: Pick<SessionView, "transitions">): {
  startedAt: string | null;
  endedAt: string | null;
} {
  const at = (state: SessionState) => session.transitions.find((entry) => entry.state === state)?.at ?? null;
  return { startedAt: at("live"), endedAt: at("ended") };
}
