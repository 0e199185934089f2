// Failed logins counted per key (a user name, a room's PIN, an address): after `maxFailures` within `windowMs` the key
// is locked, first for `windowMs`, then twice as long each time it is locked again, up to `maxLockMs`. A success
// forgets the key. Checked before any scrypt is spent, so a guesser costs the controller (or a room agent's local
// panel) almost nothing.

export interface ThrottleLimits {
  maxFailures: number;
  windowMs: number;
  maxLockMs: number;
}

/** Keys remembered at most; past that, the ones neither locked nor failing lately are forgotten first. */
const MAX_KEYS = 100_000;

interface KeyState {
  /** Times of the failures within the window, oldest first. */
  failures: number[];
  lockedUntil: number;
  /** How often the key was locked: each lock lasts twice the one before. */
  locks: number;
}

export class LoginThrottle {
  private readonly keys = new Map<string, KeyState>();

  constructor(
    private readonly limits: ThrottleLimits,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds to wait before the key may try again; 0 when it may try now. */
  retryAfterS(key: string): number {
    const state = this.keys.get(key);
    const left = state ? state.lockedUntil - this.now() : 0;
    return left > 0 ? Math.ceil(left / 1000) : 0;
  }

  fail(key: string): void {
    const now = this.now();
    let state = this.keys.get(key);
    if (!state) {
      if (this.keys.size >= MAX_KEYS) this.forgetQuiet(now);
      state = { failures: [], lockedUntil: 0, locks: 0 };
      this.keys.set(key, state);
    }
    state.failures = state.failures.filter((at) => now - at < this.limits.windowMs);
    state.failures.push(now);
    if (state.failures.length >= this.limits.maxFailures) {
      state.lockedUntil = now + Math.min(this.limits.windowMs * 2 ** state.locks, this.limits.maxLockMs);
      state.locks += 1;
      state.failures = [];
    }
  }

  succeed(key: string): void {
    this.keys.delete(key);
  }

  private forgetQuiet(now: number): void {
    for (const [key, state] of this.keys) {
      const lastFailure = state.failures.at(-1) ?? 0;
      if (state.lockedUntil <= now && now - lastFailure >= this.limits.windowMs) this.keys.delete(key);
    }
  }
}
