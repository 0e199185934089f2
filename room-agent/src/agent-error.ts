import type { ErrorCode } from "@rc/protocol";

/** An error the agent answers a request with: the code picks the HTTP status at the controller. */
export class AgentError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "AgentError";
  }
}

/** A driver throws this when its configuration can never work: the device goes to `bad_config`, no retries. */
export class BadConfigError extends Error {
  override name = "BadConfigError";
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
