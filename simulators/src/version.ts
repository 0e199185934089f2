// The simulators' version, from their package file, for the CLIs' --version.
import { readFileSync } from "node:fs";

export const SIMULATORS_VERSION: string = JSON.parse(
  readFileSync(new URL("../package.json", import.meta.url), "utf8"),
).version;
