// Device model files, one per model: hardware-profiles/devices/{kind}/{model}.json, checked by the kind's schema.
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { z } from "zod";
import { cameraModelProfile } from "./camera-device.ts";
import { loadProfile } from "./load.ts";
import { mixerModelProfile } from "./mixer-device.ts";

export const modelSchemas = {
  camera: cameraModelProfile,
  mixer: mixerModelProfile,
} satisfies Record<string, z.ZodType>;

export type ModelKind = keyof typeof modelSchemas;
export type ModelProfile<K extends ModelKind> = z.output<(typeof modelSchemas)[K]>;
/** The model file a device of kind K has: its checked profile, or undefined for kinds without model files. */
export type ModelOf<K extends string> = K extends ModelKind ? ModelProfile<K> : undefined;

/** Found through the package (not this file's URL), so the bundled agent in dist/ finds the same folder. */
export const DEVICE_MODELS_DIR = join(
  dirname(createRequire(import.meta.url).resolve("@rc/hardware-profiles/package.json")),
  "devices",
);

export function modelFile(kind: ModelKind, model: string, dir = DEVICE_MODELS_DIR): string {
  return join(dir, kind, `${model}.json`);
}

export function loadModelProfile<K extends ModelKind>(
  kind: K,
  model: string,
  dir = DEVICE_MODELS_DIR,
): ModelProfile<K> {
  return loadProfile(modelSchemas[kind], modelFile(kind, model, dir)) as ModelProfile<K>;
}
