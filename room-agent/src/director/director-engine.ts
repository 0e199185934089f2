// The auto director (DESIGN §3.5): per-mic levels in, shot decisions out, each with a reason a person can read.
// Pure: no IO, no timers — time comes with every input, so tests and the benchmark run on fake time.
import type { DirectorCause } from "@rc/protocol";

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
  /** The wide shot taken because nobody spoke may be left for a talker after this long (instead of the hold). */
  silenceWideHoldS: number;
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
  /** A mic already speaking goes on counting down to this far above its floor (a lower release threshold). */
  speechReleaseAboveNoiseDb: number;
  /** Another mic within this many dB of the loudest is a second talker, not crosstalk. */
  crosstalkMarginDb: number;
  /**
   * Sound that lifts every mic above its own floor by about the same amount (within this many dB) is nobody in the
   * room — the far end through the loudspeaker, a door, the air conditioning; a local talker's own mic stands out.
   */
  diffuseSpreadDb: number;
  /**
   * Mic noise floors within this many dB above the room's median floor are taken for gain differences; a floor
   * higher still is local noise (a fan, a projector) and mics are compared as if their floor were at this limit.
   */
  floorGainSpreadDb: number;
  /** How long to wait for a camera to report it arrived before cutting anyway. */
  moveTimeoutS: number;
  /** A camera just taken off air is left alone this long before it is framed again (the switcher may lag). */
  offAirSettleS: number;
  /** A mic that was speaking this recently is speaking now (a few meter frames). */
  speakingNowS: number;
}

/** DESIGN §3.5 defaults; the level thresholds follow the field values in research/auto-director.md. */
export const DEFAULT_DIRECTOR_PARAMETERS: DirectorParameters = {
  reactionS: 0.7,
  pauseToleranceS: 1.5,
  minimumHoldS: 3,
  silenceWideHoldS: 1,
  silenceToWideS: 2,
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
  speechReleaseAboveNoiseDb: 6,
  crosstalkMarginDb: 6,
  diffuseSpreadDb: 6,
  floorGainSpreadDb: 6,
  moveTimeoutS: 3,
  offAirSettleS: 0.5,
  speakingNowS: 0.25,
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
  /** Start of the current run of speech; pauses up to the tolerance do not end a run. */
  runStart: number | null;
  lastActive: number | null;
  levelDb: number;
  /** This frame's level over the noise floor. */
  riseDb: number;
}

/** One seat's freshest run of speech (over its mics). */
interface SeatActivity {
  seat: string;
  runStart: number;
  lastActive: number;
  levelDb: number;
}

interface Pending {
  shot: Shot;
  seat: string | null;
  reason: string;
  cause: DirectorCause;
  since: number;
  /** A wide shot taken because nobody spoke. */
  restful: boolean;
}

const WIDE = null;
/** Meter timestamps are floating-point seconds: 16.75 − 16.05 is a hair under 0.7. */
const TIME_EPSILON_S = 1e-6;

export class DirectorEngine {
  readonly parameters: DirectorParameters;
  /** Input the engine refused: frames older than the last one, and levels that were not numbers. */
  readonly dropped = { frames: 0, levels: 0 };
  private readonly seats = new Map<string, DirectorSeat>();
  private readonly activity: ChannelActivity[];
  /** Cameras that frame some seat, except the wide shot's camera: the ones made ready off air in advance. */
  private readonly seatCameras: string[];
  private mode: DirectorMode = "auto";
  private pausedUntil = Number.NEGATIVE_INFINITY;
  private sessionStart: number | null = null;
  private muted = false;
  private lastFrameAt: number | null = null;
  private warnedStale = false;
  /** What is on air: the camera, its preset and the seat it shows (null = wide). */
  private program: { shot: Shot; seat: string | null } | null = null;
  private lastCutAt = Number.NEGATIVE_INFINITY;
  /** Where each camera was last seen to arrive: a camera already at a preset needs no move. */
  private readonly cameraAt = new Map<string, string>();
  private pending: Pending | null = null;
  /** Cameras sent to a preset that have not reported arriving yet. */
  private readonly moving = new Map<string, { preset: string; since: number }>();
  /** Cameras that are not answering (connecting, offline): never framed, never cut to. */
  private readonly unavailable = new Set<string>();
  /** When each camera last failed a preset it was sent to in advance. */
  private readonly failedAt = new Map<string, number>();
  /** When each camera last left the air. */
  private readonly offAirAt = new Map<string, number>();
  /** When each seat was last heard holding the floor: who spoke last is the likeliest to speak next. */
  private readonly lastHeard = new Map<string, number>();
  private seatCuts: { t: number; seat: string }[] = [];
  private wideUntil = Number.NEGATIVE_INFINITY;
  private wideBecause = "";
  private wideCause: DirectorCause = { code: "back_and_forth" };
  private lastSpeechAt = Number.NEGATIVE_INFINITY;
  private lastReason = "";
  /** What the engine is acting on now (set with the reason it passes down), and the cause of the shot on air. */
  private cause: DirectorCause = { code: "session_start" };
  private shownCause: DirectorCause | null = null;
  /** The wide shot on air was taken because nobody spoke (the room at rest: it may be left sooner than the hold). */
  private restful = false;

