// What a device driver is (DESIGN §3.2): what it implements for its supervisor and what it may tell it. Imports
// nothing of the room, so the supervisor (which privacy imports) does not import the room back.
import type { CapabilityDescriptor, DeviceKind } from "@rc/protocol";
import type { DeviceRoles } from "./device-roles.ts";

/** A reading: a scalar, or a list of names (a camera's presets). */
export type Reading = number | string | boolean | null | string[];

/** What a driver implements; the supervisor decides when each is called. */
export interface DeviceDriver {
  readonly id: string;
  readonly kind: DeviceKind;
  readonly model: string;
  /** What room features may ask of it (meters, framing presets, switching the program, privacy), if anything. */
  readonly roles?: DeviceRoles;
  capabilities(): CapabilityDescriptor[];
  /** Open the transport and run the init sequence. Throw BadConfigError when retrying cannot help. */
  connect(hooks: DriverHooks): Promise<void>;
  /** A cheap question the device must answer; throw when it does not. */
  probe(): Promise<void>;
  /** Close the transport; must be safe to call at any time, also twice. */
  disconnect(): Promise<void>;
  /** Done with for good (after a disconnect): end what a driver keeps between connections (the media spare). */
  shutdown?(): Promise<void>;
  /**
   * Resolves when it is worth connecting before the backoff ends: a serial port that was missing has appeared again
   * (a USB adapter or a cable plugged back in). Never resolves when there is nothing to watch for; stops at `signal`.
   */
  reachableAgain?(signal: AbortSignal): Promise<void>;
  /** Put back what the room wants (levels, tally, presets…) after a (re)connect. */
  reapply(): Promise<void>;
  /** The device's part of the reported state. */
  readings(): Record<string, Reading>;
}

/** What a driver may tell its supervisor between probes. */
export interface DriverHooks {
  /** The transport went away (socket closed, port unplugged): reconnect now instead of waiting for probes. */
  lost(reason: string): void;
  /** Readings changed on the device's own initiative. */
  changed(): void;
}
