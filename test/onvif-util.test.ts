// Debian's `onvif-util` (onvif-tools, which scripts/setup.sh installs), a stock ONVIF client we did not write, against
// the simulated camera: it finds it by WS-Discovery multicast, so both run inside a private network namespace
// (`unshare -rn`) whose own loopback carries the multicast group (research/onvif.md). Its first screens once stopped
// at our camera (no Media GetProfile); now its info, profiles and stream commands get through, and the stream URI it
// gives plays.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const NAMESPACE_SETUP = "ip link set lo up && ip link set lo multicast on && ip route add 224.0.0.0/4 dev lo";

describe("onvif-util (Debian onvif-tools) against the simulated camera", () => {
  it("logs in (info), lists the profiles, reads a profile and gives a stream URI that plays; a wrong password is refused", async () => {
    const script = new URL("./support/onvif-util-in-namespace.ts", import.meta.url).pathname;
    const { stdout } = await promisify(execFile)(
      "unshare",
      ["-rn", "sh", "-c", `${NAMESPACE_SETUP} && exec "${process.execPath}" --import tsx "${script}"`],
      { timeout: 50_000 },
    );
    const result = JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}");
    expect(result.error).toBeUndefined();
    const { output, code } = result.session as { output: string; code: number };
    // info: found by discovery, logged in, the camera's name (from its discovery scopes) and serial number.
    expect(output).toContain("found host: 127.0.0.1");
    expect(output).toContain("successfully connected to host");
    expect(output).toMatch(/name:\s+Camera chủ trì RC-SIM-PTZ/);
    expect(output).toContain(`serial: ${result.serial}`);
    // profiles, and one profile's video settings (Media GetProfile).
    expect(output).toContain("Token 0: profile_1");
    expect(output).toMatch(/Width:\s+640/);
    expect(output).toMatch(/Height:\s+360/);
    expect(output).toMatch(/Frame Rate:\s+15/);
    // stream: the URI as the camera gives it, and with the login written in, which ffprobe opens (Digest).
    expect(output).toContain(`  ${result.streamUri}\n`);
    expect(output).toContain(`  ${String(result.streamUri).replace("rtsp://", "rtsp://admin:mat-khau-camera@")}\n`);
    expect(output).not.toMatch(/ERROR/);
    expect(code).toBe(0);
    expect(result.ffprobe).toEqual([{ codec_name: "h264", width: 640, height: 360 }]);
    expect(result.operations).toEqual(
      expect.arrayContaining(["GetHostname", "GetDeviceInformation", "GetCapabilities", "GetProfile", "GetStreamUri"]),
    );

    // A wrong password: the camera refuses GetDeviceInformation and onvif-util says so.
    expect(result.refused.output).toMatch(/ERROR: get device information - .*NotAuthorized/);
    expect(result.refused.code).toBe(1);
  }, 60_000);
});
