// Periodic receptions ("on the 20th of every month"): an RFC 5545 RRULE, expanded in Asia/Ho_Chi_Minh by the rrule
// package into the sessions of the coming weeks. A change of a schedule replaces only its sessions still scheduled:
// a live, ended or cancelled one is never touched (nor made again).
import { randomBytes } from "node:crypto";
import { isValidId } from "@rc/protocol";
import type { Logger } from "pino";
import rrule from "rrule";
import { fromWallTime, localDate, localIso, toWallTime } from "./reception-time.ts";
import type { ScheduleBody } from "./session-input.ts";
import { checkDraft, newSessionRecord, type SessionDraft, SessionError, type Sessions } from "./sessions.ts";
import type { ScheduleRecord, SessionRecord, Store, StoreData } from "./store.ts";

const { rrulestr, RRule } = rrule;

const WEEK_MS = 7 * 24 * 3600 * 1000;
/** A schedule expands to at most this many sessions at once (a guard against FREQ=DAILY with a long horizon). */
const MAX_OCCURRENCES = 400;
/** Topping the schedules up once an hour keeps `horizonWeeks` of sessions ahead; it only ever creates sessions. */
const TOP_UP_INTERVAL_MS = 3600 * 1000;

/** The rule's starts in [from, until), as instants; throws naming the field "rrule" when it does not parse. */
export function occurrences(rule: string, firstStart: string, from: Date, until: Date): Date[] {
  const text = rule.trim().replace(/^RRULE:/i, "");
  if (/[\r\n]/.test(text) || /DTSTART|EXDATE|RDATE/i.test(text)) {
    throw new SessionError(
      400,
      "rrule",
      "expected one RRULE (no DTSTART, EXDATE or RDATE: firstStart gives the start)",
    );
  }
  let parsed: InstanceType<typeof RRule>;
  try {
    const expanded = rrulestr(text, { dtstart: toWallTime(new Date(firstStart)) });
    if (!(expanded instanceof RRule)) throw new Error("not a single RRULE");
    parsed = expanded;
  } catch (error) {
    throw new SessionError(400, "rrule", `not an RFC 5545 RRULE: ${(error as Error).message}`);
  }
  if (parsed.options.freq > RRule.DAILY) {
    throw new SessionError(400, "rrule", "a reception repeats at most daily (FREQ=DAILY, WEEKLY, MONTHLY or YEARLY)");
  }
  if (!parsed.after(toWallTime(new Date(firstStart)), true)) {
    throw new SessionError(400, "rrule", "the rule gives no session at or after firstStart");
  }
  const start = new Date(Math.max(from.getTime(), Date.parse(firstStart)));
  return parsed
    .between(toWallTime(start), toWallTime(until), true, (_date, index) => index < MAX_OCCURRENCES)
    .map(fromWallTime)
    .filter((instant) => instant >= start && instant < until);
}

/** The session id of a schedule's occurrence: the same occurrence always gets the same id, so it is made once. */
export function occurrenceId(schedule: string, start: Date): string {
  return `${schedule}-${localIso(start).slice(0, 16).replace(/[-:]/g, "").replace("T", "-")}`;
}

function draftOf(schedule: ScheduleRecord, start: Date): SessionDraft {
  const { template } = schedule;
  return {
    title: template.title,
    kind: "periodic",
    scheduleId: schedule.id,
    start: localIso(start),
    end: localIso(new Date(start.getTime() + schedule.durationMin * 60_000)),
    host: template.host,
    hostHead: template.hostHead,
    points: template.points,
    guests: template.guests,
    presiding: template.presiding,
    caseRef: template.caseRef,
    confidential: template.confidential,
    crossLevel: template.crossLevelReason !== null,
    crossLevelReason: template.crossLevelReason,
  };
}

function scheduleOf(id: string, body: ScheduleBody, by: string, now: string, createdAt = now): ScheduleRecord {
  return {
    id,
    rrule: body.rrule.replace(/^RRULE:/i, ""),
    firstStart: body.firstStart,
    durationMin: body.durationMin,
    horizonWeeks: body.horizonWeeks,
    template: {
      title: body.title,
      host: body.host,
      hostHead: body.hostHead,
      points: body.points,
      guests: body.guests,
      presiding: body.presiding,
      caseRef: body.caseRef,
      confidential: body.confidential,
      crossLevelReason: body.crossLevel ? body.crossLevelReason : null,
    },
    createdAt,
    changedAt: now,
    changedBy: by,
  };
}

