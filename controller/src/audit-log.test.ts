// The audit log on its own: a chain of day files that verifies, secrets never written, every kind of tampering named
// at its first bad line, a torn last line recovered at the next start, the CLI's inbox, a failed write that breaks
// nothing, and the newest-first query.
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  AuditLog,
  type AuditRecord,
  auditFileName,
  auditFiles,
  entryHash,
  isSecretKey,
  queryAudit,
  recordFromCli,
  redactParams,
  verifyAudit,
} from "./audit-log.ts";

let dir = "";
let clock = new Date("2026-12-03T16:58:00.000Z"); // 23:58 in Hà Nội
const logs: string[] = [];
const log = pino({ level: "error" }, { write: (line: string) => void logs.push(line) });
const open = async () => {
  const audit = new AuditLog({ dir, log, now: () => clock, inboxIntervalMs: 0 });
  await audit.start();
  return audit;
};
const command = (room: string, params: unknown = {}): AuditRecord => ({
  who: { user: "anonymous", via: "rest", address: "127.0.0.1" },
  what: { action: "room.request", target: { room } },
  params,
  result: { ok: true, status: 200 },
});
const lines = (file: string) => readFileSync(join(dir, file), "utf8").split("\n").filter(Boolean);
/** A copy of the lines with line `index` (0-based) replaced, or removed when `line` is undefined. */
const changed = (all: string[], index: number, line?: string) =>
  line === undefined ? all.filter((_, at) => at !== index) : all.map((each, at) => (at === index ? line : each));
const write = (file: string, content: string[]) => writeFileSync(join(dir, file), `${content.join("\n")}\n`);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "rc-audit-"));
  clock = new Date("2026-12-03T16:58:00.000Z");
  logs.length = 0;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function fiveEntries(): Promise<void> {
  const audit = await open();
  for (const room of ["a", "b", "c", "d", "e"]) audit.record(command(room));
  await audit.stop();
}

describe("the chain", () => {
  it("runs on across the day files (Asia/Ho_Chi_Minh days), owner-only, and verifies", async () => {
    const audit = await open();
    audit.record(command("tinh"));
    await audit.flush();
    clock = new Date("2026-12-03T17:00:00.000Z"); // midnight in Hà Nội: a new day file
    audit.record(command("huyen"));
    audit.record(command("xa"));
    await audit.stop();
    expect(await auditFiles(dir)).toEqual(["audit-2026-12-03.jsonl", "audit-2026-12-04.jsonl"]);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, "audit-2026-12-04.jsonl")).mode & 0o777).toBe(0o600);
    const [first] = lines("audit-2026-12-03.jsonl").map((line) => JSON.parse(line));
    const [second] = lines("audit-2026-12-04.jsonl").map((line) => JSON.parse(line));
    expect(first).toMatchObject({
      seq: 1,
      prev: "0".repeat(64),
      what: { action: "room.request", target: { room: "tinh" } },
    });
    expect(second).toMatchObject({ seq: 2, prev: first.hash, at: "2026-12-03T17:00:00.000Z" });
    expect(await verifyAudit(dir)).toEqual({ ok: true, entries: 3, recovered: [] });
  });

  it("goes on after a restart", async () => {
    await fiveEntries();
    await fiveEntries();
    expect(await verifyAudit(dir)).toEqual({ ok: true, entries: 10, recovered: [] });
  });

  it("names the day file by the offices' date", () => {
    expect(auditFileName(new Date("2026-12-31T16:59:59.999Z"))).toBe("audit-2026-12-31.jsonl");
    expect(auditFileName(new Date("2026-12-31T17:00:00.000Z"))).toBe("audit-2027-01-01.jsonl");
  });
});

describe("secrets", () => {
  it("are redacted by key name, however deep", async () => {
    expect(["password", "srtPassphrase", "pin", "api_key", "apiKey", "token", "Authorization"].every(isSecretKey)).toBe(
      true,
    );
    expect(["spin", "pinned", "preset", "camera", "keyframe"].some(isSecretKey)).toBe(false);
    const audit = await open();
    audit.record(
      command("tinh", {
        action: "camera.preset",
        params: { preset: 2, password: "hunter2" },
        guests: [{ id: "g", passphrase: "s3cret-pass-phrase" }],
        pin: "1234",
      }),
    );
    await audit.stop();
    const text = readFileSync(join(dir, (await auditFiles(dir))[0]!), "utf8");
    for (const secret of ["hunter2", "s3cret-pass-phrase", "1234"]) expect(text).not.toContain(secret);
    expect(JSON.parse(text).params).toEqual({
      action: "camera.preset",
      guests: [{ id: "g", passphrase: "[redacted]" }],
      params: { password: "[redacted]", preset: 2 },
      pin: "[redacted]",
    });
  });

  it("bounds what is kept of huge params", () => {
    const huge = redactParams({ text: "x".repeat(400), list: Array.from({ length: 100 }, () => "y".repeat(100)) });
    expect(huge).toMatchObject({ truncated: true });
  });
});

