// Audio DSPs over RS-232: the room profile's device line, and the model file that describes a DSP's serial
// protocol as data (DESIGN §3.3) — framing, init, keep-alive, command templates, reply/error/unsolicited patterns
// and value encodings — so that a new DSP model needs a profile and no code.
import { ID_PATTERN } from "@rc/protocol";
import { z } from "zod";
import { deviceEntryBase, modelName } from "./device-entry.ts";

export const mixerDeviceEntry = deviceEntryBase.extend({
  kind: z.literal("mixer"),
  model: modelName,
  connection: z.strictObject(
    {
      /** Serial device, e.g. /dev/ttyUSB0 (a socat pty in tests and the demo). */
      path: z.string().min(1),
      baudRate: z.int().positive().optional(),
      /** For a DSP that asks for a login (the model's `login`): the user name, and the name of the environment
       *  variable holding the password, so profiles carry no secrets. */
      username: z.string().min(1).optional(),
      passwordEnv: z.string().min(1).optional(),
    },
    {
      error: (issue) =>
        issue.code === "unrecognized_keys"
          ? `only path, baudRate, username and passwordEnv (a password is never written in a profile: passwordEnv names the environment variable that holds it); got ${issue.keys.map((key) => `"${key}"`).join(", ")}`
          : undefined,
    },
  ),
  /** This room's names for the model's bindings (DSP block tags, controller numbers), where they differ. */
  bindings: z.record(z.string(), z.string()).default({}),
  /** The DSP's own address of the room's program (loudspeaker) volume: a Tesira Level block tag, an Extron output
   *  object id, a Symetrix controller number. */
  programVolume: z.string().min(1).optional(),
  /** Mute groups by the room's name for them, each the DSP's own address (Tesira Mute block tag, Extron group
   *  master number, Symetrix controller number). Privacy mutes the group called "mics" when there is one. */
  muteGroups: z
    .record(z.string(), z.string().min(1))
    .default({})
    .superRefine((groups, context) => {
      for (const name of Object.keys(groups)) {
        if (ID_PATTERN.test(name)) continue;
        context.addIssue({
          code: "custom",
          path: [name],
          message: `a group name in lower case (letters, digits, '-'), e.g. "mics"; got "${name}"`,
        });
      }
    }),
});
export type MixerDeviceEntry = z.infer<typeof mixerDeviceEntry>;

/** How a value is written on the wire, and read back. */
export const valueEncoding = z.discriminatedUnion("kind", [
  /** A decimal number with a fixed number of decimals (Tesira: `-10.000000`). */
  z.strictObject({ kind: z.literal("decimal"), decimals: z.int().min(0).max(6) }),
  /** An integer `round(offset + scale × value)`, padded with zeros to `digits` if given (Extron, Symetrix). */
  z.strictObject({
    kind: z.literal("linear"),
    offset: z.number(),
    scale: z.number().refine((scale) => scale !== 0, "a non-zero scale"),
    digits: z.int().min(1).max(10).optional(),
  }),
  /** Words for each value (`true` → `1`). */
  z.strictObject({ kind: z.literal("map"), values: z.record(z.string(), z.string()) }),
]);
export type ValueEncoding = z.infer<typeof valueEncoding>;

/**
 * The values commands carry; a template names them as {channel}, {muted}, {levelDb}, {stepDb}, {preset}, and
 * {control} / {group} for the room's program volume / mute group address. A relative step is also offered split in
 * two, {stepUp} (true/false) and {stepSize} (its size without sign), for protocols that send the direction apart
 * (Symetrix `CC`). Unsolicited patterns name what they carry with the same names as groups: (?<channel>…).
 */
export const MIXER_VALUES = [
  "channel",
  "muted",
  "levelDb",
  "stepDb",
  "stepUp",
  "stepSize",
  "preset",
  "control",
  "group",
] as const;
export const MIXER_COMMANDS = [
  "setMute",
  "getMute",
  "setLevel",
  "getLevel",
  "stepLevel",
  "recallPreset",
  /** Meters: read one (meterMode "poll"), or ask for them to be sent (meterMode "subscribe"). */
  "getMeter",
  "subscribeMeter",
  /** Ask for change notices of a channel's mute and level (Tesira subscriptions), sent once per mic channel. */
  "subscribeMute",
  "subscribeLevel",
  /** The room's program volume, {control}. */
  "setVolume",
  "getVolume",
  "stepVolume",
  "subscribeVolume",
  /** A mute group, {group}. */
  "setGroupMute",
  "getGroupMute",
  "subscribeGroupMute",
] as const;
export const MIXER_EVENTS = ["meter", "mute", "level", "volume", "groupMute", "reboot"] as const;
/** Placeholders a template may use besides the values and bindings. */
const PROFILE_PLACEHOLDERS = ["meterIntervalMs"] as const;
/** Placeholders only a login step may use: the room line's user name and password. */
export const LOGIN_PLACEHOLDERS = ["username", "password"] as const;

