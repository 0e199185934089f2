// The simulators' command lines, one way for all three: flags (each also an environment variable, see
// @rc/protocol's command-line), -h/--help and --version answered and ended here, a bad flag a usage error (exit 2).
import { readFileSync } from "node:fs";
import { type ParseArgsConfig, parseArgs } from "node:util";
import { environmentHelp, withEnvironment } from "@rc/protocol";

type Options = NonNullable<ParseArgsConfig["options"]>;

const VERSION: string = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")).version;

/** The parsed flags, and how to refuse a value with the usage text; `usage` gets the variables' lines added. */
export function simulatorArguments<const T extends Options>(spec: {
  name: string;
  options: T;
  prefix: string;
  usage: string;
}) {
  const options = { ...spec.options, help: { type: "boolean", short: "h" }, version: { type: "boolean" } } as const;
  const usage = `${spec.usage}\n${environmentHelp(options, spec.prefix)}`;
  const usageError = (message: string): never => {
    console.error(`${message}\n${usage}`);
    process.exit(2);
  };
  let values: ReturnType<typeof parseArgs<{ options: typeof options; args: string[] }>>["values"];
  try {
    const args = withEnvironment(options, process.argv.slice(2), process.env, spec.prefix);
    values = parseArgs({ args, options }).values;
  } catch (error) {
    return usageError((error as Error).message);
  }
  const asked = values as { help?: boolean; version?: boolean };
  if (asked.help || asked.version) {
    console.log(asked.help ? usage : `${spec.name} simulator ${VERSION}`);
    process.exit(0);
  }
  return { values, usageError };
}
