import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { AgentError } from "./agent-error.ts";
import { AnswerJournal } from "./answer-journal.ts";
import { RequestDispatcher, type RequestHandler } from "./request-dispatcher.ts";

const quiet = pino({ level: "silent" });

/** The dispatcher's clock: requests below are due at NOW + 5 s unless they say otherwise. */
const NOW = 1_800_000_000_000;

function dispatcherWith(handlers: Record<string, RequestHandler>, memoryMaxEntries = 100, now = () => NOW) {
  return new RequestDispatcher(new Map(Object.entries(handlers)), quiet, { memoryMs: 60_000, memoryMaxEntries, now });
}

const request = (id: string, action: string, params: Record<string, unknown>, deadline = NOW + 5000) =>
  JSON.stringify({ id, action, params, from: "test", deadline });

describe("request dispatcher", () => {
  it("applies a request once, even when the same id comes again (also while the first is still running)", async () => {
    let applied = 0;
    const dispatcher = dispatcherWith({
      "test.set": async (params) => {
        applied++;
        await new Promise((resolve) => setTimeout(resolve, 10));
        return { value: params.value };
      },
    });
    const message = request("r1", "test.set", { device: "thu", value: 3 });
    const [first, second] = await Promise.all([dispatcher.dispatch(message), dispatcher.dispatch(message)]);
    const third = await dispatcher.dispatch(message);
    expect(applied).toBe(1);
    expect(first).toEqual({ id: "r1", ok: true, result: { value: 3 } });
    expect(second).toEqual(first);
    expect(third).toEqual(first);
  });

  it("never applies a request twice across a restart: answers are kept on disk (owner-only) and compacted", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rc-answers-"));
    try {
      let applied = 0;
      const handlers = {
        "test.set": async (params: Record<string, unknown>) => ({ value: params.value, n: ++applied }),
      };
      const started = async () => {
        const journal = new AnswerJournal(dir, quiet);
        const dispatcher = new RequestDispatcher(new Map(Object.entries(handlers)), quiet, {
          memoryMs: 60_000,
          memoryMaxEntries: 3,
          now: () => NOW,
          journal,
        });
        await dispatcher.restore();
        return dispatcher;
      };
      const before = await started();
      const first = await before.dispatch(request("r1", "test.set", { device: "thu", value: 7 }));
      const after = await started(); // the agent restarted: its memory is the file
      expect(await after.dispatch(request("r1", "test.set", { device: "thu", value: 7 }))).toEqual(first);
      expect(await after.dispatch(request("r1", "test.set", { device: "thu", value: 8 }))).toMatchObject({
        ok: false,
        error: { code: "conflict" },
      });
      expect(applied).toBe(1);
      const file = join(dir, "answers.jsonl");
      expect(statSync(file).mode & 0o777).toBe(0o600);
      for (let i = 2; i <= 12; i++) await after.dispatch(request(`r${i}`, "test.set", { device: "thu", value: i }));
      // Rewritten when it grows past twice what is remembered: the file stays bounded.
      expect(readFileSync(file, "utf8").trim().split("\n").length).toBeLessThanOrEqual(6);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("applies a retry of a request refused because its device was not answering yet, but repeats a device error", async () => {
    let tries = 0;
    let deviceErrors = 0;
    const dispatcher = dispatcherWith({
      "test.set": async () => {
        tries++;
        if (tries === 1) throw new AgentError("device_unavailable", "thu is connecting");
        if (tries === 2) return { value: 1 };
        throw new Error("never a third time");
      },
      "test.delay": async () => {
        deviceErrors++;
        throw new AgentError("device_error", "the device said ERR");
      },
    });
    const message = request("r1", "test.set", { device: "thu", value: 1 });
    expect(await dispatcher.dispatch(message)).toMatchObject({ ok: false, error: { code: "device_unavailable" } });
    expect(await dispatcher.dispatch(message)).toEqual({ id: "r1", ok: true, result: { value: 1 } });
    expect(await dispatcher.dispatch(message)).toEqual({ id: "r1", ok: true, result: { value: 1 } });
    expect(tries).toBe(2);
    const failing = request("r2", "test.delay", { device: "thu", ms: 1 });
    expect(await dispatcher.dispatch(failing)).toMatchObject({ ok: false, error: { code: "device_error" } });
    expect(await dispatcher.dispatch(failing)).toMatchObject({ ok: false, error: { code: "device_error" } });
    expect(deviceErrors).toBe(1); // it may have done something: not tried again
  });

  it("fault 6: refuses an id reused for another action or other params (conflict), applying nothing", async () => {
    const applied: unknown[] = [];
    const dispatcher = dispatcherWith({
      "test.set": async (params) => {
        applied.push(params.value);
        return { value: params.value };
      },
      "state.resync": async () => {
        applied.push("resync");
        return { republished: true };
      },
    });
    expect(await dispatcher.dispatch(request("r1", "test.set", { device: "thu", value: 3 }))).toMatchObject({
      ok: true,
    });
    const conflict = {
      id: "r1",
      ok: false,
      error: { code: "conflict", message: "request id reused for another action" },
    };
    expect(await dispatcher.dispatch(request("r1", "test.set", { device: "thu", value: 4 }))).toEqual(conflict);
    expect(await dispatcher.dispatch(request("r1", "state.resync", {}))).toEqual(conflict);
    // A copy is a copy whatever its key order and deadline: answered from memory.
    expect(await dispatcher.dispatch(request("r1", "test.set", { value: 3, device: "thu" }, NOW + 1))).toEqual({
      id: "r1",
      ok: true,
      result: { value: 3 },
    });
    expect(applied).toEqual([3]);
  });

  it("fault 6: refuses an id reused with other params while the first is still running", async () => {
    let finish: () => void = () => {};
    const dispatcher = dispatcherWith({
      "test.delay": () => new Promise((resolve) => (finish = () => resolve({ waitedMs: 1 }))),
    });
    const first = dispatcher.dispatch(request("r1", "test.delay", { device: "thu", ms: 1 }));
    const copy = dispatcher.dispatch(request("r1", "test.delay", { device: "thu", ms: 1 }));
    const reused = dispatcher.dispatch(request("r1", "test.delay", { device: "thu", ms: 2 }));
    finish();
    expect(await reused).toMatchObject({ error: { code: "conflict" } });
    expect(await first).toEqual({ id: "r1", ok: true, result: { waitedMs: 1 } });
    expect(await copy).toEqual(await first);
  });

  it("fault 6: does not start a request past its deadline, and applies a retry with a fresh deadline once", async () => {
    let now = NOW;
    let applied = 0;
    const dispatcher = dispatcherWith({ "state.resync": async () => applied++ }, 100, () => now);
    const late = await dispatcher.dispatch(request("r1", "state.resync", {}, NOW - 10));
    expect(late).toEqual({
      id: "r1",
      ok: false,
      error: { code: "timeout", message: "request arrived 10 ms after its deadline: not applied" },
    });
    expect(await dispatcher.dispatch(request("r2", "state.resync", {}, NOW))).toMatchObject({
      error: { code: "timeout" },
    });
    expect(applied).toBe(0);
    now += 1000;
    expect(await dispatcher.dispatch(request("r1", "state.resync", {}, now + 5000))).toMatchObject({ ok: true });
    // Once applied, a late copy is answered from memory, not refused and not applied again.
    expect(await dispatcher.dispatch(request("r1", "state.resync", {}, now - 1))).toMatchObject({ ok: true });
    expect(applied).toBe(1);
  });

  it("answers a request without a deadline as invalid, and params too deep to read without throwing", async () => {
    let applied = 0;
    const dispatcher = dispatcherWith({ "state.resync": async () => applied++ });
    const withoutDeadline = JSON.stringify({ id: "r1", action: "state.resync", params: {}, from: "test" });
    expect(await dispatcher.dispatch(withoutDeadline)).toMatchObject({
      id: "r1",
      error: { code: "invalid_params", message: expect.stringMatching(/deadline/) },
    });
    const deep = `{"id":"r2","action":"state.resync","from":"t","deadline":${NOW + 5000},"params":{"a":${"[".repeat(200_000)}${"]".repeat(200_000)}}}`;
    expect(await dispatcher.dispatch(deep)).toMatchObject({ id: "r2", ok: false, error: { code: "invalid_params" } });
    expect(applied).toBe(0);
  });

  it("checks params against the action's schema before applying", async () => {
    let applied = 0;
    const dispatcher = dispatcherWith({ "test.set": async () => applied++ });
    const response = await dispatcher.dispatch(request("r2", "test.set", { device: "thu", value: "loud" }));
    expect(response).toMatchObject({
      id: "r2",
      ok: false,
      error: { code: "invalid_params", message: expect.stringMatching(/value/) },
    });
    expect(applied).toBe(0);
  });

  it("answers unknown actions, agent errors and crashes with their codes", async () => {
    const dispatcher = dispatcherWith({
      "state.resync": async () => {
        throw new AgentError("device_unavailable", "camera offline");
      },
      "test.set": async () => {
        throw new TypeError("boom");
      },
    });
    expect(await dispatcher.dispatch(request("a", "ptz.fly", {}))).toMatchObject({ error: { code: "unknown_action" } });
    expect(await dispatcher.dispatch(request("b", "state.resync", {}))).toMatchObject({
      error: { code: "device_unavailable", message: "camera offline" },
    });
    expect(await dispatcher.dispatch(request("c", "test.set", { device: "x", value: 1 }))).toMatchObject({
      error: { code: "internal" },
    });
  });

  it("answers a malformed request when its id can be read, and drops it otherwise", async () => {
    const dispatcher = dispatcherWith({});
    expect(await dispatcher.dispatch(JSON.stringify({ id: "z", action: 5 }))).toMatchObject({
      id: "z",
      ok: false,
      error: { code: "invalid_params" },
    });
    expect(await dispatcher.dispatch("not json")).toBeNull();
    expect(await dispatcher.dispatch(JSON.stringify({ action: "x" }))).toBeNull();
  });

  it("keeps its memory bounded", async () => {
    let applied = 0;
    const dispatcher = dispatcherWith({ "state.resync": async () => applied++ }, 10);
    for (let i = 0; i < 50; i++) await dispatcher.dispatch(request(`id-${i}`, "state.resync", {}));
    await dispatcher.dispatch(request("id-0", "state.resync", {})); // forgotten long ago: applied again
    await dispatcher.dispatch(request("id-49", "state.resync", {})); // still remembered
    expect(applied).toBe(51);
  });
});
