// `room-agent discover` by multicast, kept off every real interface: the CLI and the simulated cameras run inside a
// private network namespace (`unshare -rn`) whose own loopback carries the WS-Discovery group.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const NAMESPACE_SETUP = "ip link set lo up && ip link set lo multicast on && ip route add 224.0.0.0/4 dev lo";

describe("room-agent discover in a private network namespace", () => {
  it("lists both cameras with their addresses, names and location, and says so when none answers (exit 1)", async () => {
    const script = new URL("./support/discover-cli-in-namespace.ts", import.meta.url).pathname;
    const { stdout } = await promisify(execFile)(
      "unshare",
      ["-rn", "sh", "-c", `${NAMESPACE_SETUP} && exec "${process.execPath}" --import tsx "${script}"`],
      { timeout: 90_000 },
    );
    const result = JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}");
    expect(result.found.code).toBe(0);
    for (const xaddr of result.xaddrs) expect(result.found.stdout).toContain(`${xaddr}\n`);
    expect(result.found.stdout).toContain("Camera chủ trì · RC-SIM-PTZ · Phòng tiếp công dân");
    expect(result.found.stdout).toContain("Camera công dân · RC-SIM-PTZ · Phòng tiếp công dân");
    expect(result.found.stdout.match(/^ {2}urn:uuid:/gm)).toHaveLength(2);
    expect(result.none).toEqual({ code: 1, stdout: "Không camera ONVIF nào trả lời / no ONVIF camera answered\n" });
  }, 120_000);
});
