import { describe, expect, it } from "vitest";
import { type Decision, type DirectorConfig, DirectorEngine } from "./director-engine.ts";

// A central point: chair and secretary on one camera, citizen and official on another, a wide camera.
const ROOM: DirectorConfig = {
  channels: ["chu-tri", "cong-dan", "can-bo"],
  seats: [
    {
      id: "chu-tri",
      label: "Chủ trì",
      isChair: true,
      shots: [
        { camera: "cam-a", preset: "chu-tri" },
        { camera: "cam-toan", preset: "chu-tri" },
      ],
    },
    {
      id: "cong-dan",
      label: "Công dân",
      isChair: false,
      shots: [
        { camera: "cam-b", preset: "cong-dan" },
        { camera: "cam-toan", preset: "cong-dan" },
      ],
    },
    {
      id: "can-bo",
      label: "Cán bộ",
      isChair: false,
      shots: [
        { camera: "cam-b", preset: "can-bo" },
        { camera: "cam-a", preset: "can-bo" },
      ],
    },
  ],
  wide: { camera: "cam-toan", preset: "wide" },
};

type Cut = Extract<Decision, { kind: "cut" }>;

const RATE = 20;
const QUIET = -70;

/** Drives the engine like the agent does: meter frames at 20 Hz, cameras that arrive 0.5 s after a move. */
class Room {
  readonly engine: DirectorEngine;
  readonly decisions: Decision[] = [];
  t = 0;
  private arrivals: { at: number; camera: string; preset: string }[] = [];

  constructor(
    config: DirectorConfig = ROOM,
    private readonly arriveAfterS = 0.5,
  ) {
    this.engine = new DirectorEngine(config);
  }

  record(decisions: Decision[]): void {
    for (const decision of decisions) {
      this.decisions.push(decision);
      if (decision.kind === "move")
        this.arrivals.push({ at: decision.t + this.arriveAfterS, camera: decision.camera, preset: decision.preset });
    }
  }

  /** Plays `seconds` of frames; `levels` gives each channel's dB at time t. */
  play(seconds: number, levels: (t: number) => number[]): void {
    const end = this.t + seconds;
    while (this.t < end - 1e-9) {
      this.t = Math.round((this.t + 1 / RATE) * 1000) / 1000;
      for (const arrival of this.arrivals.filter((a) => a.at <= this.t)) {
        this.record(this.engine.cameraArrived(arrival.camera, arrival.preset, this.t));
      }
      this.arrivals = this.arrivals.filter((a) => a.at > this.t);
      this.record(this.engine.levels(this.t, levels(this.t)));
    }
  }

  quiet(seconds: number): void {
    this.play(seconds, () => [QUIET, QUIET, QUIET]);
  }

  cuts(): Cut[] {
    return this.decisions.filter((d): d is Cut => d.kind === "cut");
  }

  lastCut(): Cut | undefined {
    return this.cuts().at(-1);
  }

  /** A room whose session started long enough ago to be past the opening wide shot, on wide. */
  static settled(config?: DirectorConfig): Room {
    const room = new Room(config);
    room.record(room.engine.startSession(0));
    room.quiet(16);
    return room;
  }
}

/** Speech on one channel with a little crosstalk on the others (−15 dB). */
const speech =
  (channel: number, db = -20) =>
  (_t: number) =>
    [0, 1, 2].map((c) => (c === channel ? db : Math.max(QUIET, db - 15)));

