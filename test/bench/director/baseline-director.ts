// The usual open-source recipe, for comparison only: the loudest mic over a threshold for a reaction time wins,
// a hold time, silence → wide, two loud mics → wide. No noise floor, no pause tolerance, no off-air framing.
import type { Decision, DirectorConfig } from "@rc/room-agent";

export class BaselineDirector {
  private candidate: { seat: string | null; since: number } | null = null;
  private onAir: string | null = null;
  private lastCutAt = Number.NEGATIVE_INFINITY;
  private lastLoudAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly config: DirectorConfig,
    private readonly thresholdDb = -40,
    private readonly reactionS = 0.7,
    private readonly holdS = 3,
    private readonly silenceS = 6,
    private readonly twoMicsWithinDb = 6,
  ) {}

  levels(t: number, levelsDb: readonly number[]): Decision[] {
    const loud = levelsDb.map((db, channel) => ({ db, channel })).filter((m) => m.db > this.thresholdDb);
    loud.sort((a, b) => b.db - a.db);
    let want: string | null | undefined;
    if (loud.length === 0) want = t - this.lastLoudAt >= this.silenceS ? null : undefined;
    else {
      this.lastLoudAt = t;
      const [first, second] = loud;
      want = second && first!.db - second.db < this.twoMicsWithinDb ? null : this.config.channels[first!.channel];
    }
    if (want === undefined || want === this.onAir) {
      this.candidate = null;
      return [];
    }
    if (this.candidate?.seat !== want) this.candidate = { seat: want, since: t };
    if (t - this.candidate.since < this.reactionS || t - this.lastCutAt < this.holdS) return [];
    this.onAir = want;
    this.lastCutAt = t;
    const shot = want === null ? this.config.wide : this.config.seats.find((s) => s.id === want)!.shots[0]!;
    return [{ t, kind: "cut", ...shot, seat: want, reason: want === null ? "wide" : `${want} loudest` }];
  }
}
