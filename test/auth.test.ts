// Users, roles, tokens and PINs on a real controller (issue 14 part 1): every operation of the OpenAPI document
// refuses a caller without credentials (401) and one of the wrong role or room (403), so a new route cannot forget
// it; a panel PIN opens its room alone; wrong PINs and passwords are throttled; a revoked token is refused at once;
// socket.io refuses a socket without credentials and gives an operator only its rooms; far-end camera control lasts
// as long as the session; a confidential session's recordings are not for it or viewers.
import { registerRoom, setRoomPin } from "@rc/controller";
import type { ClientToServerEvents, RoomView, ServerToClientEvents } from "@rc/protocol";
import { io, type Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestSite } from "./support/test-site.ts";
import { waitFor } from "./support/wait-for.ts";

const A = "rc-a";
const B = "rc-b";

/** Operations any logged-in user may call whatever their role and rooms: said here, on purpose, one by one. */
const FOR_EVERY_USER = new Set([
  "GET /api/openapi.json",
  "GET /api/rooms",
  "GET /api/sessions",
  "GET /api/schedules",
  "GET /api/schedules/{id}",
  "POST /api/auth/logout",
  "GET /api/auth/me",
  "GET /api/auth/tokens",
  "POST /api/auth/tokens",
  "DELETE /api/auth/tokens/{id}",
]);
/** Open to anyone: liveness and the logins themselves. */
const OPEN = new Set(["GET /healthz", "POST /api/auth/login", "POST /api/auth/pin"]);

type Operation = { "x-roles": string[]; "x-scope"?: string };

