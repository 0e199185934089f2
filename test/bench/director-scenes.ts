// Runs the auto director and the usual loudest-mic recipe over scene files and prints issue 7's figures.
//   node --import tsx test/bench/director-scenes.ts [scene.json ...] [--room room-profile.json]
//     [--parameters '{"silenceToWideS": 6}']   (director parameters over the defaults or the room's, to compare)
// Without a room profile (default scenes: every committed one), the room is assumed to have one preset per
// channel's seat on each of two cameras, plus a wide camera. Cameras reach a preset 0.8 s after a move.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { loadProfile, loadRoom } from "@rc/hardware-profiles";
import {
  type Decision,
  type DirectorConfig,
  DirectorEngine,
  type DirectorParameters,
  directorConfigFromRoom,
} from "@rc/room-agent";
import { type AudioScene, audioScene } from "@rc/simulators";
import { BaselineDirector } from "./director/baseline-director.ts";
import { type SceneScore, scoreScene } from "./director/scene-score.ts";

const MOVE_S = 0.8;
const SCENES_DIR = join(import.meta.dirname, "../../simulators/src/audio-scene/scenes");

const roomArgument = process.argv.indexOf("--room");
const roomFile = roomArgument > 0 ? process.argv[roomArgument + 1] : undefined;
const parametersArgument = process.argv.indexOf("--parameters");
const parameters: Partial<DirectorParameters> =
  parametersArgument > 0 ? JSON.parse(process.argv[parametersArgument + 1] ?? "{}") : {};

function roomFor(scene: AudioScene): DirectorConfig {
  if (roomFile) {
    const { room } = loadRoom(roomFile);
    const mixer = room.devices.find((device) => device.kind === "mixer")?.id ?? "";
    const config = directorConfigFromRoom(room, mixer);
    if (!config) throw new Error(`${roomFile}: no director section, or no seats with a mic on ${mixer} and a camera`);
    return { ...config, channels: scene.channels, parameters: { ...config.parameters, ...parameters } };
  }
  const seats = [...new Set(scene.channels)];
  return {
    channels: scene.channels,
    seats: seats.map((id, index) => ({
      id,
      label: id,
      isChair: index === 0 && /chu-tri|chair/.test(id),
      shots: [
        { camera: "cam-a", preset: id },
        { camera: "cam-b", preset: id },
      ],
    })),
    wide: { camera: "cam-wide", preset: "wide" },
    parameters,
  };
}

function runEngine(scene: AudioScene, config: DirectorConfig): { t: number; seat: string | null }[] {
  const engine = new DirectorEngine(config);
  const cuts: { t: number; seat: string | null }[] = [];
  let arrivals: { at: number; camera: string; preset: string }[] = [];
  const take = (decisions: Decision[]) => {
    for (const d of decisions) {
      if (d.kind === "move") arrivals.push({ at: d.t + MOVE_S, camera: d.camera, preset: d.preset });
      if (d.kind === "cut") cuts.push({ t: d.t, seat: d.seat });
    }
  };
  // The scene is a stretch of a running session: the wide camera is framed and on air.
  take(engine.cameraArrived(config.wide.camera, config.wide.preset, 0));
  engine.operatorActivity(-1e6, config.wide);
  scene.levels.forEach((row, frame) => {
    const t = (frame + 1) / scene.rateHz;
    for (const a of arrivals.filter((a) => a.at <= t)) take(engine.cameraArrived(a.camera, a.preset, t));
    arrivals = arrivals.filter((a) => a.at > t);
    take(engine.levels(t, row));
  });
  return cuts;
}

function runBaseline(scene: AudioScene, config: DirectorConfig): { t: number; seat: string | null }[] {
  const baseline = new BaselineDirector(config);
  return scene.levels.flatMap((row, frame) =>
    baseline.levels((frame + 1) / scene.rateHz, row).map((d) => ({ t: d.t, seat: d.kind === "cut" ? d.seat : null })),
  );
}

