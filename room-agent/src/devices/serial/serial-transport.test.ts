import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PtyPair } from "@rc/simulators";
import { afterEach, describe, expect, it } from "vitest";
import { portAppears } from "./serial-transport.ts";

const settled = (promise: Promise<void>, withinMs: number) =>
  Promise.race([promise.then(() => "appeared"), new Promise((resolve) => setTimeout(resolve, withinMs, "waiting"))]);

describe("portAppears", () => {
  const dir = mkdtempSync(join(tmpdir(), "rc-port-"));
  const stops: (() => unknown)[] = [];
  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop();
  });

  it("resolves when a missing port's pty is plugged in (socat makes its link)", async () => {
    const pair = new PtyPair(join(dir, "dsp-end"), join(dir, "ttyUSB0"));
    const abort = new AbortController();
    stops.push(
      () => abort.abort(),
      () => pair.stop(),
    );
    const appeared = portAppears(pair.hostPath, abort.signal);
    expect(await settled(appeared, 100)).toBe("waiting");
    await pair.start();
    expect(await settled(appeared, 2000)).toBe("appeared");
  });

  it("never resolves for a port that is there (its failure was something else), nor after the wait is ended", async () => {
    const present = join(dir, "ttyS0");
    writeFileSync(present, "");
    const abort = new AbortController();
    stops.push(() => abort.abort());
    expect(await settled(portAppears(present, abort.signal), 200)).toBe("waiting");
    const later = join(dir, "ttyS1");
    const ended = portAppears(later, abort.signal);
    abort.abort();
    writeFileSync(later, "");
    expect(await settled(ended, 200)).toBe("waiting");
  });

  it("never resolves when the port's folder does not exist", async () => {
    const abort = new AbortController();
    stops.push(
      () => abort.abort(),
      () => rmSync(dir, { recursive: true, force: true }),
    );
    expect(await settled(portAppears(join(dir, "no-such-folder", "ttyUSB0"), abort.signal), 200)).toBe("waiting");
  });
});
