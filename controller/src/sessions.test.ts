// Sessions over a real store on disk: checks that name the field, the state machine, one live session per room,
// the rooms' desired states following the live sessions, attendance from availability, and a restart.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { waitFor } from "../../test/support/wait-for.ts";
import { DesiredStates } from "./desired-states.ts";
import { RoomRegistry } from "./registry.ts";
import { registerRoom } from "./room-registration.ts";
import { type SessionDraft, SessionError, Sessions } from "./sessions.ts";
import { STORE_VERSION, Store } from "./store.ts";

const log = pino({ level: "silent" });
let dir: string;
let now = new Date("2027-01-20T01:00:00Z");

async function site() {
  const store = new Store(dir);
  await store.open();
  const registry = new RoomRegistry(log);
  registry.setRegistrations(Object.values(store.data.rooms));
  const desired = new DesiredStates(store, registry, () => undefined, log);
  const sessions = new Sessions({ store, desired, registry, log, clock: () => now });
  await sessions.start();
  return { store, registry, desired, sessions };
}

const draft = (extra: Partial<SessionDraft> = {}): SessionDraft => ({
  title: "Tiếp công dân định kỳ tháng 1",
  kind: "ad_hoc",
  scheduleId: null,
  start: "2027-01-20T08:00:00+07:00",
  end: "2027-01-20T11:00:00+07:00",
  host: "tinh",
  hostHead: "Chủ tịch UBND tỉnh",
  points: [{ room: "huyen", head: "Chủ tịch UBND huyện" }],
  guests: [],
  presiding: { name: "Nguyễn Văn A", title: "Chủ tịch UBND tỉnh" },
  caseRef: null,
  confidential: false,
  crossLevel: false,
  crossLevelReason: null,
  ...extra,
});

async function refusal(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    if (error instanceof SessionError) return { status: error.status, field: error.field, message: error.message };
    throw error;
  }
  throw new Error("expected a refusal");
}

const online = (registry: RoomRegistry, room: string, state: "online" | "offline", bootId = "boot-aaaa1") =>
  registry.availability(room, { state, boot: 1, bootId });

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "rc-sessions-"));
  now = new Date("2027-01-20T01:00:00Z");
  const store = new Store(dir);
  await store.open();
  await registerRoom(store, {
    id: "tinh",
    name: "Ban TCD tỉnh",
    level: "province",
    parent: null,
    srt: { host: "10.0.0.1", port: 9000 },
  });
  await registerRoom(store, {
    id: "huyen",
    name: "UBND huyện",
    level: "district",
    parent: "tinh",
    srt: { host: "10.0.0.2", port: 9000 },
  });
  await registerRoom(store, { id: "xa", name: "UBND xã", level: "commune", parent: "huyen" });
  await registerRoom(store, { id: "huyen-2", name: "UBND huyện 2", level: "district", parent: "tinh" });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("checks", () => {
  it("refuses bad drafts with the status and the field", async () => {
    const { sessions } = await site();
    const cases: [Partial<SessionDraft>, number, string][] = [
      [{ host: "khong-co" }, 404, "host"],
      [{ points: [{ room: "khong-co", head: null }] }, 404, "points.0.room"],
      [
        {
          points: [
            { room: "huyen", head: null },
            { room: "huyen", head: null },
          ],
        },
        400,
        "points.1.room",
      ],
      [{ points: [{ room: "tinh", head: null }] }, 400, "points.0.room"],
      [{ end: "2027-01-20T07:00:00+07:00" }, 400, "end"],
      [{ points: [{ room: "xa", head: null }] }, 400, "points.0.room"], // skip-level without crossLevel
      [{ points: [{ room: "xa", head: null }], crossLevel: true }, 400, "crossLevelReason"],
    ];
    for (const [change, status, field] of cases) {
      expect(await refusal(sessions.create(draft(change), "test")), JSON.stringify(change)).toMatchObject({
        status,
        field,
      });
    }
  });

  it("accepts a skip-level point with a reason, and shows it as cross-level", async () => {
    const { sessions } = await site();
    const session = await sessions.create(
      draft({
        points: [
          { room: "huyen", head: null },
          { room: "xa", head: null },
        ],
        crossLevel: true,
        crossLevelReason: "vụ việc của xã",
      }),
      "test",
    );
    expect(session.points.map((point) => [point.room, point.role, point.crossLevel])).toEqual([
      ["tinh", "central", false],
      ["huyen", "component", false],
      ["xa", "component", true],
    ]);
    expect(session.crossLevelReason).toBe("vụ việc của xã");
  });
});

