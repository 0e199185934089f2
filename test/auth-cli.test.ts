// Users and tokens from the real `controller` CLI, against the real controller process: the first start creates an
// admin and prints its password once (never into the log); users add/list/remove and tokens add/revoke work on a
// running controller and are audited; a revoked token is refused as soon as the controller has re-read its store.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort, startTs, stopAll } from "./support/processes.ts";
import { waitFor } from "./support/wait-for.ts";

const dir = mkdtempSync(join(tmpdir(), "rc-auth-cli-"));
const data = join(dir, "controller");

async function cli(...args: string[]): Promise<string> {
  const run = startTs(`controller ${args.slice(0, 2).join(" ")}`, "controller/src/cli.ts", [...args, "--data", data]);
  await waitFor(`controller ${args.join(" ")}`, () => run.exited);
  const output = run.lines.join("\n");
  expect(run.child.exitCode, output).toBe(0);
  return output;
}

describe("users and tokens from the CLI", () => {
  afterAll(async () => {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  });

  // Nine CLI runs and two controller starts, each a TypeScript process start on a busy machine.
  it("first start: one admin, its password printed once and never logged; CLI users and tokens act on the running controller", {
    timeout: 180_000,
  }, async () => {
    const httpPort = await freePort();
    const args = ["--data", data, "--http-port", String(httpPort), "--mqtt-port", String(await freePort())];
    const first = startTs("controller", "controller/src/cli.ts", args);
    await first.waitForLine(/"ready":true/, 30_000);
    const shown = first.lines.filter((line) => line.startsWith("first start:"));
    expect(shown).toHaveLength(1);
    const password = /password: (\S+) \(shown once\)/.exec(shown[0]!)?.[1];
    expect(password).toMatch(/^\S{20,}$/);
    // The log (pino's JSON lines) says an admin was made, never its password.
    expect(first.lines.filter((line) => line.startsWith("{")).join("\n")).not.toContain(password);
    const api = (path: string, init: RequestInit = {}) => fetch(`http://127.0.0.1:${httpPort}${path}`, init);
    const login = await api("/api/auth/login", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ user: "admin", password }),
    });
    expect(login.status).toBe(200);
    const adminToken = /: (rc_\S+)/.exec(await cli("tokens", "add", "admin"))![1]!;

    expect(await cli("users", "add", "ky-thuat", "--role", "it")).toMatch(
      /user ky-thuat \(it\) added; password: \S{20,}/,
    );
    expect(await cli("users", "list")).toMatch(/^ky-thuat\tit\t-\t/m);
    const made = await cli("tokens", "add", "ky-thuat", "--label", "giám sát");
    const [, id, token] = /token ([0-9a-f]{16}) for ky-thuat: (rc_\S+)/.exec(made)!;
    const asIt = () => api("/api/auth/me", { headers: { authorization: `Bearer ${token}` } });
    await waitFor("the controller to read the new token", async () => (await asIt()).status === 200, 10_000);
    expect(await (await asIt()).json()).toMatchObject({ user: "ky-thuat", role: "it", credential: `token:${id}` });
    expect(await cli("tokens", "revoke", id!)).toContain(`token ${id} revoked`);
    await waitFor("the revoked token refused", async () => (await asIt()).status === 401, 5_000);
    // A refusal names the field; nothing changes.
    const refused = startTs("users add", "controller/src/cli.ts", [
      "users",
      "add",
      "van-hanh",
      "--role",
      "operator",
      "--data",
      data,
    ]);
    await waitFor("users add refused", () => refused.exited);
    expect(refused.child.exitCode).toBe(2);
    expect(refused.lines.join("\n")).toContain("rooms: an operator is bound to at least one room");
    expect(await cli("users", "remove", "ky-thuat")).toContain("removed user ky-thuat");

    // Restarted: users exist, so no admin is made and no password shown.
    await first.stop("SIGTERM");
    const second = startTs("controller again", "controller/src/cli.ts", args);
    await second.waitForLine(/"ready":true/, 30_000);
    expect(second.lines.some((line) => line.startsWith("first start:"))).toBe(false);
    // The CLI's changes are in the audit log, chained in by the controller; never a password or a token.
    await waitFor(
      "the CLI's entries chained in",
      async () => {
        // The browser session did not survive the restart (kept in memory); the token did.
        const response = await api("/api/audit?user=cli&limit=50", {
          headers: { authorization: `Bearer ${adminToken}` },
        });
        if (response.status !== 200) return false;
        const page = (await response.json()) as { items: { what: { action: string } }[] };
        const actions = page.items.map((entry) => entry.what.action);
        return ["user.add", "token.create", "token.revoke", "user.remove"].every((action) => actions.includes(action));
      },
      15_000,
    );
    // The first admin's creation is in it too, by the controller itself.
    const all = (await (
      await api("/api/audit?limit=500", { headers: { authorization: `Bearer ${adminToken}` } })
    ).json()) as { items: { who: { via: string }; what: { action: string; target: { user?: string } } }[] };
    expect(all.items.filter((entry) => entry.what.action === "user.add" && entry.what.target.user === "admin")).toEqual(
      [expect.objectContaining({ who: expect.objectContaining({ via: "controller" }) })],
    );
    await second.stop("SIGTERM");
  });
});
