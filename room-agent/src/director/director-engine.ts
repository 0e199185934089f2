// The auto director (DESIGN §3.5): per-mic levels in, shot decisions out, each with a reason a person can read.
// Pure: no IO, no timers — time comes with every input, so tests and the benchmark run on fake time.
export interface Shot {
  camera: string;
  preset: string;
}

export interface DirectorSeat {
  id: string;
  label: string;
  isChair: boolean;
  /** Where this seat can be shown from, best first (a primary and a secondary camera where the room has them). */
  shots: Shot[];
}

export interface DirectorParameters {
  reactionS: number;
  pauseToleranceS: number;
  minimumHoldS: number;
  silenceToWideS: number;
  severalTalkersToWideS: number;
  pingPongSwitches: number;
  pingPongWindowS: number;
  pingPongWideS: number;
  sessionStartWideS: number;
  chairBiasDb: number;
  operatorIdleResumeS: number;
  metersStaleS: number;
  /** A mic counts as speaking above this level and this far above its own noise floor. */
  speechFloorDb: number;
  speechAboveNoiseDb: number;
  /** Another mic within this many dB of the loudest is a second talker, not crosstalk. */
  crosstalkMarginDb: number;
  /** How long to wait for a camera to report it arrived before cutting anyway. */
  moveTimeoutS: number;
}

/** DESIGN §3.5 defaults; the level thresholds follow the field values in research/auto-director.md. */
export const DEFAULT_DIRECTOR_PARAMETERS: DirectorParameters = {
  reactionS: 0.7,
  pauseToleranceS: 1.5,
  minimumHoldS: 3,
  silenceToWideS: 6,
  severalTalkersToWideS: 2,
  pingPongSwitches: 3,
  pingPongWindowS: 20,
  pingPongWideS: 10,
  sessionStartWideS: 15,
  chairBiasDb: 3,
  operatorIdleResumeS: 60,
  metersStaleS: 2,
  speechFloorDb: -50,
  speechAboveNoiseDb: 12,
  crosstalkMarginDb: 6,
  moveTimeoutS: 3,
};

export interface DirectorConfig {
  /** The seat of each mic channel, in the order of the level frames. */
  channels: string[];
  seats: DirectorSeat[];
  wide: Shot;
  parameters?: Partial<DirectorParameters>;
}

export type Decision =
  | { t: number; kind: "move"; camera: string; preset: string; seat: string | null; reason: string }
  | { t: number; kind: "cut"; camera: string; preset: string; seat: string | null; reason: string }
  | { t: number; kind: "warning"; reason: string };

export type DirectorMode = "auto" | "manual" | "paused";

interface ChannelActivity {
  noiseFloorDb: number;
  runStart: number | null;
  lastActive: number | null;
}

interface Pending {
  shot: Shot;
  seat: string | null;
  reason: string;
  since: number;
}

const WIDE = null;

export class DirectorEngine {
  readonly parameters: DirectorParameters;
  /** Input the engine refused: frames older than the last one, and levels that were not numbers. */
  readonly dropped = { frames: 0, levels: 0 };
  private readonly seats = new Map<string, DirectorSeat>();
  private readonly activity: ChannelActivity[];
  private mode: DirectorMode = "auto";
  private pausedUntil = Number.NEGATIVE_INFINITY;
  private sessionStart: number | null = null;
  private muted = false;
  private lastFrameAt: number | null = null;
  private warnedStale = false;
  /** What is on air: the camera, its preset and the seat it shows (null = wide). */
  private program: { shot: Shot; seat: string | null } | null = null;
  private lastCutAt = Number.NEGATIVE_INFINITY;
  /** Where each camera was last sent: a camera already at a preset needs no move. */
  private readonly cameraAt = new Map<string, string>();
  private pending: Pending | null = null;
  /** Cameras sent to a preset in advance that have not reported arriving yet. */
  private readonly moving = new Set<string>();
  private seatCuts: { t: number; seat: string }[] = [];
  private wideUntil = Number.NEGATIVE_INFINITY;
  private wideBecause = "";
  private lastTalkerAt = Number.NEGATIVE_INFINITY;
  private severalSince: number | null = null;
  private lastReason = "";
  private lastLevels: readonly number[] | null = null;

  constructor(private readonly config: DirectorConfig) {
    this.parameters = { ...DEFAULT_DIRECTOR_PARAMETERS, ...config.parameters };
    for (const seat of config.seats) this.seats.set(seat.id, seat);
    this.activity = config.channels.map(() => ({ noiseFloorDb: Number.NaN, runStart: null, lastActive: null }));
  }