describe("life of a session", () => {
  it("start → desired for every point (fresh passphrase, recording on) → a point joins → end → desired cleared", async () => {
    const { sessions, desired, registry } = await site();
    online(registry, "tinh", "online");
    const created = await sessions.create(draft(), "test");
    expect(created.state).toBe("scheduled");
    expect(desired.get("tinh").session).toBeNull();

    const live = await sessions.begin(created.id, "chu-tri");
    expect(live.transitions.map(({ state, by }) => [state, by])).toEqual([
      ["scheduled", "test"],
      ["live", "chu-tri"],
    ]);
    expect(live.passphrase).toMatch(/^[\w-]{32}$/);
    expect(desired.get("tinh")).toMatchObject({
      recording: true,
      session: {
        id: created.id,
        role: "central",
        passphrase: live.passphrase,
        peers: [{ room: "huyen", srt: { host: "10.0.0.2", port: 9000 } }],
      },
    });
    expect(desired.get("huyen")).toMatchObject({
      recording: true,
      session: { role: "component", peers: [{ room: "tinh" }] },
    });
    // Only the host was online at the start: only it has joined.
    expect(live.points.map((point) => point.attendance.length)).toEqual([1, 0]);

    // Idempotent: a second start answers the session as it is, without a new passphrase.
    expect((await sessions.begin(created.id, "again")).passphrase).toBe(live.passphrase);

    const revBefore = desired.get("tinh").rev;
    await sessions.addRoomPoint(created.id, { room: "huyen-2", head: null }, "test");
    expect(desired.get("tinh").rev).toBeGreaterThan(revBefore);
    expect(desired.get("tinh").session?.peers.map((peer) => peer.room)).toEqual(["huyen", "huyen-2"]);
    expect(desired.get("huyen-2")).toMatchObject({ recording: true, session: { id: created.id, role: "component" } });

    await sessions.removePoint(created.id, "huyen-2", "test");
    expect(desired.get("huyen-2")).toMatchObject({ session: null, recording: false });

    const ended = await sessions.end(created.id, "chu-tri");
    expect(ended.state).toBe("ended");
    expect(ended.passphrase).toBeNull();
    for (const room of ["tinh", "huyen"]) expect(desired.get(room)).toMatchObject({ session: null, recording: false });
    expect((await sessions.end(created.id, "again")).transitions).toHaveLength(3);
    expect(await refusal(sessions.begin(created.id, "x"))).toMatchObject({ status: 409 });
  });

  it("a room is live in one session at a time; a live session cannot be PATCHed; only a scheduled one is cancelled", async () => {
    const { sessions } = await site();
    const first = await sessions.create(draft(), "test");
    const second = await sessions.create(draft({ host: "huyen", points: [{ room: "xa", head: null }] }), "test");
    await sessions.begin(first.id, "test");
    expect(await refusal(sessions.begin(second.id, "test"))).toMatchObject({
      status: 409,
      field: "points",
      message: `room huyen is already live in session ${first.id}`,
    });
    expect(await refusal(sessions.patch(first.id, { title: "khác" }, "test"))).toMatchObject({ status: 409 });
    expect(await refusal(sessions.cancel(first.id, "test"))).toMatchObject({ status: 409 });
    const third = await sessions.create(
      draft({ host: "huyen-2", points: [], crossLevel: true, crossLevelReason: "liên huyện" }),
      "test",
    );
    await sessions.begin(third.id, "test");
    expect(await refusal(sessions.addRoomPoint(third.id, { room: "huyen", head: null }, "test"))).toMatchObject({
      status: 409,
      field: "room",
    });
    expect((await sessions.cancel(second.id, "test")).state).toBe("cancelled");
    expect((await sessions.cancel(second.id, "again")).transitions).toHaveLength(2);
  });

  it("a PATCH before the start is checked like a new session and keeps the session's history", async () => {
    const { sessions } = await site();
    const created = await sessions.create(draft(), "test");
    expect(await refusal(sessions.patch(created.id, { points: [{ room: "xa", head: null }] }, "test"))).toMatchObject({
      status: 400,
      field: "points.0.room",
    });
    const patched = await sessions.patch(created.id, { title: "Tiếp công dân đột xuất", confidential: true }, "test");
    expect(patched).toMatchObject({ title: "Tiếp công dân đột xuất", confidential: true, state: "scheduled" });
    expect(patched.transitions).toEqual(created.transitions);
  });

  it("attendance follows the agents' availability while live; notes carry the session's time code", async () => {
    const { sessions, registry } = await site();
    const created = await sessions.create(draft(), "test");
    await sessions.begin(created.id, "test");
    now = new Date("2027-01-20T01:05:00Z");
    online(registry, "huyen", "online");
    await waitFor("attendance written", () => sessions.get(created.id)!.points[1]!.attendance.length === 1);
    now = new Date("2027-01-20T01:20:00Z");
    online(registry, "huyen", "offline");
    await waitFor("attendance written", () => sessions.get(created.id)!.points[1]!.attendance[0]!.leftAt !== null);
    now = new Date("2027-01-20T01:30:00Z");
    const note = await sessions.addNote(
      created.id,
      { kind: "direction", text: "Giải quyết trong 15 ngày", responsible: "UBND huyện", due: "2027-02-04" },
      "test",
    );
    expect(note.notes[0]).toMatchObject({ kind: "direction", offsetS: 1800, due: "2027-02-04" });
    expect(sessions.get(created.id)!.points[1]!.attendance).toEqual([
      { joinedAt: "2027-01-20T01:05:00.000Z", leftAt: "2027-01-20T01:20:00.000Z" },
    ]);
  });

  it("a component's link time follows the host's reported link state; ending the session closes it", async () => {
    const { sessions, registry } = await site();
    const created = await sessions.create(draft(), "test");
    await sessions.begin(created.id, "test");
    online(registry, "tinh", "online");
    let seq = 0;
    const hostReports = (status: string) =>
      registry.state("tinh", {
        at: now.toISOString(),
        seq: seq++,
        boot: 1,
        bootId: "boot-aaaa1",
        desiredRev: null,
        session: { id: created.id, role: "central" },
        recording: true,
        programCamera: null,
        privacy: false,
        director: null,
        devices: { media: { "link.huyen.status": status, "link.huyen.rttMs": 3 } },
      });
    const linked = () => sessions.get(created.id)!.points[1]!.linked;
    now = new Date("2027-01-20T01:05:00Z");
    hostReports("ok");
    await waitFor("link up written", () => linked().length === 1);
    hostReports("ok"); // no change: nothing written
    now = new Date("2027-01-20T01:10:00Z");
    hostReports("connecting");
    await waitFor("link down written", () => linked()[0]!.leftAt !== null);
    now = new Date("2027-01-20T01:11:00Z");
    hostReports("degraded"); // still carries pictures: up
    await waitFor("link up again", () => linked().length === 2);
    now = new Date("2027-01-20T01:30:00Z");
    await sessions.end(created.id, "test");
    expect(linked()).toEqual([
      { joinedAt: "2027-01-20T01:05:00.000Z", leftAt: "2027-01-20T01:10:00.000Z" },
      { joinedAt: "2027-01-20T01:11:00.000Z", leftAt: "2027-01-20T01:30:00.000Z" },
    ]);
    expect(sessions.get(created.id)!.points[0]!.linked).toEqual([]); // the host's links are the others'
  });

  it("a session live before a restart is live after it, with the same desired states (nothing republished as new)", async () => {
    const first = await site();
    const created = await first.sessions.create(draft(), "test");
    const live = await first.sessions.begin(created.id, "test");
    const rev = first.desired.get("huyen").rev;
    first.sessions.stop();
    const second = await site();
    expect(second.sessions.get(created.id)).toMatchObject({ state: "live", passphrase: live.passphrase });
    expect(second.desired.get("huyen")).toMatchObject({
      rev,
      session: { id: created.id, passphrase: live.passphrase },
    });
  });

  it("at start, finishes a change cut short between the session and the desired state", async () => {
    const first = await site();
    const created = await first.sessions.create(draft(), "test");
    await first.sessions.begin(created.id, "test");
    // As if the controller died after writing the session's end but before the rooms' desired states.
    await first.store.update((data) => {
      data.sessions[created.id]!.state = "ended";
    });
    const second = await site();
    expect(second.desired.get("tinh")).toMatchObject({ session: null, recording: false });
  });
});

describe("store", () => {
  it(`migrates a version 2 store to ${STORE_VERSION}: rooms get a kind from their level and no SRT address`, async () => {
    rmSync(dir, { recursive: true, force: true });
    const store = new Store(dir);
    await store.open();
    writeFileSync(
      store.file,
      JSON.stringify({
        version: 2,
        rooms: {
          tinh: { id: "tinh", name: "Tỉnh", level: "province", parent: null, createdAt: "2026-12-01T00:00:00.000Z" },
          xa: { id: "xa", name: "Xã", level: "commune", parent: "tinh", createdAt: "2026-12-01T00:00:00.000Z" },
        },
        credentials: {},
        desired: {},
      }),
    );
    await store.reload();
    expect(store.data).toMatchObject({
      version: STORE_VERSION,
      rooms: { tinh: { kind: "reception_office", srt: null }, xa: { kind: "commune", srt: null } },
      sessions: {},
      schedules: {},
      users: {},
      tokens: {},
      pins: {},
    });
  });
});
