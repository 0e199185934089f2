// The one wait of the tests and benchmarks: asks again until the answer is there, or fails saying what it waited for.
// Nothing else in here, so unit tests in every workspace can import it without starting anything.

/**
 * Resolves with the probe's first truthy answer; asks again every `everyMs` while it gives a falsy one (false,
 * undefined, null, 0, ""), and throws once `timeoutMs` have passed.
 */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs = 15_000,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