  get reason(): string {
    return this.lastReason;
  }

  get onAir(): { shot: Shot; seat: string | null } | null {
    return this.program;
  }

  /** The session started: show the room wide for a while, whatever is said. */
  startSession(t: number): Decision[] {
    this.sessionStart = t;
    return this.goWide(t, "session start: the whole room first", true);
  }

  setMode(mode: DirectorMode, t: number): void {
    this.mode = mode;
    if (mode === "auto") this.pausedUntil = t;
  }

  /** The operator touched a camera or cut by hand: automation waits until the operator has been idle a while. */
  operatorActivity(t: number, shot?: Shot): void {
    this.pausedUntil = t + this.parameters.operatorIdleResumeS;
    this.pending = null;
    if (shot) {
      this.program = { shot, seat: null };
      this.cameraAt.set(shot.camera, shot.preset);
      this.lastCutAt = t;
    }
  }

  setMuted(muted: boolean, t: number): Decision[] {
    this.muted = muted;
    return muted ? this.goWide(t, "every mic is muted", true) : [];
  }

  /** A camera reported it reached a preset (ONVIF MoveStatus idle): the waiting cut can happen. */
  cameraArrived(camera: string, preset: string, t: number): Decision[] {
    this.cameraAt.set(camera, preset);
    this.moving.delete(camera);
    const pending = this.pending;
    if (!pending || pending.shot.camera !== camera || pending.shot.preset !== preset) return [];
    this.pending = null;
    return [this.cut(t, pending.shot, pending.seat, `${pending.reason}; camera ${camera} arrived`)];
  }

  /** One frame of mic levels (dB, one per channel). Frames out of order or with NaN levels are dropped. */
  levels(t: number, levelsDb: readonly number[]): Decision[] {
    if (this.lastFrameAt !== null && t <= this.lastFrameAt) {
      this.dropped.frames++;
      return [];
    }
    this.lastFrameAt = t;
    this.lastLevels = levelsDb;
    this.warnedStale = false;
    levelsDb.forEach((level, channel) => {
      if (Number.isFinite(level)) this.observe(channel, t, level, levelsDb);
      else this.dropped.levels++;
    });
    return this.decide(t);
  }

  /** Time passes without frames (called by a timer in the agent): catches meters that stopped and move time-outs. */
  tick(t: number): Decision[] {
    const decisions: Decision[] = [];
    if (this.lastFrameAt !== null && t - this.lastFrameAt > this.parameters.metersStaleS && !this.warnedStale) {
      this.warnedStale = true;
      decisions.push({ t, kind: "warning", reason: `no mic levels for ${(t - this.lastFrameAt).toFixed(1)} s` });
      decisions.push(...this.goWide(t, "mic levels stopped", true));
    }
    decisions.push(...this.checkPending(t));
    return decisions;
  }

  private observe(channel: number, t: number, level: number, all: readonly number[]): void {
    const state = this.activity[channel];
    if (!state) return;
    // The noise floor falls to quiet moments fast, rises with steady noise slowly, and with speech hardly at all
    // (a 100 s time constant), so a long monologue stays speech while a fan that starts up becomes floor.
    if (Number.isNaN(state.noiseFloorDb)) state.noiseFloorDb = level; // the room as it sounds when we start
    const above = level - state.noiseFloorDb;
    const rate = above < 0 ? 0.2 : above < this.parameters.speechAboveNoiseDb ? 0.01 : 0.0005;
    state.noiseFloorDb += above * rate;
    const loudest = Math.max(...all.filter(Number.isFinite));
    // Sound about as loud on every mic (the far end through the loudspeaker, room noise) is nobody in the room:
    // a local talker is always clearly louder on their own mic than on the furthest one.
    const quietest = Math.min(...all.filter(Number.isFinite));
    const diffuse = all.length > 1 && loudest - quietest < this.parameters.crosstalkMarginDb;
    const speaking =
      !diffuse &&
      level > this.parameters.speechFloorDb &&
      level > state.noiseFloorDb + this.parameters.speechAboveNoiseDb &&
      level >= loudest - this.parameters.crosstalkMarginDb;
    if (!speaking) return;
    if (state.lastActive === null || t - state.lastActive > this.parameters.pauseToleranceS) state.runStart = t;
    state.lastActive = t;
  }

