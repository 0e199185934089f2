// Broker credentials for an agent: a JSON file {"username", "password"} (written by `controller rooms add`), or the
// environment (RC_AGENT_USERNAME, RC_AGENT_PASSWORD) — never the room profile.
import { readFileSync } from "node:fs";
import { z } from "zod";

export const agentCredentials = z.strictObject({ username: z.string().min(1), password: z.string().min(1) });
export type AgentCredentials = z.infer<typeof agentCredentials>;

export function readCredentials(file: string | undefined, roomId: string, env = process.env): AgentCredentials {
  if (file !== undefined) {
    let value: unknown;
    try {
      value = JSON.parse(readFileSync(file, "utf8"));
    } catch (error) {
      throw new Error(`${file}: expected a JSON file {"username", "password"} (${(error as Error).message})`);
    }
    const parsed = agentCredentials.safeParse(value);
    if (!parsed.success) throw new Error(`${file}: expected {"username": string, "password": string}`);
    return parsed.data;
  }
  const password = env.RC_AGENT_PASSWORD;
  if (!password) throw new Error("no broker credentials: give --credentials FILE or set RC_AGENT_PASSWORD");
  return { username: env.RC_AGENT_USERNAME || roomId, password };
}
