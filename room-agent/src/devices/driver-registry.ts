// Which driver serves which device kind, and the requests each kind answers. A kind registers here once.

import type { DeviceEntry, RoomProfile } from "@rc/hardware-profiles";
import type { ActionName, ActionParams, DeviceKind, EventPayload } from "@rc/protocol";
import type { Logger } from "pino";
import type { PrivacyReports } from "../privacy.ts";
import type { RoomFacts } from "../room-facts.ts";
import { cameraKind } from "./camera/camera-driver.ts";
import type { DeviceDriver } from "./device-supervisor.ts";
import { gpioKind } from "./gpio/gpio-driver.ts";
import { mediaKind } from "./media/media-driver.ts";
import { mixerKind } from "./mixer/mixer-driver.ts";
import { testDeviceKind } from "./test-device.ts";

export interface DriverContext {
  room: RoomProfile;
  /** The device's model file, already checked by its schema (undefined for kinds without model files). */
  model: unknown;
  log: Logger;
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
  create(entry: E, context: DriverContext): D;
  /** Requests addressed to one device of this kind; their params carry `device`. */
  actions: { [A in ActionName]?: DeviceActionHandler<D, A> };
}

// biome-ignore lint/suspicious/noExplicitAny: each kind's module knows its own driver class; the agent only routes.
type ModuleOf<K extends DeviceKind> = DeviceKindModule<Extract<DeviceEntry, { kind: K }>, any>;

/** Kinds without a module yet are reported `disabled` with the reason, so the rest of the room still runs. */
export const deviceKinds: { [K in DeviceKind]?: ModuleOf<K> } = {
  camera: cameraKind,
  mixer: mixerKind,
  gpio: gpioKind,
  media: mediaKind,
  test: testDeviceKind,
};