  /** Of several talkers, the chair has the floor when its level plus the chair bias is the loudest. */
  private chairWithFloor(talkers: string[]): string | null {
    const chair = talkers.find((seat) => this.seats.get(seat)?.isChair);
    if (!chair || !this.lastLevels) return null;
    const levelOf = (seat: string) =>
      Math.max(...this.config.channels.map((s, channel) => (s === seat ? (this.lastLevels![channel] ?? -120) : -120)));
    const chairLevel = levelOf(chair) + this.parameters.chairBiasDb;
    return talkers.every((seat) => seat === chair || levelOf(seat) < chairLevel) ? chair : null;
  }

  /** Seats with someone speaking for at least the reaction time, not paused longer than the tolerance. */
  private talkers(t: number): string[] {
    const seats = new Set<string>();
    this.activity.forEach((state, channel) => {
      if (state.lastActive === null || state.runStart === null) return;
      if (t - state.lastActive > this.parameters.pauseToleranceS) return;
      if (state.lastActive - state.runStart < this.parameters.reactionS) return;
      const seat = this.config.channels[channel];
      if (seat) seats.add(seat);
    });
    return [...seats];
  }

  private decide(t: number): Decision[] {
    const decisions = this.checkPending(t);
    return [...decisions, ...this.wanted(t)];
  }

  private wanted(t: number): Decision[] {
    const p = this.parameters;
    const everyone = this.talkers(t);
    const chair = everyone.length >= 2 ? this.chairWithFloor(everyone) : null;
    const talkers = chair ? [chair] : everyone;
    if (talkers.length > 0) this.lastTalkerAt = t;
    this.severalSince = talkers.length >= 2 ? (this.severalSince ?? t) : null;
    if (this.mode !== "auto" || t < this.pausedUntil || this.muted) return [];
    if (this.sessionStart !== null && t - this.sessionStart < p.sessionStartWideS) return [];
    if (t < this.wideUntil) return this.goWide(t, this.wideBecause);

    if (talkers.length === 0) {
      const silent = t - this.lastTalkerAt;
      if (silent >= p.silenceToWideS) return this.goWide(t, `nobody has spoken for ${silent.toFixed(0)} s`);
      return this.prepare(t);
    }
    if (talkers.length >= 2) {
      const together = t - (this.severalSince ?? t);
      if (together < p.severalTalkersToWideS) return [];
      return this.goWide(t, `${talkers.map((s) => this.label(s)).join(" and ")} speak at once`);
    }
    const seat = talkers[0]!;
    if (this.program?.seat === seat || this.pending?.seat === seat) return [];
    const held = t - this.lastCutAt;
    if (held < p.minimumHoldS) return [];
    this.seatCuts = this.seatCuts.filter((cut) => t - cut.t <= p.pingPongWindowS);
    if (this.backAndForth(seat, t) >= p.pingPongSwitches) {
      this.seatCuts = [];
      this.wideUntil = t + p.pingPongWideS;
      this.wideBecause = `${p.pingPongSwitches} back-and-forth switches in ${p.pingPongWindowS} s`;
      return this.goWide(t, this.wideBecause);
    }
    const others = this.program?.seat ? `, ${this.label(this.program.seat)} silent` : "";
    return this.show(t, seat, `${this.label(seat)} speaking${others}; hold time over (${held.toFixed(1)} s)`);
  }

  /**
   * Someone has just started to speak (not yet for the reaction time): frame an off-air camera on them now, out of
   * sight, so that if they go on the cut can happen at once instead of after the camera's move.
   */
  private prepare(t: number): Decision[] {
    if (this.pending) return [];
    const starting = new Set<string>();
    this.activity.forEach((state, channel) => {
      if (state.lastActive === null || state.runStart === null || t - state.lastActive > 0.2) return;
      const seat = this.config.channels[channel];
      if (seat) starting.add(seat);
    });
    if (starting.size !== 1) return [];
    const [seat] = [...starting] as [string];
    if (this.program?.seat === seat) return [];
    const shots = this.seats.get(seat)?.shots ?? [];
    if (shots.some((shot) => this.cameraAt.get(shot.camera) === shot.preset)) return [];
    const offAir = shots.find((shot) => shot.camera !== this.program?.shot.camera && !this.moving.has(shot.camera));
    if (!offAir) return [];
    this.moving.add(offAir.camera);
    this.cameraAt.delete(offAir.camera);
    return [
      {
        t,
        kind: "move",
        camera: offAir.camera,
        preset: offAir.preset,
        seat,
        reason: `getting ready off air: ${this.label(seat)} started to speak`,
      },
    ];
  }

