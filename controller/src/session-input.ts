// What the session and schedule endpoints accept: one zod schema per body and query, whose errors name the field.
import { ID_PATTERN, SESSION_STATES, sessionKind, srtPassphrase } from "@rc/protocol";
import { z } from "zod";

const isoTime = z.iso.datetime({ offset: true });
const id = z.string().regex(ID_PATTERN, "expected a lower-case id: letters, digits, '-'");
const personName = z.string().trim().min(1).max(200);

/** `srt://host:port` and nothing more: the passphrase travels beside it, never in the URL. */
export const srtUrl = z.string().superRefine((value, context) => {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {}
  const problem = !url
    ? "not a URL"
    : url.protocol !== "srt:"
      ? `the scheme is "${url.protocol.slice(0, -1)}", not srt`
      : !url.hostname
        ? "no host"
        : !url.port
          ? "no port"
          : url.username || url.password || url.pathname || url.search || url.hash
            ? "only srt://host:port (no path, query or credentials)"
            : null;
  if (problem) context.addIssue({ code: "custom", message: `expected srt://host:port: ${problem}` });
});

export const guestInput = z.strictObject({
  id,
  name: personName,
  url: srtUrl,
  /**
   * Where the guest's decoder listens for the session program (a hardware codec's decoder input): the host calls it,
   * as it calls `url` for the guest's picture. Without it the guest is only seen and heard.
   */
  programUrl: srtUrl.nullable().default(null),
  passphrase: srtPassphrase,
});
export type GuestInput = z.infer<typeof guestInput>;

const componentInput = z.strictObject({ room: id, head: personName.nullable().default(null) });

/** Everything a session is made of besides its times; also a schedule's template. */
const sessionFields = {
  title: z.string().trim().min(1).max(300),
  host: id,
  /** The host's head expected to attend. */
  hostHead: personName.nullable().default(null),
  /** The component points (rooms), without the host. */
  points: z.array(componentInput).max(20).default([]),
  guests: z.array(guestInput).max(20).default([]),
  presiding: z.strictObject({ name: personName, title: z.string().trim().max(200).default("") }),
  caseRef: z.string().trim().min(1).max(200).nullable().default(null),
  confidential: z.boolean().default(false),
  /** Components that are not direct subordinates of the host take part: say so, and why. */
  crossLevel: z.boolean().default(false),
  crossLevelReason: z.string().trim().min(1).max(500).nullable().default(null),
};

export const newSessionBody = z.strictObject({
  ...sessionFields,
  kind: sessionKind.default("ad_hoc"),
  start: isoTime,
  end: isoTime,
});
export type NewSessionBody = z.infer<typeof newSessionBody>;

/** A PATCH names only what changes (before the session starts); see onlyGiven. */
export const sessionPatchBody = newSessionBody.partial().strict();

/** The fields of a parsed PATCH that its body named, without the defaults the schema filled in. */
export function onlyGiven<T extends object>(parsed: T, body: unknown): Partial<T> {
  const given = typeof body === "object" && body !== null ? body : {};
  return Object.fromEntries(Object.entries(parsed).filter(([key]) => Object.hasOwn(given, key))) as Partial<T>;
}

/** A room point joining (a live session too); a guest point is `{guest: …}` (guestPointBody). */
export const roomPointBody = componentInput;
export const guestPointBody = z.strictObject({ guest: guestInput });
export function addPointBodyIsGuest(body: unknown): boolean {
  return typeof body === "object" && body !== null && Object.hasOwn(body, "guest");
}

/** The operator says who came: the head expected, and whether they attended in person. */
export const pointPatchBody = z.strictObject({
  head: personName.nullable().optional(),
  headInPerson: z.boolean().nullable().optional(),
});

export const noteBody = z
  .strictObject({
    kind: z.enum(["note", "direction"]).default("note"),
    text: z.string().trim().min(1).max(10_000),
    responsible: personName.nullable().default(null),
    due: z.iso.date().nullable().default(null),
  })
  .superRefine((note, context) => {
    if (note.kind !== "direction") return;
    if (note.responsible === null)
      context.addIssue({ code: "custom", path: ["responsible"], message: "a direction names who is responsible" });
    if (note.due === null) context.addIssue({ code: "custom", path: ["due"], message: "a direction has a due date" });
  });

/** From and to: an ISO time, or a date (midnight in Asia/Ho_Chi_Minh). */
export const timeBound = z.union([isoTime, z.iso.date()]);

export const sessionListQuery = z.strictObject({
  state: z.enum(SESSION_STATES).optional(),
  room: id.optional(),
  from: timeBound.optional(),
  to: timeBound.optional(),
  cursor: z.string().max(500).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const scheduleBody = z.strictObject({
  ...sessionFields,
  /** An RFC 5545 RRULE without DTSTART, e.g. FREQ=MONTHLY;BYMONTHDAY=20 (an "RRULE:" prefix is allowed). */
  rrule: z.string().trim().min(1).max(500),
  /** The first session's start: its time of day in Asia/Ho_Chi_Minh is every session's. */
  firstStart: isoTime,
  durationMin: z
    .int()
    .min(1)
    .max(24 * 60),
  horizonWeeks: z.int().min(1).max(52).default(8),
});
export type ScheduleBody = z.infer<typeof scheduleBody>;
export const schedulePatchBody = scheduleBody.partial().strict();

export const reportQuery = z.strictObject({
  from: timeBound,
  to: timeBound,
  groupBy: z.enum(["room", "level"]).default("room"),
  format: z.enum(["json", "csv"]).optional(),
  /** Which table a CSV holds: the counts by group and month, a row per session and point, or the directions. */
  table: z.enum(["summary", "points", "directions"]).default("points"),
});
