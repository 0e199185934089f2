export * from "./audio-scene/audio-scene.ts";
export * from "./line-device.ts";
