import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { AgentError } from "./agent-error.ts";
import { RequestDispatcher, type RequestHandler } from "./request-dispatcher.ts";

const quiet = pino({ level: "silent" });

function dispatcherWith(handlers: Record<string, RequestHandler>, memoryMaxEntries = 100) {
  return new RequestDispatcher(new Map(Object.entries(handlers)), quiet, { memoryMs: 60_000, memoryMaxEntries });
}

const request = (id: string, action: string, params: Record<string, unknown>) =>
  JSON.stringify({ id, action, params, from: "test" });

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

  it("checks params against the action's schema before applying", async () => {
    let applied = 0;
    const dispatcher = dispatcherWith({ "test.set": async () => applied++ });
    const response = await dispatcher.dispatch(request("r2", "test.set", { device: "thu", value: "loud" }));
    expect(response).toMatchObject({ id: "r2", ok: false, error: { code: "invalid_params", message: /value/ } });
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
