// The life of every device driver (DESIGN §3.2): connect, probe with debounce, reconnect with capped exponential
// backoff and jitter, re-apply the room's desired state after reconnecting, and one closed status vocabulary.
import { EventEmitter } from "node:events";
import type { DeviceStatus, HealthPayload } from "@rc/protocol";
import { AgentError, BadConfigError, withTimeout } from "../agent-error.ts";
import type { DeviceDriver, DriverHooks } from "./device-driver.ts";

export type { DeviceDriver, DriverHooks };

export interface SupervisorOptions {
  probeIntervalMs: number;
  /** Consecutive failed probes (or connects) before the device is declared offline. */
  offlineAfter: number;
  backoffMinMs: number;
  backoffMaxMs: number;
  /** How long connect() and probe() may take before they count as failed. */
  connectTimeoutMs: number;
  enabled: boolean;
  random: () => number;
}

export const DEFAULT_SUPERVISOR_OPTIONS: SupervisorOptions = {
  probeIntervalMs: 2000,
  offlineAfter: 2,
  backoffMinMs: 1000,
  backoffMaxMs: 30_000,
  connectTimeoutMs: 10_000,
  enabled: true,
  random: Math.random,
};

/** How long a device must have answered for a loss to be retried at once rather than after the backoff. */
const STEADY_MS = 5000;

/** Capped exponential backoff with jitter: attempt 0 waits min, each next ceiling doubles, never past max. */
export function backoffDelay(attempt: number, min: number, max: number, random: () => number): number {
  const ceiling = Math.min(max, min * 2 ** Math.min(attempt, 30));
  // "Equal jitter" (half fixed, half random), never under min: rooms that lost power together desynchronise.
  return Math.max(min, Math.round(ceiling / 2 + (random() * ceiling) / 2));
}

interface SupervisorEvents {
  health: [HealthPayload];
  readings: [];
}

export class DeviceSupervisor extends EventEmitter<SupervisorEvents> {
  private readonly options: SupervisorOptions;
  private status: DeviceStatus = "connecting";
  private detail = "not started";
  private since = new Date().toISOString();
  /** When the last connect succeeded: a device that held since long enough is retried at once when lost. */
  private connectedAt = Number.NEGATIVE_INFINITY;
  private rttMs: number | null = null;
  private failures = 0;
  private attempt = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Ends the driver's wait for its device to be reachable again (see DeviceDriver.reachableAgain). */
  private reachableWait: AbortController | undefined;
  /** Bumped by stop() and every reconnect, so late results of an abandoned attempt are ignored. */
  private generation = 0;
  private running = false;
  private readonly counters = { connects: 0, disconnects: 0, probeFailures: 0, commandErrors: 0 };

  constructor(
    readonly driver: DeviceDriver,
    options: Partial<SupervisorOptions> = {},
  ) {
    super();
    this.options = { ...DEFAULT_SUPERVISOR_OPTIONS, ...options };
  }

  get id(): string {
    return this.driver.id;
  }

  health(): HealthPayload {
    return {
      status: this.status,
      since: this.since,
      detail: this.detail,
      rttMs: this.rttMs,
      counters: { ...this.counters },
    };
  }

  start(): void {
    if (this.running) return;
    if (!this.options.enabled) {
      this.setStatus("disabled", "disabled in the room profile");
      return;
    }
    this.running = true;
    this.failures = 0;
    this.attempt = 0;
    this.setStatus("connecting", "connecting");
    void this.connect(++this.generation);
  }

  async stop(): Promise<void> {
    this.running = false;
    this.generation++;
    clearTimeout(this.timer);
    this.reachableWait?.abort();
    await this.driver.disconnect().catch(() => {});
    await this.driver.shutdown?.().catch(() => {});
  }

  async restart(): Promise<void> {
    await this.stop();
    this.start();
  }

  /** Connected and answering, perhaps with a complaint (ok or degraded): it can take commands. */
  get answering(): boolean {
    return this.status === "ok" || this.status === "degraded";
  }

  /** Runs a command on the device: refused at once when the device cannot take it, errors counted. */
  async command<T>(what: string, run: () => Promise<T>): Promise<T> {
    if (!this.answering) {
      throw new AgentError("device_unavailable", `${this.id} is ${this.status}: ${this.detail}`);
    }
    try {
      const result = await run();
      // A command changes what the device reads (a mute, a level): the room's state says so now, not at the next
      // notice from the device (a DSP that does not echo our own commands sends none).
      this.emit("readings");
      return result;
    } catch (error) {
      if (error instanceof AgentError) throw error;
      this.counters.commandErrors++;
      throw new AgentError("device_error", `${this.id}: ${what} failed: ${(error as Error).message}`);
    }
  }