const regex = z.string().superRefine((source, context) => {
  try {
    new RegExp(source);
  } catch (error) {
    context.addIssue({ code: "custom", message: `a valid regular expression (${(error as Error).message})` });
  }
});

const command = z.strictObject({
  /** What to send, with {placeholders}; the terminator is added. */
  send: z.string().min(1),
  /** The reply that answers it: a regular expression in which {placeholders} stand for the values sent. */
  expect: z.string().min(1),
  /** Encodings for this command only (e.g. a different controller number range per control). */
  encodings: z.record(z.string(), valueEncoding).default({}),
});

export const mixerModelProfile = z
  .strictObject({
    $schema: z.string().optional(),
    model: modelName,
    vendor: z.string(),
    description: z.string().optional(),
    serial: z.strictObject({
      baudRate: z.int().positive(),
      dataBits: z.union([z.literal(7), z.literal(8)]).default(8),
      parity: z.enum(["none", "even", "odd"]).default("none"),
      stopBits: z.union([z.literal(1), z.literal(2)]).default(1),
    }),
    framing: z.strictObject({
      /** Appended to every command, e.g. "\n" or "\r". */
      terminator: z.string().min(1),
      /** Characters removed from every received line (stray NULs, the ESC of an echoed command). */
      strip: z.string().default("\u0000"),
      /** Drop a received line equal to the last command sent (ports that echo). */
      ignoreEcho: z.boolean().default(true),
      maxLineLength: z.int().min(16).max(65536).default(4096),
    }),
    // One command on the wire at a time (pipelining several is not supported yet), each with a time-out.
    pacing: z
      .strictObject({
        inFlight: z.literal(1).default(1),
        timeoutMs: z.int().min(50).max(30_000).default(1000),
      })
      .default({ inFlight: 1, timeoutMs: 1000 }),
    /** Site-specific names used in templates as {name}, with defaults (a room profile may override them). */
    bindings: z.record(z.string(), z.string()).default({}),
    encodings: z.record(z.string(), valueEncoding).default({}),
    /**
     * A DSP with security on asks for a login before it takes commands (a Tesira on RS-232). The driver sends an
     * empty line after opening the port: a DSP at its login prompt prints `prompt` again (a prompt may come without
     * a line end), one already logged in ignores it. Then `steps` run in turn, {username} and {password} from the
     * room's line. A line matching `rejected` during the steps is a wrong user name or password: the device is
     * bad_config and the login is not tried again, so the DSP never locks the account.
     */
    login: z
      .strictObject({
        prompt: regex,
        steps: z.array(z.strictObject({ send: z.string().min(1), expect: regex })).min(1),
        rejected: regex,
      })
      .optional(),
    init: z.array(z.strictObject({ send: z.string().min(1), expect: regex })).default([]),
    keepAlive: z.strictObject({ send: z.string().min(1), expect: regex, intervalMs: z.int().min(100) }),
    commands: z.partialRecord(z.enum(MIXER_COMMANDS), command),
    errors: z.array(regex).min(1),
    unsolicited: z
      .array(
        z.strictObject({
          event: z.enum(MIXER_EVENTS),
          pattern: regex,
          encodings: z.record(z.string(), valueEncoding).default({}),
        }),
      )
      .default([]),
    /** How meters arrive: asked for once (subscribe), read every meterIntervalMs (poll), sent by the DSP on its own
     *  (push), or not at all. */
    meterMode: z.enum(["subscribe", "poll", "push", "none"]),
    /** How often each channel's meter comes: asked of the DSP where the protocol allows it ({meterIntervalMs} in a
     *  template), the poll period in poll mode, otherwise what the DSP does by itself. */
    meterIntervalMs: z.int().min(20).max(30_000).default(100),
    /** Mic channels (meters, mutes and levels are read and subscribed for each). */
    channels: z.int().min(1).max(128),
    /** What a {control} (program volume) and a {group} (mute group) address looks like on this model, so that a room
     *  naming something else is refused when it is loaded, not when the operator first touches the control. */
    addresses: z
      .strictObject({
        control: z.strictObject({ pattern: regex, description: z.string().min(1) }).optional(),
        group: z.strictObject({ pattern: regex, description: z.string().min(1) }).optional(),
      })
      .default({}),
  })
  .superRefine((profile, context) => {
    const known = new Set<string>([...MIXER_VALUES, ...PROFILE_PLACEHOLDERS, ...Object.keys(profile.bindings)]);
    for (const [name, spec] of Object.entries(profile.commands)) {
      for (const field of ["send", "expect"] as const) {
        for (const [, placeholder] of spec![field].matchAll(/\{(\w+)\}/g)) {
          if (!known.has(placeholder!)) {
            context.addIssue({
              code: "custom",
              path: ["commands", name, field],
              message: `only known placeholders (${[...known].join(", ")}); got {${placeholder}}`,
            });
          }
        }
      }
    }
    const constants = new Set<string>([...PROFILE_PLACEHOLDERS, ...Object.keys(profile.bindings)]);
    const own = [
      ...profile.init.map((step, index) => ({ path: ["init", index, "send"], send: step.send, login: false })),
      { path: ["keepAlive", "send"], send: profile.keepAlive.send, login: false },
      ...(profile.login?.steps ?? []).map((step, index) => ({
        path: ["login", "steps", index, "send"],
        send: step.send,
        login: true,
      })),
    ];
    for (const { path, send, login } of own) {
      const allowed = login ? [...LOGIN_PLACEHOLDERS, ...constants] : [...constants];
      for (const [, placeholder] of send.matchAll(/\{(\w+)\}/g)) {
        if (!allowed.includes(placeholder!)) {
          context.addIssue({
            code: "custom",
            path,
            message: `only ${login ? `${LOGIN_PLACEHOLDERS.join(", ")}, ` : ""}bindings and ${PROFILE_PLACEHOLDERS.join(", ")} as placeholders; got {${placeholder}}`,
          });
        }
      }
    }
    for (const [index, rule] of profile.unsolicited.entries()) {
      for (const [, group] of rule.pattern.matchAll(/\(\?<(\w+)>/g)) {
        if (!(MIXER_VALUES as readonly string[]).includes(group!)) {
          context.addIssue({
            code: "custom",
            path: ["unsolicited", index, "pattern"],
            message: `named groups among ${MIXER_VALUES.join(", ")}; got (?<${group}>`,
          });
        }
      }
    }
    const needed = { subscribe: "subscribeMeter", poll: "getMeter" } as const;
    const meterCommand = needed[profile.meterMode as keyof typeof needed];
    if (meterCommand && !profile.commands[meterCommand]) {
      context.addIssue({
        code: "custom",
        path: ["commands", meterCommand],
        message: `a template (meterMode is ${profile.meterMode})`,
      });
    }
    for (const [name, spec] of Object.entries(profile.commands)) {
      for (const address of ["control", "group"] as const) {
        if (`${spec!.send}${spec!.expect}`.includes(`{${address}}`) && !profile.addresses[address]) {
          context.addIssue({
            code: "custom",
            path: ["addresses", address],
            message: `what a {${address}} looks like (commands.${name} uses it)`,
          });
        }
      }
    }
  });
export type MixerModelProfile = z.infer<typeof mixerModelProfile>;

/**
 * What a room's mixer line asks of its model: bindings the model has, and program volume and mute group addresses
 * of the shape the model describes, with commands to drive them. Paths are relative to the device line.
 */
export function mixerEntryProblems(
  entry: MixerDeviceEntry,
  model: MixerModelProfile,
): { path: (string | number)[]; expected: string }[] {
  const problems: { path: (string | number)[]; expected: string }[] = [];
  const bindings = Object.keys(model.bindings);
  for (const name of Object.keys(entry.bindings)) {
    if (!bindings.includes(name)) {
      problems.push({
        path: ["bindings", name],
        expected: `a binding of ${model.model} (${bindings.join(", ") || "it has none"}); got "${name}"`,
      });
    }
  }
  const check = (path: (string | number)[], address: string, kind: "control" | "group", command: string) => {
    const shape = model.addresses[kind];
    if (!model.commands[command as keyof typeof model.commands] || !shape) {
      problems.push({ path, expected: `a model with a ${command} command; ${model.model} has none` });
    } else if (!new RegExp(shape.pattern).test(address)) {
      problems.push({ path, expected: `${shape.description} (${model.model}); got "${address}"` });
    }
  };
  if (entry.programVolume !== undefined) check(["programVolume"], entry.programVolume, "control", "setVolume");
  for (const [name, address] of Object.entries(entry.muteGroups)) {
    check(["muteGroups", name], address, "group", "setGroupMute");
  }
  return problems;
}
