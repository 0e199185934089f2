// GPIO board requests: switch a relay of the room's pin map (display power, a door lamp…).
import { z } from "zod";
import { ID_PATTERN } from "../topics.ts";
import { deviceId } from "./core.ts";

export const gpioActions = {
  "gpio.relay": z.strictObject({
    device: deviceId,
    relay: z.string().regex(ID_PATTERN, "expected a relay id from the room profile"),
    on: z.boolean(),
  }),
} as const;
