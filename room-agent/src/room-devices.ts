// The room's devices, each under its supervisor, as the root and the features see them: by id (a request names one)
// or by role (the director wants a meter source and cameras that frame presets, privacy every mixer holding mics).
import { AgentError } from "./agent-error.ts";
import type { DeviceRole, DeviceRoles } from "./devices/device-roles.ts";
import type { DeviceSupervisor } from "./devices/device-supervisor.ts";

/** Why a device line of the profile is never started: its kind has no driver in this agent version. */
export const NO_DRIVER = "no driver for this kind of device in this agent version";

export interface WithRole<R extends DeviceRole> {
  supervisor: DeviceSupervisor;
  role: NonNullable<DeviceRoles[R]>;
}

export class RoomDevices implements Iterable<DeviceSupervisor> {
  private readonly supervisors = new Map<string, DeviceSupervisor>();
  /** Device lines whose kind has no driver here, by id: reported `disabled`, never started. */
  readonly unsupported = new Map<string, string>();

  add(supervisor: DeviceSupervisor): void {
    this.supervisors.set(supervisor.id, supervisor);
  }

  get size(): number {
    return this.supervisors.size;
  }

  [Symbol.iterator](): Iterator<DeviceSupervisor> {
    return this.supervisors.values();
  }

  find(id: string): DeviceSupervisor | undefined {
    return this.supervisors.get(id);
  }

  /** The device a request names; the error says whether it does not exist or has no driver here. */
  get(id: string, room: string): DeviceSupervisor {
    const supervisor = this.supervisors.get(id);
    if (supervisor) return supervisor;
    if (this.unsupported.has(id)) throw new AgentError("device_unavailable", `${id}: ${NO_DRIVER}`);
    throw new AgentError("not_found", `no device "${id}" in room ${room}`);
  }

  /** Every device playing the role, answering or not (its last known state may still count, as a mixer's mutes). */
  withRole<R extends DeviceRole>(role: R): WithRole<R>[] {
    const found: WithRole<R>[] = [];
    for (const supervisor of this.supervisors.values()) {
      const played = supervisor.driver.roles?.[role];
      if (played) found.push({ supervisor, role: played as NonNullable<DeviceRoles[R]> });
    }
    return found;
  }

  /** One device's role, if that device plays it. */
  roleOf<R extends DeviceRole>(id: string, role: R): WithRole<R> | undefined {
    const supervisor = this.supervisors.get(id);
    const played = supervisor?.driver.roles?.[role];
    return supervisor && played ? { supervisor, role: played as NonNullable<DeviceRoles[R]> } : undefined;
  }

  /** The devices playing the role that can take commands now (DeviceSupervisor.answering). */
  answering<R extends DeviceRole>(role: R): WithRole<R>[] {
    return this.withRole(role).filter(({ supervisor }) => supervisor.answering);
  }
}
