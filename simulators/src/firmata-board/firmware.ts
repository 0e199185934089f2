// Where the simulated boards' firmware comes from: the prebuilt Uno images in avrgirl-arduino's npm tarball, put
// into node_modules/.cache/firmata/ (outside git) and checked by scripts/fetch-firmata-hex.sh.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseIntelHex } from "./avr-chip.ts";

const REPO = new URL("../../../", import.meta.url).pathname;
const FETCH_SCRIPT = join(REPO, "scripts/fetch-firmata-hex.sh");

/** StandardFirmata 2.4 (a real board for the GPIO driver), or Blink (a board that never answers on its serial port). */
export type FirmwareName = "StandardFirmata" | "Blink";

export function firmwarePath(name: FirmwareName): string {
  return join(REPO, "node_modules/.cache/firmata/uno", `${name}.cpp.hex`);
}

const programs = new Map<FirmwareName, Uint16Array>();

/** The program image, fetched first (by the setup script) when it is not there yet. */
export function loadFirmware(name: FirmwareName): Uint16Array {
  const cached = programs.get(name);
  if (cached) return cached;
  const path = firmwarePath(name);
  if (!existsSync(path)) {
    try {
      execFileSync("bash", [FETCH_SCRIPT], { stdio: ["ignore", "ignore", "pipe"] });
    } catch (error) {
      const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
      throw new Error(`no ${name} firmware at ${path}, and ${FETCH_SCRIPT} failed: ${stderr || String(error)}`);
    }
  }
  const program = parseIntelHex(readFileSync(path, "utf8"));
  programs.set(name, program);
  return program;
}
