export * from "./line-device.ts";
