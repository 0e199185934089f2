// Device health IT can run on (DESIGN §3.6 "health", issue 14 part 3), one feature with start()/stop(): follows the
// registry's rooms, keeps each room's roll-up, raises and clears alarms (AlarmBook) and tells people (webhook,
// e-mail), honours maintenance windows, and keeps the history — every status change, every alarm change, the agents'
// events — and a telemetry series per room for charts, each in its own day files (RoomHistory), not in the lowdb
// document. Only the active alarms, the last cleared ones and the maintenance windows are kept in DATA/health.json
// (bounded; written whole to a temporary file and renamed).
import { readFile, rename } from "node:fs/promises";
import { join } from "node:path";
import type { EventPayload, RoomChange, RoomView, TelemetryPayload } from "@rc/protocol";
import type { Logger } from "pino";
import { Writer } from "steno";
import { AlarmNotifications, DEFAULT_RETRY, type NotificationSettings } from "./alarm-notifications.ts";
import { type Alarm, AlarmBook, type AlarmChange, type MaintenanceWindow } from "./alarms.ts";
import { alarmConditions, type RoomRollup, roomRollup } from "./health-rollup.ts";
import type { RoomRegistry } from "./registry.ts";
import { RoomHistory, type RoomHistoryPage, type RoomHistoryQuery } from "./room-history.ts";

export interface HealthSettings {
  /** How long a condition must last before its alarm is raised. */
  alarmDebounceMs: number;
  /** How long the history (status changes, alarms, events) is kept. */
  historyDays: number;
  /** How long the telemetry series are kept. */
  telemetryDays: number;
  /** One telemetry sample per room is kept per this period (agents send every 10 s). */
  telemetryEveryMs: number;
  notifications: NotificationSettings;
}

export const DEFAULT_HEALTH_SETTINGS: HealthSettings = {
  alarmDebounceMs: 10_000,
  historyDays: 180,
  telemetryDays: 7,
  telemetryEveryMs: 60_000,
  notifications: { webhook: null, email: null, digestMs: 0, retry: DEFAULT_RETRY, maxQueued: 1000 },
};

/** Maintenance windows at most (each a few hundred bytes of health.json). */
export const MAX_MAINTENANCE_WINDOWS = 5000;
/** An agent's events kept per room and second at most; the rest are counted and dropped (meters are never kept). */
const EVENTS_PER_SECOND = 20;
const STATE_VERSION = 1;

interface SavedHealth {
  version: number;
  active: Alarm[];
  cleared: Alarm[];
  maintenance: MaintenanceWindow[];
}

interface RoomMemory {
  availability: string;
  rollup: string;
  devices: Map<string, string>;
  links: Map<string, string>;
  eventsSecond: number;
  eventsCount: number;
  telemetryAt: number;
}

export interface HealthCounts {
  rooms: { total: number; byAvailability: Record<string, number>; byRollup: Record<string, number> };
  devices: Record<string, number>;
  alarms: { active: number; bySeverity: Record<string, number>; unacknowledged: number };
}

export class Health {
  readonly history: RoomHistory;
  readonly telemetrySeries: RoomHistory;
  private readonly book: AlarmBook;
  private readonly notifications: AlarmNotifications;
  private readonly memory = new Map<string, RoomMemory>();
  private readonly file: string;
  private readonly writer: Writer;
  private ticker: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  private readonly onChange = (change: RoomChange, view: RoomView) => this.roomChanged(change, view);

  constructor(
    private readonly options: {
      dataDir: string;
      registry: RoomRegistry;
      settings: HealthSettings;
      log: Logger;
      now?: () => number;
      /** Told of every change of an alarm (the dashboards' live list). */
      onAlarm?: (change: AlarmChange, alarm: Alarm) => void;
    },
  ) {
    const { dataDir, settings, log } = options;
    this.now = options.now ?? Date.now;
    const now = () => new Date(this.now());
    this.history = new RoomHistory({
      dir: join(dataDir, "history"),
      prefix: "history",
      keepDays: settings.historyDays,
      log,
      now,
    });
    this.telemetrySeries = new RoomHistory({
      dir: join(dataDir, "telemetry"),
      prefix: "telemetry",
      keepDays: settings.telemetryDays,
      log,
      now,
    });
    this.book = new AlarmBook({
      debounceMs: settings.alarmDebounceMs,
      now: this.now,
      onChange: (change, alarm) => this.alarmChanged(change, alarm),
    });
    this.notifications = new AlarmNotifications(settings.notifications, log.child({ part: "notifications" }));
    this.file = join(dataDir, "health.json");
    this.writer = new Writer(this.file);
  }

