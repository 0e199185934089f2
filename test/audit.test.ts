// The audit log end to end (issue 14 part 2): the real controller with its embedded broker and a real agent; commands
// through REST (requests to a room, refused ones too; a session created, started and ended), a room registered by
// the CLI while the controller runs; then the chain verifies with the right count, and in copies of the log an edited
// field, a deleted line, two swapped lines and a torn last line are each named at their first bad line, also by the
// real `controller audit verify`.
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AuditEntry, verifyAudit } from "@rc/controller";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTs, stopAll } from "./support/processes.ts";
import { TestSite } from "./support/test-site.ts";
import { waitFor } from "./support/wait-for.ts";

const HOST = "au-tinh";
const COMPONENT = "au-huyen";
const GUEST_PASSPHRASE = "guest-passphrase-never-logged";

describe("the audit log of a running controller", () => {
  let site: TestSite;
  let copies = "";
  const dataDir = () => join(site.dir, "controller");
  const auditDir = () => join(dataDir(), "audit");

  beforeAll(async () => {
    site = await TestSite.create("embedded", [HOST, COMPONENT]);
    await site.controller.store.update((data) => {
      data.rooms[COMPONENT]!.parent = HOST;
      data.rooms[HOST]!.level = "province";
      data.rooms[HOST]!.srt = { host: "127.0.0.1", port: 9200 };
      data.rooms[COMPONENT]!.srt = { host: "127.0.0.1", port: 9201 };
    });
    site.startAgent(HOST);
    await waitFor("the host's agent online", () => {
      const room = site.controller.registry.get(HOST);
      return room?.availability.state === "online" && room.health.thu?.status === "ok";
    });
    copies = mkdtempSync(join(tmpdir(), "rc-audit-copies-"));
  }, 40_000);
  afterAll(async () => {
    await stopAll();
    await site?.stop();
    if (copies) rmSync(copies, { recursive: true, force: true });
  });

  const call = (method: string, path: string, body?: unknown) => site.call(method, path, body);

  const entries = (dir = auditDir()): AuditEntry[] =>
    readdirLines(dir).map((line) => JSON.parse(line.text) as AuditEntry);

  it("records every command with who, what, params without secrets, and the result; the chain verifies", async () => {
    expect((await site.post(HOST, { action: "test.set", params: { device: "thu", value: 7 } })).status).toBe(200);
    expect((await site.post(HOST, { action: "test.set", params: { device: "thu", value: "x" } })).status).toBe(400);
    expect((await site.post(COMPONENT, { action: "test.set", params: { device: "thu", value: 1 } })).status).toBe(503);
    expect((await site.post("no-such-room", { action: "test.set", params: {} })).status).toBe(404);
    const created = await call("POST", "/api/sessions", {
      title: "Tiếp công dân định kỳ",
      start: "2027-01-20T08:00:00+07:00",
      end: "2027-01-20T11:00:00+07:00",
      host: HOST,
      points: [{ room: COMPONENT }],
      guests: [{ id: "khach", name: "Sở Tư pháp", url: "srt://127.0.0.1:9300", passphrase: GUEST_PASSPHRASE }],
      presiding: { name: "Nguyễn Văn A", title: "Chủ tịch UBND tỉnh" },
    });
    expect(created.status).toBe(201);
    const session = String(created.body.id);
    expect((await call("POST", `/api/sessions/${session}/start`)).status).toBe(200);
    expect((await call("POST", `/api/sessions/${session}/end`)).status).toBe(200);
    expect((await call("POST", "/api/sessions/no-such-session/start")).status).toBe(404);
    const hold = await call("POST", `/api/sessions/${session}/recordings/hold`, { hold: true, reason: "khiếu nại" });
    expect(hold.status).toBe(200);
    await site.controller.audit.flush();

    const written = entries();
    expect(
      written.map((entry) => [entry.what.action, entry.result.ok ? "ok" : (entry.result as { code: string }).code]),
    ).toEqual([
      ["room.request", "ok"],
      ["room.request", "invalid_params"],
      ["room.request", "device_unavailable"],
      ["room.request", "not_found"],
      ["session.create", "ok"],
      ["session.start", "ok"],
      ["session.end", "ok"],
      ["session.start", "not_found"],
      ["session.recordings.hold", "ok"],
    ]);
    expect(written[0]).toMatchObject({
      seq: 1,
      who: {
        user: "admin",
        via: "rest",
        address: expect.stringContaining("127.0.0.1"),
        credential: expect.stringMatching(/^token:/),
      },
      what: { target: { room: HOST } },
      params: { action: "test.set", params: { device: "thu", value: 7 } },
      result: { ok: true, status: 200 },
    });
    expect(written[4]!.what.target).toEqual({ session });
    const text = readdirLines(auditDir())
      .map((line) => line.text)
      .join("\n");
    expect(text).not.toContain(GUEST_PASSPHRASE);
    expect(text).toContain('"passphrase":"[redacted]"');
    expect(await verifyAudit(auditDir())).toEqual({ ok: true, entries: 9, recovered: [] });
    expect(written[8]).toMatchObject({ what: { target: { session } }, params: { hold: true, reason: "khiếu nại" } });

    // Newest first, paged by cursor; a room's filter finds the commands sent to it.
    const page = await call("GET", "/api/audit?limit=3");
    expect(page.status).toBe(200);
    expect((page.body.items as AuditEntry[]).map((entry) => entry.seq)).toEqual([9, 8, 7]);
    const next = await call("GET", `/api/audit?limit=3&cursor=${String(page.body.nextCursor)}`);
    expect((next.body.items as AuditEntry[]).map((entry) => entry.seq)).toEqual([6, 5, 4]);
    const room = await call("GET", `/api/audit?room=${HOST}`);
    expect(room.body).toMatchObject({ nextCursor: null });
    expect((room.body.items as AuditEntry[]).map((entry) => entry.seq)).toEqual([2, 1]);
    expect((await call("GET", "/api/audit?limit=100000")).status).toBe(400);
  });

  it("a room registered by the CLI while the controller runs joins the chain, without its password", async () => {
    const add = startTs("rooms add", "controller/src/cli.ts", [
      "rooms",
      "add",
      "au-xa",
      "--name",
      "Xã",
      "--level",
      "commune",
      "--data",
      dataDir(),
    ]);
    await waitFor("rooms add", () => add.exited);
    const password = /password: (\S+)/.exec(add.lines.join("\n"))?.[1];
    expect(password).toBeTruthy();
    const registered = await waitFor("the CLI's entry chained", () =>
      entries().find((entry) => entry.what.action === "room.register"),
    );
    expect(registered).toMatchObject({
      seq: 10,
      who: { user: "cli", via: "cli", address: null },
      what: { target: { room: "au-xa" } },
      result: { ok: true },
    });
    expect(JSON.stringify(entries())).not.toContain(password!);
    expect(await verifyAudit(auditDir())).toMatchObject({ ok: true, entries: 10 });
  });

  /** A copy of the data folder's audit files with the last file's lines changed by `tamper`. */
  function tamperedCopy(name: string, tamper: (lines: string[]) => string[], ending = "\n"): string {
    const copy = join(copies, name);
    cpSync(auditDir(), join(copy, "audit"), { recursive: true });
    const file = join(copy, "audit", lastFile());
    const lines = readFileSync(file, "utf8").split("\n").filter(Boolean);
    writeFileSync(file, tamper(lines).join("\n") + ending);
    return copy;
  }
  const lastFile = () => readdirLines(auditDir()).at(-1)!.file;
  const lineOf = (seq: number) => readdirLines(auditDir()).find((line) => JSON.parse(line.text).seq === seq)!;

  it("in copies of the log, verify names each first bad line: an edit, a deletion, a swap, a torn last line", async () => {
    const third = lineOf(3);
    const fifth = lineOf(5);
    const cases: [string, (lines: string[]) => string[], string, number, RegExp][] = [
      [
        "edited",
        (lines) =>
          lines.map((line, index) => (index === third.line - 1 ? line.replace('"status":503', '"status":200') : line)),
        "\n",
        third.line,
        /hash mismatch: the entry was changed/,
      ],
      ["deleted", (lines) => lines.filter((_, index) => index !== fifth.line - 1), "\n", fifth.line, /sequence gap/],
      [
        "swapped",
        (lines) => lines.map((_line, index) => lines[index === 2 ? 3 : index === 3 ? 2 : index]!),
        "\n",
        3,
        /reordered/,
      ],
      ["torn", (lines) => [...lines.slice(0, -1), lines.at(-1)!.slice(0, 30)], "", -1, /torn last line/],
    ];
    for (const [name, tamper, ending, line, reason] of cases) {
      const copy = tamperedCopy(name, tamper, ending);
      const expectedLine =
        line === -1 ? readdirLines(auditDir()).filter((each) => each.file === lastFile()).length : line;
      const verdict = await verifyAudit(join(copy, "audit"));
      expect(verdict, name).toMatchObject({ ok: false, file: lastFile(), line: expectedLine });
      expect(verdict.ok || verdict.reason, name).toMatch(reason);
    }
  });

  it("the real CLI: `controller audit verify` prints ok N entries (exit 0), or the first bad line (exit 1)", async () => {
    const good = join(copies, "good");
    cpSync(auditDir(), join(good, "audit"), { recursive: true });
    const ok = startTs("audit verify", "controller/src/cli.ts", ["audit", "verify", "--data", good]);
    await waitFor("verify", () => ok.exited);
    expect(ok.child.exitCode).toBe(0);
    expect(ok.lines.join("\n")).toContain("ok 10 entries");

    const bad = startTs("audit verify", "controller/src/cli.ts", [
      "audit",
      "verify",
      "--data",
      join(copies, "deleted"),
    ]);
    await waitFor("verify", () => bad.exited);
    expect(bad.child.exitCode).toBe(1);
    expect(bad.lines.join("\n")).toMatch(new RegExp(`bad ${lastFile().replace(".", "\\.")}:\\d+: sequence gap`));
  });
});

/** Every line of the day files in chain order, with its file and 1-based line number. */
function readdirLines(dir: string): { file: string; line: number; text: string }[] {
  const names = readdirSync(dir)
    .filter((name) => /^audit-\d{4}-\d{2}-\d{2}\.jsonl$/.test(name))
    .sort();
  return names.flatMap((file) =>
    readFileSync(join(dir, file), "utf8")
      .split("\n")
      .filter(Boolean)
      .map((text, index) => ({ file, line: index + 1, text })),
  );
}