const median = (values: number[]) => quantile(values, 0.5);
function quantile(values: number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function row(name: string, who: string, score: SceneScore): string {
  const cells = [
    name.padEnd(28),
    who.padEnd(9),
    `${(score.correctShare * 100).toFixed(1).padStart(5)} %`,
    `${median(score.reactions).toFixed(2).padStart(5)} s`,
    `${quantile(score.reactions, 0.9).toFixed(2).padStart(5)} s`,
    String(score.missedTurns).padStart(6),
    score.cutsPerMinute.toFixed(1).padStart(8),
    score.extraCutsPerMinute.toFixed(1).padStart(9),
    String(score.falseCuts).padStart(6),
  ];
  return cells.join("  ");
}

const files = process.argv
  .slice(2)
  .filter((a, i, all) => !a.startsWith("--") && all[i - 1] !== "--room" && all[i - 1] !== "--parameters");
const sceneFiles = files.length
  ? files
  : readdirSync(SCENES_DIR)
      .filter((f) => f.endsWith(".json"))
      .map((f) => join(SCENES_DIR, f));
console.log(
  [
    "scene".padEnd(28),
    "director".padEnd(9),
    "correct",
    "median",
    "   p90",
    "missed",
    "cuts/min",
    "extra/min",
    " false",
  ].join("  "),
);
const totals = { engine: [] as SceneScore[], baseline: [] as SceneScore[] };
for (const file of sceneFiles) {
  const scene = loadProfile(audioScene, file);
  const config = roomFor(scene);
  // A scene's channels name the room's seats (issue 7's format); a scene made for another room is not this room's.
  const strangers = [...new Set(scene.channels)].filter((seat) => !config.seats.some((s) => s.id === seat));
  if (strangers.length > 0) {
    console.log(`${scene.name.padEnd(28)}  skipped: ${strangers.join(", ")} not a seat of ${roomFile}`);
    continue;
  }
  const engine = scoreScene(scene, runEngine(scene, config));
  const baseline = scoreScene(scene, runBaseline(scene, config));
  totals.engine.push(engine);
  totals.baseline.push(baseline);
  console.log(row(scene.name, "director", engine));
  console.log(row("", "baseline", baseline));
}
for (const [who, scores] of Object.entries(totals)) {
  if (scores.length === 0) break;
  const minutes = scores.reduce((sum, s) => sum + s.minutes, 0);
  const overall: SceneScore = {
    correctShare: scores.reduce((sum, s) => sum + s.correctShare * s.minutes, 0) / minutes,
    reactions: scores.flatMap((s) => s.reactions),
    missedTurns: scores.reduce((sum, s) => sum + s.missedTurns, 0),
    cutsPerMinute: scores.reduce((sum, s) => sum + s.cutsPerMinute * s.minutes, 0) / minutes,
    extraCutsPerMinute: scores.reduce((sum, s) => sum + s.extraCutsPerMinute * s.minutes, 0) / minutes,
    falseCuts: scores.reduce((sum, s) => sum + s.falseCuts, 0),
    minutes,
  };
  console.log(row(`overall (${minutes.toFixed(0)} min)`, who === "engine" ? "director" : who, overall));
}

// CPU: 16 channels at 20 Hz for an hour of meter frames, timed.
const sixteen: DirectorConfig = roomFor({
  ...JSON.parse("{}"),
  channels: Array.from({ length: 16 }, (_, i) => `seat-${i}`),
} as AudioScene);
const engine = new DirectorEngine(sixteen);
const frames = 20 * 3600;
const started = process.cpuUsage();
for (let f = 0; f < frames; f++) {
  const speaker = Math.floor(f / 200) % 16;
  engine.levels(
    f / 20,
    Array.from({ length: 16 }, (_, c) => (c === speaker ? -20 : -60 + (f % 7))),
  );
}
const used = process.cpuUsage(started);
const cpuSeconds = (used.user + used.system) / 1e6;
console.log(
  `\nengine CPU, 16 channels at 20 Hz: ${((cpuSeconds / 3600) * 100).toFixed(3)} % of one core (budget < 1 %)`,
);