describe("verify names the first bad line", () => {
  const file = "audit-2026-12-03.jsonl";
  it.each([
    [
      "a field edited",
      (all: string[]) => changed(all, 2, all[2]!.replace('"room":"c"', '"room":"x"')),
      3,
      /hash mismatch/,
    ],
    ["a line deleted", (all: string[]) => changed(all, 1), 2, /sequence gap: expected entry 2, found 3/],
    ["two lines swapped", (all: string[]) => changed(changed(all, 1, all[2]!), 2, all[1]!), 2, /reordered/],
    ["a line moved back", (all: string[]) => [...changed(all, 1), all[1]!], 2, /sequence gap/],
    ["not JSON", (all: string[]) => changed(all, 3, "{oops"), 4, /bad JSON/],
  ])("%s", async (_name, tamper, line, reason) => {
    await fiveEntries();
    write(file, tamper(lines(file)));
    const verdict = await verifyAudit(dir);
    expect(verdict).toMatchObject({ ok: false, file, line });
    expect(verdict.ok || verdict.reason).toMatch(reason);
  });

  it("an entry edited and its hash recomputed breaks the next link", async () => {
    await fiveEntries();
    const all = lines(file);
    const edited = JSON.parse(all[1]!);
    edited.what.target.room = "x";
    edited.hash = entryHash(edited);
    write(file, changed(all, 1, JSON.stringify(edited)));
    expect(await verifyAudit(dir)).toMatchObject({ ok: false, line: 3, reason: expect.stringMatching(/prev/) });
  });

  it("a torn last line is named, and the next start recovers it with an entry that says so", async () => {
    await fiveEntries();
    const all = lines(file);
    write(file, all.slice(0, 4));
    appendFileSync(join(dir, file), all[4]!.slice(0, 40)); // the crash: part of a line, no newline
    expect(await verifyAudit(dir)).toMatchObject({ ok: false, file, line: 5, reason: expect.stringMatching(/torn/) });
    const audit = await open();
    audit.record(command("after"));
    await audit.stop();
    const after = lines(file);
    expect(after[4]).toBe(all[4]!.slice(0, 40)); // never rewritten, only ended
    expect(JSON.parse(after[5]!)).toMatchObject({ seq: 5, what: { action: "audit.recovered" }, params: { line: 5 } });
    expect(JSON.parse(after[6]!)).toMatchObject({ seq: 6, what: { target: { room: "after" } } });
    expect(await verifyAudit(dir)).toEqual({ ok: true, entries: 6, recovered: [{ file, line: 5 }] });
  });
});

describe("writes", () => {
  it("a failed write is logged loudly, throws nowhere, and leaves the chain whole", async () => {
    const audit = await open();
    audit.record(command("a"));
    await audit.flush();
    clock = new Date("2026-12-04T03:00:00.000Z");
    mkdirSync(join(dir, "audit-2026-12-04.jsonl")); // the next day's file cannot be opened
    audit.record(command("lost"));
    await audit.flush();
    expect(logs.join("")).toContain("AUDIT WRITE FAILED");
    rmSync(join(dir, "audit-2026-12-04.jsonl"), { recursive: true });
    audit.record(command("b"));
    await audit.stop();
    expect(await verifyAudit(dir)).toEqual({ ok: true, entries: 2, recovered: [] });
  });

  it("many at once never interleave", async () => {
    const audit = await open();
    for (let index = 0; index < 500; index++) audit.record(command(`room-${index}`, { note: "n".repeat(index) }));
    await audit.stop();
    expect(await verifyAudit(dir)).toEqual({ ok: true, entries: 500, recovered: [] });
  });

  it("the CLI's entries wait in the inbox until the controller chains them", async () => {
    await recordFromCli(dir, {
      who: { user: "cli", via: "cli", address: null },
      what: { action: "room.register", target: { room: "xa" } },
      params: { id: "xa", password: "never" },
      result: { ok: true },
    });
    const audit = await open();
    await audit.stop();
    const [entry] = lines((await auditFiles(dir))[0]!).map((line) => JSON.parse(line));
    expect(entry).toMatchObject({ seq: 1, who: { via: "cli" }, params: { password: "[redacted]" } });
    expect(await verifyAudit(dir)).toMatchObject({ ok: true, entries: 1 });
  });
});

describe("query", () => {
  it("pages newest first and filters by room, user and time", async () => {
    const audit = await open();
    for (const room of ["a", "b", "a", "c", "a"]) audit.record(command(room));
    clock = new Date("2026-12-05T00:00:00.000Z");
    audit.record({ ...command("a"), who: { user: "cli", via: "cli", address: null } });
    await audit.stop();
    const first = await queryAudit(dir, { room: "a", limit: 2 });
    expect(first.items.map((entry) => entry.seq)).toEqual([6, 5]);
    expect(first.more).toBe(true);
    const second = await queryAudit(dir, { room: "a", limit: 2, before: 5 });
    expect(second).toMatchObject({ more: false });
    expect(second.items.map((entry) => entry.seq)).toEqual([3, 1]);
    expect((await queryAudit(dir, { user: "cli", limit: 10 })).items.map((entry) => entry.seq)).toEqual([6]);
    const early = await queryAudit(dir, { to: new Date("2026-12-04T00:00:00.000Z"), limit: 10 });
    expect(early.items).toHaveLength(5);
  });
});
