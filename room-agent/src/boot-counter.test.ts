// The boot counter on disk: it counts up, and it is the agent's user's alone.
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { nextBoot } from "./boot-counter.ts";

const modeOf = (path: string) => statSync(path).mode & 0o777;

describe("boot counter", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it("fault 9: boot.json and the agent's folder are owner-only, also when an older version left them open", async () => {
    const root = mkdtempSync(join(tmpdir(), "rc-boot-"));
    dirs.push(root);
    const dataDir = join(root, "agent-xa-a");
    expect(await nextBoot(dataDir)).toBe(1);
    expect(modeOf(join(dataDir, "boot.json"))).toBe(0o600);
    expect(modeOf(dataDir)).toBe(0o700);

    // As an older agent left them: readable by everyone.
    chmodSync(dataDir, 0o755);
    writeFileSync(join(dataDir, "boot.json"), `${JSON.stringify({ boot: 41 })}\n`, { mode: 0o644 });
    chmodSync(join(dataDir, "boot.json"), 0o644);
    expect(await nextBoot(dataDir)).toBe(42);
    expect(modeOf(join(dataDir, "boot.json"))).toBe(0o600);
    expect(modeOf(dataDir)).toBe(0o700);
  });
});
