// The agent's own requests and the test device's.
import { z } from "zod";
import { ID_PATTERN } from "../topics.ts";

export const deviceId = z.string().regex(ID_PATTERN, "expected a device id");

export const coreActions = {
  /** Re-publish every retained topic of the room. */
  "state.resync": z.strictObject({}),
  /** Stop and start one device driver (IT's "restart driver"). */
  "device.restart": z.strictObject({ device: deviceId }),
  /** The test device's register: proves the request path, idempotency and re-applying after reconnect. */
  "test.set": z.strictObject({ device: deviceId, value: z.int().min(-1_000_000).max(1_000_000) }),
  /** Answers after a delay, so time-outs can be tested without a broken agent. */
  "test.delay": z.strictObject({ device: deviceId, ms: z.int().min(0).max(60_000) }),
} as const;
