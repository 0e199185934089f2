// Reads a JSON profile and checks it against its schema; every error names the file, the path and the expectation.
import { readFileSync } from "node:fs";
import type { z } from "zod";

export class ProfileError extends Error {
  constructor(
    readonly file: string,
    readonly problems: { path: string; expected: string }[],
  ) {
    super(`${file}: ${problems.map((p) => `${p.path}: ${p.expected}`).join("; ")}`);
    this.name = "ProfileError";
  }
}

/** A path into a profile as its errors name it: `devices[1].buttons[0].seat`. */
export function pathOf(path: PropertyKey[]): string {
  if (path.length === 0) return "(root)";
  return path
    .map((key, index) => (typeof key === "number" ? `[${key}]` : `${index ? "." : ""}${String(key)}`))
    .join("");
}

/** Checks an already parsed value; `file` is only used to name the source in errors. */
export function validateProfile<S extends z.ZodType>(schema: S, value: unknown, file: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new ProfileError(
    file,
    parsed.error.issues.map((issue) => ({ path: pathOf(issue.path), expected: issue.message })),
  );
}

export function readJsonFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new ProfileError(file, [{ path: "(file)", expected: `a readable file (${(error as Error).message})` }]);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ProfileError(file, [{ path: "(file)", expected: `valid JSON (${(error as Error).message})` }]);
  }
}

export function loadProfile<S extends z.ZodType>(schema: S, file: string): z.output<S> {
  return validateProfile(schema, readJsonFile(file), file);
}
