// The deployment kit's systemd units (deploy/systemd/) as systemd itself reads them: `systemd-analyze verify` accepts
// each without a word, and the same check rejects a unit that systemd would half ignore (a misspelt value, a key it
// does not know) or refuse (no ExecStart).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO } from "./support/processes.ts";

const UNITS = join(REPO, "deploy/systemd");
const scratch = mkdtempSync(join(tmpdir(), "rc-units-"));

/** What systemd says of the unit: the exit code, and its lines about this unit (warnings keep exit 0). */
function verify(file: string): { code: number | null; complaints: string[] } {
  const run = spawnSync("systemd-analyze", ["verify", file], { encoding: "utf8", timeout: 30_000 });
  if (run.error) throw run.error;
  const complaints = `${run.stdout}${run.stderr}`
    .split("\n")
    .filter((line) => line.includes(basename(file)) || line.includes(basename(file, ".service")));
  return { code: run.status, complaints };
}

/** A variant of a unit under the same name in a folder of its own. */
function variant(unit: string, change: (text: string) => string): string {
  const dir = mkdtempSync(join(scratch, "variant-"));
  const file = join(dir, unit);
  writeFileSync(file, change(readFileSync(join(UNITS, unit), "utf8")));
  return file;
}

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("systemd units of the deployment kit", () => {
  const units = readdirSync(UNITS).filter((file) => file.endsWith(".service"));

  it("has the agent's and the controller's unit", () => {
    expect(units.sort()).toEqual(["room-agent.service", "room-controller.service"]);
  });

  for (const unit of units) {
    it(`${unit} passes systemd-analyze verify with nothing to say`, () => {
      expect(verify(join(UNITS, unit))).toEqual({ code: 0, complaints: [] });
    });

    it(`${unit} restarts on failure, logs to the journal, runs as its own user`, () => {
      const text = readFileSync(join(UNITS, unit), "utf8");
      expect(text).toMatch(/^Restart=on-failure$/m);
      expect(text).toMatch(/^StandardError=journal$/m);
      expect(text).toMatch(/^User=room-(agent|controller)$/m);
    });
  }

  it("the agent's unit opens serial ports and video devices through its groups", () => {
    expect(readFileSync(join(UNITS, "room-agent.service"), "utf8")).toMatch(/^SupplementaryGroups=dialout video/m);
  });

  it("rejects a misspelt value and an unknown key (systemd would ignore them with a warning)", () => {
    const misspelt = verify(
      variant("room-agent.service", (text) => text.replace("Restart=on-failure", "Restart=on-failur")),
    );
    expect(misspelt.complaints.join("\n")).toMatch(/Failed to parse service restart specifier/);
    const unknown = verify(variant("room-agent.service", (text) => text.replace("KillMode=", "KilMode=")));
    expect(unknown.complaints.join("\n")).toMatch(/Unknown key 'KilMode'/);
  });

  it("rejects a unit without a command to run", () => {
    const result = verify(variant("room-controller.service", (text) => text.replace(/^ExecStart=.*$/m, "")));
    expect(result.code).not.toBe(0);
    expect(result.complaints.join("\n")).toMatch(/no ExecStart=/);
  });
});
