// The simulators' command lines: -h/--help and --version answer and exit 0 (they threw on --help before), a wrong
// value is a usage error, and each flag can come from its RC_SIM_… variable.
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const PROGRAMS = [
  { file: "onvif-camera/cli.ts", version: /^onvif-camera simulator \d+\.\d+\.\d+\n$/ },
  { file: "firmata-board/cli.ts", version: /^firmata-board simulator \d+\.\d+\.\d+\n$/ },
  { file: "line-device-cli.ts", version: /^line-device simulator \d+\.\d+\.\d+\n$/ },
];

const pathOf = (file: string) => fileURLToPath(new URL(`./${file}`, import.meta.url));

function run(file: string, args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, ["--import", "tsx", pathOf(file), ...args], {
    encoding: "utf8",
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    timeout: 20_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe.each(PROGRAMS)("simulator command line $file", ({ file, version }) => {
  it("answers -h, --help and --version, and refuses an unknown flag with the usage", () => {
    for (const flag of ["-h", "--help"]) {
      const { code, stdout } = run(file, [flag]);
      expect(code, flag).toBe(0);
      expect(stdout).toMatch(/^usage: /);
      expect(stdout).toContain("Each flag can also be set by an environment variable");
    }
    const { code, stdout } = run(file, ["--version"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(version);
    const wrong = run(file, ["--frobnicate"]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/^Unknown option '--frobnicate'[\s\S]*usage: /);
  });
});

describe("simulator flags from the environment", () => {
  it("reads each program's variables", () => {
    expect(run("onvif-camera/cli.ts", [], { RC_SIM_CAMERA_CAMERAS: "0" })).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^--cameras: a whole number ≥ 1, --base-port: a port; got 0 and 8081/),
    });
    expect(run("onvif-camera/cli.ts", [], { RC_SIM_CAMERA_BASE_PORT: "70000" }).stderr).toMatch(/got 1 and 70000/);
    expect(run("firmata-board/cli.ts", [], { RC_SIM_BOARD_BOARD: "a=/tmp/a", RC_SIM_BOARD_SPEED: "2" }).code).toBe(2);
    expect(run("line-device-cli.ts", [], { RC_SIM_LINE_DEVICE_PORT: "70000" }).stderr).toMatch(
      /^--port: a port 0…65535; got 70000/,
    );
  });

  it("lets the command line win over a variable", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", pathOf("line-device-cli.ts"), "--port", "0"], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, RC_SIM_LINE_DEVICE_PORT: "1" },
    });
    try {
      // The command line's --port 0 wins over the variable's 1 (which would need root).
      const [chunk] = (await once(child.stdout, "data")) as [Buffer];
      const ready = JSON.parse(chunk.toString()) as { ready: boolean; port: number };
      expect(ready.ready).toBe(true);
      expect(ready.port).toBeGreaterThan(1024);
    } finally {
      child.kill("SIGTERM");
      await once(child, "exit");
    }
  });
});
