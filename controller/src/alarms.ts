// Alarms (issue 14 part 3): a condition (health-rollup.ts) that lasts the debounce raises one alarm for its subject;
// the alarm follows the condition's status while it lasts, clears when it is gone, and can be acknowledged with a
// note. Maintenance windows per room or device keep alarms from being raised inside them (a condition still there
// when the window ends raises its alarm then). Pure apart from the clock it is given: the Health feature feeds it
// conditions and ticks it, and writes what it reports to the history and the notifiers.
import { randomBytes } from "node:crypto";
import type { AlarmCondition } from "./health-rollup.ts";

/** A condition that lasted the debounce, with when it was raised and cleared and who acknowledged it. */
export interface Alarm extends AlarmCondition {
  id: string;
  raisedAt: string;
  clearedAt: string | null;
  ack: { by: string; at: string; note: string } | null;
}

export interface MaintenanceWindow {
  id: string;
  room: string;
  /** null: the whole room. */
  device: string | null;
  from: string;
  until: string;
  reason: string;
  createdBy: string;
  createdAt: string;
}

export type AlarmChange = "raised" | "changed" | "cleared" | "acknowledged";

export interface AlarmBookOptions {
  debounceMs: number;
  now: () => number;
  /** Called for every change of an alarm, with a copy of it. */
  onChange: (change: AlarmChange, alarm: Alarm) => void;
  /** How many cleared alarms are kept for the list (the history keeps them all). */
  keepCleared?: number;
}

interface Pending {
  since: number;
  condition: AlarmCondition;
}

/** Sortable by when they were made: the lists page in that order. */
function newId(prefix: string, now: number): string {
  return `${prefix}-${now.toString(36).padStart(9, "0")}-${randomBytes(3).toString("hex")}`;
}

export class AlarmBook {
  /** Each room's conditions as last evaluated. */
  private readonly conditions = new Map<string, Map<string, AlarmCondition>>();
  private readonly pending = new Map<string, Pending>();
  /** Active alarms by key. */
  private readonly active = new Map<string, Alarm>();
  private cleared: Alarm[] = [];
  private readonly windows = new Map<string, MaintenanceWindow>();

  constructor(private readonly options: AlarmBookOptions) {}

  /** Takes back what was saved: the active alarms, the cleared ones kept, the maintenance windows. */
  restore(saved: { active: Alarm[]; cleared: Alarm[]; maintenance: MaintenanceWindow[] }): void {
    for (const alarm of saved.active) {
      this.active.set(alarm.key, alarm);
      // Its condition as it was when saved: the room's next evaluation keeps or clears it.
      const { key, kind, room, device, session, point, status, severity, detail } = alarm;
      const conditions = this.conditions.get(room) ?? new Map<string, AlarmCondition>();
      conditions.set(key, { key, kind, room, device, session, point, status, severity, detail });
      this.conditions.set(room, conditions);
    }
    this.cleared = saved.cleared.slice(-(this.options.keepCleared ?? 1000));
    for (const window of saved.maintenance) this.windows.set(window.id, window);
  }

  saved(): { active: Alarm[]; cleared: Alarm[]; maintenance: MaintenanceWindow[] } {
    return { active: [...this.active.values()], cleared: [...this.cleared], maintenance: [...this.windows.values()] };
  }

  /** The room's conditions now (null: unknown, nothing changes). Raises, updates and clears its alarms. */
  evaluate(room: string, conditions: AlarmCondition[] | null): void {
    if (conditions === null) return;
    const now = this.options.now();
    const current = new Map(conditions.map((condition) => [condition.key, condition]));
    const before = this.conditions.get(room) ?? new Map<string, AlarmCondition>();
    for (const key of before.keys()) {
      if (current.has(key)) continue;
      this.pending.delete(key);
      const alarm = this.active.get(key);
      if (alarm) this.clear(alarm, now);
    }
    for (const [key, condition] of current) {
      const alarm = this.active.get(key);
      if (alarm) {
        // A new status is a change worth a line of history; a new detail alone (a counter in it) is not.
        const changed = alarm.status !== condition.status;
        Object.assign(alarm, { status: condition.status, severity: condition.severity, detail: condition.detail });
        if (changed) this.options.onChange("changed", { ...alarm });
        continue;
      }
      const waiting = this.pending.get(key);
      if (waiting) waiting.condition = condition;
      else this.pending.set(key, { since: now, condition });
    }
    if (current.size > 0) this.conditions.set(room, current);
    else this.conditions.delete(room);
    this.tick();
  }

  /** Raises the alarms whose condition has lasted the debounce outside any maintenance window. */
  tick(): void {
    const now = this.options.now();
    for (const [key, waiting] of this.pending) {
      if (now - waiting.since < this.options.debounceMs || this.silenced(waiting.condition, now)) continue;
      this.pending.delete(key);
      const { condition } = waiting;
      const alarm: Alarm = {
        id: newId("alarm", now),
        key,
        kind: condition.kind,
        room: condition.room,
        device: condition.device,
        session: condition.session,
        point: condition.point,
        status: condition.status,
        severity: condition.severity,
        detail: condition.detail,
        raisedAt: new Date(now).toISOString(),
        clearedAt: null,
        ack: null,
      };
      this.active.set(key, alarm);
      this.options.onChange("raised", { ...alarm });
    }
  }

  /** Active alarms, then the cleared ones kept, newest first. */
  list(filter: { active?: boolean } = {}): Alarm[] {
    const active = filter.active === false ? [] : [...this.active.values()];
    const cleared = filter.active === true ? [] : this.cleared;
    return [...active, ...cleared].sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  }

  activeAlarms(): Alarm[] {
    return [...this.active.values()];
  }

  find(id: string): Alarm | undefined {
    for (const alarm of this.active.values()) if (alarm.id === id) return alarm;
    return this.cleared.find((alarm) => alarm.id === id);
  }

  /** Acknowledges an alarm (active or cleared); false if it was already acknowledged. */
  acknowledge(alarm: Alarm, by: string, note: string): boolean {
    if (alarm.ack) return false;
    alarm.ack = { by, at: new Date(this.options.now()).toISOString(), note };
    this.options.onChange("acknowledged", { ...alarm });
    return true;
  }

  addWindow(window: Omit<MaintenanceWindow, "id" | "createdAt">): MaintenanceWindow {
    const now = this.options.now();
    const made: MaintenanceWindow = { id: newId("mw", now), createdAt: new Date(now).toISOString(), ...window };
    this.windows.set(made.id, made);
    return made;
  }

  removeWindow(id: string): MaintenanceWindow | undefined {
    const window = this.windows.get(id);
    this.windows.delete(id);
    return window;
  }

  /** The windows not yet over, soonest first; those over are forgotten. */
  maintenanceWindows(): MaintenanceWindow[] {
    const now = this.options.now();
    for (const [id, window] of this.windows) if (Date.parse(window.until) <= now) this.windows.delete(id);
    return [...this.windows.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  private silenced(condition: AlarmCondition, now: number): boolean {
    for (const window of this.windows.values()) {
      if (window.room !== condition.room) continue;
      if (window.device !== null && window.device !== condition.device) continue;
      if (Date.parse(window.from) <= now && now < Date.parse(window.until)) return true;
    }
    return false;
  }

  private clear(alarm: Alarm, now: number): void {
    this.active.delete(alarm.key);
    alarm.clearedAt = new Date(now).toISOString();
    this.cleared.push(alarm);
    const keep = this.options.keepCleared ?? 1000;
    if (this.cleared.length > keep) this.cleared.splice(0, this.cleared.length - keep);
    this.options.onChange("cleared", { ...alarm });
  }
}
