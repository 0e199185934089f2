// How the programs of the system take their settings: long flags, each of which can also come from an environment
// variable named after it (--archive-url is RC_AGENT_ARCHIVE_URL for the room agent), so a systemd unit or a
// container sets them without a shell line; a flag on the command line wins over its variable. Pure, without node:
// imports, because the panel's bundle includes this package.

/** A flag as node:util parseArgs describes it. */
export interface FlagOption {
  type: "string" | "boolean";
  multiple?: boolean;
  short?: string;
}

/** Only ever from the command line. */
const COMMAND_LINE_ONLY = new Set(["help", "version"]);

/** The variable that sets a flag: the program's prefix, then the flag in capitals with `_` for `-`. */
export function environmentVariable(prefix: string, flag: string): string {
  return `${prefix}${flag.toUpperCase().replaceAll("-", "_")}`;
}

/**
 * The arguments to parse: `--flag=value` for each variable that is set and whose flag is not on the command line,
 * then the command line. A boolean's variable says 1/true/yes or 0/false/no; a multiple flag's variable lists its
 * values separated by commas. Throws an Error naming the variable when a boolean's value is neither.
 */
export function withEnvironment(
  options: Record<string, FlagOption>,
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  prefix: string,
): string[] {
  const byShort = new Map(
    Object.entries(options).flatMap(([flag, option]) => (option.short ? [[option.short, flag]] : [])),
  );
  const given = new Set<string>();
  for (const arg of args) {
    if (arg === "--") break;
    const long = /^--([^=]+)/.exec(arg);
    if (long) given.add(long[1]!);
    else if (/^-\w/.test(arg)) for (const letter of arg.slice(1)) given.add(byShort.get(letter) ?? letter);
  }
  const fromEnvironment: string[] = [];
  for (const [flag, option] of Object.entries(options)) {
    if (COMMAND_LINE_ONLY.has(flag) || given.has(flag)) continue;
    const name = environmentVariable(prefix, flag);
    const value = env[name];
    if (value === undefined || value === "") continue;
    if (option.type === "boolean") {
      if (/^(1|true|yes)$/i.test(value)) fromEnvironment.push(`--${flag}`);
      else if (!/^(0|false|no)$/i.test(value))
        throw new Error(`${name}: expected 1/true/yes or 0/false/no, got "${value}"`);
      continue;
    }
    const values = option.multiple ? value.split(",").map((item) => item.trim()) : [value];
    for (const item of values) if (item !== "") fromEnvironment.push(`--${flag}=${item}`);
  }
  return [...fromEnvironment, ...args];
}

/** The usage text's closing lines: which variable sets which flag. */
export function environmentHelp(options: Record<string, FlagOption>, prefix: string): string {
  const flags = Object.keys(options).filter((flag) => !COMMAND_LINE_ONLY.has(flag));
  const lines = flags.map((flag) => `  --${flag.padEnd(16)} ${environmentVariable(prefix, flag)}`);
  return ["Each flag can also be set by an environment variable (a flag on the command line wins):", ...lines].join(
    "\n",
  );
}