/** The body a schedule was made from, for a PATCH to change. */
function bodyOf(schedule: ScheduleRecord): ScheduleBody {
  const { template } = schedule;
  return {
    ...template,
    crossLevel: template.crossLevelReason !== null,
    rrule: schedule.rrule,
    firstStart: schedule.firstStart,
    durationMin: schedule.durationMin,
    horizonWeeks: schedule.horizonWeeks,
  };
}

export class Schedules {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Store,
    private readonly sessions: Sessions,
    private readonly log: Logger,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  start(): void {
    void this.topUp();
    this.timer = setInterval(() => void this.topUp(), TOP_UP_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  get(id: string): ScheduleRecord | undefined {
    const schedules = this.store.data.schedules;
    return isValidId(id) && Object.hasOwn(schedules, id) ? schedules[id] : undefined;
  }

  all(): ScheduleRecord[] {
    return Object.values(this.store.data.schedules);
  }

  /** Creates the schedule and its sessions of the coming weeks; throws naming the field. */
  async create(body: ScheduleBody, by: string): Promise<{ schedule: ScheduleRecord; created: SessionRecord[] }> {
    const now = this.clock();
    const schedule = scheduleOf(`lich-${randomBytes(4).toString("hex")}`, body, by, now.toISOString());
    return this.write(schedule, now);
  }

  /** Changes a schedule: its sessions still scheduled are made again; live, ended and cancelled ones stay as they are. */
  async patch(
    id: string,
    change: Partial<ScheduleBody>,
    by: string,
  ): Promise<{ schedule: ScheduleRecord; created: SessionRecord[] }> {
    const before = this.get(id);
    if (!before) throw new SessionError(404, null, `no schedule "${id}"`);
    const now = this.clock();
    const schedule = scheduleOf(id, { ...bodyOf(before), ...change }, by, now.toISOString(), before.createdAt);
    return this.write(schedule, now, true);
  }

  /** Makes the sessions that came within every schedule's horizon since the last time. */
  async topUp(): Promise<void> {
    for (const schedule of this.all()) {
      try {
        await this.write(schedule, this.clock());
      } catch (error) {
        this.log.warn({ schedule: schedule.id, err: (error as Error).message }, "schedule's sessions not made");
      }
    }
  }

  private async write(
    schedule: ScheduleRecord,
    now: Date,
    replaceScheduled = false,
  ): Promise<{ schedule: ScheduleRecord; created: SessionRecord[] }> {
    if (schedule.template.points.length === 0 && schedule.template.guests.length === 0) {
      throw new SessionError(400, "points", "a schedule needs at least one point besides the host");
    }
    const until = new Date(now.getTime() + schedule.horizonWeeks * WEEK_MS);
    const starts = occurrences(schedule.rrule, schedule.firstStart, now, until);
    // The template is checked once even when no session falls in the horizon yet.
    const first = draftOf(schedule, new Date(schedule.firstStart));
    const checkNow = now.toISOString();
    checkDraft(first, this.store.data.rooms, checkNow);
    const created: SessionRecord[] = [];
    await this.store.update((data: StoreData) => {
      const sessions = { ...data.sessions };
      if (replaceScheduled) {
        for (const [key, session] of Object.entries(sessions)) {
          if (session.scheduleId === schedule.id && session.state === "scheduled") delete sessions[key];
        }
      }
      for (const start of starts) {
        const id = occurrenceId(schedule.id, start);
        if (Object.hasOwn(sessions, id)) continue;
        const draft = draftOf(schedule, start);
        const record = newSessionRecord(
          id,
          draft,
          checkDraft(draft, data.rooms, checkNow),
          schedule.changedBy,
          checkNow,
        );
        sessions[id] = record;
        created.push(record);
      }
      data.sessions = sessions;
      data.schedules[schedule.id] = schedule;
    });
    for (const session of created) this.sessions.announce("created", session);
    if (created.length > 0) {
      this.log.info({ schedule: schedule.id, created: created.length, first: localDate(starts[0]!) }, "schedule");
    }
    return { schedule, created };
  }
}
