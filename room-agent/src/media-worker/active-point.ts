// Which point of a session the host's program shows large: the one speaking, from each point's sound level. Pure,
// with the time passed in. The numbers follow the director's (DESIGN §3.5): a new speaker must lead for the
// reaction time, and the one on screen stays at least the minimum hold, so a cough or a word across does not flicker.

export interface ActivePointRule {
  /** Below this (dBFS, RMS) a point is silent. */
  speakingDb: number;
  /** A challenger must be this much louder than the point shown… */
  marginDb: number;
  /** …for this long (ms) without a break… */
  reactionMs: number;
  /** …and the point shown must have been shown this long (ms). */
  minimumHoldMs: number;
}

export const ACTIVE_POINT_RULE: ActivePointRule = {
  speakingDb: -50,
  marginDb: 6,
  reactionMs: 700,
  minimumHoldMs: 3000,
};

export class ActivePoint {
  private readonly levels = new Map<string, number>();
  private since: number;
  private challenger: { point: string; since: number } | null = null;

  constructor(
    private shown: string,
    now: number,
    private readonly rule: ActivePointRule = ACTIVE_POINT_RULE,
  ) {
    this.since = now;
  }

  get current(): string {
    return this.shown;
  }

  /** A point's latest level; returns the point to show when it changes, else null. */
  hear(point: string, db: number, now: number): string | null {
    this.levels.set(point, db);
    let loudest: string | null = null;
    for (const [candidate, level] of this.levels) {
      if (level >= this.rule.speakingDb && (loudest === null || level > this.levels.get(loudest)!)) loudest = candidate;
    }
    const shownDb = this.levels.get(this.shown) ?? Number.NEGATIVE_INFINITY;
    const leads =
      loudest !== null && loudest !== this.shown && this.levels.get(loudest)! >= shownDb + this.rule.marginDb;
    if (!leads) {
      this.challenger = null;
      return null;
    }
    if (this.challenger?.point !== loudest) this.challenger = { point: loudest!, since: now };
    if (now - this.challenger.since < this.rule.reactionMs || now - this.since < this.rule.minimumHoldMs) return null;
    this.shown = loudest!;
    this.since = now;
    this.challenger = null;
    return this.shown;
  }

  /** A point that left: its level is forgotten, and if it was shown, the given point is shown instead. */
  forget(point: string, fallback: string, now: number): void {
    this.levels.delete(point);
    if (this.challenger?.point === point) this.challenger = null;
    if (this.shown === point) {
      this.shown = fallback;
      this.since = now;
    }
  }
}

/** The loudest channel of a `level` message's `rms` (the binding gives it as text, e.g. "< -17.0, -16.5 >"). */
export function loudestChannelDb(rms: unknown): number | null {
  const values = [...String(rms ?? "").matchAll(/-?(?:\d+(?:\.\d+)?(?:e[-+]?\d+)?|inf)/gi)].map((match) =>
    /inf/i.test(match[0])
      ? match[0].startsWith("-")
        ? Number.NEGATIVE_INFINITY
        : Number.POSITIVE_INFINITY
      : Number(match[0]),
  );
  return values.length > 0 ? Math.max(...values) : null;
}
