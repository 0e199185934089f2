// Reception sessions end to end through the REST API (issue 13 parts 1-3, 7): the real controller with its embedded
// broker, a real agent for the point that joins mid-session, and the rooms' retained `desired` read by a plain MQTT
// client, as an agent would read it: create → start → desired at every point → a point joins → controller restarted
// (the broker's retained messages lost) → same session live, desired published again → end → desired cleared.
// Then every bad input named by the issue, each answered with problem+json naming the field.
import type { ClientToServerEvents, DesiredPayload, ServerToClientEvents, SessionView } from "@rc/protocol";
import { topics } from "@rc/protocol";
import type { Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stopAll } from "./support/processes.ts";
import { TestSite } from "./support/test-site.ts";
import { waitFor } from "./support/wait-for.ts";

const HOST = "tinh";
const COMPONENT = "huyen";
const JOINER = "xa";
const SRT_PORTS: Record<string, number> = { tinh: 9100, huyen: 9101, xa: 9102 };

interface Answer {
  status: number;
  type: string;
  location: string | null;
  body: Record<string, unknown>;
}

describe("reception sessions over REST", () => {
  let site: TestSite;
  let browser: Socket<ServerToClientEvents, ClientToServerEvents>;
  const pushed: { change: string; session: SessionView }[] = [];

  beforeAll(async () => {
    site = await TestSite.create("embedded", [HOST, COMPONENT, JOINER]);
    // The level tree and the SRT listeners, as `controller rooms add --parent --srt` registers them.
    await site.controller.store.update((data) => {
      for (const room of [COMPONENT, JOINER]) data.rooms[room]!.parent = HOST;
      data.rooms[HOST]!.level = "province";
      for (const [room, port] of Object.entries(SRT_PORTS)) data.rooms[room]!.srt = { host: "127.0.0.1", port };
    });
    browser = site.socket();
    browser.on("session", (update) => pushed.push(update));
    await new Promise<void>((resolve) => browser.emit("subscribe", { rooms: "all" }, () => resolve()));
  });
  afterAll(async () => {
    browser?.close();
    await stopAll();
    await site?.stop();
  });

  async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const response = await site.fetch(path, {
      method,
      headers: { "content-type": "application/json", ...headers },
      ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    const type = response.headers.get("content-type") ?? "";
    return {
      status: response.status,
      type,
      location: response.headers.get("location"),
      body: type.includes("json") ? (JSON.parse(text) as Record<string, unknown>) : { text },
    } satisfies Answer;
  }

  /** What a newly connected reader of the room's retained `desired` gets (null if nothing is retained). */
  async function retainedDesired(room: string): Promise<DesiredPayload | null> {
    const client = await site.connectClient();
    try {
      const payload = await new Promise<Buffer | null>((resolve) => {
        const timer = setTimeout(() => resolve(null), 1000);
        client.on("message", (_topic, message) => {
          clearTimeout(timer);
          resolve(message);
        });
        void client.subscribeAsync(topics.room(room, "desired"), { qos: 1 });
      });
      return payload && payload.length > 0 ? (JSON.parse(payload.toString()) as DesiredPayload) : null;
    } finally {
      await client.endAsync();
    }
  }

  const newSession = (extra: Record<string, unknown> = {}) => ({
    title: "Tiếp công dân định kỳ tháng 1",
    start: "2027-01-20T08:00:00+07:00",
    end: "2027-01-20T11:00:00+07:00",
    host: HOST,
    hostHead: "Chủ tịch UBND tỉnh",
    points: [{ room: COMPONENT, head: "Chủ tịch UBND huyện" }],
    presiding: { name: "Nguyễn Văn A", title: "Chủ tịch UBND tỉnh" },
    ...extra,
  });

  /** A schedule's body: a session's without its times. */
  const newSchedule = (extra: Record<string, unknown>) => {
    const { start: _start, end: _end, ...template } = newSession();
    return { ...template, ...extra };
  };

  let sessionId = "";
  let passphrase = "";

  it("create → start → the desired state of every point, retained at the broker", async () => {
    const created = await call("POST", "/api/sessions", newSession());
    expect(created.status).toBe(201);
    sessionId = String(created.body.id);
    expect(created.location).toBe(`/api/sessions/${sessionId}`);
    expect((await call("GET", created.location!)).body).toMatchObject({ id: sessionId, state: "scheduled" });

    const started = await call("POST", `/api/sessions/${sessionId}/start`);
    expect(started.status).toBe(200);
    expect(started.body).toMatchObject({ state: "live" });
    expect(JSON.stringify(started.body)).not.toMatch(/passphrase/);

    const host = await waitFor("the host's desired", async () => {
      const desired = await retainedDesired(HOST);
      return desired?.session ? desired : null;
    });
    expect(host).toMatchObject({
      recording: true,
      session: {
        id: sessionId,
        role: "central",
        peers: [{ room: COMPONENT, srt: { host: "127.0.0.1", port: SRT_PORTS[COMPONENT] } }],
      },
    });
    passphrase = host.session!.passphrase;
    expect(await retainedDesired(COMPONENT)).toMatchObject({
      recording: true,
      session: {
        id: sessionId,
        role: "component",
        passphrase,
        peers: [{ room: HOST, srt: { port: SRT_PORTS[HOST] } }],
      },
    });
    // A second start answers the session as it is: same passphrase.
    expect((await call("POST", `/api/sessions/${sessionId}/start`)).status).toBe(200);
    expect((await retainedDesired(HOST))?.session?.passphrase).toBe(passphrase);
    await waitFor("the start pushed over socket.io", () =>
      pushed.some((update) => update.change === "state" && update.session.state === "live"),
    );
  });

  it("a point joins mid-session: its agent gets the session, the host pulls it too, its attendance starts", async () => {
    site.startAgent(JOINER);
    await waitFor("xa online", () => site.controller.registry.get(JOINER)?.availability.state === "online");
    const joined = await call("POST", `/api/sessions/${sessionId}/points`, { room: JOINER, head: "Chủ tịch UBND xã" });
    expect(joined.status).toBe(200);
    await waitFor(
      "xa's agent in the session",
      () => site.controller.registry.get(JOINER)?.state?.session?.id === sessionId,
    );
    expect(await retainedDesired(JOINER)).toMatchObject({
      session: { id: sessionId, role: "component", passphrase },
      recording: true,
    });
    expect((await retainedDesired(HOST))?.session?.peers.map((peer) => peer.room)).toEqual([COMPONENT, JOINER]);
    const session = (await call("GET", `/api/sessions/${sessionId}`)).body as unknown as SessionView;
    expect(session.points.find((point) => point.room === JOINER)?.attendance).toEqual([
      { joinedAt: expect.any(String), leftAt: null },
    ]);
    const readiness = await call("GET", `/api/sessions/${sessionId}/readiness`);
    expect(readiness.body).toMatchObject({
      session: sessionId,
      points: [
        { room: HOST, availability: expect.any(String) },
        { room: COMPONENT },
        { room: JOINER, availability: "online", srtRegistered: true },
      ],
    });
  });

  it("a restarted controller (the broker's retained messages lost) has the same session live and says it again", async () => {
    const before = await retainedDesired(HOST);
    await site.restartController();
    expect((await call("GET", `/api/sessions/${sessionId}`)).body).toMatchObject({ state: "live" });
    const after = await waitFor("the host's desired published again", () => retainedDesired(HOST));
    expect(after).toEqual(before);
    expect((await retainedDesired(JOINER))?.session?.passphrase).toBe(passphrase);
  });

  it("end → desired cleared at every point; a second end answers the ended session", async () => {
    const ended = await call("POST", `/api/sessions/${sessionId}/end`);
    expect(ended.body).toMatchObject({ state: "ended" });
    for (const room of [HOST, COMPONENT, JOINER]) {
      await waitFor(`${room}'s desired cleared`, async () => (await retainedDesired(room))?.session === null);
      expect(await retainedDesired(room)).toMatchObject({ session: null, recording: false });
    }
    await waitFor("xa's agent out of the session", () => site.controller.registry.get(JOINER)?.state?.session === null);
    const again = await call("POST", `/api/sessions/${sessionId}/end`);
    expect(again.status).toBe(200);
    expect((again.body as unknown as SessionView).transitions.map((entry) => entry.state)).toEqual([
      "scheduled",
      "live",
      "ended",
    ]);
  });

  it("lists sessions by state and room, page by page", async () => {
    for (let day = 21; day <= 23; day++) {
      const created = await call(
        "POST",
        "/api/sessions",
        newSession({ start: `2027-01-${day}T08:00:00+07:00`, end: `2027-01-${day}T09:00:00+07:00` }),
      );
      expect(created.status).toBe(201);
    }
    const first = await call("GET", `/api/sessions?state=scheduled&room=${COMPONENT}&limit=2`);
    const firstItems = first.body.items as SessionView[];
    expect(firstItems.map((session) => session.start)).toEqual([
      "2027-01-21T08:00:00+07:00",
      "2027-01-22T08:00:00+07:00",
    ]);
    const second = await call(
      "GET",
      `/api/sessions?state=scheduled&room=${COMPONENT}&limit=2&cursor=${first.body.nextCursor}`,
    );
    expect((second.body.items as SessionView[]).map((session) => session.start)).toEqual(["2027-01-23T08:00:00+07:00"]);
    expect(second.body.nextCursor).toBeNull();
    const window = await call("GET", "/api/sessions?from=2027-01-22&to=2027-01-23");
    expect((window.body.items as SessionView[]).map((session) => session.start)).toEqual(["2027-01-22T08:00:00+07:00"]);
  });

  it("the report has the ended session, in JSON and in CSV with a BOM", async () => {
    const now = new Date();
    const from = new Date(now.getTime() - 24 * 3600_000).toISOString();
    const to = new Date(now.getTime() + 24 * 3600_000).toISOString();
    const json = await call(
      "GET",
      `/api/reports/sessions?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`,
    );
    expect(json.status).toBe(200);
    expect((json.body.points as { session: string; room: string }[]).map((point) => point.room)).toEqual([
      HOST,
      COMPONENT,
      JOINER,
    ]);
    const csv = await call(
      "GET",
      `/api/reports/sessions?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&table=summary`,
      undefined,
      {
        accept: "text/csv",
      },
    );
    expect(csv.type).toMatch(/^text\/csv/);
    const text = String(csv.body.text);
    // fetch's text() drops a leading BOM; the raw bytes keep it.
    const raw = await (
      await site.fetch(`/api/reports/sessions?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&format=csv`)
    ).arrayBuffer();
    expect([...new Uint8Array(raw).slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(text.trimEnd().split("\r\n")).toHaveLength(1 + 3);
  });

  it("refuses bad input with problem+json naming the field", async () => {
    const live = await call("POST", "/api/sessions", newSession());
    const liveId = String(live.body.id);
    await call("POST", `/api/sessions/${liveId}/start`);
    const other = await call(
      "POST",
      "/api/sessions",
      newSession({ host: COMPONENT, points: [], crossLevel: true, crossLevelReason: "thử" }),
    );
    const cases: [string, string, unknown, number, string | null][] = [
      ["POST", "/api/sessions", newSession({ points: [{ room: "khong-co" }] }), 404, "points.0.room"],
      ["POST", "/api/sessions", newSession({ host: "khong-co" }), 404, "host"],
      [
        "POST",
        "/api/sessions",
        newSession({ points: [{ room: COMPONENT }, { room: COMPONENT }] }),
        400,
        "points.1.room",
      ],
      ["POST", "/api/sessions", newSession({ points: [{ room: HOST }] }), 400, "points.0.room"],
      ["POST", "/api/sessions", newSession({ end: "2027-01-20T07:00:00+07:00" }), 400, "end"],
      ["POST", "/api/sessions", newSession({ start: "20 tháng 1" }), 400, "start"],
      [
        "POST",
        "/api/sessions",
        newSession({
          guests: [{ id: "ttcp", name: "TTCP", url: "rtmp://203.0.113.5:1935", passphrase: "khach-moi-0001" }],
        }),
        400,
        "guests.0.url",
      ],
      [
        "POST",
        "/api/sessions",
        newSession({ guests: [{ id: "ttcp", name: "TTCP", url: "srt://203.0.113.5:7000", passphrase: "ngan" }] }),
        400,
        "guests.0.passphrase",
      ],
      ["POST", "/api/sessions", "{not json", 400, "body"],
      ["GET", "/api/sessions/khong-co", undefined, 404, null],
      ["GET", "/api/sessions?cursor=xyz", undefined, 400, "cursor"],
      ["GET", "/api/sessions?state=dang-hop", undefined, 400, "state"],
      ["PATCH", `/api/sessions/${liveId}`, { title: "khác" }, 409, null],
      ["POST", `/api/sessions/${other.body.id}/start`, undefined, 409, "points"],
      ["POST", `/api/sessions/${liveId}/points`, { room: COMPONENT }, 409, "room"],
      ["POST", `/api/sessions/${liveId}/points`, { room: "khong-co" }, 404, "room"],
      [
        "POST",
        `/api/sessions/${liveId}/points`,
        { guest: { id: "g", name: "G", url: "srt://h", passphrase: "khach-moi-0001" } },
        400,
        "guest.url",
      ],
      ["DELETE", `/api/sessions/${liveId}/points/${HOST}`, undefined, 409, "room"],
      ["POST", `/api/sessions/${liveId}/notes`, { kind: "direction", text: "Giải quyết" }, 400, "responsible"],
      [
        "POST",
        "/api/schedules",
        newSchedule({ rrule: "FREQ=SOMETIMES", firstStart: "2027-01-20T08:00:00+07:00", durationMin: 120 }),
        400,
        "rrule",
      ],
      ["GET", "/api/reports/sessions?from=2027-02-01&to=2027-01-01", undefined, 400, "to"],
    ];
    for (const [method, path, body, status, field] of cases) {
      const answer = await call(method, path, body);
      const what = `${method} ${path} ${JSON.stringify(body)}`;
      expect(answer.status, what).toBe(status);
      expect(answer.type, what).toMatch(/^application\/problem\+json/);
      expect(answer.body, what).toMatchObject({ status, detail: expect.any(String) });
      expect(answer.body.field ?? null, what).toBe(field);
    }
    await call("POST", `/api/sessions/${liveId}/end`);
  });

  it("a schedule makes the sessions of the coming weeks; changing it never touches a live one", async () => {
    const firstStart = new Date(Date.now() + 3600_000).toISOString();
    const created = await call(
      "POST",
      "/api/schedules",
      newSchedule({
        title: "Tiếp công dân hằng tuần",
        rrule: "FREQ=WEEKLY",
        firstStart,
        durationMin: 60,
        horizonWeeks: 3,
      }),
    );
    expect(created.status).toBe(201);
    expect(created.location).toMatch(/^\/api\/schedules\/lich-/);
    const made = created.body.sessions as string[];
    expect(made).toHaveLength(3);
    await call("POST", `/api/sessions/${made[0]}/start`);
    const changed = await call("PATCH", created.location!, { title: "Tiếp công dân hằng tuần (đổi)" });
    expect(changed.status).toBe(200);
    expect(changed.body.sessions).toEqual(made.slice(1));
    expect((await call("GET", `/api/sessions/${made[0]}`)).body).toMatchObject({
      state: "live",
      title: "Tiếp công dân hằng tuần",
    });
    expect((await call("GET", `/api/sessions/${made[1]}`)).body).toMatchObject({
      title: "Tiếp công dân hằng tuần (đổi)",
    });
    await call("POST", `/api/sessions/${made[0]}/end`);
  });
});
