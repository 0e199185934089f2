// An audio scene: what each microphone of a room hears over time, and who is really speaking (the truth).
// The format is fixed by issue 7 so that scenes made anywhere can be run:
//   {"name", "rateHz", "channels": [seat names], "levels": [[dB per channel] per frame, from t = 0],
//    "truth": [{"from": s, "to": s, "speakers": [seat names]}]}
// DSP simulators play `levels` as meter readings (channel i of the scene = the i-th mic of the room, unless a room
// profile maps seats to DSP inputs); the director benchmark scores shots against `truth`.
import { z } from "zod";

export const audioScene = z
  .object({
    name: z.string().min(1),
    /** Frames per second of `levels` (the meter rate the scene was measured at). */
    rateHz: z.number().positive().max(1000),
    /** The seat of each mic channel, in channel order; seat names match the room profile's seats. */
    channels: z.array(z.string().min(1)).min(1),
    /** One row per frame from t = 0, one column per channel, in dBFS. */
    levels: z.array(z.array(z.number())),
    /** Who is really speaking in the room; a span with no speakers is silence (or only far-end talk). */
    truth: z.array(
      z.object({
        from: z.number().nonnegative(),
        to: z.number().nonnegative(),
        speakers: z.array(z.string()),
      }),
    ),
  })
  .superRefine((scene, context) => {
    scene.levels.forEach((row, index) => {
      if (row.length !== scene.channels.length) {
        context.addIssue({
          code: "custom",
          path: ["levels", index],
          message: `${scene.channels.length} levels (one per channel); got ${row.length}`,
        });
      }
    });
  });
export type AudioScene = z.infer<typeof audioScene>;

/** The levels at time t (seconds), holding the last frame; the scene loops when `loop` is set. */
export function levelsAt(scene: AudioScene, t: number, loop = false): number[] {
  const frames = scene.levels.length;
  if (frames === 0) return scene.channels.map(() => -120);
  let index = Math.floor(t * scene.rateHz);
  index = loop ? ((index % frames) + frames) % frames : Math.min(Math.max(index, 0), frames - 1);
  return scene.levels[index]!;
}
