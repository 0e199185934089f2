// The agent's periodic health figures (`…/telemetry`): its own CPU and memory, the machine's load, disk and heat.
import { readFile, statfs } from "node:fs/promises";
import { freemem, loadavg } from "node:os";
import type { TelemetryPayload } from "@rc/protocol";
import type { Logger } from "pino";
import type { RoomFeature } from "./room-feature.ts";

/** Publishes a sample every interval. */
export class Telemetry implements RoomFeature {
  readonly name = "telemetry";
  private timer: NodeJS.Timeout | undefined;
  private readonly sampler: TelemetrySampler;

  constructor(
    diskPath: string,
    private readonly intervalS: number,
    private readonly publish: (sample: TelemetryPayload) => void,
    private readonly log: Logger,
  ) {
    this.sampler = new TelemetrySampler(diskPath);
  }

  start(): void {
    this.timer = setInterval(() => {
      this.sampler.sample().then(this.publish, (error: Error) => this.log.warn({ err: error.message }, "no telemetry"));
    }, this.intervalS * 1000);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

export class TelemetrySampler {
  private lastCpu = process.cpuUsage();
  private lastAt = performance.now();

  constructor(private readonly diskPath: string) {}

  async sample(): Promise<TelemetryPayload> {
    const cpu = process.cpuUsage();
    const now = performance.now();
    const usedMicros = cpu.user - this.lastCpu.user + (cpu.system - this.lastCpu.system);
    const cpuPercent = (usedMicros / 1000 / Math.max(1, now - this.lastAt)) * 100;
    this.lastCpu = cpu;
    this.lastAt = now;
    const load = loadavg();
    return {
      at: new Date().toISOString(),
      cpuPercent: Math.round(cpuPercent * 100) / 100,
      rssBytes: process.memoryUsage.rss(),
      memoryFreeBytes: freemem(),
      loadAverage: [load[0] ?? 0, load[1] ?? 0, load[2] ?? 0],
      diskFreeBytes: await diskFree(this.diskPath),
      temperatureC: await temperature(),
      uptimeS: Math.round(process.uptime()),
    };
  }
}

async function diskFree(path: string): Promise<number | null> {
  try {
    const stats = await statfs(path);
    return stats.bavail * stats.bsize;
  } catch {
    return null;
  }
}

/** The first thermal zone, where the machine has one (mini-PCs do; containers often do not). */
async function temperature(): Promise<number | null> {
  try {
    const milli = Number((await readFile("/sys/class/thermal/thermal_zone0/temp", "utf8")).trim());
    return Number.isFinite(milli) ? milli / 1000 : null;
  } catch {
    return null;
  }
}
