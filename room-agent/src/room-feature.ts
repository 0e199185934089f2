// A room feature (Zigbee2MQTT's extensions, STYLE 1): one piece of room policy with its own life, requests and part
// of the reported state. The root starts them in order and stops them in reverse, each in its own try/catch, so one
// that fails cannot take the others down.
import type { StatePayload } from "@rc/protocol";
import type { RequestHandler } from "./request-dispatcher.ts";

export interface RoomFeature {
  readonly name: string;
  start(): void | Promise<void>;
  stop(): void | Promise<void>;
  /** Requests this feature answers, by action. */
  readonly actions?: ReadonlyMap<string, RequestHandler>;
  /** Heard before a device request runs (the director pauses when an operator aims a camera by hand). */
  beforeRequest?(action: string, params: Record<string, unknown>): void;
  /** Its part of the reported state. */
  state?(): Partial<StatePayload>;
}
