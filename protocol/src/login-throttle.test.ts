// The throttle of wrong logins with a fake clock: five failures in a minute lock the key, the lock doubles each time.
import { describe, expect, it } from "vitest";
import { LoginThrottle } from "./login-throttle.ts";

describe("LoginThrottle", () => {
  const limits = { maxFailures: 5, windowMs: 60_000, maxLockMs: 3600_000 };

  it("locks a key on its 5th failure within the window, for a minute, then twice as long each time", () => {
    let now = 0;
    const throttle = new LoginThrottle(limits, () => now);
    for (let i = 0; i < 4; i++) throttle.fail("pin:xa");
    expect(throttle.retryAfterS("pin:xa")).toBe(0);
    throttle.fail("pin:xa");
    expect(throttle.retryAfterS("pin:xa")).toBe(60);
    expect(throttle.retryAfterS("pin:other")).toBe(0); // keys apart
    now += 60_000;
    expect(throttle.retryAfterS("pin:xa")).toBe(0);
    for (let i = 0; i < 5; i++) throttle.fail("pin:xa");
    expect(throttle.retryAfterS("pin:xa")).toBe(120);
    now += 120_000;
    for (let i = 0; i < 5; i++) throttle.fail("pin:xa");
    expect(throttle.retryAfterS("pin:xa")).toBe(240);
  });

  it("forgets failures older than the window, and a success forgets the key", () => {
    let now = 0;
    const throttle = new LoginThrottle(limits, () => now);
    for (let i = 0; i < 4; i++) throttle.fail("user:an");
    now += 61_000;
    throttle.fail("user:an"); // the four before are out of the window
    expect(throttle.retryAfterS("user:an")).toBe(0);
    for (let i = 0; i < 4; i++) throttle.fail("user:an");
    expect(throttle.retryAfterS("user:an")).toBe(60);
    throttle.succeed("user:an");
    expect(throttle.retryAfterS("user:an")).toBe(0);
  });

  it("never locks longer than the most it may", () => {
    let now = 0;
    const throttle = new LoginThrottle({ ...limits, maxLockMs: 150_000 }, () => now);
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 5; i++) throttle.fail("addr:1.2.3.4");
      const wait = throttle.retryAfterS("addr:1.2.3.4");
      expect(wait).toBeLessThanOrEqual(150);
      now += wait * 1000;
    }
  });
});