  constructor(private readonly config: DirectorConfig) {
    this.parameters = { ...DEFAULT_DIRECTOR_PARAMETERS, ...config.parameters };
    for (const seat of config.seats) this.seats.set(seat.id, seat);
    this.activity = config.channels.map(() => ({
      noiseFloorDb: Number.NaN,
      runStart: null,
      lastActive: null,
      levelDb: Number.NEGATIVE_INFINITY,
      riseDb: 0,
    }));
    const cameras = config.seats.flatMap((seat) => seat.shots.map((shot) => shot.camera));
    this.seatCameras = [...new Set(cameras)].filter((camera) => camera !== config.wide.camera);
  }

  get reason(): string {
    return this.lastReason;
  }

  /** The last decision's cause, as a code with parameters (the panel words it); null before the first. */
  get lastCause(): DirectorCause | null {
    return this.shownCause;
  }

  get onAir(): { shot: Shot; seat: string | null } | null {
    return this.program;
  }

  /** The session started: show the room wide for a while, whatever is said. */
  startSession(t: number): Decision[] {
    this.sessionStart = t;
    this.cause = { code: "session_start" };
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
      this.takeOffAir(shot.camera, t);
      this.program = { shot, seat: null };
      this.cameraAt.set(shot.camera, shot.preset);
      this.moving.delete(shot.camera);
      this.lastCutAt = t;
    }
  }

  setMuted(muted: boolean, t: number): Decision[] {
    this.muted = muted;
    if (!muted) return [];
    this.cause = { code: "mics_muted" };
    return this.goWide(t, "every mic is muted", true);
  }

  /** A camera reported it reached a preset (ONVIF MoveStatus idle): the waiting cut can happen. */
  cameraArrived(camera: string, preset: string, t: number): Decision[] {
    const moving = this.moving.get(camera);
    // The arrival of an earlier move: the camera has been sent on since, and is not there yet.
    if (moving && moving.preset !== preset) return [];
    this.moving.delete(camera);
    this.cameraAt.set(camera, preset);
    const pending = this.pending;
    if (!pending || pending.shot.camera !== camera || pending.shot.preset !== preset) return [];
    this.pending = null;
    return [
      this.cut(
        t,
        pending.shot,
        pending.seat,
        `${pending.reason}; camera ${camera} arrived`,
        pending.restful,
        pending.cause,
      ),
    ];
  }

  /**
   * A camera refused or failed a preset it was sent to: where it points is unknown, so it is not taken to be there,
   * and it is not framed in advance again before the move time-out (a cut waiting for it still falls back to that
   * time-out).
   */
  cameraFailed(camera: string, preset: string, t: number): void {
    if (this.moving.get(camera)?.preset !== preset || this.pending?.shot.camera === camera) return;
    this.moving.delete(camera);
    this.cameraAt.delete(camera);
    this.failedAt.set(camera, t);
  }

  /**
   * A camera stopped or started answering (its device health). One that is not answering is left out of every
   * choice; where it pointed is unknown when it is back; a cut waiting for it is decided again.
   */
  cameraAvailable(camera: string, available: boolean): void {
    if (available) {
      this.unavailable.delete(camera);
      return;
    }
    this.unavailable.add(camera);
    this.moving.delete(camera);
    this.cameraAt.delete(camera);
    if (this.pending?.shot.camera === camera) this.pending = null;
  }

  /** One frame of mic levels (dB, one per channel). Frames out of order or with NaN levels are dropped. */
  levels(t: number, levelsDb: readonly number[]): Decision[] {
    if (this.lastFrameAt !== null && t <= this.lastFrameAt) {
      this.dropped.frames++;
      return [];
    }
    this.lastFrameAt = t;
    this.warnedStale = false;
    this.observe(t, levelsDb);
    return [...this.checkMoves(t), ...this.wanted(t), ...this.preposition(t)];
  }

  /** Time passes without frames (called by a timer in the agent): catches meters that stopped and move time-outs. */
  tick(t: number): Decision[] {
    const decisions: Decision[] = [];
    if (this.lastFrameAt !== null && t - this.lastFrameAt > this.parameters.metersStaleS && !this.warnedStale) {
      this.warnedStale = true;
      decisions.push({ t, kind: "warning", reason: `no mic levels for ${(t - this.lastFrameAt).toFixed(1)} s` });
      this.cause = { code: "meters_stopped" };
      decisions.push(...this.goWide(t, "mic levels stopped", true));
    }
    decisions.push(...this.checkMoves(t));
    return decisions;
  }

  /**
   * Which mics hear someone of their own seat. A mic speaks when it is well above its own noise floor (less so to go
   * on than to start: a release threshold), not crosstalk (near the loudest mic in level and in rise over the floor),
   * and clearly above what every mic hears: sound that lifts all mics over their floors by about as much is the far
   * end or the room, not a talker.
   */
  private observe(t: number, levelsDb: readonly number[]): void {
    const p = this.parameters;
    const heard: number[] = [];
    levelsDb.forEach((level, channel) => {
      if (!Number.isFinite(level)) {
        this.dropped.levels++;
        return;
      }
      const state = this.activity[channel];
      if (!state) return;
      // The noise floor falls to quiet moments fast, rises with steady noise slowly, and with speech hardly at all
      // (a 100 s time constant), so a long monologue stays speech while a fan that starts up becomes floor.
      if (Number.isNaN(state.noiseFloorDb)) state.noiseFloorDb = level; // the room as it sounds when we start
      state.levelDb = level;
      state.riseDb = level - state.noiseFloorDb;
      state.noiseFloorDb +=
        state.riseDb * (state.riseDb < 0 ? 0.2 : state.riseDb < p.speechAboveNoiseDb ? 0.01 : 0.0005);
      heard.push(channel);
    });
    if (heard.length === 0) return;
    // Rises compared between mics are taken over a floor no higher than the room's usual floor plus the gain spread:
    // a mic with more gain has a higher floor and hears everything louder alike, but a mic beside a fan or a
    // projector has a floor of its own that would hide its talker's voice.
    const floors = heard.map((channel) => this.activity[channel]!.noiseFloorDb).sort((a, b) => a - b);
    const usualFloor = floors[Math.floor((floors.length - 1) / 2)]!;
    const comparable = (state: ChannelActivity) =>
      state.levelDb - Math.min(state.levelDb - state.riseDb, usualFloor + p.floorGainSpreadDb);
    let loudest = Number.NEGATIVE_INFINITY;
    let loudestRise = Number.NEGATIVE_INFINITY;
    let quietestRise = Number.POSITIVE_INFINITY;
    for (const channel of heard) {
      const state = this.activity[channel]!;
      loudest = Math.max(loudest, state.levelDb);
      loudestRise = Math.max(loudestRise, comparable(state));
      quietestRise = Math.min(quietestRise, comparable(state));
    }
    for (const channel of heard) {
      const state = this.activity[channel]!;
      const running = state.lastActive !== null && t - state.lastActive <= p.pauseToleranceS;
      const rise = comparable(state);
      const speaking =
        state.levelDb > p.speechFloorDb &&
        state.riseDb >= (running ? p.speechReleaseAboveNoiseDb : p.speechAboveNoiseDb) &&
        // Crosstalk in level or in rise: a mic with more gain than its neighbour hears the neighbour's voice loud.
        state.levelDb >= loudest - p.crosstalkMarginDb &&
        rise >= loudestRise - p.crosstalkMarginDb &&
        (heard.length < 2 || rise - quietestRise >= p.diffuseSpreadDb);
      if (!speaking) continue;
      if (!running) state.runStart = t;
      state.lastActive = t;
    }
  }

  /** Each seat's current run of speech (not paused longer than the tolerance), from its most telling mic. */
  private seatActivity(t: number): SeatActivity[] {
    const bySeat = new Map<string, SeatActivity>();
    this.activity.forEach((state, channel) => {
      const seat = this.config.channels[channel];
      if (!seat || state.lastActive === null || state.runStart === null) return;
      if (t - state.lastActive > this.parameters.pauseToleranceS) return;
      const known = bySeat.get(seat);
      if (known && known.lastActive - known.runStart >= state.lastActive - state.runStart) return;
      bySeat.set(seat, { seat, runStart: state.runStart, lastActive: state.lastActive, levelDb: state.levelDb });
    });
    return [...bySeat.values()];
  }

  /**
   * Seats with someone speaking for at least the reaction time, not paused longer than the tolerance. A pause is
   * tolerated only while nobody else talks: a seat that fell quiet while another spoke on for the reaction time has
   * handed over the floor (a reply, or an interruption that won).
   */
  private talkers(t: number): SeatActivity[] {
    const p = this.parameters;
    const reaction = p.reactionS - TIME_EPSILON_S;
    const running = this.seatActivity(t).filter((a) => a.lastActive - a.runStart >= reaction);
    return running.filter(
      (a) => !running.some((b) => b !== a && b.lastActive - Math.max(b.runStart, a.lastActive) >= reaction),
    );
  }

  /** Of several talkers, the chair has the floor when its level plus the chair bias is the loudest. */
  private chairWithFloor(talkers: SeatActivity[]): SeatActivity | null {
    const chair = talkers.find((a) => this.seats.get(a.seat)?.isChair);
    if (!chair) return null;
    const chairLevel = chair.levelDb + this.parameters.chairBiasDb;
    return talkers.every((a) => a === chair || a.levelDb < chairLevel) ? chair : null;
  }

  private wanted(t: number): Decision[] {
    const p = this.parameters;
    const everyone = this.talkers(t);
    for (const a of everyone) {
      this.lastHeard.set(a.seat, a.lastActive);
      this.lastSpeechAt = Math.max(this.lastSpeechAt, a.lastActive);
    }
    const chair = everyone.length >= 2 ? this.chairWithFloor(everyone) : null;
    const talkers = chair ? [chair] : everyone;
    if (this.mode !== "auto" || t < this.pausedUntil || this.muted) return [];
    if (this.sessionStart !== null && t - this.sessionStart < p.sessionStartWideS) return [];
    if (t < this.wideUntil) {
      this.cause = this.wideCause;
      return this.goWide(t, this.wideBecause);
    }
    const onAir = this.program?.shot.camera;
    if (onAir !== undefined && this.unavailable.has(onAir)) {
      this.cause = { code: "camera_lost", camera: onAir };
      return this.goWide(t, `${onAir} stopped answering`, true);
    }

    if (talkers.length === 0) {
      const silent = t - this.lastSpeechAt;
      // Someone starting to speak right now is not silence: going wide would only flash before their cut.
      if (silent < p.silenceToWideS || this.startingNow(t)) return [];
      const how = Number.isFinite(silent) ? `for ${silent.toFixed(1)} s` : "yet";
      this.cause = Number.isFinite(silent) ? { code: "silence", seconds: round(silent) } : { code: "silence" };
      return this.goWide(t, `nobody has spoken ${how}`, false, true);
    }
    if (talkers.length >= 2) {
      // Together since the second of them started (while the first was still speaking).
      const together = t - talkers.map((a) => a.runStart).sort((a, b) => a - b)[1]!;
      if (together < p.severalTalkersToWideS) return [];
      const names = talkers.map((a) => this.label(a.seat)).join(" and ");
      // The time together is itself the debounce: no need to wait out the current shot's hold as well.
      this.cause = { code: "several_talkers", seats: talkers.map((a) => a.seat), seconds: round(together) };
      return this.goWide(t, `${names} speak at once (${together.toFixed(1)} s)`, true);
    }
    const talker = talkers[0]!;
    const seat = talker.seat;
    if (this.program?.seat === seat || this.pending?.seat === seat) return [];
    const held = t - this.lastCutAt;
    // The wide shot taken because nobody spoke is the room at rest, not someone's shot: a talker may follow it soon.
    const hold = this.program?.seat === WIDE && this.restful ? p.silenceWideHoldS : p.minimumHoldS;
    if (held < hold) return [];
    // Cut while they are audibly speaking, not in a pause (a pause may be the end of what they had to say).
    if (t - talker.lastActive > p.speakingNowS) return [];
    this.seatCuts = this.seatCuts.filter((cut) => t - cut.t <= p.pingPongWindowS);
    if (this.backAndForth(seat, t) >= p.pingPongSwitches) {
      this.seatCuts = [];
      this.wideUntil = t + p.pingPongWideS;
      this.wideBecause = `${p.pingPongSwitches} back-and-forth switches in ${p.pingPongWindowS} s`;
      this.wideCause = { code: "back_and_forth", seconds: p.pingPongWindowS };
      this.cause = this.wideCause;
      return this.goWide(t, this.wideBecause);
    }
    const speaking = `${this.label(seat)} speaking for ${(t - talker.runStart).toFixed(1)} s`;
    const others = chair
      ? `, the chair has the floor over ${everyone
          .filter((a) => a !== chair)
          .map((a) => this.label(a.seat))
          .join(" and ")}`
      : this.program?.seat
        ? `, ${this.label(this.program.seat)} silent`
        : "";
    const over =
      this.program?.seat === WIDE && this.restful
        ? `the room was quiet on the wide shot for ${held.toFixed(1)} s`
        : held < 60
          ? `hold time over (${held.toFixed(1)} s)`
          : "hold time over";
    this.cause = { code: "speaker", seats: [seat] };
    return this.show(t, seat, `${speaking}${others}; ${over}`);
  }

  /** Someone's mic has just come alive (speaking now, whether or not for the reaction time yet). */
  private startingNow(t: number): boolean {
    return this.seatActivity(t).some((a) => t - a.lastActive <= this.parameters.speakingNowS);
  }

  /**
   * Seats most likely to be shown next, best first, each with why: whoever is starting to speak now, then whoever
   * spoke most recently (in a dialogue the other party, in a hearing the last few voices), then the chair, then the
   * rest in seat order. The seat on air is left out: its camera is already on it.
   */
  private likelyNext(t: number): { seat: string; why: string }[] {
    const p = this.parameters;
    const list: { seat: string; why: string }[] = [];
    const add = (seat: string, why: string) => {
      if (seat !== this.program?.seat && !list.some((entry) => entry.seat === seat)) list.push({ seat, why });
    };
    const now = this.seatActivity(t).filter((a) => t - a.lastActive <= p.speakingNowS);
    now.sort((a, b) => a.runStart - b.runStart);
    for (const a of now) add(a.seat, `${this.label(a.seat)} started to speak`);
    const heard = [...this.lastHeard].sort((a, b) => b[1] - a[1]);
    for (const [seat, at] of heard) add(seat, `${this.label(seat)} spoke ${(t - at).toFixed(0)} s ago`);
    for (const seat of this.config.seats) if (seat.isChair) add(seat.id, `${seat.label} chairs`);
    for (const seat of this.config.seats) add(seat.id, `${seat.label} is next in seat order`);
    return list;
  }

  /**
   * Keeps the cameras that are off air framed on the seats most likely to speak next, so that the cut to the next
   * talker needs no move: the camera is there before the reaction time is over. Never a camera on air, never the wide
   * shot's camera (it must stay ready for the wide shot), never in manual or paused mode (the operator drives).
   */
  private preposition(t: number): Decision[] {
    const p = this.parameters;
    if (this.mode !== "auto" || t < this.pausedUntil || this.muted) return [];
    const free = this.seatCameras.filter(
      (camera) =>
        !this.unavailable.has(camera) &&
        camera !== this.program?.shot.camera &&
        camera !== this.pending?.shot.camera &&
        !this.moving.has(camera) &&
        t - (this.offAirAt.get(camera) ?? Number.NEGATIVE_INFINITY) >= p.offAirSettleS &&
        t - (this.failedAt.get(camera) ?? Number.NEGATIVE_INFINITY) >= p.moveTimeoutS,
    );
    if (free.length === 0) return [];
    const likely = this.likelyNext(t);
    const rank = (camera: string) => {
      const seat = likely.findIndex((entry) => this.seats.get(entry.seat)?.shots.some((s) => this.isAt(camera, s)));
      return seat < 0 ? likely.length : seat;
    };
    const decisions: Decision[] = [];
    for (const [index, { seat, why }] of likely.entries()) {
      if (free.length === 0) break;
      const shots = this.seats.get(seat)?.shots ?? [];
      const framing = shots.find(
        (shot) => this.isAt(shot.camera, shot) || this.moving.get(shot.camera)?.preset === shot.preset,
      );
      if (framing && framing.camera !== this.program?.shot.camera) {
        if (free.includes(framing.camera)) free.splice(free.indexOf(framing.camera), 1);
        continue;
      }
      // The free camera framing the least likely seat (or none) is the one to send.
      const candidates = shots.filter((shot) => free.includes(shot.camera) && rank(shot.camera) > index);
      if (candidates.length === 0) continue;
      const shot = candidates.reduce((best, s) => (rank(s.camera) > rank(best.camera) ? s : best));
      free.splice(free.indexOf(shot.camera), 1);
      this.moving.set(shot.camera, { preset: shot.preset, since: t });
      this.cameraAt.delete(shot.camera);
      decisions.push({ t, kind: "move", ...shot, seat, reason: `getting ready off air: ${why}` });
    }
    return decisions;
  }

  private isAt(camera: string, shot: Shot): boolean {
    return shot.camera === camera && this.cameraAt.get(camera) === shot.preset && !this.moving.has(camera);
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
    const ready = shots.find((shot) => this.isAt(shot.camera, shot));
    if (ready) return [this.cut(t, ready, seat, reason)];
    return this.frameThenCut(t, shots, seat, reason);
  }

  private goWide(t: number, reason: string, force = false, restful = false): Decision[] {
    if (this.program !== null && this.program.seat === WIDE && this.sameShot(this.program.shot, this.config.wide))
      return [];
    if (!force && t - this.lastCutAt < this.parameters.minimumHoldS) return [];
    const wide = this.config.wide;
    if (this.isAt(wide.camera, wide)) return [this.cut(t, wide, WIDE, `wide: ${reason}`, restful)];
    const onAirSeat = this.program?.seat;
    if (this.program?.shot.camera === wide.camera && onAirSeat) return this.handOver(t, onAirSeat, reason, restful);
    return this.frameThenCut(t, [wide], WIDE, `wide: ${reason}`, restful);
  }

  /**
   * The wide shot's camera is on air showing a seat (a room without a camera of its own for the wide shot), so it
   * cannot turn to the wide shot: show the same seat from another camera first, then the wide camera is free to move.
   */
  private handOver(t: number, seat: string, reason: string, restful: boolean): Decision[] {
    const wide = this.config.wide;
    const shots = (this.seats.get(seat)?.shots ?? []).filter((shot) => shot.camera !== wide.camera);
    if (shots.length === 0) {
      this.lastReason = `holding: ${wide.camera} is on air and cannot turn to the wide shot (${reason})`;
      this.shownCause = { code: "holding", camera: wide.camera };
      return [];
    }
    const why = `${this.label(seat)} from another camera, so that ${wide.camera} can turn to the wide shot (${reason})`;
    const ready = shots.find((shot) => this.isAt(shot.camera, shot));
    if (!ready) return this.pending?.seat === seat ? this.checkMoves(t) : this.frameThenCut(t, shots, seat, why);
    return [this.cut(t, ready, seat, why), ...this.frameThenCut(t, [wide], WIDE, `wide: ${reason}`, restful)];
  }

  private frameThenCut(t: number, shots: Shot[], seat: string | null, reason: string, restful = false): Decision[] {
    const usable = shots.filter((shot) => !this.unavailable.has(shot.camera));
    if (usable.length === 0) {
      this.lastReason = `holding: ${shots.map((shot) => shot.camera).join(", ")} not answering (${reason})`;
      this.shownCause = { code: "holding", camera: shots[0]!.camera };
      return [];
    }
    shots = usable;
    const offAirShots = shots.filter((shot) => shot.camera !== this.program?.shot.camera);
    // A camera already on its way to the shot (made ready in advance) is the one to wait for.
    const offAir = offAirShots.find((shot) => this.moving.get(shot.camera)?.preset === shot.preset) ?? offAirShots[0];
    if (!offAir) {
      // The only camera for this shot is on air: never move it on air; show the room wide meanwhile if we can.
      const wide = this.config.wide;
      if (seat !== WIDE && wide.camera !== this.program?.shot.camera && this.isAt(wide.camera, wide)) {
        const decisions = [this.cut(t, wide, WIDE, `wide while ${shots[0]!.camera} turns to ${this.label(seat)}`)];
        return [...decisions, ...this.frameThenCut(t, shots, seat, reason)];
      }
      this.lastReason = `holding: ${shots[0]!.camera} is on air and cannot move (${reason})`;
      this.shownCause = { code: "holding", camera: shots[0]!.camera };
      return [];
    }
    if (this.pending && this.sameShot(this.pending.shot, offAir)) return this.checkMoves(t);
    const underway = this.moving.get(offAir.camera);
    if (underway?.preset === offAir.preset) {
      this.pending = { shot: offAir, seat, reason, cause: this.cause, since: underway.since, restful };
      return this.checkMoves(t);
    }
    this.pending = { shot: offAir, seat, reason, cause: this.cause, since: t, restful };
    this.moving.set(offAir.camera, { preset: offAir.preset, since: t });
    this.cameraAt.delete(offAir.camera);
    return [
      { t, kind: "move", camera: offAir.camera, preset: offAir.preset, seat, reason: `framing off air: ${reason}` },
    ];
  }

  /** Cameras that never confirmed arriving are taken to be there after the move time-out; a waiting cut happens. */
  private checkMoves(t: number): Decision[] {
    const timeout = this.parameters.moveTimeoutS;
    for (const [camera, move] of this.moving) {
      if (t - move.since < timeout || this.pending?.shot.camera === camera) continue;
      this.moving.delete(camera);
      this.cameraAt.set(camera, move.preset);
    }
    const pending = this.pending;
    if (!pending || t - pending.since < timeout) return [];
    this.pending = null;
    this.moving.delete(pending.shot.camera);
    this.cameraAt.set(pending.shot.camera, pending.shot.preset);
    return [
      this.cut(
        t,
        pending.shot,
        pending.seat,
        `${pending.reason}; camera ${pending.shot.camera} did not confirm, cut after ${timeout} s`,
        pending.restful,
        pending.cause,
      ),
    ];
  }

  private sameShot(a: Shot, b: Shot): boolean {
    return a.camera === b.camera && a.preset === b.preset;
  }

  private takeOffAir(nextCamera: string, t: number): void {
    const previous = this.program?.shot.camera;
    if (previous !== undefined && previous !== nextCamera) this.offAirAt.set(previous, t);
  }

  private cut(
    t: number,
    shot: Shot,
    seat: string | null,
    reason: string,
    restful = false,
    cause = this.cause,
  ): Decision {
    if (this.pending && this.pending.shot.camera === shot.camera) this.pending = null;
    // The same seat from another camera is not a new shot: it neither restarts the hold nor counts as a switch.
    const sameSeat = seat !== WIDE && seat === this.program?.seat;
    if (seat !== WIDE && !sameSeat) this.seatCuts.push({ t, seat });
    if (!sameSeat) this.lastCutAt = t;
    this.takeOffAir(shot.camera, t);
    this.restful = restful;
    this.program = { shot, seat };
    this.lastReason = reason;
    this.shownCause = cause;
    return { t, kind: "cut", camera: shot.camera, preset: shot.preset, seat, reason };
  }
}

/** Seconds in a cause, to a tenth (as the English reason says them). */
function round(seconds: number): number {
  return Math.round(seconds * 10) / 10;
}
