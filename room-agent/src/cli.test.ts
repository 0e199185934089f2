// The room agent's command line as an integrator meets it: -h/--help and --version answer and exit 0, a wrong flag
// is a usage error (exit 2, not a stack trace), and every flag can come from its RC_AGENT_… variable.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { AGENT_VERSION } from "./agent.ts";

const CLI = fileURLToPath(new URL("./cli.ts", import.meta.url));

function agent(args: string[], env: Record<string, string> = {}) {
  const run = spawnSync(process.execPath, ["--import", "tsx", CLI, ...args], {
    encoding: "utf8",
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    timeout: 20_000,
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe("room-agent command line", () => {
  it("answers -h, --help and --version", () => {
    for (const flag of ["-h", "--help"]) {
      const { code, stdout } = agent([flag]);
      expect(code, flag).toBe(0);
      expect(stdout).toMatch(/^usage: room-agent --room PROFILE\.json --broker URL/);
      expect(stdout).toContain("--archive-url      RC_AGENT_ARCHIVE_URL");
    }
    expect(agent(["--version"])).toMatchObject({ code: 0, stdout: `room-agent ${AGENT_VERSION}\n` });
  });

  it("refuses an unknown flag with the usage, exit 2", () => {
    const { code, stderr } = agent(["--rooom", "x.json"]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^room-agent: Unknown option '--rooom'/);
    expect(stderr).toContain("usage: room-agent");
  });

  it("takes every flag from the environment, and the command line wins", () => {
    // Each variable is proved read by the check it fails (no broker is needed to get that far).
    expect(agent([], { RC_AGENT_ROOM: "/nonexistent/room.json" }).stderr).toMatch(
      /^room-agent: invalid room profile: \/nonexistent\/room\.json: \(file\): a readable file/,
    );
    expect(agent([], { RC_AGENT_ROOM: "x.json", RC_AGENT_KEEPALIVE: "0" }).stderr).toBe(
      "room-agent: --keepalive: expected whole seconds, 1…600\n",
    );
    expect(
      agent(["--keepalive", "5"], { RC_AGENT_ROOM: "/nonexistent/room.json", RC_AGENT_KEEPALIVE: "0" }).stderr,
    ).toMatch(/invalid room profile/);
    expect(agent([], { RC_AGENT_ROOM: "x.json", RC_AGENT_ARCHIVE_URL: "ftp://c" }).stderr).toBe(
      'room-agent: --archive-url: expected http://HOST:PORT or https://…, got "ftp://c"\n',
    );
    expect(agent([], { RC_AGENT_ROOM: "x.json", RC_AGENT_PANEL_PORT: "65536" }).stderr).toBe(
      "room-agent: --panel-port: expected a port number, 1…65535\n",
    );
    const room = fileURLToPath(new URL("../../hardware-profiles/rooms/xa-an-phu.json", import.meta.url));
    expect(agent([], { RC_AGENT_ROOM: room, RC_AGENT_CREDENTIALS: "/nonexistent/creds.json" }).stderr).toMatch(
      /^room-agent: .*\/nonexistent\/creds\.json/,
    );
    expect(agent(["--help"], { RC_AGENT_KEEPALIVE: "0" }).code).toBe(0);
  });
});