  async start(): Promise<void> {
    await this.load();
    await this.history.start();
    await this.telemetrySeries.start();
    this.notifications.start();
    this.options.registry.on("change", this.onChange);
    for (const view of this.options.registry.list()) this.roomChanged("availability", view);
    const every = Math.max(50, Math.min(1000, this.options.settings.alarmDebounceMs / 4));
    this.ticker = setInterval(() => this.tick(), every);
  }

  async stop(): Promise<void> {
    clearInterval(this.ticker);
    this.options.registry.off("change", this.onChange);
    this.notifications.stop();
    await this.history.stop();
    await this.telemetrySeries.stop();
    await this.save();
  }

  rollup(room: string): RoomRollup | undefined {
    const view = this.options.registry.get(room);
    return view && roomRollup(view);
  }

  rollups(): RoomRollup[] {
    return this.options.registry.list().map(roomRollup);
  }

  counts(): HealthCounts {
    const byAvailability: Record<string, number> = { online: 0, offline: 0, unknown: 0 };
    const byRollup: Record<string, number> = {};
    const devices: Record<string, number> = {};
    const views = this.options.registry.list();
    for (const view of views) {
      byAvailability[view.availability.state] = (byAvailability[view.availability.state] ?? 0) + 1;
      const rollup = roomRollup(view);
      byRollup[rollup.status] = (byRollup[rollup.status] ?? 0) + 1;
      for (const device of rollup.devices) devices[device.status] = (devices[device.status] ?? 0) + 1;
    }
    const active = this.book.activeAlarms();
    const bySeverity = this.activeAlarmsBySeverity();
    return {
      rooms: { total: views.length, byAvailability, byRollup },
      devices,
      alarms: { active: active.length, bySeverity, unacknowledged: active.filter((alarm) => !alarm.ack).length },
    };
  }

  /** Active alarms by severity (for the Prometheus gauge). */
  activeAlarmsBySeverity(): Record<string, number> {
    const bySeverity: Record<string, number> = { critical: 0, major: 0, minor: 0 };
    for (const alarm of this.book.activeAlarms()) bySeverity[alarm.severity] = (bySeverity[alarm.severity] ?? 0) + 1;
    return bySeverity;
  }

  alarms(filter: { active?: boolean }): Alarm[] {
    return this.book.list(filter);
  }

  alarm(id: string): Alarm | undefined {
    return this.book.find(id);
  }

  /** False if it was acknowledged before. */
  acknowledge(alarm: Alarm, by: string, note: string): boolean {
    return this.book.acknowledge(alarm, by, note);
  }

  maintenanceWindows(): MaintenanceWindow[] {
    return this.book.maintenanceWindows();
  }

  /** A new window, or null when there are too many already. */
  addMaintenance(window: Omit<MaintenanceWindow, "id" | "createdAt">): MaintenanceWindow | null {
    if (this.book.maintenanceWindows().length >= MAX_MAINTENANCE_WINDOWS) return null;
    const made = this.book.addWindow(window);
    this.history.append(made.room, { at: made.createdAt, kind: "maintenance", change: "created", window: made });
    void this.save();
    return made;
  }

  removeMaintenance(id: string, by: string): MaintenanceWindow | undefined {
    const removed = this.book.removeWindow(id);
    if (removed) {
      const at = new Date(this.now()).toISOString();
      this.history.append(removed.room, { at, kind: "maintenance", change: "removed", by, window: removed });
      void this.save();
    }
    return removed;
  }

  roomHistory(room: string, query: RoomHistoryQuery): Promise<RoomHistoryPage> {
    return this.history.query(room, query);
  }

  roomTelemetry(room: string, query: RoomHistoryQuery): Promise<RoomHistoryPage> {
    return this.telemetrySeries.query(room, query);
  }

  /** An agent's telemetry: one sample per room and `telemetryEveryMs` is kept. */
  telemetry(room: string, payload: TelemetryPayload): void {
    if (!this.options.registry.get(room)) return;
    const memory = this.remember(room);
    const now = this.now();
    if (now - memory.telemetryAt < this.options.settings.telemetryEveryMs) return;
    memory.telemetryAt = now;
    const { at: agentAt, ...values } = payload;
    this.telemetrySeries.append(room, { at: new Date(now).toISOString(), agentAt, ...values });
  }

