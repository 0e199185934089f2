// Imperative requests (`rc/v1/rooms/{room}/request`): each action's params, checked by the controller before it
// sends and by the agent before it applies. Each capability keeps its actions in its own file here.
import type { z } from "zod";
import type { ErrorCode } from "../messages.ts";
import { cameraActions } from "./camera.ts";
import { coreActions } from "./core.ts";
import { directorActions } from "./director.ts";
import { gpioActions } from "./gpio.ts";
import { mediaActions } from "./media.ts";
import { mixerActions } from "./mixer.ts";

export { presetName } from "./camera.ts";

export const actionParams = {
  ...coreActions,
  ...cameraActions,
  ...directorActions,
  ...mixerActions,
  ...mediaActions,
  ...gpioActions,
} as const;

export type ActionName = keyof typeof actionParams;
export type ActionParams<A extends ActionName> = z.output<(typeof actionParams)[A]>;

export function isActionName(name: string): name is ActionName {
  return Object.hasOwn(actionParams, name);
}

/** How the controller's REST API reports an agent's error. */
export const httpStatusOfError: Record<ErrorCode, number> = {
  invalid_params: 400,
  unknown_action: 400,
  not_found: 404,
  conflict: 409,
  device_unavailable: 409,
  device_error: 502,
  timeout: 504,
  internal: 500,
};
