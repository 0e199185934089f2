import { describe, expect, it } from "vitest";
import { freeUdpPorts } from "./free-udp-port.ts";

describe("free UDP ports", () => {
  it("gives ports that are all different, however many are asked at once (the worker's two streams once shared one)", async () => {
    for (let round = 0; round < 20; round++) {
      const ports = await freeUdpPorts(8);
      expect(new Set(ports).size).toBe(8);
      for (const port of ports) expect(port).toBeGreaterThan(0);
    }
  });
});