describe("director engine", () => {
  it("opens the session on the wide shot, framed off air first, and stays wide for 15 s whoever speaks", () => {
    const room = new Room();
    room.record(room.engine.startSession(0));
    expect(room.decisions[0]).toMatchObject({ kind: "move", camera: "cam-toan", preset: "wide" });
    room.play(14, speech(1));
    expect(room.cuts()).toHaveLength(1);
    expect(room.cuts()[0]).toMatchObject({
      camera: "cam-toan",
      preset: "wide",
      seat: null,
      reason: expect.stringMatching(/session start/),
    });
  });

  it("gives each shot's cause as a code with its parameters, beside the English reason, for panels to word", () => {
    const room = new Room();
    expect(room.engine.lastCause).toBeNull();
    room.record(room.engine.startSession(0));
    room.quiet(16);
    expect(room.engine.lastCause).toEqual({ code: "session_start" });
    room.play(3, speech(1));
    expect(room.lastCut()).toMatchObject({ seat: "cong-dan" });
    expect(room.engine.lastCause).toEqual({ code: "speaker", seats: ["cong-dan"] });
    room.quiet(6);
    expect(room.lastCut()).toMatchObject({ seat: null, reason: expect.stringMatching(/nobody has spoken/) });
    expect(room.engine.lastCause).toMatchObject({ code: "silence", seconds: expect.any(Number) });
    room.play(4, speech(2));
    room.play(4, (_t) => [QUIET, -20, -20]);
    expect(room.lastCut()).toMatchObject({ seat: null, reason: expect.stringMatching(/speak at once/) });
    expect(room.engine.lastCause).toMatchObject({ code: "several_talkers", seats: ["cong-dan", "can-bo"] });
    room.play(4, speech(0));
    room.record(room.engine.setMuted(true, room.t));
    room.quiet(2);
    expect(room.engine.lastCause).toEqual({ code: "mics_muted" });
  });

  it("cuts to a speaker the reaction time after the first word when an off-air camera is already on them", () => {
    const room = Room.settled();
    // While the room was quiet the seat cameras were framed off air: the chair, then the next seat.
    expect(room.decisions.filter((d) => d.kind === "move" && d.seat !== null)).toEqual([
      expect.objectContaining({ camera: "cam-a", preset: "chu-tri", reason: "getting ready off air: Chủ trì chairs" }),
      expect.objectContaining({ camera: "cam-b", preset: "cong-dan", reason: expect.stringMatching(/Công dân/) }),
    ]);
    const firstSpeechFrame = room.t + 1 / RATE;
    room.play(3, speech(1));
    const cut = room.lastCut()!;
    expect(cut).toMatchObject({
      camera: "cam-b",
      seat: "cong-dan",
      reason: "Công dân speaking for 0.7 s; hold time over (16.3 s)",
    });
    expect(cut.t - firstSpeechFrame).toBeLessThanOrEqual(0.7 + 1e-9);
  });

  it("frames an off-air camera on a speaker nobody expected at their first word, and cuts once it arrived", () => {
    const room = Room.settled();
    const firstSpeechFrame = room.t + 1 / RATE;
    room.play(3, speech(2)); // the official: no camera was on that seat
    const move = room.decisions.find((d) => d.kind === "move" && d.seat === "can-bo")!;
    expect(move).toMatchObject({ t: firstSpeechFrame, reason: "getting ready off air: Cán bộ started to speak" });
    const cut = room.lastCut()!;
    expect(cut).toMatchObject({ seat: "can-bo", camera: move.kind === "move" ? move.camera : "" });
    expect(cut.reason).toMatch(/^Cán bộ speaking for 0\.7 s/); // the camera arrived within the reaction time
    expect(cut.t).toBeGreaterThanOrEqual(move.t + 0.5); // only after the camera reported it arrived
    expect(cut.t - firstSpeechFrame).toBeLessThanOrEqual(0.7 + 1e-9);
  });

  it("ignores a cough shorter than the reaction time", () => {
    const room = Room.settled();
    room.play(0.4, speech(2, -10));
    room.quiet(3);
    expect(room.cuts()).toHaveLength(1); // still the opening wide shot
  });

  it("keeps a talker through a pause shorter than the tolerance", () => {
    const room = Room.settled();
    room.play(3, speech(0));
    const cutsBefore = room.cuts().length;
    room.quiet(1.2);
    room.play(3, speech(0));
    expect(room.cuts()).toHaveLength(cutsBefore);
    expect(room.lastCut()?.seat).toBe("chu-tri");
  });

  it("holds a shot for the minimum hold time before cutting to the next talker", () => {
    const room = Room.settled();
    room.play(2, speech(0));
    const first = room.lastCut()!;
    room.play(4, speech(1));
    const second = room.lastCut()!;
    expect(second.seat).toBe("cong-dan");
    expect(second.t - first.t).toBeGreaterThanOrEqual(3);
  });

  it("goes wide after the silence time, counted from the last word (2 s by default, 6 s as DESIGN had it)", () => {
    for (const silenceToWideS of [2, 6]) {
      const room = Room.settled({ ...ROOM, parameters: { silenceToWideS } });
      room.play(4, speech(0));
      const lastSpeech = room.t;
      room.quiet(8);
      const wide = room.lastCut()!;
      expect(wide).toMatchObject({
        camera: "cam-toan",
        preset: "wide",
        reason: `wide: nobody has spoken for ${silenceToWideS.toFixed(1)} s`,
      });
      expect(wide.t - lastSpeech).toBeCloseTo(silenceToWideS, 5);
    }
    expect(new DirectorEngine(ROOM).parameters.silenceToWideS).toBe(2);
  });

  it("leaves a wide shot taken for silence after 1 s for the next talker, a wide shot for crosstalk after the hold", () => {
    const room = Room.settled();
    room.play(4, speech(0));
    room.quiet(2.05); // wide at 2 s of silence
    const wide = room.lastCut()!;
    expect(wide.reason).toMatch(/nobody has spoken/);
    room.play(3, speech(1));
    const next = room.lastCut()!;
    expect(next).toMatchObject({ seat: "cong-dan" });
    expect(next.t - wide.t).toBeCloseTo(1, 5); // the reaction time was over sooner; the wide shot stays 1 s
    expect(next.reason).toMatch(/Công dân speaking for 0\.\d s; the room was quiet on the wide shot for 1\.0 s/);

    const crowded = Room.settled();
    crowded.play(4, speech(0));
    crowded.play(3, () => [QUIET, -20, -21]); // the citizen and the official at once
    const crowdedWide = crowded.lastCut()!;
    expect(crowdedWide.reason).toMatch(/speak at once/);
    crowded.play(4, speech(0));
    expect(crowded.lastCut()!.t - crowdedWide.t).toBeGreaterThanOrEqual(3);
  });

  it("does not go wide for silence while someone is just starting to speak (no flash of the wide shot)", () => {
    const room = Room.settled();
    room.play(4, speech(0));
    room.quiet(1.8);
    room.play(1, speech(1)); // starts 1.8 s after the chair's last word: 2 s of silence falls inside the reaction time
    expect(room.cuts().filter((cut) => cut.seat === null && /nobody/.test(cut.reason))).toEqual([]);
    expect(room.lastCut()).toMatchObject({ seat: "cong-dan" });
  });

  it("goes wide when two people talk at once for more than 2 s", () => {
    const room = Room.settled();
    room.play(3, speech(0));
    room.play(5, () => [QUIET, -20, -21]);
    expect(room.lastCut()).toMatchObject({
      seat: null,
      preset: "wide",
      reason: expect.stringMatching(/Công dân and Cán bộ speak at once/),
    });
  });

  it("goes wide for 10 s after three quick back-and-forth switches in 20 s, but not in a calm dialogue", () => {
    const room = Room.settled();
    for (let i = 0; i < 8; i++) room.play(3.5, speech(i % 2));
    const wide = room.cuts().find((cut) => /back-and-forth/.test(cut.reason))!;
    expect(wide).toMatchObject({ seat: null, preset: "wide" });
    expect(room.cuts().filter((cut) => cut.t > wide.t && cut.t < wide.t + 10 && cut.seat !== null)).toEqual([]);
    room.play(12, speech(1));
    expect(room.lastCut()?.seat).toBe("cong-dan");

    const calm = Room.settled();
    for (let i = 0; i < 8; i++) calm.play(7, speech(i % 2));
    expect(calm.cuts().filter((cut) => /back-and-forth/.test(cut.reason))).toEqual([]);
  });

  it("gives the chair the floor when the chair and another speak together (chair bias)", () => {
    const together = () => [-20, -18, QUIET]; // the citizen 2 dB louder, within the chair's 3 dB bias
    const biased = Room.settled();
    biased.play(4, speech(1));
    biased.play(8, together);
    expect(biased.lastCut()).toMatchObject({ seat: "chu-tri" });
    const unbiased = Room.settled({ ...ROOM, parameters: { chairBiasDb: 0 } });
    unbiased.play(4, speech(1));
    unbiased.play(8, together);
    expect(unbiased.lastCut()).toMatchObject({ seat: null, reason: expect.stringMatching(/speak at once/) });
  });

  it("pauses while the operator drives, and resumes after 60 s idle", () => {
    const room = Room.settled();
    room.engine.operatorActivity(room.t, { camera: "cam-a", preset: "chu-tri" });
    room.play(30, speech(1));
    expect(room.cuts()).toHaveLength(1);
    room.play(35, speech(1));
    expect(room.lastCut()?.seat).toBe("cong-dan");
    expect(room.lastCut()!.t).toBeGreaterThanOrEqual(16 + 60);
  });

  it("goes wide at once when every mic is muted, and does nothing in manual mode", () => {
    const room = Room.settled();
    room.play(3, speech(0));
    room.record(room.engine.setMuted(true, room.t));
    expect(
      room.decisions.some((d) => d.kind === "move" && d.preset === "wide") || room.lastCut()!.preset === "wide",
    ).toBe(true);
    room.play(1, speech(0));
    expect(room.lastCut()).toMatchObject({ preset: "wide", reason: expect.stringMatching(/muted/) });
    const manual = Room.settled();
    manual.engine.setMode("manual", manual.t);
    manual.play(10, speech(1));
    expect(manual.cuts()).toHaveLength(1);
  });

  it("warns and goes wide when the meters stop for more than 2 s", () => {
    const room = Room.settled();
    room.play(3, speech(0));
    room.record(room.engine.tick(room.t + 1));
    expect(room.decisions.filter((d) => d.kind === "warning")).toHaveLength(0);
    room.record(room.engine.tick(room.t + 2.5));
    expect(room.decisions.find((d) => d.kind === "warning")).toMatchObject({
      reason: expect.stringMatching(/no mic levels/),
    });
    expect(room.decisions.at(-1)).toMatchObject({
      kind: "cut",
      preset: "wide",
      reason: expect.stringMatching(/stopped/),
    });
  });

  it("never moves the camera that is on air", () => {
    const room = Room.settled();
    // Chair, then the official (same camera as the citizen), then the citizen: cam-b is on air for the official,
    // so the citizen must be framed on the secondary camera.
    room.play(4, speech(0));
    room.play(4, speech(2));
    room.play(4, speech(1));
    let onAir: string | null = null;
    for (const decision of room.decisions) {
      if (decision.kind === "move") expect(decision.camera, JSON.stringify(decision)).not.toBe(onAir);
      if (decision.kind === "cut") onAir = decision.camera;
    }
    expect(room.lastCut()).toMatchObject({ seat: "cong-dan", camera: "cam-toan", preset: "cong-dan" });
  });

  it("leaves a camera that is not answering out: another shows the seat, none is never cut to, on air it goes wide", () => {
    const room = Room.settled();
    room.engine.cameraAvailable("cam-b", false);
    room.play(4, speech(2)); // the official: cam-b is their camera, cam-a the other
    const sentToB = () => room.decisions.filter((d) => d.kind !== "warning" && d.camera === "cam-b" && d.t > 16);
    expect(sentToB()).toEqual([]);
    expect(room.lastCut()).toMatchObject({ seat: "can-bo", camera: "cam-a" });

    room.engine.cameraAvailable("cam-toan", false);
    room.play(5, speech(1)); // the citizen: cam-b and cam-toan both out
    expect(sentToB()).toEqual([]);
    expect(room.lastCut()).toMatchObject({ seat: "can-bo", camera: "cam-a" });
    expect(room.engine.reason).toMatch(/holding: cam-b, cam-toan not answering/);

    room.engine.cameraAvailable("cam-b", true);
    room.engine.cameraAvailable("cam-toan", true);
    room.play(3, speech(1));
    expect(room.lastCut()).toMatchObject({ seat: "cong-dan", camera: "cam-b" });

    room.engine.cameraAvailable("cam-b", false); // the camera on air dies
    room.play(1, speech(1));
    expect(room.lastCut()).toMatchObject({ seat: null, camera: "cam-toan" });
    expect(room.lastCut()?.reason).toMatch(/cam-b stopped answering/);
  });

  it("with one camera, holds rather than moving it on air", () => {
    const single: DirectorConfig = {
      channels: ["a", "b", "c"],
      seats: ["a", "b", "c"].map((id) => ({ id, label: id, isChair: false, shots: [{ camera: "cam", preset: id }] })),
      wide: { camera: "cam", preset: "wide" },
    };
    const room = Room.settled(single);
    room.play(5, speech(1));
    expect(room.decisions.filter((d) => d.kind === "move")).toHaveLength(1); // only the opening move, before air
    expect(room.engine.reason).toMatch(/holding: cam is on air/);
  });

  it("keeps a long monologue on the speaker, and lets steady noise become floor", () => {
    const room = Room.settled();
    room.play(120, speech(1));
    expect(room.lastCut()).toMatchObject({ seat: "cong-dan" });
    const fan = new Room();
    fan.record(fan.engine.startSession(0));
    fan.play(200, () => [QUIET, QUIET, -40]); // a projector fan beside one mic, on since the start: never speech
    expect(fan.cuts().every((cut) => cut.seat === null)).toBe(true);
  });

  it("keeps the off-air cameras on the likeliest next talkers, so a dialogue's cuts need no move", () => {
    const room = Room.settled();
    for (let i = 0; i < 6; i++) room.play(5, speech(i % 2));
    const seatCuts = room.cuts().filter((cut) => cut.seat !== null);
    expect(seatCuts.map((cut) => cut.seat)).toEqual([
      "chu-tri",
      "cong-dan",
      "chu-tri",
      "cong-dan",
      "chu-tri",
      "cong-dan",
    ]);
    expect(
      room.decisions.filter((d) => d.kind === "move" && d.seat !== null && d.reason.startsWith("framing")),
    ).toEqual([]);
    expect(seatCuts.every((cut) => !/arrived/.test(cut.reason))).toBe(true);
    // A camera that just left the air is left alone a moment (the switcher may lag behind the decision).
    let offAirSince = new Map<string, number>();
    let onAir: string | null = null;
    for (const d of room.decisions) {
      if (d.kind === "cut") {
        if (onAir && onAir !== d.camera) offAirSince = new Map([...offAirSince, [onAir, d.t]]);
        onAir = d.camera;
      }
      if (d.kind === "move" && offAirSince.has(d.camera))
        expect(d.t - offAirSince.get(d.camera)!).toBeGreaterThanOrEqual(0.5 - 1e-9);
    }
  });

  it("makes nothing ready off air in manual or paused mode, nor with the wide shot's camera", () => {
    const manual = new Room();
    manual.engine.setMode("manual", 0);
    manual.play(30, speech(1));
    expect(manual.decisions).toEqual([]);
    const room = Room.settled();
    room.engine.operatorActivity(room.t, { camera: "cam-a", preset: "can-bo" });
    const before = room.decisions.length;
    room.play(20, speech(2));
    expect(room.decisions.slice(before)).toEqual([]);
    const moved = new Set(
      room.decisions.filter((d) => d.kind === "move" && d.seat !== null).map((d) => d.kind === "move" && d.camera),
    );
    expect(moved.has("cam-toan")).toBe(false);
  });

  it("ignores the arrival of a move the camera was sent on from since", () => {
    const room = new Room(ROOM, 5); // cameras slow to arrive
    room.record(room.engine.cameraArrived("cam-toan", "wide", 0));
    room.engine.operatorActivity(-100, ROOM.wide);
    room.quiet(0.1); // cam-a → Chủ trì, cam-b → Công dân, both on their way
    expect(room.engine.cameraArrived("cam-b", "can-bo", 0.2)).toEqual([]); // stale: cam-b was sent to Công dân
    room.play(1, speech(2));
    const first = room.decisions.find((d) => d.kind !== "move" || d.seat === "can-bo");
    expect(first).toMatchObject({ kind: "move", seat: "can-bo" }); // not a cut to a camera believed at Cán bộ
  });

  it("sends a camera again after it failed a preset (not at once), instead of taking it to be there", () => {
    const room = new Room(ROOM, 1000); // cameras that never report arriving
    room.record(room.engine.cameraArrived("cam-toan", "wide", 0));
    room.engine.operatorActivity(-100, ROOM.wide);
    room.quiet(0.1);
    const sent = () => room.decisions.filter((d) => d.kind === "move" && d.camera === "cam-b").length;
    expect(sent()).toBe(1);
    room.engine.cameraFailed("cam-b", "cong-dan", room.t);
    room.quiet(2.9);
    expect(sent()).toBe(1); // not a retry on every frame
    room.quiet(0.2);
    expect(sent()).toBe(2);
  });

  it("hands the floor to the next talker at their reaction time, not after the last one's pause tolerance", () => {
    const room = Room.settled();
    room.play(5, speech(0));
    room.quiet(0.5); // a short gap between turns, well inside the pause tolerance
    const onset = room.t + 1 / RATE;
    room.play(3, speech(1));
    const cut = room.lastCut()!;
    expect(cut).toMatchObject({
      seat: "cong-dan",
      reason: expect.stringMatching(/Công dân speaking for 0\.7 s, Chủ trì silent/),
    });
    expect(cut.t - onset).toBeCloseTo(0.7, 5);

    // An interruption that wins: the citizen starts while the chair still speaks, the chair stops.
    const interrupted = Room.settled();
    interrupted.play(5, speech(0));
    interrupted.play(1, () => [-20, -20, -35]);
    const chairStopped = interrupted.t;
    interrupted.play(3, speech(1));
    const taken = interrupted.lastCut()!;
    expect(taken.seat).toBe("cong-dan");
    expect(taken.t - chairStopped).toBeLessThanOrEqual(0.7 + 0.05 + 1e-9);
  });

  it("cuts to a talker while they speak, not in the middle of a pause", () => {
    const room = Room.settled();
    room.play(1, speech(0)); // the chair: cut at 0.7 s
    const chairCut = room.lastCut()!;
    room.play(1.8, speech(1)); // the citizen takes the floor; the chair's hold runs until 3 s after its cut
    room.quiet(1.2); // …and pauses across the end of the hold
    const resumed = room.t + 1 / RATE;
    room.play(2, speech(1));
    const cut = room.lastCut()!;
    expect(cut.seat).toBe("cong-dan");
    expect(resumed - chairCut.t).toBeGreaterThan(3);
    expect(cut.t).toBeCloseTo(resumed, 5);
  });

  it("goes wide two seconds after a second talker joined, even within the first talker's hold", () => {
    const room = Room.settled();
    room.play(1, speech(1));
    const citizenCut = room.lastCut()!;
    const joined = room.t + 1 / RATE;
    room.play(4, () => [QUIET, -20, -21]);
    const wide = room.lastCut()!;
    expect(wide).toMatchObject({
      seat: null,
      reason: expect.stringMatching(/Công dân and Cán bộ speak at once \(2\.0 s\)/),
    });
    expect(wide.t - joined).toBeCloseTo(2, 5);
    expect(wide.t - citizenCut.t).toBeLessThan(3);
  });

  it("takes sound that lifts every mic over its own floor alike for the far end, and a local voice over it for a talker", () => {
    const room = new Room();
    room.record(room.engine.startSession(0));
    room.play(16, () => [-70, -60, -65]); // three mics with different noise floors
    room.play(20, () => [-45, -35, -40]); // the far end through the loudspeaker: +25 dB on every mic
    expect(room.cuts().every((cut) => cut.seat === null)).toBe(true);
    room.play(3, () => [-20, -35, -40]); // the chair speaks over the far end
    expect(room.lastCut()).toMatchObject({ seat: "chu-tri" });
  });

  it("tells a neighbour's voice on a mic with more gain, and a talker on a mic beside a fan, for what they are", () => {
    // The official's mic has 6 dB more gain (its floor too): the citizen's voice reaches it only 2 dB under hers.
    const gain = new Room();
    gain.record(gain.engine.startSession(0));
    gain.play(16, () => [-70, -70, -64]);
    gain.play(6, () => [-35, -20, -22]);
    expect(gain.lastCut()).toMatchObject({ seat: "cong-dan" }); // not "Công dân and Cán bộ speak at once"
    gain.play(6, () => [-50, -45, -20]);
    expect(gain.lastCut()).toMatchObject({ seat: "can-bo" });

    // A projector fan beside the citizen's mic: its floor is 25 dB over the others', its talker's voice barely 25 dB
    // over that, while the others hear the talker's crosstalk 28 dB over their floors.
    const fan = new Room();
    fan.record(fan.engine.startSession(0));
    fan.play(16, () => [-70, -45, -70]);
    fan.play(10, () => [-45, -44, -45]); // the far end: +25 dB on the quiet mics, hardly anything over the fan
    expect(fan.cuts().every((cut) => cut.seat === null)).toBe(true);
    fan.play(6, () => [-42, -20, -48]);
    expect(fan.lastCut()).toMatchObject({ seat: "cong-dan" });
  });

  it("lets a voice trailing off keep the floor down to the release threshold", () => {
    const run = (speechReleaseAboveNoiseDb: number) => {
      const room = new Room({ ...ROOM, parameters: { speechReleaseAboveNoiseDb } });
      room.record(room.engine.startSession(0));
      room.play(16, () => [-58, -58, -58]); // a noisy room
      room.play(4, () => [-30, -45, -50]);
      room.play(3, () => [-49, -58, -58]); // 9 dB over the floor: under the 12 dB to start, over the 6 dB to go on
      return room.lastCut()!;
    };
    expect(run(6)).toMatchObject({ seat: "chu-tri" });
    expect(run(12)).toMatchObject({ seat: null, reason: expect.stringMatching(/nobody has spoken/) });
  });

  it("in a room whose wide camera also frames a seat, hands that seat to another camera before going wide", () => {
    const seat = (id: string, cameras: string[]) => ({
      id,
      label: id.toUpperCase(),
      isChair: false,
      shots: cameras.map((camera) => ({ camera, preset: id })),
    });
    const twoCameras: DirectorConfig = {
      channels: ["a", "b"],
      seats: [seat("a", ["cam-1", "cam-2"]), seat("b", ["cam-2", "cam-1"])],
      wide: { camera: "cam-2", preset: "wide" },
    };
    const level = (channel: number) => () => [channel === 0 ? -20 : -35, channel === 1 ? -20 : -35];
    const room = Room.settled(twoCameras);
    room.play(4, level(0));
    room.play(4, level(1));
    expect(room.lastCut()).toMatchObject({ camera: "cam-2", seat: "b" });
    room.play(8, () => [QUIET, QUIET]);
    const cuts = room.cuts().slice(-2);
    expect(cuts[0]).toMatchObject({
      camera: "cam-1",
      seat: "b",
      reason: expect.stringMatching(/B from another camera, so that cam-2 can turn to the wide shot/),
    });
    expect(cuts[1]).toMatchObject({ camera: "cam-2", preset: "wide", seat: null });
    let onAir: string | null = null;
    for (const d of room.decisions) {
      if (d.kind === "move") expect(d.camera, JSON.stringify(d)).not.toBe(onAir);
      if (d.kind === "cut") onAir = d.camera;
    }
  });

  it("drops and counts out-of-order frames and NaN levels", () => {
    const room = Room.settled();
    const t = room.t;
    expect(room.engine.levels(t - 1, [-10, -10, -10])).toEqual([]);
    room.play(3, () => [Number.NaN, -20, QUIET]);
    expect(room.engine.dropped).toEqual({ frames: 1, levels: 60 });
    expect(room.lastCut()?.seat).toBe("cong-dan");
  });
});
