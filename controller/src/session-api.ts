import express, { type Request, type Response, type Router } from "express";
import type { z } from "zod";
import { type Caller, maySeeSession, maySessionAction, type SessionFacts } from "./access.ts";
import { actorOf, callerOf } from "./auth.ts";
import { idPageQuery, pageById } from "./paging.ts";
import { ProblemError, parseInput, problemRoute } from "./problem.ts";
import { instantOf } from "./reception-time.ts";
import type { RoomRegistry } from "./registry.ts";
import type { Schedules } from "./schedules.ts";
import {
  addPointBodyIsGuest,
  guestPointBody,
  newSessionBody,
  noteBody,
  onlyGiven,
  pointPatchBody,
  reportQuery,
  roomPointBody,
  scheduleBody,
  schedulePatchBody,
  sessionListQuery,
  sessionPatchBody,
} from "./session-input.ts";
import { sessionReadiness } from "./session-readiness.ts";
import { type ArchivedSegmentsOf, reportCsv, sessionReport } from "./session-reports.ts";
import { type SessionDraft, SessionError, type Sessions, sessionListView, sessionView } from "./sessions.ts";
import type { ScheduleRecord, SessionRecord, Store } from "./store.ts";

export interface SessionRouteParts {
  sessions: Sessions;
  schedules: Schedules;
  registry: RoomRegistry;
  store: Store;
  /** The archive's segments of a point, for the report's recordings columns (none without an archive). */
  archived?: ArchivedSegmentsOf;
}

/** A path parameter (express types them loosely when the route is declared apart from its path). */
function param(request: Request, name: "id" | "room"): string {
  return String(request.params[name]);
}

function draftOf(body: z.output<typeof newSessionBody>): SessionDraft {
  return { ...body, scheduleId: null, crossLevelReason: body.crossLevel ? body.crossLevelReason : null };
}

function scheduleView(schedule: ScheduleRecord) {
  const guests = schedule.template.guests.map(({ passphrase: _secret, ...guest }) => guest);
  return { ...schedule, template: { ...schedule.template, guests } };
}

/** A schedule's sessions as the access rules see them: its host and points, and whether confidential. */
function scheduleFacts(schedule: ScheduleRecord): SessionFacts {
  const { host, points, confidential } = schedule.template;
  return {
    confidential,
    points: [
      { room: host, role: "central", removedAt: null },
      ...points.map((point) => ({ room: point.room, role: "component" as const, removedAt: null })),
    ],
  };
}

/** As the caller may see it: a confidential one without its title and case unless they may see its sessions. */
function scheduleViewFor(caller: Caller, schedule: ScheduleRecord) {
  const view = scheduleView(schedule);
  if (maySeeSession(caller, scheduleFacts(schedule))) return view;
  return { ...view, template: { ...view.template, title: "(bảo mật)", caseRef: null } };
}

/** Sessions in order of their planned start (then id); the cursor is the last one a page showed. */
function page(sessions: SessionRecord[], cursor: string | undefined, limit: number) {
  const key = (session: SessionRecord): [number, string] => [Date.parse(session.start), session.id];
  const after = (a: [number, string], b: [number, string]) => a[0] > b[0] || (a[0] === b[0] && a[1] > b[1]);
  let last: [number, string] | undefined;
  if (cursor !== undefined) {
    try {
      const decoded: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
      if (!Array.isArray(decoded) || typeof decoded[0] !== "number" || typeof decoded[1] !== "string") throw 0;
      last = [decoded[0], decoded[1]];
    } catch {
      throw new SessionError(400, "cursor", "not a cursor this API gave");
    }
  }
  const sorted = sessions
    .filter((session) => !last || after(key(session), last))
    .sort((a, b) => (after(key(a), key(b)) ? 1 : -1));
  const items = sorted.slice(0, limit);
  const more = sorted.length > limit;
  const nextCursor = more ? Buffer.from(JSON.stringify(key(items.at(-1)!))).toString("base64url") : null;
  return { items: items.map(sessionListView), nextCursor };
}

