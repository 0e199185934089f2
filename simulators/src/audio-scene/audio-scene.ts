// An audio scene: what each microphone of a room hears over time, and who is really speaking (the truth).
// DSP simulators play it as meter readings (issue 4); the director benchmark scores shots against the truth (issue 7).
import { z } from "zod";

export const audioScene = z
  .strictObject({
    format: z.literal("rc-audio-scene/1"),
    name: z.string().min(1),
    description: z.string().default(""),
    /** Frames per second of `levelsDb` (the DSP meter rate the scene was measured at). */
    rateHz: z.number().positive().max(1000),
    channels: z
      .array(
        z.strictObject({
          /** The DSP input number (1-based) the mic is wired to. */
          channel: z.int().positive(),
          /** The seat whose mic this is (matches a room profile seat id); null for a mic without a seat. */
          seat: z.string().nullable(),
          label: z.string().default(""),
        }),
      )
      .min(1),
    /** One row per frame, one column per channel, in dBFS (-120 … 0). */
    levelsDb: z.array(z.array(z.number().min(-120).max(0))),
    /** Who is really speaking in the room; a span with no speakers is silence (or only far-end talk). */
    truth: z.array(
      z.strictObject({
        startS: z.number().nonnegative(),
        endS: z.number().nonnegative(),
        speakers: z.array(z.string()),
      }),
    ),
  })
  .superRefine((scene, context) => {
    scene.levelsDb.forEach((row, index) => {
      if (row.length !== scene.channels.length) {
        context.addIssue({
          code: "custom",
          path: ["levelsDb", index],
          message: `${scene.channels.length} levels (one per channel); got ${row.length}`,
        });
      }
    });
  });
export type AudioScene = z.infer<typeof audioScene>;

/** The levels at time t (seconds), holding the last frame; the scene loops when `loop` is set. */
export function levelsAt(scene: AudioScene, t: number, loop = false): number[] {
  const frames = scene.levelsDb.length;
  if (frames === 0) return scene.channels.map(() => -120);
  let index = Math.floor(t * scene.rateHz);
  index = loop ? ((index % frames) + frames) % frames : Math.min(Math.max(index, 0), frames - 1);
  return scene.levelsDb[index]!;
}
