// The device life cycle with a real socket: the line device is unplugged, freezes, comes back — the driver follows.
import { LineDevice } from "@rc/simulators";
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "../../../test/support/wait-for.ts";
import { DeviceSupervisor } from "./device-supervisor.ts";
import { TestDeviceDriver } from "./test-device.ts";

/** This file's waits: 5 s unless a test says otherwise, asked every 20 ms. */
function until(what: string, check: () => boolean, timeoutMs = 5000) {
  return waitFor(what, check, timeoutMs, 20);
}

describe("test device under the supervisor, over TCP", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  async function setUp() {
    const device = new LineDevice();
    await device.start();
    const driver = new TestDeviceDriver({
      id: "thu",
      kind: "test",
      optional: false,
      enabled: true,
      connection: { host: "127.0.0.1", port: device.address.port },
    });
    const supervisor = new DeviceSupervisor(driver, {
      probeIntervalMs: 200,
      offlineAfter: 2,
      backoffMinMs: 100,
      backoffMaxMs: 400,
    });
    cleanups.push(async () => {
      await supervisor.stop();
      await device.stop();
    });
    supervisor.start();
    await until("ok", () => supervisor.health().status === "ok");
    return { device, driver, supervisor };
  }

  it("comes back by itself after the device is unplugged, and re-applies the value the room wants", async () => {
    const { device, driver, supervisor } = await setUp();
    await supervisor.command("set", () => driver.set(17));
    await device.stop();
    device.value = 0; // a power cycle forgets the setting
    await until("offline", () => supervisor.health().status === "offline");
    await device.start();
    await until("ok again", () => supervisor.health().status === "ok");
    await until("value re-applied", () => device.value === 17);
    expect(supervisor.health().counters.connects).toBeGreaterThanOrEqual(2);
  });

  it("declares a device that stops answering offline after the debounce, and takes it back when it answers again", async () => {
    const { device, supervisor } = await setUp();
    device.frozen = true;
    await until("degraded", () => supervisor.health().status === "degraded", 2000);
    await until("offline", () => supervisor.health().status === "offline", 2000);
    device.frozen = false;
    await until("ok again", () => supervisor.health().status === "ok", 5000);
  });

  it("refuses a command while the device is offline, without waiting", async () => {
    const { device, driver, supervisor } = await setUp();
    await device.stop();
    await until("not ok", () => supervisor.health().status !== "ok");
    await expect(supervisor.command("set", () => driver.set(1))).rejects.toMatchObject({ code: "device_unavailable" });
  });
});
