import type { HealthPayload } from "@rc/protocol";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { BadConfigError } from "../agent-error.ts";
import { backoffDelay, type DeviceDriver, DeviceSupervisor, type DriverHooks } from "./device-supervisor.ts";

/** A driver whose device answers or not as the test says. */
class FakeDriver implements DeviceDriver {
  readonly id = "fake";
  readonly kind = "test";
  readonly model = "fake";
  reachable = true;
  badConfig = false;
  connects = 0;
  reapplies = 0;
  link: DriverHooks | undefined;
  capabilities() {
    return [];
  }
  async connect(link: DriverHooks) {
    this.connects++;
    this.link = link;
    if (this.badConfig) throw new BadConfigError("port 99999 does not exist");
    if (!this.reachable) throw new Error("ECONNREFUSED");
  }
  async probe() {
    if (!this.reachable) throw new Error("no answer");
  }
  async disconnect() {}
  async reapply() {
    this.reapplies++;
  }
  readings() {
    return {};
  }
  reachableAgain?: (signal: AbortSignal) => Promise<void>;
}

function watch(supervisor: DeviceSupervisor): HealthPayload[] {
  const seen: HealthPayload[] = [];
  supervisor.on("health", (health) => seen.push(health));
  return seen;
}

describe("device supervisor", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());
  const options = { probeIntervalMs: 2000, offlineAfter: 2, random: () => 0.5 };

  it("goes ok after connecting and re-applies the room's state", async () => {
    const driver = new FakeDriver();
    const supervisor = new DeviceSupervisor(driver, options);
    supervisor.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(supervisor.health().status).toBe("ok");
    expect(driver.reapplies).toBe(1);
    await supervisor.stop();
  });

  it("declares offline only after the debounce count of failed probes", async () => {
    const driver = new FakeDriver();
    const supervisor = new DeviceSupervisor(driver, options);
    const seen = watch(supervisor);
    supervisor.start();
    await vi.advanceTimersByTimeAsync(0);
    driver.reachable = false;
    await vi.advanceTimersByTimeAsync(2000);
    expect(supervisor.health().status).toBe("degraded");
    await vi.advanceTimersByTimeAsync(2000);
    expect(supervisor.health().status).toBe("offline");
    const statuses = seen.map((h) => h.status).filter((status, i, all) => status !== all[i - 1]);
    expect(statuses).toEqual(["connecting", "ok", "degraded", "offline"]);
    await supervisor.stop();
  });

  it("reconnects by itself with growing, capped delays and re-applies after coming back", async () => {
    const driver = new FakeDriver();
    const supervisor = new DeviceSupervisor(driver, { ...options, backoffMinMs: 1000, backoffMaxMs: 8000 });
    supervisor.start();
    await vi.advanceTimersByTimeAsync(0);
    driver.reachable = false;
    await vi.advanceTimersByTimeAsync(4000); // two failed probes → offline, first retry scheduled
    expect(supervisor.health().status).toBe("offline");
    const connectsBefore = driver.connects;
    await vi.advanceTimersByTimeAsync(60_000);
    const attempts = driver.connects - connectsBefore;
    // 1 s, 1.5 s, 3 s, then 6 s each (equal jitter at random 0.5, cap 8 s): about 12 in a minute, not 60.
    expect(attempts).toBeGreaterThanOrEqual(9);
    expect(attempts).toBeLessThanOrEqual(13);
    driver.reachable = true;
    await vi.advanceTimersByTimeAsync(8000);
    expect(supervisor.health().status).toBe("ok");
    expect(driver.reapplies).toBe(2);
    expect(supervisor.health().counters.disconnects).toBe(1);
    await supervisor.stop();
  });

  it("reconnects at once when the driver reports its transport lost", async () => {
    const driver = new FakeDriver();
    const supervisor = new DeviceSupervisor(driver, options);
    supervisor.start();
    await vi.advanceTimersByTimeAsync(0);
    driver.link!.lost("port closed");
    expect(supervisor.health().status).toBe("connecting");
    expect(supervisor.health().detail).toMatch(/port closed/);
    await vi.advanceTimersByTimeAsync(1000);
    expect(supervisor.health().status).toBe("ok");
    await supervisor.stop();
  });

  it("retries a device that had answered steadily at once when lost, and one lost soon after connecting after the backoff", async () => {
    const driver = new FakeDriver();
    const supervisor = new DeviceSupervisor(driver, options);
    supervisor.start();
    await vi.advanceTimersByTimeAsync(5000);
    expect(driver.connects).toBe(1);
    driver.link!.lost("worker crashed");
    await vi.advanceTimersByTimeAsync(0);
    expect(driver.connects).toBe(2);
    expect(supervisor.health().status).toBe("ok");
    driver.link!.lost("worker crashed again"); // at once: not steady, so it waits
    await vi.advanceTimersByTimeAsync(999);
    expect(driver.connects).toBe(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(driver.connects).toBe(3);
    await supervisor.stop();
  });

  it("connects at once when the device is reachable again before its backoff ends, and only then", async () => {
    const driver = new FakeDriver();
    let appear: (() => void) | undefined;
    const waits: AbortSignal[] = [];
    driver.reachableAgain = (signal: AbortSignal) => {
      waits.push(signal);
      return new Promise<void>((resolve) => {
        appear = resolve;
      });
    };
    const supervisor = new DeviceSupervisor(driver, { ...options, backoffMinMs: 10_000, backoffMaxMs: 10_000 });
    driver.reachable = false;
    supervisor.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(driver.connects).toBe(1);
    expect(supervisor.health().detail).toMatch(/retrying in [5-9]\.\d s|retrying in 10\.0 s/);
    await vi.advanceTimersByTimeAsync(1000);
    expect(driver.connects).toBe(1); // nothing to say yet: the backoff stands
    driver.reachable = true;
    appear!();
    await vi.advanceTimersByTimeAsync(0);
    expect(driver.connects).toBe(2);
    expect(supervisor.health().status).toBe("ok");
    expect(waits[0]!.aborted).toBe(true); // the wait ends with the connect
    await vi.advanceTimersByTimeAsync(20_000);
    expect(driver.connects).toBe(2); // the backoff's own timer does not connect again
    await supervisor.stop();
  });

  it("stops retrying a device whose configuration cannot work", async () => {
    const driver = new FakeDriver();
    driver.badConfig = true;
    const supervisor = new DeviceSupervisor(driver, options);
    supervisor.start();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(supervisor.health()).toMatchObject({ status: "bad_config", detail: "port 99999 does not exist" });
    expect(driver.connects).toBe(1);
  });

  it("reports a disabled device and never connects it", () => {
    const driver = new FakeDriver();
    const supervisor = new DeviceSupervisor(driver, { ...options, enabled: false });
    supervisor.start();
    expect(supervisor.health().status).toBe("disabled");
    expect(driver.connects).toBe(0);
  });

  it("refuses commands while the device is not reachable", async () => {
    const driver = new FakeDriver();
    driver.reachable = false;
    const supervisor = new DeviceSupervisor(driver, options);
    supervisor.start();
    await vi.advanceTimersByTimeAsync(0);
    await expect(supervisor.command("x", async () => 1)).rejects.toMatchObject({ code: "device_unavailable" });
    await supervisor.stop();
  });

  it("ignores a late result of an attempt abandoned by stop()", async () => {
    const driver = new FakeDriver();
    let finish: () => void = () => {};
    driver.connect = () => new Promise<void>((resolve) => (finish = resolve));
    const supervisor = new DeviceSupervisor(driver, options);
    supervisor.start();
    await supervisor.stop();
    finish();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(supervisor.health().status).toBe("connecting");
  });
});

describe("backoffDelay", () => {
  it("starts at the minimum, doubles, never passes the maximum, and keeps at least half", () => {
    expect(backoffDelay(0, 1000, 30_000, () => 0)).toBe(1000);
    expect(backoffDelay(0, 1000, 30_000, () => 1)).toBe(1000);
    expect(backoffDelay(3, 1000, 30_000, () => 1)).toBe(8000);
    expect(backoffDelay(40, 1000, 30_000, () => 1)).toBe(30_000);
    expect(backoffDelay(40, 1000, 30_000, () => 0)).toBe(15_000);
  });
});
