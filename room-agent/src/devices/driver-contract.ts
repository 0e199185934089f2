// How a device kind is plugged in: what the room gives its drivers, how one is built, the requests it answers.
// Kept apart from the registry, which imports the kinds, so no kind imports its registry back.
import type { DeviceEntry, ModelOf, RoomProfile } from "@rc/hardware-profiles";
import type { ActionName, ActionParams, EventPayload } from "@rc/protocol";
import type { Logger } from "pino";
import type { PrivacyReports } from "../privacy.ts";
import type { RoomFacts } from "../room-facts.ts";
import type { DeviceDriver, DriverHooks, Reading } from "./device-driver.ts";

export type { DeviceDriver, DriverHooks, Reading };

/** What the room gives every driver it builds. */
export interface DriverContext {
  room: RoomProfile;
  log: Logger;
  /** The agent's own folder (state that outlives a restart of the agent). */
  dataDir: string;
  /** Room-wide facts (program camera, session, recording, privacy) a driver may follow or, if it owns one, set. */
  facts: RoomFacts;
  /** Privacy's owner, to which a switch, a request or a DSP's own button reports (it writes `facts.privacy`). */
  privacy: PrivacyReports;
  /** Publishes a room event (button pressed, meters…); `at` and `device` are filled in. */
  emitEvent(event: Pick<EventPayload, "type" | "reason" | "data">): void;
}

export type DeviceActionHandler<D, A extends ActionName> = (driver: D, params: ActionParams<A>) => Promise<unknown>;

export interface DeviceKindModule<E extends DeviceEntry = DeviceEntry, D extends DeviceDriver = DeviceDriver> {
  kind: E["kind"];
  /** The device's model file comes checked by its kind's schema (undefined for kinds without model files). */
  create(entry: E, model: ModelOf<E["kind"]>, context: DriverContext): D;
  /** Requests addressed to one device of this kind; their params carry `device`. */
  actions: { [A in ActionName]?: DeviceActionHandler<D, A> };
}