  /** An agent's event: kept in the history, except the meters (several a second, for panels only). */
  event(room: string, payload: EventPayload): void {
    if (payload.type === "meters" || !this.options.registry.get(room)) return;
    const memory = this.remember(room);
    const now = this.now();
    const second = Math.floor(now / 1000);
    if (memory.eventsSecond !== second) {
      memory.eventsSecond = second;
      memory.eventsCount = 0;
    }
    if (++memory.eventsCount > EVENTS_PER_SECOND) return;
    this.history.append(room, {
      at: new Date(now).toISOString(),
      kind: "event",
      type: payload.type,
      ...(payload.device ? { device: payload.device } : {}),
      ...(payload.reason ? { reason: payload.reason.slice(0, 500) } : {}),
      data: payload.data,
      agentAt: payload.at,
    });
  }

  private remember(room: string): RoomMemory {
    let memory = this.memory.get(room);
    if (!memory) {
      memory = {
        availability: "",
        rollup: "",
        devices: new Map(),
        links: new Map(),
        eventsSecond: 0,
        eventsCount: 0,
        telemetryAt: Number.NEGATIVE_INFINITY,
      };
      this.memory.set(room, memory);
    }
    return memory;
  }

  /** Every status change of the room goes to its history; then its alarms are evaluated. */
  private roomChanged(_change: RoomChange, view: RoomView): void {
    try {
      const room = view.id;
      const memory = this.remember(room);
      const at = new Date(this.now()).toISOString();
      const line = (fields: Record<string, unknown>) => this.history.append(room, { at, ...fields });
      // A room first seen `unknown` (every room at the controller's start) is no change worth a line.
      const first = memory.availability === "";
      if (memory.availability !== view.availability.state) {
        memory.availability = view.availability.state;
        if (!(first && view.availability.state === "unknown"))
          line({ kind: "availability", status: view.availability.state });
      }
      for (const [device, health] of Object.entries(view.health)) {
        if (memory.devices.get(device) === health.status) continue;
        memory.devices.set(device, health.status);
        line({ kind: "device", device, status: health.status, detail: health.detail.slice(0, 500) });
      }
      const session = view.state?.session?.id ?? view.desired?.session?.id ?? null;
      for (const readings of Object.values(view.state?.devices ?? {})) {
        for (const [name, value] of Object.entries(readings)) {
          const match = /^link\.(.+)\.status$/.exec(name);
          if (!match || typeof value !== "string" || memory.links.get(match[1]!) === value) continue;
          memory.links.set(match[1]!, value);
          const detail = readings[`link.${match[1]}.detail`];
          line({
            kind: "link",
            session,
            point: match[1],
            status: value,
            ...(typeof detail === "string" ? { detail } : {}),
          });
        }
      }
      const rollup = roomRollup(view);
      if (memory.rollup !== rollup.status) {
        const firstRollup = memory.rollup === "";
        memory.rollup = rollup.status;
        if (!(firstRollup && rollup.status === "unknown"))
          line({ kind: "rollup", status: rollup.status, worst: rollup.worst });
      }
      this.book.evaluate(room, alarmConditions(view));
    } catch (error) {
      this.options.log.error({ err: (error as Error).message, room: view.id }, "health of a room not evaluated");
    }
  }

  private tick(): void {
    try {
      // Alarms of rooms no longer registered clear.
      for (const alarm of this.book.activeAlarms()) {
        if (!this.options.registry.get(alarm.room)) this.book.evaluate(alarm.room, []);
      }
      this.book.tick();
    } catch (error) {
      this.options.log.error({ err: (error as Error).message }, "alarm tick failed");
    }
  }

  private alarmChanged(change: AlarmChange, alarm: Alarm): void {
    const at =
      change === "raised"
        ? alarm.raisedAt
        : change === "cleared"
          ? alarm.clearedAt!
          : new Date(this.now()).toISOString();
    this.history.append(alarm.room, { at, kind: "alarm", change, alarm });
    const level = change === "raised" ? "warn" : "info";
    this.options.log[level]({ alarm: alarm.id, key: alarm.key, status: alarm.status, change }, `alarm ${change}`);
    if (change === "raised") this.notifications.raised(alarm);
    this.options.onAlarm?.(change, alarm);
    void this.save();
  }

