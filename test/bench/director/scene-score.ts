// How well a director's cuts follow who really spoke in a scene (issue 7's figures). Pure.
import type { AudioScene } from "@rc/simulators";

export interface SceneScore {
  correctShare: number;
  reactions: number[];
  missedTurns: number;
  cutsPerMinute: number;
  extraCutsPerMinute: number;
  falseCuts: number;
  minutes: number;
}

/** Time after each change of the truth that is not scored: nobody can cut before the new talker is heard. */
const GRACE_S = 1.2;
const TURN_MIN_S = 2;
const FALSE_CUT_LOOKBACK_S = 3;

function wantedOf(speakers: string[]): string | null {
  return speakers.length === 1 ? speakers[0]! : null;
}

/** `cuts`: the program's changes, in time order, each to a seat or to wide (null); the program starts wide. */
export function scoreScene(scene: AudioScene, cuts: { t: number; seat: string | null }[]): SceneScore {
  const duration = scene.levels.length / scene.rateHz;
  const programAt = (t: number) => {
    let seat: string | null = null;
    for (const cut of cuts) {
      if (cut.t > t) break;
      seat = cut.seat;
    }
    return seat;
  };
  const step = 1 / scene.rateHz;
  let counted = 0;
  let correct = 0;
  let lastChange = Number.NEGATIVE_INFINITY;
  let previous: string | undefined;
  for (const span of scene.truth) {
    const key = span.speakers.join();
    if (key !== previous) lastChange = span.from;
    previous = key;
    const wanted = wantedOf(span.speakers);
    for (let t = span.from; t < Math.min(span.to, duration); t += step) {
      if (t - lastChange < GRACE_S) continue;
      counted++;
      if (programAt(t) === wanted) correct++;
    }
  }

  const reactions: number[] = [];
  let missedTurns = 0;
  for (const span of scene.truth) {
    const seat = wantedOf(span.speakers);
    if (seat === null || span.to - span.from < TURN_MIN_S || programAt(span.from) === seat) continue;
    const cut = cuts.find((c) => c.seat === seat && c.t >= span.from && c.t <= span.to);
    if (cut) reactions.push(cut.t - span.from);
    else missedTurns++;
  }

  let wantedChanges = 0;
  let lastWanted: string | null = null;
  for (const span of scene.truth) {
    const wanted = wantedOf(span.speakers);
    if (wanted !== lastWanted) wantedChanges++;
    lastWanted = wanted;
  }
  const speaking = (seat: string, from: number, to: number) =>
    scene.truth.some((span) => span.speakers.includes(seat) && span.from <= to && span.to >= from);
  const falseCuts = cuts.filter(
    (cut) => cut.seat !== null && !speaking(cut.seat, cut.t - FALSE_CUT_LOOKBACK_S, cut.t),
  ).length;
  const minutes = duration / 60;
  return {
    correctShare: counted ? correct / counted : 1,
    reactions,
    missedTurns,
    cutsPerMinute: cuts.length / minutes,
    extraCutsPerMinute: Math.max(0, cuts.length - wantedChanges) / minutes,
    falseCuts,
    minutes,
  };
}
