// The active point of a session program, on level frames every 100 ms as the level elements send them.
import { describe, expect, it } from "vitest";
import { ActivePoint, loudestChannelDb } from "./active-point.ts";

/** Feeds `seconds` of steady levels (point → dB) from `from` ms; returns every change with its time. */
function feed(active: ActivePoint, levels: Record<string, number>, from: number, seconds: number) {
  const changes: { point: string; at: number }[] = [];
  for (let at = from; at < from + seconds * 1000; at += 100) {
    for (const [point, db] of Object.entries(levels)) {
      const changed = active.hear(point, db, at);
      if (changed) changes.push({ point: changed, at });
    }
  }
  return changes;
}

describe("the active point", () => {
  it("goes to a point that speaks clearly louder, after the reaction time and the hold of the one shown", () => {
    const active = new ActivePoint("tinh", 0);
    // From the start a commune speaks: the host's picture is held its 3 s first.
    expect(feed(active, { tinh: -70, xa: -20 }, 0, 5)).toEqual([{ point: "xa", at: 3000 }]);
    // The host answers at 5 s: shown once the commune has had its 3 s.
    expect(feed(active, { tinh: -18, xa: -70 }, 5000, 2)).toEqual([{ point: "tinh", at: 6000 }]);
    // The commune answers: shown 0.7 s after it leads.
    expect(feed(active, { tinh: -70, xa: -18 }, 10_000, 2)).toEqual([{ point: "xa", at: 10_700 }]);
  });

  it("stays on the point shown while another is about as loud, or silent, or speaks shorter than the reaction", () => {
    const active = new ActivePoint("tinh", 0);
    expect(feed(active, { tinh: -20, xa: -17, huyen: -22 }, 0, 10)).toEqual([]);
    expect(feed(active, { tinh: -80, xa: -80, huyen: -80 }, 10_000, 5)).toEqual([]);
    // 0.5 s of a word across, then silence again.
    expect(feed(active, { tinh: -80, xa: -20, huyen: -80 }, 15_000, 0.5)).toEqual([]);
    expect(feed(active, { tinh: -80, xa: -80, huyen: -80 }, 15_500, 2)).toEqual([]);
    expect(active.current).toBe("tinh");
  });

  it("shows the host again when the point shown leaves", () => {
    const active = new ActivePoint("tinh", 0);
    feed(active, { tinh: -70, xa: -20 }, 0, 4);
    expect(active.current).toBe("xa");
    active.forget("xa", "tinh", 4000);
    expect(active.current).toBe("tinh");
  });
});

describe("a level message's loudest channel", () => {
  it("reads the binding's text of the rms array", () => {
    expect(loudestChannelDb("< -16.990783, -20.5 >")).toBeCloseTo(-16.99, 2);
    expect(loudestChannelDb("< -inf, -inf >")).toBe(Number.NEGATIVE_INFINITY);
    expect(loudestChannelDb("< -1.5e+02 >")).toBe(-150);
    expect(loudestChannelDb(undefined)).toBeNull();
  });
});
