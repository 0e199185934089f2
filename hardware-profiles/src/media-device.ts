// The media worker (GStreamer program, links between points, recording): the room profile's device line with the
// room's media parameters. Defaults suit a real room; the demo and tests bind to loopback and pick their own ports.
import { z } from "zod";
import { deviceEntryBase, id } from "./device-entry.ts";

/**
 * Where a picture or the room's sound comes from, besides the cameras' own streams:
 * `testsrc:red` (a solid colour: red, green, blue, white, black, yellow, cyan, magenta, or #rrggbb), `testsrc:smpte`,
 * `testsrc:ball`; for sound `testsrc:440` (a sine tone in Hz; `testsrc:440:0.05` at that volume), `silence`, `alsa:hw:1,0`, `pulse`; any other
 * `scheme://` URI (rtsp://, file://, http://) is opened as a stream.
 */
export const MEDIA_SOURCE_PATTERN =
  /^(testsrc:[#\w]+(:[\d.]+)?|silence|pulse|alsa:[\w:,.-]+|[a-z][a-z0-9+.-]*:\/\/\S+)$/;
const mediaSource = z
  .string()
  .regex(MEDIA_SOURCE_PATTERN, "a source: testsrc:NAME, silence, pulse, alsa:DEVICE or a URI such as rtsp://…");

export const mediaDeviceEntry = deviceEntryBase.extend({
  kind: z.literal("media"),
  /** The picture every link carries and every recording keeps. */
  video: z
    .strictObject({
      width: z.int().min(160).max(3840).default(1280),
      height: z.int().min(90).max(2160).default(720),
      fps: z.int().min(5).max(60).default(25),
      bitrateKbps: z.int().min(100).max(20_000).default(2500),
      /**
       * Seconds between key frames: how long a new peer waits for a picture, the recording's split grain, and the
       * most of the recording a crashed media worker loses (the recorder holds the pictures since the last key frame
       * until the next one, to split before a key frame). 1 s: the chaos suite's worker kills left holes of up to
       * 3.7 s with 2 s (budget 3 s).
       */
      keyframeS: z.number().min(0.5).max(10).default(1),
    })
    .prefault({}),
  audio: z
    .strictObject({
      /** The room's sound as the PC hears it (the DSP's output into the sound card). */
      input: mediaSource.default("alsa:default"),
      bitrateKbps: z.int().min(32).max(320).default(128),
    })
    .prefault({}),
  /** Camera pictures by camera id, overriding the stream URI the camera reported over ONVIF. */
  inputs: z.record(id, mediaSource).default({}),
  srt: z
    .strictObject({
      /** The address the listener for peers binds to. */
      bind: z.string().min(1).default("0.0.0.0"),
      port: z.int().min(1).max(65535).default(9000),
      /** SRT's receive buffer in ms: about 4 × the round trip to the farthest peer, never under 20. */
      latencyMs: z.int().min(20).max(8000).default(120),
    })
    .prefault({}),
  recordings: z
    .strictObject({
      /** Segments go to {dir}/{session}/{room}/; a relative dir is from the agent's working folder. */
      dir: z.string().min(1).default("recordings"),
      segmentS: z
        .int()
        .min(2)
        .max(24 * 3600)
        .default(600),
      /** Below this much free space recording stops with an alarm instead of filling the disk. */
      minFreeMb: z.int().min(1).default(2048),
    })
    .prefault({}),
  /** The panel preview: a JPEG of the program (and of each received picture) at this size, refreshed fps times a second. */
  snapshot: z
    .strictObject({
      width: z.int().min(64).max(1920).default(320),
      height: z.int().min(36).max(1080).default(180),
      fps: z.int().min(1).max(5).default(1),
    })
    .prefault({}),
  /** What the room's screen shows the far end on: a window, or nothing (a headless PC, tests). */
  display: z.enum(["window", "none"]).default("window"),
});
export type MediaDeviceEntry = z.infer<typeof mediaDeviceEntry>;