  private async load(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
      throw error;
    }
    try {
      const saved = JSON.parse(text) as SavedHealth;
      if (saved.version !== STATE_VERSION || !Array.isArray(saved.active))
        throw new Error(`not version ${STATE_VERSION}`);
      this.book.restore({ active: saved.active, cleared: saved.cleared ?? [], maintenance: saved.maintenance ?? [] });
    } catch (error) {
      // Kept aside, not lost; the alarms are raised again from what the agents report.
      const aside = `${this.file}.unreadable-${Date.now()}`;
      await rename(this.file, aside);
      this.options.log.error({ err: (error as Error).message, file: aside }, "health.json unreadable: set aside");
    }
  }

  private async save(): Promise<void> {
    const saved: SavedHealth = { version: STATE_VERSION, ...this.book.saved() };
    try {
      await this.writer.write(`${JSON.stringify(saved)}\n`);
    } catch (error) {
      this.options.log.error({ err: (error as Error).message }, "health.json not written");
    }
  }
}

/** The controller's command-line flags of health (parseArgs options); the secrets come from the environment. */
export const HEALTH_FLAGS = {
  "alarm-debounce": { type: "string" },
  "alarm-digest": { type: "string" },
  "history-days": { type: "string" },
  "webhook-url": { type: "string" },
  "alarm-email-to": { type: "string" },
  "alarm-email-from": { type: "string" },
} as const;

export const HEALTH_USAGE = `      Alarms: --alarm-debounce SECONDS (10) before a fault raises one; --history-days N (180) of history kept;
      --webhook-url URL (signed with RC_WEBHOOK_SECRET, required with it); e-mail through the SMTP server in
      RC_SMTP_URL (smtp[s]://user:password@host:port, kept out of the process list) to --alarm-email-to A,B from
      --alarm-email-from ADDRESS; --alarm-digest MINUTES (0: one notification per alarm) sends one digest a period.`;

/** Health settings from the flags and the environment; throws naming the flag at fault. */
export function healthSettingsOf(
  flags: { [K in keyof typeof HEALTH_FLAGS]?: string | undefined },
  env: NodeJS.ProcessEnv,
): Partial<HealthSettings> {
  const number = (flag: keyof typeof HEALTH_FLAGS, minimum: number, maximum: number): number | undefined => {
    const text = flags[flag];
    if (text === undefined) return undefined;
    const value = Number(text);
    if (!Number.isFinite(value) || value < minimum || value > maximum)
      throw new Error(`--${flag}: expected a number from ${minimum} to ${maximum}, got "${text}"`);
    return value;
  };
  const settings: Partial<HealthSettings> = {};
  const debounce = number("alarm-debounce", 0, 3600);
  if (debounce !== undefined) settings.alarmDebounceMs = debounce * 1000;
  const days = number("history-days", 1, 3650);
  if (days !== undefined) settings.historyDays = days;
  const notifications: NotificationSettings = { ...DEFAULT_HEALTH_SETTINGS.notifications };
  notifications.digestMs = (number("alarm-digest", 0, 24 * 60) ?? 0) * 60_000;
  const url = flags["webhook-url"];
  if (url !== undefined) {
    if (!/^https?:\/\//.test(url)) throw new Error("--webhook-url: expected an http:// or https:// URL");
    const secret = env.RC_WEBHOOK_SECRET;
    if (!secret || secret.length < 16)
      throw new Error("--webhook-url: set RC_WEBHOOK_SECRET (16 characters or more) to sign its notifications");
    notifications.webhook = { url, secret };
  }
  const to = flags["alarm-email-to"];
  if (to !== undefined) {
    const smtpUrl = env.RC_SMTP_URL;
    if (!smtpUrl || !/^smtps?:\/\//.test(smtpUrl))
      throw new Error("--alarm-email-to: set RC_SMTP_URL (smtp://user:password@host:port) to send e-mail");
    const from = flags["alarm-email-from"];
    if (!from) throw new Error("--alarm-email-to: --alarm-email-from is required too");
    notifications.email = {
      smtpUrl,
      from,
      to: to
        .split(",")
        .map((address) => address.trim())
        .filter(Boolean),
    };
  }
  settings.notifications = notifications;
  return settings;
}
