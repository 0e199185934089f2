// scripts/setup.sh on a site machine, without a container: the script runs in a copy of the tree with fake Debian
// tools (dpkg-query, apt-get, systemctl) first on PATH, each writing what it was asked to a log. A Mosquitto that was
// installed (and running) before the script is never stopped or disabled; one the run installed itself is.
import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";

const SETUP = fileURLToPath(new URL("../scripts/setup.sh", import.meta.url));

/** Fake tools: each logs "name args…"; dpkg-query says "installed" for every package not in $FAKE_MISSING. */
const FAKES: Record<string, string> = {
  "dpkg-query": `for p in $FAKE_MISSING; do [ "$p" = "\${@: -1}" ] && exit 1; done; printf 'install ok installed'`,
  "apt-get": `echo "apt-get $*" >> "$FAKE_LOG"`,
  systemctl: `echo "systemctl $*" >> "$FAKE_LOG"`,
  node: `echo v20.19.0`,
  npm: `echo "npm $*" >> "$FAKE_LOG"`,
  cc: `echo "cc $*" >> "$FAKE_LOG"; while [ $# -gt 0 ]; do [ "$1" = -o ] && touch "$2"; shift; done`,
};

function siteMachine() {
  const root = mkdtempSync(join(tmpdir(), "rc-setup-"));
  const bin = join(root, "bin");
  const tree = join(root, "repo");
  for (const dir of [bin, join(tree, "scripts"), join(tree, "controller/mosquitto"), join(tree, "node_modules")]) {
    mkdirSync(dir, { recursive: true });
  }
  for (const [name, body] of Object.entries(FAKES)) {
    writeFileSync(join(bin, name), `#!/bin/bash\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  }
  copyFileSync(SETUP, join(tree, "scripts/setup.sh"));
  writeFileSync(join(tree, "scripts/fetch-firmata-hex.sh"), 'echo "fetch-firmata-hex" >> "$FAKE_LOG"\n');
  writeFileSync(join(tree, "package-lock.json"), "{}\n");
  writeFileSync(join(tree, "controller/mosquitto/client-id-plugin.c"), "\n");
  const log = join(root, "log");
  writeFileSync(log, "");
  const run = (missing: string[]) => {
    writeFileSync(log, "");
    execFileSync("bash", [join(tree, "scripts/setup.sh")], {
      env: { PATH: `${bin}:/usr/bin:/bin`, FAKE_LOG: log, FAKE_MISSING: missing.join(" ") },
      encoding: "utf8",
    });
    return readFileSync(log, "utf8").trim().split("\n").filter(Boolean);
  };
  return { root, run };
}

describe("scripts/setup.sh on a machine that already runs Mosquitto", () => {
  const roots: string[] = [];
  afterEach(() => {
    for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
  });

  it("installs what is missing and leaves the running broker alone", () => {
    const machine = siteMachine();
    roots.push(machine.root);
    const calls = machine.run(["socat", "sox"]);
    expect(calls).toContain("apt-get install -y -qq --no-install-recommends socat sox");
    expect(calls.filter((call) => call.startsWith("systemctl"))).toEqual([]);
  });

  it("stops only a broker it installed itself", () => {
    const machine = siteMachine();
    roots.push(machine.root);
    const calls = machine.run(["mosquitto", "socat"]);
    expect(calls).toContain("apt-get install -y -qq --no-install-recommends mosquitto socat");
    expect(calls.filter((call) => call.startsWith("systemctl"))).toEqual(["systemctl disable --now mosquitto"]);
  });

  it("with nothing missing, installs nothing and touches no service", () => {
    const machine = siteMachine();
    roots.push(machine.root);
    const calls = machine.run([]);
    expect(calls.filter((call) => /^(apt-get|systemctl)/.test(call))).toEqual([]);
    expect(calls).toContain("fetch-firmata-hex");
  });
});