  /**
   * Switches back and forth between the same two seats (A→B→A→B…) that a cut to `seat` now would complete. Only
   * quick switches count — a shot left within the hold time plus the pause tolerance — so a calm dialogue with turns
   * of several seconds is not mistaken for flapping.
   */
  private backAndForth(seat: string, t: number): number {
    const p = this.parameters;
    const cuts = [...this.seatCuts, { t, seat }];
    let switches = 0;
    for (let i = cuts.length - 1; i >= 1; i--) {
      const quick = cuts[i]!.t - cuts[i - 1]!.t < p.minimumHoldS + p.pauseToleranceS;
      const alternating = i < 2 || cuts[i]!.seat === cuts[i - 2]!.seat;
      if (!quick || !alternating || cuts[i]!.seat === cuts[i - 1]!.seat) break;
      switches++;
    }
    return switches;
  }

  private label(seat: string): string {
    return this.seats.get(seat)?.label ?? seat;
  }

  /** Shows a seat: cut at once to a camera already framed on it, or frame an off-air camera first. */
  private show(t: number, seat: string, reason: string): Decision[] {
    const shots = this.seats.get(seat)?.shots ?? [];
    if (shots.length === 0) return [];
    const ready = shots.find((shot) => this.cameraAt.get(shot.camera) === shot.preset && !this.isOnAirMoving(shot));
    if (ready) return [this.cut(t, ready, seat, reason)];
    return this.frameThenCut(t, shots, seat, reason);
  }

  private goWide(t: number, reason: string, force = false): Decision[] {
    if (this.program !== null && this.program.seat === WIDE && this.sameShot(this.program.shot, this.config.wide))
      return [];
    if (!force && t - this.lastCutAt < this.parameters.minimumHoldS) return [];
    const wide = this.config.wide;
    if (this.cameraAt.get(wide.camera) === wide.preset) return [this.cut(t, wide, WIDE, `wide: ${reason}`)];
    return this.frameThenCut(t, [wide], WIDE, `wide: ${reason}`);
  }

  private frameThenCut(t: number, shots: Shot[], seat: string | null, reason: string): Decision[] {
    const offAir = shots.find((shot) => shot.camera !== this.program?.shot.camera);
    if (!offAir) {
      // The only camera for this shot is on air: never move it on air; show the room wide meanwhile if we can.
      const wide = this.config.wide;
      if (
        seat !== WIDE &&
        wide.camera !== this.program?.shot.camera &&
        this.cameraAt.get(wide.camera) === wide.preset
      ) {
        const decisions = [this.cut(t, wide, WIDE, `wide while ${shots[0]!.camera} turns to ${this.label(seat)}`)];
        return [...decisions, ...this.frameThenCut(t, shots, seat, reason)];
      }
      this.lastReason = `holding: ${shots[0]!.camera} is on air and cannot move (${reason})`;
      return [];
    }
    if (this.pending && this.sameShot(this.pending.shot, offAir)) return this.checkPending(t);
    this.pending = { shot: offAir, seat, reason, since: t };
    this.cameraAt.delete(offAir.camera);
    return [
      { t, kind: "move", camera: offAir.camera, preset: offAir.preset, seat, reason: `framing off air: ${reason}` },
    ];
  }

  private checkPending(t: number): Decision[] {
    const pending = this.pending;
    if (!pending || t - pending.since < this.parameters.moveTimeoutS) return [];
    this.pending = null;
    this.cameraAt.set(pending.shot.camera, pending.shot.preset);
    return [
      this.cut(
        t,
        pending.shot,
        pending.seat,
        `${pending.reason}; camera ${pending.shot.camera} did not confirm, cut after ${this.parameters.moveTimeoutS} s`,
      ),
    ];
  }

  /** A camera sent somewhere else and not yet arrived is not ready to be cut to. */
  private isOnAirMoving(shot: Shot): boolean {
    return this.pending !== null && this.pending.shot.camera === shot.camera;
  }

  private sameShot(a: Shot, b: Shot): boolean {
    return a.camera === b.camera && a.preset === b.preset;
  }

  private cut(t: number, shot: Shot, seat: string | null, reason: string): Decision {
    if (this.pending && this.pending.shot.camera === shot.camera) this.pending = null;
    if (seat !== WIDE) this.seatCuts.push({ t, seat });
    this.program = { shot, seat };
    this.lastCutAt = t;
    this.lastReason = reason;
    return { t, kind: "cut", camera: shot.camera, preset: shot.preset, seat, reason };
  }
}
