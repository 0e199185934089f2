// The simulated board spoken to in raw Firmata bytes over its pty, as any host would: the real firmware answers its
// version, drives an output, reports a pressed pin, restarts on reset, and vanishes when unplugged.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SerialPort } from "serialport";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../../../test/support/wait-for.ts";
import { parseIntelHex } from "./avr-chip.ts";
import { BoardControl } from "./board-control.ts";
import { FirmataBoard } from "./firmata-board.ts";

const REPORT_VERSION = [0xf9, 0x02, 0x04];
const dir = mkdtempSync(join(tmpdir(), "rc-firmata-board-"));
const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** This file's waits: 5 s unless a test says otherwise, asked every 10 ms. */
function until(what: string, check: () => boolean, timeoutMs = 5000) {
  return waitFor(what, check, timeoutMs, 10);
}

/** The host's end: everything received kept, so a test can look for a message in it. */
async function host(path: string) {
  const port = new SerialPort({ path, baudRate: 57600, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
  port.on("error", () => {});
  cleanups.push(() => port.isOpen && new Promise((resolve) => port.close(resolve)));
  let received = Buffer.alloc(0);
  port.on("data", (chunk: Buffer) => {
    received = Buffer.concat([received, chunk]);
  });
  return {
    send: (bytes: number[]) => port.write(Buffer.from(bytes)),
    has: (bytes: number[]) => received.includes(Buffer.from(bytes)),
    clear: () => {
      received = Buffer.alloc(0);
    },
  };
}

describe("Intel HEX", () => {
  it("loads data records at their addresses and refuses a damaged line by number", () => {
    const flash = new Uint8Array(parseIntelHex(":0400100001020304E2\n:00000001FF\n").buffer);
    expect([...flash.subarray(0x10, 0x14)]).toEqual([1, 2, 3, 4]);
    expect(flash.length).toBe(32 * 1024);
    expect(() => parseIntelHex(":0400100001020304E2\n:0400100001020304E3\n")).toThrow("Intel HEX line 2: bad checksum");
    expect(() => parseIntelHex("hello")).toThrow("Intel HEX line 1: not a record");
    expect(() => parseIntelHex(":047FFE000102030475")).toThrow("Intel HEX line 1: past the end of the flash");
  });
});

describe("simulated StandardFirmata board", () => {
  let board: FirmataBoard;
  beforeAll(async () => {
    board = new FirmataBoard({ hostPath: join(dir, "ttyACM0") });
    await board.start();
  });
  afterAll(async () => {
    await board?.stop();
  });

  it("answers its version, drives an output and reports a pressed input", async () => {
    const wire = await host(board.hostPath);
    wire.send([0xf9]);
    await until("REPORT_VERSION 2.4", () => wire.has(REPORT_VERSION));

    wire.send([0xf4, 5, 0x01, 0x90, 0x20, 0x00]); // pin 5 OUTPUT, port 0 = pin 5 high
    await until("pin 5 high", () => board.isHigh(5), 3000);
    wire.send([0x90, 0x00, 0x00]);
    await until("pin 5 low", () => board.level(5) === "low", 3000);

    // Pin 2 an input with its pull-up (a HIGH write on an INPUT pin), port 0 reported.
    wire.send([0xf4, 2, 0x00, 0x90, 0x04, 0x00, 0xd0, 0x01]);
    await until("pin 2 reported high", () => wire.has([0x90, 0x04, 0x00]), 3000);
    expect(board.level(2)).toBe("input-pullup");
    board.press(2);
    await until("pin 2 reported low", () => wire.has([0x90, 0x00, 0x00]), 3000);
    wire.clear();
    board.release(2);
    await until("pin 2 reported high again", () => wire.has([0x90, 0x04, 0x00]), 3000);
  });

  it("restarts on reset: announces itself again and forgets its outputs", async () => {
    const wire = await host(board.hostPath);
    wire.send([0xf4, 6, 0x01, 0x90, 0x40, 0x00]);
    await until("pin 6 high", () => board.isHigh(6), 3000);
    wire.clear();
    board.reset();
    await until("pin 6 off after the reset", () => !board.isHigh(6), 3000);
    await until("the version announced after the start blink", () => wire.has(REPORT_VERSION), 8000);
    const name = [0xf0, 0x79, 0x02, 0x04, ...Buffer.from("S\0t\0a\0n\0d\0a\0r\0d\0")];
    await until("its name announced after the version", () => wire.has(name), 3000);
  });

  it("is pressed, released and reset through its HTTP control panel, which refuses what it cannot do", async () => {
    const control = new BoardControl(new Map([["xa-an-phu", board]]));
    await control.start();
    cleanups.push(() => control.stop());
    const post = async (path: string) => {
      const response = await fetch(`${control.url}${path}`, { method: "POST" });
      return { status: response.status, body: await response.json() };
    };
    expect(await post("/boards/xa-an-phu/press?pin=4")).toMatchObject({ status: 200, body: { inputs: { 4: "low" } } });
    expect(await post("/boards/xa-an-phu/click?pin=4")).toMatchObject({ status: 200, body: { inputs: { 4: "high" } } });
    expect(await post("/boards/xa-an-phu/reset")).toMatchObject({ status: 200, body: { plugged: true } });
    const listing = await (await fetch(`${control.url}/boards`)).json();
    expect(listing).toMatchObject([{ name: "xa-an-phu", path: board.hostPath, pins: { 13: expect.any(String) } }]);
    expect(await post("/boards/xa-an-phu/press?pin=1")).toEqual({
      status: 400,
      body: { error: "?pin= a pin of the Uno, 2–19; got 1" },
    });
    expect(await post("/boards/khac/reset")).toEqual({
      status: 404,
      body: { error: 'no board "khac" (boards: xa-an-phu)' },
    });
    expect((await post("/boards/xa-an-phu/explode")).status).toBe(404);
  });

  it("vanishes when unplugged and starts afresh when plugged in again", async () => {
    await board.unplug();
    expect(existsSync(board.hostPath)).toBe(false);
    expect(board.level(5)).toBe("low");
    await board.replug();
    expect(existsSync(board.hostPath)).toBe(true);
    const wire = await host(board.hostPath);
    await until("the version after power-up", () => wire.has(REPORT_VERSION), 8000);
  });
});

describe("simulated board with Blink", () => {
  it("blinks pin 13 and says nothing on its serial port", async () => {
    const blink = new FirmataBoard({ hostPath: join(dir, "ttyBlink"), firmware: "Blink" });
    await blink.start();
    cleanups.push(() => blink.stop());
    const wire = await host(blink.hostPath);
    const levels: string[] = [];
    blink.on("pin", (pin, level) => pin === 13 && levels.push(level));
    wire.send([0xf9]);
    await until("pin 13 on and off", () => levels.includes("high") && levels.includes("low"), 3000);
    expect(wire.has([0xf9])).toBe(false);
  });
});
