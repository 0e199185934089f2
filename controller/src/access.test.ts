// The rules that need more than a route's path: confidential sessions and far-end camera control.
import { describe, expect, it } from "vitest";
import {
  type Caller,
  type LiveSessionFacts,
  mayDriveFarEnd,
  mayReadRecordings,
  maySeeSession,
  maySessionAction,
} from "./access.ts";

const caller = (role: Caller["role"], rooms: string[] = []): Caller => ({
  name: role,
  role,
  rooms,
  credential: "password",
});
const point = (room: string, role: "central" | "component", removedAt: string | null = null) => ({
  room,
  role,
  removedAt,
});
const session = (confidential: boolean, state = "live"): LiveSessionFacts => ({
  confidential,
  state,
  points: [point("tinh", "central"), point("huyen", "component"), point("xa", "component", "2027-01-20T09:00:00Z")],
});

describe("access rules", () => {
  it("a confidential session is for admin and its points' operators, not it or viewers; others by room", () => {
    const secret = session(true);
    expect(maySeeSession(caller("admin"), secret)).toBe(true);
    expect(maySeeSession(caller("operator", ["huyen"]), secret)).toBe(true);
    expect(maySeeSession(caller("operator", ["khac"]), secret)).toBe(false);
    expect(maySeeSession(caller("it"), secret)).toBe(false);
    expect(maySeeSession(caller("viewer"), secret)).toBe(false);
    expect(mayReadRecordings(caller("it"), session(false))).toBe(true);
    expect(mayReadRecordings(caller("viewer"), undefined)).toBe(false); // a session the store no longer has
    expect(mayReadRecordings(caller("admin"), undefined)).toBe(true);
  });

  it("a point's operator reads a session; only the host's operator changes it", () => {
    expect(maySessionAction(caller("operator", ["huyen"]), "read", session(false))).toBe(true);
    expect(maySessionAction(caller("operator", ["huyen"]), "change", session(false))).toBe(false);
    expect(maySessionAction(caller("operator", ["tinh"]), "change", session(false))).toBe(true);
    expect(maySessionAction(caller("it"), "change", session(false))).toBe(false);
  });

  it("the host's operator moves an active component's cameras while live, nothing else", () => {
    const host = caller("operator", ["tinh"]);
    expect(mayDriveFarEnd(host, "huyen", "ptz.move", [session(false)])).toBe(true);
    expect(mayDriveFarEnd(host, "huyen", "ptz.store", [session(false)])).toBe(false);
    expect(mayDriveFarEnd(host, "huyen", "mixer.mute", [session(false)])).toBe(false);
    expect(mayDriveFarEnd(host, "xa", "ptz.move", [session(false)])).toBe(false); // left the session
    expect(mayDriveFarEnd(host, "huyen", "ptz.move", [session(false, "ended")])).toBe(false);
    expect(mayDriveFarEnd(caller("operator", ["huyen"]), "tinh", "ptz.move", [session(false)])).toBe(false);
    expect(mayDriveFarEnd(caller("viewer"), "huyen", "ptz.move", [session(false)])).toBe(false);
  });
});
