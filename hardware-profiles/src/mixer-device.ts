// Audio DSPs over RS-232: the room profile's device line, and the model file that describes a DSP's serial
// protocol as data (DESIGN §3.3) — framing, init, keep-alive, command templates, reply/error/unsolicited patterns
// and value encodings — so that a new DSP model needs a profile and no code.
import { z } from "zod";
import { deviceEntryBase, modelName } from "./device-entry.ts";

export const mixerDeviceEntry = deviceEntryBase.extend({
  kind: z.literal("mixer"),
  model: modelName,
  connection: z.strictObject({
    /** Serial device, e.g. /dev/ttyUSB0 (a socat pty in tests and the demo). */
    path: z.string().min(1),
    baudRate: z.int().positive().optional(),
  }),
  /** This room's names for the model's bindings (DSP block tags, controller numbers), where they differ. */
  bindings: z.record(z.string(), z.string()).default({}),
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

/** The values commands carry; a template names them as {channel}, {muted}, {levelDb}, {stepDb}, {preset}. */
export const MIXER_VALUES = ["channel", "muted", "levelDb", "stepDb", "preset"] as const;
export const MIXER_COMMANDS = [
  "setMute",
  "getMute",
  "setLevel",
  "getLevel",
  "stepLevel",
  "recallPreset",
  "subscribeMeter",
] as const;
export const MIXER_EVENTS = ["meter", "mute", "level", "reboot"] as const;

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
    meterMode: z.enum(["subscribe", "push", "none"]),
    /** Mic channels to subscribe meters for, when meterMode is "subscribe". */
    channels: z.int().min(1).max(128),
  })
  .superRefine((profile, context) => {
    const known = new Set<string>([...MIXER_VALUES, ...Object.keys(profile.bindings)]);
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
    if (profile.meterMode === "subscribe" && !profile.commands.subscribeMeter) {
      context.addIssue({
        code: "custom",
        path: ["commands", "subscribeMeter"],
        message: "a template (meterMode is subscribe)",
      });
    }
  });
export type MixerModelProfile = z.infer<typeof mixerModelProfile>;
