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

  it("reacts to a speaker within the reaction time plus one frame, framing an off-air camera before the cut", () => {
    const room = Room.settled();
    const onset = room.t;
    room.play(3, speech(1));
    const move = room.decisions.find((d) => d.kind === "move" && d.seat === "cong-dan")!;
    expect(move).toMatchObject({ camera: "cam-b", preset: "cong-dan" });
    const firstSpeechFrame = onset + 1 / RATE;
    expect(move.t - firstSpeechFrame).toBeLessThanOrEqual(0.7 + 0.1 + 1e-9);
    const cut = room.lastCut()!;
    expect(cut).toMatchObject({
      camera: "cam-b",
      seat: "cong-dan",
      reason: expect.stringMatching(/Công dân speaking.*arrived/),
    });
    expect(cut.t).toBeGreaterThanOrEqual(move.t + 0.5); // only after the camera reported it arrived
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

  it("goes wide after 6 s of silence", () => {
    const room = Room.settled();
    room.play(3, speech(0));
    const lastSpeech = room.t;
    room.quiet(8);
    const wide = room.lastCut()!;
    expect(wide).toMatchObject({
      camera: "cam-toan",
      preset: "wide",
      reason: expect.stringMatching(/nobody has spoken/),
    });
    expect(wide.t - lastSpeech).toBeGreaterThanOrEqual(6);
    expect(wide.t - lastSpeech).toBeLessThan(7 + 1.5);
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

  it("drops and counts out-of-order frames and NaN levels", () => {
    const room = Room.settled();
    const t = room.t;
    expect(room.engine.levels(t - 1, [-10, -10, -10])).toEqual([]);
    room.play(3, () => [Number.NaN, -20, QUIET]);
    expect(room.engine.dropped).toEqual({ frames: 1, levels: 60 });
    expect(room.lastCut()?.seat).toBe("cong-dan");
  });
});
