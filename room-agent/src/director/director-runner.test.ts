// The runner with stand-ins for the mixer, the cameras and the switcher (the real drivers are other issues).
import { EventEmitter } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import { type DirectorEvent, DirectorRunner } from "./director-runner.ts";

const CONFIG = {
  channels: ["chu-tri", "cong-dan"],
  seats: [
    { id: "chu-tri", label: "Chủ trì", isChair: true, shots: [{ camera: "cam-a", preset: "chu-tri" }] },
    { id: "cong-dan", label: "Công dân", isChair: false, shots: [{ camera: "cam-b", preset: "cong-dan" }] },
  ],
  wide: { camera: "cam-toan", preset: "wide" },
};

class Stand {
  now = 0;
  readonly meters = new EventEmitter<{ meters: [number, number[]] }>();
  readonly log: string[] = [];
  onAir: string | null = null;
  readonly cameras = {
    recall: async (camera: string, preset: string) => {
      if (camera === this.onAir) throw new Error(`${camera} is on air`);
      this.log.push(`recall ${camera} ${preset}`);
      await new Promise((resolve) => setImmediate(resolve)); // arrives about one meter frame later
    },
  };
  readonly switcher = {
    cut: async (camera: string) => {
      this.onAir = camera;
      this.log.push(`cut ${camera}`);
    },
  };
}

describe("director runner", () => {
  const runners: DirectorRunner[] = [];
  afterEach(() => {
    for (const runner of runners.splice(0)) runner.stop();
  });

  it("recalls presets only off air, cuts after the camera arrived, and explains every decision", async () => {
    const stand = new Stand();
    const runner = new DirectorRunner(CONFIG, stand.meters, stand.cameras, stand.switcher, () => stand.now);
    runners.push(runner);
    const events: DirectorEvent[] = [];
    runner.on("decision", (event) => events.push(event));
    runner.start();
    runner.startSession();
    const frames = async (seconds: number, levels: number[]) => {
      for (let i = 0; i < seconds * 20; i++) {
        stand.now += 50;
        stand.meters.emit("meters", stand.now, levels);
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    await frames(16, [-70, -70]);
    await frames(4, [-20, -36]);
    await frames(5, [-36, -20]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    // The seat cameras are framed off air in advance (the chair, then the next seat), so the cuts need no move.
    expect(stand.log).toEqual([
      "recall cam-toan wide",
      "recall cam-a chu-tri",
      "recall cam-b cong-dan",
      "cut cam-toan",
      "cut cam-a",
      "cut cam-b",
    ]);
    expect(events.filter((e) => e.kind === "cut").map((e) => e.reason)).toEqual([
      expect.stringMatching(/session start.*arrived/),
      expect.stringMatching(/Chủ trì speaking for 0\.\d s; hold time over/),
      expect.stringMatching(/Công dân speaking for 0\.\d s, Chủ trì silent; hold time over/),
    ]);
    // Each cut also carries its cause as a code with parameters, for panels and dashboards to word.
    expect(events.filter((e) => e.kind === "cut").map((e) => e.cause)).toEqual([
      { code: "session_start" },
      { code: "speaker", seats: ["chu-tri"] },
      { code: "speaker", seats: ["cong-dan"] },
    ]);
    expect(events.filter((e) => e.kind === "move").map((e) => e.reason)).toEqual([
      expect.stringMatching(/framing off air: wide: session start/),
      "getting ready off air: Chủ trì chairs",
      "getting ready off air: Công dân is next in seat order",
    ]);
    expect(events.some((e) => e.kind === "warning")).toBe(false);
  });

  it("takes a move it replaced itself for no failure of the camera", async () => {
    // One camera frames both seats; like the real driver, a recall still on its way fails when a newer one replaces it.
    const config = {
      ...CONFIG,
      seats: CONFIG.seats.map((seat) => ({ ...seat, shots: [{ camera: "cam-a", preset: seat.id }] })),
    };
    const log: string[] = [];
    const pending = new Map<string, (error: Error) => void>();
    const cameras = {
      recall: (camera: string, preset: string) =>
        new Promise<void>((resolve, reject) => {
          log.push(`recall ${camera} ${preset}`);
          pending.get(camera)?.(new Error(`the move was replaced by preset ${preset}`));
          pending.set(camera, reject);
          // The wide camera and the second preset arrive; the first seat preset is still travelling when replaced.
          if (camera !== "cam-a" || preset === "cong-dan") setImmediate(resolve);
        }),
    };
    const meters = new EventEmitter<{ meters: [number, number[]] }>();
    let now = 0;
    const runner = new DirectorRunner(config, meters, cameras, { cut: async () => {} }, () => now);
    runners.push(runner);
    const events: DirectorEvent[] = [];
    runner.on("decision", (event) => events.push(event));
    runner.start();
    runner.startSession();
    for (const levels of [...Array(40).fill([-70, -70]), ...Array(40).fill([-70, -20])]) {
      now += 50;
      meters.emit("meters", now, levels);
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(log).toEqual(["recall cam-toan wide", "recall cam-a chu-tri", "recall cam-a cong-dan"]);
    expect(events.filter((e) => e.kind === "warning")).toEqual([]);
  });

  it("stops cutting in manual mode", async () => {
    const stand = new Stand();
    const runner = new DirectorRunner(CONFIG, stand.meters, stand.cameras, stand.switcher, () => stand.now);
    runners.push(runner);
    runner.start();
    runner.setMode("manual");
    for (let i = 0; i < 200; i++) {
      stand.now += 50;
      stand.meters.emit("meters", stand.now, [-20, -40]);
    }
    expect(runner.mode).toBe("manual");
    expect(stand.log).toEqual([]);
  });
});
