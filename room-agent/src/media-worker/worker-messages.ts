// What crosses the agent ⇄ media worker channel (worker-channel.ts), defined once and checked on receipt on both sides: the worker
// is a separate process that may be older, newer or half-dead, and a bad message must become a log line, not a throw.
// It lives with the worker, whose interface it is; the agent's handle on the child (devices/media/worker-process.ts)
// and the media driver import it from here.
import { DEVICE_STATUSES } from "@rc/protocol";
import { z } from "zod";

const name = z.string().regex(/^[a-z0-9][a-z0-9-]*$/);
const rgb = z.tuple([z.number(), z.number(), z.number()]);

/** Everything the worker converges to; the agent sends it whole after every change (the worker diffs). */
export const mediaConfig = z.strictObject({
  room: name,
  video: z.strictObject({
    width: z.int().positive(),
    height: z.int().positive(),
    fps: z.int().positive(),
    bitrateKbps: z.int().positive(),
    keyframeS: z.number().positive(),
  }),
  audio: z.strictObject({ input: z.string(), bitrateKbps: z.int().positive() }),
  /**
   * The program's inputs in switcher order; uri null while the camera has not told its stream yet. login: what the
   * camera's RTSP asks for (its ONVIF login), given to rtspsrc and never logged.
   */
  cameras: z.array(
    z.strictObject({
      id: name,
      uri: z.string().nullable(),
      login: z.strictObject({ user: z.string(), password: z.string() }).optional(),
    }),
  ),
  /** The camera the program should show (the switcher's own choice survives a worker restart through this). */
  programCamera: name.nullable(),
  /** The SRT listener peers pull the program from; null outside a session (no passphrase, nothing to serve). */
  sender: z
    .strictObject({ bind: z.string(), port: z.int(), latencyMs: z.int(), passphrase: z.string().min(10) })
    .nullable(),
  links: z.array(
    z.strictObject({
      peer: name,
      /** null when the controller gave no address for this peer: the link is reported down with that reason. */
      host: z.string().nullable(),
      port: z.int().nullable(),
      passphrase: z.string().min(10),
      latencyMs: z.int(),
      /** The track of the peer's stream this room plays: a relay host's mix-minus for it; null: the only one. */
      soundTrack: z.int().nonnegative().nullable(),
      /** A guest point's decoder, which a relay host calls to send it the session program; null for our agents. */
      send: z.strictObject({ host: z.string(), port: z.int() }).nullable(),
    }),
  ),
  /** How the received pictures share the screen: a grid (central point) or the one picture (component point). */
  layout: z.enum(["grid", "single"]),
  display: z.enum(["window", "none"]),
  /** Where segments go while recording; null when not recording. */
  recording: z
    .strictObject({
      /** The folder {dir}/{session}/{room}, made by the agent. */
      folder: z.string().min(1),
      segmentS: z.int().positive(),
    })
    .nullable(),
  snapshot: z.strictObject({ width: z.int().positive(), height: z.int().positive(), fps: z.int().positive() }),
});
export type MediaConfig = z.infer<typeof mediaConfig>;

export const toWorker = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("configure"), config: mediaConfig }),
  z.strictObject({ type: z.literal("cut"), id: z.int(), camera: name }),
  z.strictObject({ type: z.literal("snapshot"), id: z.int(), source: name }),
  z.strictObject({ type: z.literal("ping"), id: z.int() }),
  /** Close the recording cleanly and stop every pipeline; the worker answers, then the agent ends it. */
  z.strictObject({ type: z.literal("stop"), id: z.int() }),
]);
export type ToWorker = z.infer<typeof toWorker>;

const linkStatus = z.strictObject({
  status: z.enum(DEVICE_STATUSES),
  detail: z.string(),
  /** From SRT's own statistics; null while not connected. */
  bitrateKbps: z.number().nullable(),
  rttMs: z.number().nullable(),
  lossPercent: z.number().nullable(),
  frames: z.int(),
});
export type LinkStatus = z.infer<typeof linkStatus>;

/** One GStreamer pipeline's condition: playing, (re)starting, or failed with the reason and the next try. */
export const partStatus = z.strictObject({
  state: z.enum(["starting", "playing", "failed", "stopped"]),
  detail: z.string(),
});
export type PartStatus = z.infer<typeof partStatus>;

export const mediaStatus = z.strictObject({
  program: partStatus.extend({ camera: name.nullable(), frames: z.int() }),
  cameras: z.record(name, partStatus),
  audio: partStatus,
  sender: partStatus.extend({ port: z.int(), callers: z.int() }).nullable(),
  links: z.record(name, linkStatus),
  display: partStatus.nullable(),
  /** At a relay host, the session program's way to each guest point's decoder, by peer. */
  sends: z.record(name, partStatus).default({}),
  /** At a relay host, the point shown large in the session program (the one speaking); null elsewhere. */
  speaker: name.nullable(),
  recording: partStatus
    .extend({
      segment: z.string().nullable(),
      /** At a relay host, the session program's segment being written. */
      sessionSegment: z.string().nullable().default(null),
    })
    .nullable(),
});
export type MediaStatus = z.infer<typeof mediaStatus>;

export const fromWorker = z.discriminatedUnion("type", [
  /**
   * Sent to every agent that connects: adopted when the worker was already running for an agent that died (its
   * pipelines and recording went on), with the camera its program shows.
   */
  z.strictObject({ type: z.literal("ready"), pid: z.int(), adopted: z.boolean(), programCamera: name.nullable() }),
  /** A log line of the worker's, for the agent's log (kept while no agent is connected, and sent on adoption). */
  z.strictObject({
    type: z.literal("log"),
    level: z.enum(["info", "warn", "error"]),
    msg: z.string(),
    data: z.record(z.string(), z.unknown()),
  }),
  /** GStreamer or one of the elements the media needs is missing: the worker says why and ends. */
  z.strictObject({ type: z.literal("unavailable"), reason: z.string() }),
  /** The answer to a request: a result, or the reason it failed. */
  z.strictObject({ type: z.literal("reply"), id: z.int(), result: z.unknown(), error: z.string().optional() }),
  z.strictObject({ type: z.literal("status"), status: mediaStatus }),
  z.strictObject({ type: z.literal("cut"), camera: name, at: z.number() }),
  /** A recording segment was opened or closed (by a split, a stop or a restart); times are wall-clock ms. */
  z.strictObject({
    type: z.literal("segment"),
    /** The room's own program, or (at a relay host) the session program. */
    recording: z.enum(["program", "session"]).default("program"),
    phase: z.enum(["opened", "closed"]),
    file: z.string(),
    at: z.number(),
  }),
  /** The mean colour of a picture changed clearly (a cut, here or at the far end): source is program or a peer. */
  z.strictObject({ type: z.literal("picture"), source: name, rgb, at: z.number() }),
]);
export type FromWorker = z.infer<typeof fromWorker>;

export interface SnapshotResult {
  source: string;
  /** Wall-clock ms of the frame. */
  at: number;
  width: number;
  height: number;
  jpegBase64: string;
  meanRgb: [number, number, number];
  /** The picture shrunk to 8×8, row by row (64 colours): which colour is where, e.g. a session program's tiles. */
  cells: [number, number, number][];
}
