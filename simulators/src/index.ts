export * from "./audio-scene/audio-scene.ts";
export * from "./dsp/dsp-simulator.ts";
export * from "./dsp/extron-simulator.ts";
export * from "./dsp/pty-pair.ts";
export * from "./dsp/symetrix-simulator.ts";
export * from "./dsp/tesira-simulator.ts";
export * from "./line-device.ts";
export * from "./onvif-camera/onvif-camera.ts";
