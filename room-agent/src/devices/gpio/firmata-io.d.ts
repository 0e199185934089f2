// firmata-io ships no types: the part of it the GPIO driver uses.
declare module "firmata-io" {
  import type { EventEmitter } from "node:events";

  interface FirmataOptions {
    /** Ask for the version after this long when the board has not announced itself (it did before we listened). */
    reportVersionTimeout?: number;
  }

  class Firmata extends EventEmitter {
    constructor(transport: NodeJS.EventEmitter & { write(data: Buffer | number[]): unknown }, options?: FirmataOptions);
    isReady: boolean;
    version: { major?: number; minor?: number };
    firmware: { name?: string; version?: { major: number; minor: number } };
    pins: { supportedModes: number[]; mode?: number; value?: number }[];
    MODES: { INPUT: number; OUTPUT: number; PULLUP: number };
    reportVersion(callback: () => void): void;
    pinMode(pin: number, mode: number): void;
    digitalWrite(pin: number, value: number): void;
    digitalRead(pin: number, callback: (value: number) => void): void;
  }

  const firmataIo: { Firmata: typeof Firmata };
  export default firmataIo;
  export type { Firmata };
}
