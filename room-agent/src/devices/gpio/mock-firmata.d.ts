// mock-firmata (johnny-five's own test double) ships no types: what the pin map's unit tests use of it.
declare module "mock-firmata" {
  import type { EventEmitter } from "node:events";

  class MockFirmata extends EventEmitter {
    constructor(options?: { pins?: { supportedModes: number[] }[] });
    pins: { supportedModes: number[]; mode: number; value: number }[];
    MODES: { INPUT: number; OUTPUT: number; PULLUP: number; ANALOG: number };
    analogPins: number[];
    pinMode(pin: number, mode: number): void;
    digitalWrite(pin: number, value: number): void;
    digitalRead(pin: number, callback: (value: number) => void): void;
  }

  const mockFirmata: { Firmata: typeof MockFirmata };
  export default mockFirmata;
}