  private hooks(generation: number): DriverHooks {
    return {
      lost: (reason) => {
        if (generation === this.generation && this.running) this.fail(`connection lost: ${reason}`, true);
      },
      changed: () => {
        if (generation === this.generation) this.emit("readings");
      },
    };
  }

  private async connect(generation: number): Promise<void> {
    this.reachableWait?.abort();
    try {
      await withTimeout(this.driver.connect(this.hooks(generation)), this.options.connectTimeoutMs, "connect");
    } catch (error) {
      if (generation !== this.generation) return;
      if (error instanceof BadConfigError) {
        this.running = false;
        await this.driver.disconnect().catch(() => {});
        this.setStatus("bad_config", error.message);
        return;
      }
      this.fail(`connect failed: ${(error as Error).message}`, true);
      return;
    }
    if (generation !== this.generation) {
      await this.driver.disconnect().catch(() => {});
      return;
    }
    this.counters.connects++;
    this.failures = 0;
    this.attempt = 0;
    this.connectedAt = Date.now();
    try {
      await this.driver.reapply();
      if (generation !== this.generation) return;
      this.setStatus("ok", "connected");
    } catch (error) {
      if (generation !== this.generation) return;
      this.setStatus("degraded", `connected, but re-applying the room's state failed: ${(error as Error).message}`);
    }
    this.emit("readings");
    this.scheduleProbe(generation);
  }

  private scheduleProbe(generation: number, delayMs = this.options.probeIntervalMs): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.probe(generation), delayMs);
  }

  private async probe(generation: number): Promise<void> {
    const started = performance.now();
    try {
      await withTimeout(this.driver.probe(), this.options.probeIntervalMs, "probe");
    } catch (error) {
      if (generation !== this.generation) return;
      this.counters.probeFailures++;
      this.fail(`no answer to probe: ${(error as Error).message}`, false);
      return;
    }
    if (generation !== this.generation) return;
    this.rttMs = Math.round((performance.now() - started) * 10) / 10;
    this.failures = 0;
    if (this.status !== "ok") this.setStatus("ok", "connected");
    this.scheduleProbe(generation);
  }

  /**
   * One more consecutive failure. A lost transport (or failed connect) reconnects at once; a missed probe waits
   * for the next probe unless the debounce count is reached.
   */
  private fail(reason: string, transportGone: boolean): void {
    this.failures++;
    const offline = this.failures >= this.options.offlineAfter;
    if (!transportGone && !offline) {
      this.setStatus("degraded", `${reason} (${this.failures} of ${this.options.offlineAfter} before offline)`);
      // Ask again soon rather than a whole interval later: a dead device is then offline within
      // interval + debounce × probe time-out, inside DESIGN §5's probe × debounce + 1 s.
      this.scheduleProbe(this.generation, Math.max(100, this.options.probeIntervalMs / 4));
      return;
    }
    // A device that had been answering steadily and lost its transport (a crashed media worker, a re-plugged
    // cable) is tried again at once: a brief cause costs no wait, and the backoff starts with the next failure. One
    // that keeps failing soon after connecting waits, so a crash loop never spins.
    const retryAtOnce = transportGone && this.answering && Date.now() - this.connectedAt >= STEADY_MS;
    if (this.answering) this.counters.disconnects++;
    const generation = ++this.generation;
    clearTimeout(this.timer);
    void this.driver.disconnect().catch(() => {});
    const delay = retryAtOnce
      ? 0
      : backoffDelay(this.attempt++, this.options.backoffMinMs, this.options.backoffMaxMs, this.options.random);
    this.setStatus(offline ? "offline" : "connecting", `${reason}; retrying in ${(delay / 1000).toFixed(1)} s`);
    this.timer = setTimeout(() => void this.connect(generation), delay);
    if (delay > 0 && this.driver.reachableAgain) {
      // A device that comes back before the backoff ends (a cable plugged in again) is connected at once.
      const wait = new AbortController();
      this.reachableWait = wait;
      this.driver.reachableAgain(wait.signal).then(
        () => {
          if (generation !== this.generation || wait.signal.aborted) return;
          clearTimeout(this.timer);
          void this.connect(generation);
        },
        () => {},
      );
    }
  }

  private setStatus(status: DeviceStatus, detail: string): void {
    if (status === this.status && detail === this.detail) return;
    if (status !== this.status) this.since = new Date().toISOString();
    this.status = status;
    this.detail = detail;
    this.emit("health", this.health());
  }
}