describe("authentication and authorization", () => {
  let site: TestSite;
  const tokens: Record<string, string> = {};
  let hosted = ""; // a session hosted by A with B as its component point
  let secret = ""; // a confidential one, hosted by A, with B
  let onlyA = ""; // one of A alone: nothing of it is B's
  const sockets: Socket[] = [];

  const as = (token: string | null, init: RequestInit = {}) => ({
    ...init,
    headers: { ...(init.headers as Record<string, string>), authorization: token === null ? "" : `Bearer ${token}` },
  });
  const call = (path: string, token: string | null, init: RequestInit = {}) =>
    token === null ? fetch(`${site.httpUrl}${path}`, init) : site.fetch(path, as(token, init));
  const json = (method: string, body: unknown): RequestInit => ({
    method,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const newSession = async (confidential: boolean, points = [{ room: B }]) => {
    const now = Date.now();
    const response = await site.fetch(
      "/api/sessions",
      json("POST", {
        title: confidential ? "Tố cáo (bảo mật)" : "Tiếp công dân",
        host: A,
        points,
        start: new Date(now).toISOString(),
        end: new Date(now + 3600_000).toISOString(),
        presiding: { name: "Nguyễn Văn An" },
        confidential,
        crossLevel: true,
        crossLevelReason: "thử",
      }),
    );
    expect(response.status, await response.clone().text()).toBe(201);
    return String(((await response.json()) as { id: string }).id);
  };

  beforeAll(async () => {
    site = await TestSite.create("embedded", [A, B]);
    tokens.viewer = (await site.user("xem", "viewer")).token;
    tokens.it = (await site.user("it-1", "it")).token;
    tokens.operatorA = (await site.user("op-a", "operator", [A])).token;
    tokens.operatorB = (await site.user("op-b", "operator", [B])).token;
    hosted = await newSession(false);
    secret = await newSession(true);
    onlyA = await newSession(false, []);
  });
  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await site?.stop();
  });

  it("every operation of the OpenAPI document refuses no credentials (401) and a wrong role or room (403)", async () => {
    const document = (await (await site.fetch("/api/openapi.json")).json()) as {
      paths: Record<string, Record<string, Operation>>;
    };
    const values: Record<string, string> = { session: onlyA, room: A, file: "20270120T010000Z_0.json" };
    const idFor = (path: string) =>
      path.startsWith("/api/rooms/") ? A : path.startsWith("/api/sessions/") ? onlyA : "nope";
    let checked = 0;
    for (const [template, operations] of Object.entries(document.paths)) {
      const path = template.replace(/\{(\w+)\}/g, (_all, name: string) =>
        name === "id" ? idFor(template) : values[name]!,
      );
      for (const [method, operation] of Object.entries(operations)) {
        const name = `${method.toUpperCase()} ${template}`;
        const init = (token: string | null): RequestInit => ({
          ...as(token),
          method: method.toUpperCase(),
          ...(["post", "put", "patch"].includes(method)
            ? { body: "{}", headers: { ...as(token).headers, "content-type": "application/json" } }
            : {}),
        });
        const status = async (token: string | null, headers: Record<string, string> = {}) => {
          const request = init(token);
          const response = await fetch(`${site.httpUrl}${path}`, {
            ...request,
            headers: { ...(request.headers as Record<string, string>), ...headers },
          });
          await response.arrayBuffer();
          return response.status;
        };
        const roles = operation["x-roles"];
        if (roles.length === 0) {
          if (OPEN.has(name)) continue;
          // The agents' uploads: their room's broker login, checked by the archive.
          expect(name, "an operation without roles that is neither open nor an upload").toMatch(/archive\/uploads/);
          expect(await status(null), name).toBe(401);
          const login = Buffer.from(`${B}:${site.room(B).password}`).toString("base64");
          const request = init(null);
          const response = await fetch(`${site.httpUrl}${path}`, {
            ...request,
            headers: { authorization: `Basic ${login}`, "content-range": "bytes 0-1/2" },
            ...(method === "put" ? { body: "{}" } : {}),
          });
          expect(response.status, name).toBe(403);
          checked++;
          continue;
        }
        expect(await status(null), `${name} without credentials`).toBe(401);
        expect(
          await status("rc_0000000000000000_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
          `${name} bad token`,
        ).toBe(401);
        const wrongRole = (["viewer", "it", "operator"] as const).find((role) => !roles.includes(role));
        if (wrongRole) {
          const token = wrongRole === "operator" ? tokens.operatorB! : tokens[wrongRole]!;
          expect(await status(token), `${name} as ${wrongRole}`).toBe(403);
        }
        if (roles.includes("operator") && operation["x-scope"]) {
          // An operator only for their rooms: B's operator, for A's room or session.
          expect(await status(tokens.operatorB!), `${name} as another room's operator`).toBe(403);
        } else if (!wrongRole) {
          expect(FOR_EVERY_USER.has(name), `${name} is for every user: say so in FOR_EVERY_USER`).toBe(true);
        }
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(30);
  });

  it("a path that is no route is for admin alone: 401 without credentials, 403 for others, 404 for admin", async () => {
    expect((await call("/api/nothing-here", null)).status).toBe(401);
    expect((await call("/api/nothing-here", tokens.viewer!)).status).toBe(403);
    expect((await site.fetch("/api/nothing-here")).status).toBe(404);
  });

  it("a password login gives an httpOnly, SameSite=Strict cookie; a wrong one says not whether the user exists", async () => {
    const { password } = await site.user("nguoi-dung", "viewer");
    const login = (user: string, pass: string) => call("/api/auth/login", null, json("POST", { user, password: pass }));
    const wrongPassword = await login("nguoi-dung", "not-the-password");
    const noSuchUser = await login("khong-co-ai", "not-the-password");
    expect([wrongPassword.status, noSuchUser.status]).toEqual([401, 401]);
    expect(wrongPassword.headers.get("content-type")).toMatch(/application\/problem\+json/);
    const detail = async (response: Response) => ((await response.json()) as { detail: string }).detail;
    expect(await detail(wrongPassword)).toBe(await detail(noSuchUser));
    const good = await login("nguoi-dung", password);
    expect(good.status).toBe(200);
    const cookie = good.headers.get("set-cookie")!;
    expect(cookie).toMatch(/^rc_session=[\w-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+/);
    const session = { cookie: cookie.split(";")[0]! };
    expect(await (await call("/api/auth/me", null, { headers: session })).json()).toMatchObject({
      user: "nguoi-dung",
      role: "viewer",
      credential: "password",
    });
    // A viewer reads, never writes.
    expect(
      (
        await call(`/api/rooms/${A}/requests`, null, {
          ...json("POST", {}),
          headers: { ...session, "content-type": "application/json" },
        })
      ).status,
    ).toBe(403);
    expect((await call("/api/auth/logout", null, { method: "POST", headers: session })).status).toBe(200);
    expect((await call("/api/auth/me", null, { headers: session })).status).toBe(401);
  });

  it("a panel PIN opens an operator session for its room alone", async () => {
    await setRoomPin(site.controller.store, A, "4711");
    const wrong = await call("/api/auth/pin", null, json("POST", { room: A, pin: "0000" }));
    const noRoom = await call("/api/auth/pin", null, json("POST", { room: "rc-khong-co", pin: "4711" }));
    expect([wrong.status, noRoom.status]).toEqual([401, 401]);
    const good = await call("/api/auth/pin", null, json("POST", { room: A, pin: "4711" }));
    expect(good.status).toBe(200);
    const panel = { cookie: good.headers.get("set-cookie")!.split(";")[0]! };
    expect(await (await call("/api/auth/me", null, { headers: panel })).json()).toMatchObject({
      user: `panel:${A}`,
      role: "operator",
      rooms: [A],
    });
    expect((await call(`/api/rooms/${A}`, null, { headers: panel })).status).toBe(200);
    expect((await call(`/api/rooms/${B}`, null, { headers: panel })).status).toBe(403);
    const rooms = (await (await call("/api/rooms", null, { headers: panel })).json()) as RoomView[];
    expect(rooms.map((room) => room.id)).toEqual([A]);
    expect((await call("/api/audit", null, { headers: panel })).status).toBe(403);
    expect(
      (
        await call("/api/auth/tokens", null, {
          ...json("POST", {}),
          headers: { ...panel, "content-type": "application/json" },
        })
      ).status,
    ).toBe(403);
    // A new PIN logs the panels of the old one out.
    await setRoomPin(site.controller.store, A, "4712");
    expect((await call(`/api/rooms/${A}`, null, { headers: panel })).status).toBe(401);
  });

  it("the 6th wrong PIN in a minute is refused with 429 and audited; so is a 6th wrong password", async () => {
    await setRoomPin(site.controller.store, B, "2468");
    const pin = (value: string) => call("/api/auth/pin", null, json("POST", { room: B, pin: value }));
    for (let i = 0; i < 5; i++) expect((await pin("1111")).status).toBe(401);
    const sixth = await pin("2468"); // even the right one: the room is locked for now
    expect(sixth.status).toBe(429);
    expect(Number(sixth.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await sixth.json()).toMatchObject({ error: { code: "rate_limited" } });

    const { password } = await site.user("doan-mo", "viewer");
    const login = (pass: string) => call("/api/auth/login", null, json("POST", { user: "doan-mo", password: pass }));
    for (let i = 0; i < 5; i++) expect((await login("wrong-password")).status).toBe(401);
    expect((await login(password)).status).toBe(429);
    // Another user from the same address is not locked out by it.
    const { password: other } = await site.user("nguoi-khac", "viewer");
    expect((await call("/api/auth/login", null, json("POST", { user: "nguoi-khac", password: other }))).status).toBe(
      200,
    );

    await site.controller.audit.flush();
    const audit = (await (await site.fetch(`/api/audit?room=${B}`)).json()) as {
      items: { what: { action: string }; result: { status?: number; code?: string }; params: unknown }[];
    };
    const pins = audit.items.filter((entry) => entry.what.action === "auth.pin");
    expect(pins.filter((entry) => entry.result.status === 401)).toHaveLength(5);
    expect(pins.filter((entry) => entry.result.status === 429)).toEqual([
      expect.objectContaining({
        result: expect.objectContaining({ code: "rate_limited" }),
        params: { room: B, pin: "[redacted]" },
      }),
    ]);
  });

  it("a revoked token is refused at once", async () => {
    const made = await call("/api/auth/tokens", tokens.viewer!, json("POST", { label: "a script" }));
    expect(made.status).toBe(201);
    const { id, token } = (await made.json()) as { id: string; token: string };
    expect((await call("/api/rooms", token)).status).toBe(200);
    // Another user's token is not theirs to revoke (nor to learn of).
    expect((await call(`/api/auth/tokens/${id}`, tokens.it!, { method: "DELETE" })).status).toBe(404);
    expect((await call(`/api/auth/tokens/${id}`, tokens.viewer!, { method: "DELETE" })).status).toBe(200);
    expect((await call("/api/rooms", token)).status).toBe(401);
    await site.controller.audit.flush();
    const audit = (await (await site.fetch("/api/audit?user=xem")).json()) as {
      items: { what: { action: string; target: Record<string, string> }; who: { credential?: string } }[];
    };
    expect(audit.items.map((entry) => [entry.what.action, entry.what.target.token])).toEqual(
      expect.arrayContaining([
        ["token.create", id],
        ["token.revoke", id],
      ]),
    );
  });

  it("socket.io refuses a socket without valid credentials and gives an operator only its rooms", async () => {
    const connect = (auth?: { token: string }) => {
      const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(site.httpUrl, {
        transports: ["websocket"],
        reconnection: false,
        ...(auth ? { auth } : {}),
      });
      sockets.push(socket);
      return new Promise<typeof socket>((resolve, reject) => {
        socket.once("connect", () => resolve(socket));
        socket.once("connect_error", (error) => reject(error));
      });
    };
    await expect(connect()).rejects.toThrow(/unauthorized/);
    await expect(connect({ token: "rc_0000000000000000_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" })).rejects.toThrow(
      /unauthorized/,
    );
    const operator = await connect({ token: tokens.operatorB! });
    const admin = await connect({ token: site.adminToken });
    const subscribe = (socket: Socket<ServerToClientEvents, ClientToServerEvents>, rooms: "all" | string[]) =>
      new Promise<RoomView[]>((resolve) => socket.emit("subscribe", { rooms }, resolve));
    expect((await subscribe(operator, "all")).map((room) => room.id)).toEqual([B]);
    expect((await subscribe(operator, [A, B])).map((room) => room.id)).toEqual([B]);
    expect((await subscribe(admin, "all")).map((room) => room.id).sort()).toEqual([A, B]);
    const seenByOperator: string[] = [];
    const seenByAdmin: string[] = [];
    operator.on("room", ({ room }) => seenByOperator.push(room.id));
    admin.on("room", ({ room }) => seenByAdmin.push(room.id));
    // Each room's agent says it is online (A first): the admin hears both, B's operator B alone.
    for (const room of [A, B]) {
      const agent = await site.connectClient(room);
      await agent.publishAsync(
        `rc/v1/rooms/${room}/availability`,
        JSON.stringify({ state: "online", boot: 1, bootId: `boot-${room}` }),
        {
          qos: 1,
          retain: true,
        },
      );
    }
    await waitFor("both changes at the admin", () => seenByAdmin.includes(A) && seenByAdmin.includes(B));
    await waitFor("B's change at the operator", () => seenByOperator.includes(B));
    expect(seenByOperator).not.toContain(A);

    // A socket whose token is revoked is closed (its credentials are checked again every second).
    const made = (await (await call("/api/auth/tokens", tokens.viewer!, json("POST", { label: "bảng" }))).json()) as {
      id: string;
      token: string;
    };
    const revokedLater = await connect({ token: made.token });
    const closed = new Promise<string>((resolve) => revokedLater.once("disconnect", resolve));
    expect((await call(`/api/auth/tokens/${made.id}`, tokens.viewer!, { method: "DELETE" })).status).toBe(200);
    expect(await closed).toBe("io server disconnect");
    expect(admin.connected).toBe(true);
  });

  it("the host's operator moves a component point's cameras only while the session is live", async () => {
    const move = (action: string, params: object) =>
      call(`/api/rooms/${B}/requests`, tokens.operatorA!, json("POST", { action, params }));
    const ptz = { device: "cam", pan: 0.1, tilt: 0, zoom: 0 };
    expect((await move("ptz.move", ptz)).status).toBe(403); // not live yet
    expect((await call(`/api/sessions/${hosted}/start`, tokens.operatorB!, { method: "POST" })).status).toBe(403);
    expect((await call(`/api/sessions/${hosted}/start`, tokens.operatorA!, { method: "POST" })).status).toBe(200);
    // Past authorization: the room's agent is simply not there (503), not a refusal.
    expect([503, 504]).toContain((await move("ptz.move", ptz)).status);
    expect((await move("ptz.store", { device: "cam", seat: "x" })).status).toBe(403);
    expect((await move("mixer.mute", { device: "dsp", channel: 1, muted: true })).status).toBe(403);
    expect((await call(`/api/sessions/${hosted}/end`, tokens.operatorA!, { method: "POST" })).status).toBe(200);
    expect((await move("ptz.move", ptz)).status).toBe(403);
  });

  it("a confidential session's content and recordings are for admin and its operators, not it or viewers", async () => {
    const recordings = (token: string) => call(`/api/sessions/${secret}/recordings`, token);
    expect((await recordings(site.adminToken)).status).toBe(200);
    expect((await recordings(tokens.operatorB!)).status).toBe(200); // B is one of its points
    expect((await recordings(tokens.it!)).status).toBe(403);
    expect((await recordings(tokens.viewer!)).status).toBe(403);
    expect((await call(`/api/sessions/${hosted}/recordings`, tokens.viewer!)).status).toBe(200);
    const asIt = (await (await call(`/api/sessions/${secret}`, tokens.it!)).json()) as { title: string };
    expect(asIt.title).not.toMatch(/Tố cáo/);
    const asOperator = (await (await call(`/api/sessions/${secret}`, tokens.operatorA!)).json()) as { title: string };
    expect(asOperator.title).toMatch(/Tố cáo/);
  });

  it("an operator plans sessions only for a room of theirs, and lists only theirs", async () => {
    const now = Date.now();
    const plan = (host: string) =>
      call(
        "/api/sessions",
        tokens.operatorB!,
        json("POST", {
          title: "Phiên của B",
          host,
          start: new Date(now + 86_400_000).toISOString(),
          end: new Date(now + 90_000_000).toISOString(),
          presiding: { name: "Trần Thị Bình" },
        }),
      );
    const refused = await plan(A);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ field: "host" });
    expect((await plan(B)).status).toBe(201);
    const listed = (await (await call("/api/sessions", tokens.operatorA!)).json()) as {
      items: { host?: string; points: { room: string }[] }[];
    };
    expect(listed.items.every((session) => session.points.some((point) => point.room === A))).toBe(true);
    expect(listed.items.length).toBe(3); // hosted, secret and onlyA: not B's own
  });

  it("a schedule is for its rooms' operators; a confidential one's title is not for it or viewers", async () => {
    await registerRoom(site.controller.store, { id: "rc-c", name: "Phòng C", level: "commune", parent: null });
    const made = await site.fetch(
      "/api/schedules",
      json("POST", {
        title: "Tố cáo định kỳ",
        host: A,
        points: [{ room: "rc-c" }],
        crossLevel: true,
        crossLevelReason: "thử",
        presiding: { name: "Nguyễn Văn An" },
        confidential: true,
        rrule: "FREQ=MONTHLY;BYMONTHDAY=20",
        firstStart: new Date(Date.now() + 60 * 86_400_000).toISOString(),
        durationMin: 60,
        horizonWeeks: 1,
      }),
    );
    expect(made.status, await made.clone().text()).toBe(201);
    const id = ((await made.json()) as { schedule: { id: string } }).schedule.id;
    const titles = async (token: string) =>
      ((await (await call("/api/schedules", token)).json()) as { id: string; template: { title: string } }[])
        .filter((schedule) => schedule.id === id)
        .map((schedule) => schedule.template.title);
    expect(await titles(tokens.operatorA!)).toEqual(["Tố cáo định kỳ"]);
    expect(await titles(tokens.operatorB!)).toEqual([]);
    expect(await titles(tokens.viewer!)).toEqual(["(bảo mật)"]);
    expect((await call(`/api/schedules/${id}`, tokens.operatorB!)).status).toBe(403);
    expect((await call(`/api/schedules/${id}`, tokens.operatorA!, json("PATCH", { durationMin: 90 }))).status).toBe(
      403,
    );
  });

  it("admin manages users and panel PINs over REST; the last admin stays; each change is audited", async () => {
    const added = await site.fetch("/api/users", json("POST", { name: "van-hanh-b", role: "operator", rooms: [B] }));
    expect(added.status).toBe(201);
    const { password } = (await added.json()) as { password: string };
    expect((await call("/api/auth/login", null, json("POST", { user: "van-hanh-b", password }))).status).toBe(200);
    const badRoom = await site.fetch(
      "/api/users",
      json("POST", { name: "van-hanh-x", role: "operator", rooms: ["khong"] }),
    );
    expect(badRoom.status).toBe(404);
    expect(await badRoom.json()).toMatchObject({ field: "rooms" });
    const users = (await (await site.fetch("/api/users")).json()) as Record<string, unknown>[];
    expect(users.find((user) => user.name === "van-hanh-b")).toMatchObject({ role: "operator", rooms: [B] });
    expect(users.every((user) => !("password" in user))).toBe(true);
    const reset = (await (await site.fetch("/api/users/van-hanh-b/password", { method: "POST" })).json()) as {
      password: string;
    };
    expect((await call("/api/auth/login", null, json("POST", { user: "van-hanh-b", password }))).status).toBe(401);
    expect(
      (await call("/api/auth/login", null, json("POST", { user: "van-hanh-b", password: reset.password }))).status,
    ).toBe(200);
    expect((await site.fetch("/api/users/van-hanh-b", { method: "DELETE" })).status).toBe(200);
    const lastAdmin = await site.fetch("/api/users/admin", { method: "DELETE" });
    expect(lastAdmin.status).toBe(409);
    expect((await site.fetch("/api/auth/me")).status).toBe(200); // still there
    expect((await site.fetch(`/api/rooms/${A}/pin`, json("PUT", { pin: "12" }))).status).toBe(400);
    expect((await site.fetch(`/api/rooms/${A}/pin`, json("PUT", { pin: "97531" }))).status).toBe(200);
    expect((await call("/api/auth/pin", null, json("POST", { room: A, pin: "97531" }))).status).toBe(200);
    await site.controller.audit.flush();
    const audit = (await (await site.fetch("/api/audit?user=admin&limit=500")).json()) as {
      items: { what: { action: string }; params: Record<string, unknown> }[];
    };
    const actions = audit.items.map((entry) => entry.what.action);
    expect(actions).toEqual(expect.arrayContaining(["user.add", "user.passwd", "user.remove", "room.pin"]));
    // The PIN as a word of its own: random ids and hashes in the log may hold its digits by chance.
    expect(JSON.stringify(audit.items)).not.toMatch(/\b97531\b/);
  });

  it("requests without valid credentials are bounded per address: past the budget, 429", async () => {
    // All at once, so that the budget's refill (20 a second) cannot keep up on a slow machine.
    const statuses = await Promise.all(
      Array.from({ length: 400 }, async () => {
        const response = await call("/api/rooms", null);
        await response.arrayBuffer();
        return response.status;
      }),
    );
    expect(statuses).toContain(401);
    expect(statuses).toContain(429);
    expect(statuses.filter((status) => status !== 401 && status !== 429)).toEqual([]);
    // Credentials still work from the same address.
    expect((await site.fetch("/api/rooms")).status).toBe(200);
  });
});