export function sessionRoutes({ sessions, schedules, registry, store, archived }: SessionRouteParts): Router {
  const router = express.Router();
  const found = (id: string): SessionRecord => {
    const session = sessions.get(id);
    if (!session) throw new SessionError(404, null, `no session "${id}"`);
    return session;
  };
  const answer = (response: Response, session: SessionRecord, status = 200) =>
    void response.status(status).json(sessionView(session));

  router.post(
    "/api/sessions",
    problemRoute(async (request, response) => {
      const body = parseInput(newSessionBody, request.body, response);
      if (!body) return;
      // Who may act on a session is checked at the API's edge (authorize, by the path); a new one has no path yet.
      const hosted = {
        confidential: body.confidential,
        points: [{ room: body.host, role: "central" as const, removedAt: null }],
      };
      if (!maySessionAction(callerOf(request)!, "create", hosted)) {
        throw new ProblemError(
          403,
          `an operator plans sessions hosted by a room of theirs, not by ${body.host}`,
          "host",
        );
      }
      const session = await sessions.create(draftOf(body), actorOf(request));
      response.location(`/api/sessions/${session.id}`);
      answer(response, session, 201);
    }),
  );

  router.get(
    "/api/sessions",
    problemRoute((request, response) => {
      const query = parseInput(sessionListQuery, request.query, response);
      if (!query) return;
      const from = query.from === undefined ? -Infinity : instantOf(query.from).getTime();
      const to = query.to === undefined ? Infinity : instantOf(query.to).getTime();
      const caller = callerOf(request)!;
      const matching = sessions.all().filter((session) => {
        const start = Date.parse(session.start);
        return (
          maySessionAction(caller, "read", session) &&
          (query.state === undefined || session.state === query.state) &&
          (query.room === undefined || session.points.some((point) => point.room === query.room)) &&
          start >= from &&
          start < to
        );
      });
      response.json(page(matching, query.cursor, query.limit));
    }),
  );

  router.get(
    "/api/sessions/:id",
    problemRoute((request, response) => {
      const session = found(param(request, "id"));
      // A confidential session's title and case are for admin and its operators (access.ts), as in lists.
      if (maySeeSession(callerOf(request)!, session)) answer(response, session);
      else response.json(sessionListView(session));
    }),
  );

  router.patch(
    "/api/sessions/:id",
    problemRoute(async (request, response) => {
      found(param(request, "id"));
      const body = parseInput(sessionPatchBody, request.body, response);
      if (!body) return;
      const change: Partial<SessionDraft> = onlyGiven(body, request.body);
      if (change.crossLevel === false) change.crossLevelReason = null;
      answer(response, await sessions.patch(param(request, "id"), change, actorOf(request)));
    }),
  );

  for (const [path, transition] of [
    ["start", sessions.begin],
    ["end", sessions.end],
    ["cancel", sessions.cancel],
  ] as const) {
    router.post(
      `/api/sessions/:id/${path}`,
      problemRoute(async (request, response) => {
        answer(response, await transition.call(sessions, param(request, "id"), actorOf(request)));
      }),
    );
  }

  router.post(
    "/api/sessions/:id/points",
    problemRoute(async (request, response) => {
      found(param(request, "id"));
      const by = actorOf(request);
      if (addPointBodyIsGuest(request.body)) {
        const body = parseInput(guestPointBody, request.body, response);
        if (body) answer(response, await sessions.addGuestPoint(param(request, "id"), body.guest, by));
        return;
      }
      const body = parseInput(roomPointBody, request.body, response);
      if (body) answer(response, await sessions.addRoomPoint(param(request, "id"), body, by));
    }),
  );

  router.delete(
    "/api/sessions/:id/points/:room",
    problemRoute(async (request, response) => {
      answer(response, await sessions.removePoint(param(request, "id"), param(request, "room"), actorOf(request)));
    }),
  );

  router.patch(
    "/api/sessions/:id/points/:room",
    problemRoute(async (request, response) => {
      found(param(request, "id"));
      const body = parseInput(pointPatchBody, request.body, response);
      if (!body) return;
      answer(
        response,
        await sessions.setPointHead(param(request, "id"), param(request, "room"), body, actorOf(request)),
      );
    }),
  );

  router.post(
    "/api/sessions/:id/notes",
    problemRoute(async (request, response) => {
      found(param(request, "id"));
      const body = parseInput(noteBody, request.body, response);
      if (!body) return;
      const session = await sessions.addNote(param(request, "id"), body, actorOf(request));
      response.status(201).json(session.notes.at(-1));
    }),
  );

  router.get(
    "/api/sessions/:id/readiness",
    problemRoute((request, response) => {
      const session = found(param(request, "id"));
      const rooms = store.data.rooms;
      response.json(
        sessionReadiness(
          session,
          (room) => registry.get(room),
          (room) => (Object.hasOwn(rooms, room) ? rooms[room] : undefined),
          (room) => registry.lastTelemetry(room),
        ),
      );
    }),
  );

  router.post(
    "/api/schedules",
    problemRoute(async (request, response) => {
      const body = parseInput(scheduleBody, request.body, response);
      if (!body) return;
      const { schedule, created } = await schedules.create(body, actorOf(request));
      response.location(`/api/schedules/${schedule.id}`);
      response.status(201).json({ schedule: scheduleView(schedule), sessions: created.map((session) => session.id) });
    }),
  );

  router.get(
    "/api/schedules",
    problemRoute((request, response) => {
      const query = parseInput(idPageQuery, request.query, response);
      if (!query) return;
      // An operator sees the schedules of their rooms alone.
      const caller = callerOf(request)!;
      const visible = schedules.all().filter((schedule) => maySessionAction(caller, "read", scheduleFacts(schedule)));
      const view = (schedule: ScheduleRecord) => scheduleViewFor(caller, schedule);
      const page = pageById(visible, query);
      response.json(page ? { ...page, items: page.items.map(view) } : visible.map(view));
    }),
  );

  router.get(
    "/api/schedules/:id",
    problemRoute((request, response) => {
      const schedule = schedules.get(param(request, "id"));
      if (!schedule) throw new SessionError(404, null, `no schedule "${param(request, "id")}"`);
      const caller = callerOf(request)!;
      if (!maySessionAction(caller, "read", scheduleFacts(schedule))) {
        throw new ProblemError(403, `${caller.name} is not an operator of the rooms of schedule ${schedule.id}`);
      }
      response.json(scheduleViewFor(caller, schedule));
    }),
  );

  router.patch(
    "/api/schedules/:id",
    problemRoute(async (request, response) => {
      if (!schedules.get(param(request, "id")))
        throw new SessionError(404, null, `no schedule "${param(request, "id")}"`);
      const body = parseInput(schedulePatchBody, request.body, response);
      if (!body) return;
      const { schedule, created } = await schedules.patch(
        param(request, "id"),
        onlyGiven(body, request.body),
        actorOf(request),
      );
      response.json({ schedule: scheduleView(schedule), sessions: created.map((session) => session.id) });
    }),
  );

  router.get(
    "/api/reports/sessions",
    problemRoute((request, response) => {
      const query = parseInput(reportQuery, request.query, response);
      if (!query) return;
      const from = instantOf(query.from);
      const to = instantOf(query.to);
      if (to <= from) throw new SessionError(400, "to", `to (${query.to}) is not after from (${query.from})`);
      const report = sessionReport(sessions.all(), store.data.rooms, from, to, query.groupBy, new Date(), archived);
      const csv = query.format === "csv" || (query.format === undefined && request.accepts(["json", "csv"]) === "csv");
      if (!csv) return void response.json(report);
      response
        .type("text/csv; charset=utf-8")
        .attachment(`phien-${query.from.slice(0, 10)}_${query.to.slice(0, 10)}_${query.table}.csv`)
        .send(reportCsv(report, query.table));
    }),
  );

  return router;
}
