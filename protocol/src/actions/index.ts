// Imperative requests (`rc/v1/rooms/{room}/request`): each action's params, checked by the controller before it
// sends and by the agent before it applies. Each capability keeps its actions in its own file here.
import { z } from "zod";
import type { ErrorCode } from "../messages.ts";
import { cameraActions } from "./camera.ts";
import { coreActions } from "./core.ts";
import { directorActions } from "./director.ts";
import { gpioActions } from "./gpio.ts";
import { mediaActions } from "./media.ts";
import { mixerActions } from "./mixer.ts";

export { presetName, storablePresetName } from "./camera.ts";

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

const paramsSchemas = new Map<ActionName, Record<string, unknown>>();

/**
 * Each action with the JSON Schema of its params, for `info` (a panel builds its forms from them). The schema says
 * what a client may send (defaults optional); checks across fields (e.g. "preset or seat") are not in it, the agent
 * still answers invalid_params. `$schema` is left out to keep `info` small: every one is draft 2020-12.
 */
export function describeActions(names: readonly ActionName[]): { name: ActionName; params: Record<string, unknown> }[] {
  return names.map((name) => {
    let params = paramsSchemas.get(name);
    if (params === undefined) {
      const { $schema: _, ...schema } = z.toJSONSchema(actionParams[name], { io: "input" });
      params = schema;
      paramsSchemas.set(name, params);
    }
    return { name, params };
  });
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
  unauthorized: 401,
  forbidden: 403,
  rate_limited: 429,
};
