// The parts of gstreamer-superficial (a CommonJS native addon without types) that the camera picture uses.
import { createRequire } from "node:module";

/** A GStreamer element: its GObject properties are plain JS properties (numbers are set as floats, then converted). */
export type GstElement = Record<string, unknown> & {
  /** appsink only: waits (on a libuv pool thread) for the next buffer; null at EOS or when the pipeline stops. */
  pull?(callback: (buffer: Buffer | null, caps: Record<string, unknown>) => void): void;
  /** appsrc only: copies the bytes into a new buffer and pushes it. */
  push?(buffer: Buffer, pts?: Buffer): void;
};

export interface GstPipeline {
  play(): void;
  stop(): void;
  findChild(name: string): GstElement | undefined;
  /** Sends an upstream force-key-unit event from the named element's sink pad. */
  forceKeyUnit(elementName: string, count: number): boolean;
}

interface Binding {
  Pipeline: new (description: string) => GstPipeline;
}

let binding: Binding | undefined;

/** Parses a gst-launch description; a missing element or a syntax error is thrown with GStreamer's message. */
export function launch(description: string): GstPipeline {
  binding ??= createRequire(import.meta.url)("gstreamer-superficial") as Binding;
  return new binding.Pipeline(description);
}

/** An element that must exist in a pipeline this module described itself. */
export function child(pipeline: GstPipeline, name: string): GstElement {
  const element = pipeline.findChild(name);
  if (!element) throw new Error(`pipeline has no element named ${name}`);
  return element;
}
