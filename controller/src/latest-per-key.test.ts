import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { LatestPerKey } from "./latest-per-key.ts";

describe("LatestPerKey", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("runs the first at once, then the latest of what came sooner once the interval is over, per key", () => {
    const runs: string[] = [];
    const latest = new LatestPerKey<number>(1000, (key, value) => runs.push(`${key}=${value}`));
    latest.offer("a", 1);
    latest.offer("a", 2);
    latest.offer("b", 1);
    latest.offer("a", 3);
    expect(runs).toEqual(["a=1", "b=1"]);
    vi.advanceTimersByTime(999);
    expect(runs).toEqual(["a=1", "b=1"]);
    vi.advanceTimersByTime(1);
    expect(runs).toEqual(["a=1", "b=1", "a=3"]);
    // The interval counts from that run: what comes half a second later waits for the rest of it.
    vi.advanceTimersByTime(500);
    latest.offer("a", 4);
    vi.advanceTimersByTime(499);
    expect(runs.at(-1)).toBe("a=3");
    vi.advanceTimersByTime(1);
    expect(runs.at(-1)).toBe("a=4");
    // After a quiet interval, at once again.
    vi.advanceTimersByTime(1000);
    latest.offer("a", 5);
    expect(runs.at(-1)).toBe("a=5");
  });

  it("drops what waits when stopped", () => {
    const runs: number[] = [];
    const latest = new LatestPerKey<number>(1000, (_key, value) => runs.push(value));
    latest.offer("a", 1);
    latest.offer("a", 2);
    latest.stop();
    vi.advanceTimersByTime(5000);
    expect(runs).toEqual([1]);
  });
});
