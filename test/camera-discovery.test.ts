// WS-Discovery by multicast, kept off every real interface: the clients and the simulated cameras run inside a
// private network namespace (`unshare -rn`) whose own loopback carries the multicast group (research/onvif.md).
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const NAMESPACE_SETUP = "ip link set lo up && ip link set lo multicast on && ip route add 224.0.0.0/4 dev lo";

describe("camera discovery in a private network namespace", () => {
  it("node-onvif, onvif and the driver's probe find both cameras; both clients move, stop, store, recall and read status", async () => {
    const script = new URL("./support/discovery-in-namespace.ts", import.meta.url).pathname;
    const { stdout } = await promisify(execFile)(
      "unshare",
      ["-rn", "sh", "-c", `${NAMESPACE_SETUP} && exec "${process.execPath}" --import tsx "${script}"`],
      { timeout: 30_000 },
    );
    const result = JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}");
    expect(result.error).toBeUndefined();

    expect(result.onvif.found).toBe(2);
    expect(result.onvif.movedTo.x).toBeGreaterThan(0.2);
    expect(result.onvif.recalledTo.x).toBeCloseTo(result.onvif.movedTo.x, 2);

    // node-onvif sends several probes and de-duplicates on the stable endpoint address.
    expect(result.nodeOnvif.found).toBe(2);
    expect(result.nodeOnvif.names.map(decodeURIComponent).sort()).toEqual(["Camera chủ trì", "Camera công dân"]);
    expect(result.nodeOnvif.movedTo.y).toBeGreaterThan(0.2);
    expect(result.nodeOnvif.recalledTo.y).toBeCloseTo(result.nodeOnvif.movedTo.y, 2);

    expect(result.driver.map((c: { name: string }) => c.name).sort()).toEqual(["Camera chủ trì", "Camera công dân"]);
    for (const camera of result.driver) {
      expect(camera.endpoint).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
      expect(camera.xaddrs[0]).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/onvif\/device_service$/);
      expect(camera.location).toBe("Phòng tiếp công dân");
    }
    expect(result.probesAnswered).toBeGreaterThanOrEqual(3);
  });
});
