// Flags from the environment: each flag's variable, the command line winning, booleans and lists, and help.
import { describe, expect, it } from "vitest";
import { environmentHelp, environmentVariable, type FlagOption, withEnvironment } from "./command-line.ts";

const OPTIONS: Record<string, FlagOption> = {
  "archive-url": { type: "string" },
  keepalive: { type: "string" },
  board: { type: "string", multiple: true },
  verbose: { type: "boolean", short: "v" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
};

describe("flags from the environment", () => {
  it("names each flag's variable after it", () => {
    expect(environmentVariable("RC_AGENT_", "archive-url")).toBe("RC_AGENT_ARCHIVE_URL");
  });

  it("puts the variables before the command line, and a flag given on the command line wins", () => {
    const env = { RC_X_ARCHIVE_URL: "http://c:8080", RC_X_KEEPALIVE: "30", RC_X_VERBOSE: "yes", UNRELATED: "1" };
    expect(withEnvironment(OPTIONS, ["--keepalive", "5"], env, "RC_X_")).toEqual([
      "--archive-url=http://c:8080",
      "--verbose",
      "--keepalive",
      "5",
    ]);
    expect(withEnvironment(OPTIONS, ["--keepalive=5", "-v"], env, "RC_X_")).toEqual([
      "--archive-url=http://c:8080",
      "--keepalive=5",
      "-v",
    ]);
  });

  it("reads a list from commas, a boolean from 1/true/yes or 0/false/no, and never help or version", () => {
    const env = { RC_X_BOARD: "a=/tmp/a, b=/tmp/b,", RC_X_VERBOSE: "0", RC_X_HELP: "1", RC_X_VERSION: "1" };
    expect(withEnvironment(OPTIONS, [], env, "RC_X_")).toEqual(["--board=a=/tmp/a", "--board=b=/tmp/b"]);
    expect(() => withEnvironment(OPTIONS, [], { RC_X_VERBOSE: "sometimes" }, "RC_X_")).toThrow(
      'RC_X_VERBOSE: expected 1/true/yes or 0/false/no, got "sometimes"',
    );
    expect(withEnvironment(OPTIONS, [], { RC_X_KEEPALIVE: "" }, "RC_X_")).toEqual([]);
  });

  it("lists every variable in the help, but not help's and version's", () => {
    const help = environmentHelp(OPTIONS, "RC_X_");
    expect(help).toContain("--archive-url      RC_X_ARCHIVE_URL");
    expect(help).toContain("--board            RC_X_BOARD");
    expect(help).not.toContain("RC_X_HELP");
  });
});
