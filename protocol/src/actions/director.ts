// The auto director: auto, manual (the operator cuts) or paused (resumes after the operator's idle delay).
import { z } from "zod";

export const directorActions = {
  "director.mode": z.strictObject({ mode: z.enum(["auto", "manual", "paused"]) }),
} as const;
