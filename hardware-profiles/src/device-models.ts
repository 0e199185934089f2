// Device model files, one per model: hardware-profiles/devices/{kind}/{model}.json, checked by the kind's schema.
import { join } from "node:path";
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

export const DEVICE_MODELS_DIR = new URL("../devices/", import.meta.url).pathname;

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
