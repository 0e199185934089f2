// A failed request in words: what happened and what to do, from the catalogue; never a stack trace.
import { ApiError } from "../api.ts";
import { messages } from "../i18n/index.ts";

export function describeFailure(failure: unknown): string {
  const errors = messages().errors;
  if (failure instanceof ApiError) {
    if (failure.code === "rate_limited" && failure.retryAfterS !== null) {
      return messages().tooManyTries({ s: failure.retryAfterS });
    }
    return errors[failure.code];
  }
  return errors.internal;
}
