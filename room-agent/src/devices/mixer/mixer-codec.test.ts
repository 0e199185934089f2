// "Send this line, the DSP answers this": each profile against the exact strings of research/mixer-protocols.md.
import { join } from "node:path";
import {
  DEVICE_MODELS_DIR,
  loadProfile,
  mixerModelProfile,
  ProfileError,
  validateProfile,
} from "@rc/hardware-profiles";
import { describe, expect, it } from "vitest";
import { MixerCodec, type MixerCommandName, type MixerValues } from "./mixer-codec.ts";

const codecFor = (model: string, bindings?: Record<string, string>) =>
  new MixerCodec(loadProfile(mixerModelProfile, join(DEVICE_MODELS_DIR, "mixer", `${model}.json`)), bindings);

/** Encodes a command, then feeds the device's lines and returns what the codec made of each. */
function exchange(codec: MixerCodec, command: MixerCommandName, values: MixerValues, answer: string[]) {
  const encoded = codec.encode(command, values);
  return {
    sent: encoded.line,
    seen: answer.map((line) => codec.classify(line, { sent: encoded.line, command: encoded })),
  };
}

describe("Biamp Tesira (TTP)", () => {
  const tesira = codecFor("biamp-tesira");

  it("sets and reads mutes and levels", () => {
    expect(exchange(tesira, "setMute", { channel: 1, muted: true }, ["+OK"])).toEqual({
      sent: "Mute1 set mute 1 true\n",
      seen: [{ kind: "reply", values: {} }],
    });
    expect(exchange(tesira, "getLevel", { channel: 1 }, ['+OK "value":-10.000000']).seen).toEqual([
      { kind: "reply", values: { levelDb: -10 } },
    ]);
    expect(exchange(tesira, "getMute", { channel: 1 }, ['+OK "value":false']).seen).toEqual([
      { kind: "reply", values: { muted: false } },
    ]);
    expect(exchange(tesira, "stepLevel", { channel: 1, stepDb: 3 }, ["+OK"]).sent).toBe(
      "Level1 increment level 1 3.0\n",
    );
    expect(exchange(tesira, "recallPreset", { preset: 1001 }, ["+OK"]).sent).toBe("DEVICE recallPreset 1001\n");
  });

  it("uses the room's block names", () => {
    expect(
      codecFor("biamp-tesira", { levelBlock: "MicLevels" }).encode("setLevel", { channel: 2, levelDb: -6 }).line,
    ).toBe("MicLevels set level 2 -6.0\n");
  });

  it("tells a meter that arrives before the +OK from the reply, and ignores the echo", () => {
    const { seen } = exchange(tesira, "subscribeMeter", { channel: 3 }, [
      "AudioMeter1 subscribe level 3 mic3 100",
      '! "publishToken":"mic3" "value":-42.799999',
      "+OK",
    ]);
    expect(seen).toEqual([
      { kind: "echo" },
      { kind: "unsolicited", event: "meter", values: { channel: 3, levelDb: -42.799999 } },
      { kind: "reply", values: {} },
    ]);
    expect(exchange(tesira, "subscribeMeter", { channel: 3 }, ["-ERR ALREADY_SUBSCRIBED"]).seen[0]).toMatchObject({
      kind: "reply",
    });
  });

  it("reports every documented error with its text", () => {
    const errors = [
      '-ERR address not found: {"deviceId":0 "classCode":0 "instanceNum":0}',
      "-ERR Parse error at 8: verb was not one of the commands supported by Services",
      "-ERR INVALID_PARAMETER Index out of range:channelIndex min:1 max:8 received:10",
      "-ERR WRONG_STATE",
      "-CANNOT_DELIVER",
      "-GENERAL_FAILURE",
    ];
    const { seen } = exchange(tesira, "setLevel", { channel: 10, levelDb: 0 }, errors);
    expect(seen.map((s) => s.kind)).toEqual(errors.map(() => "error"));
    expect(seen[2]).toEqual({
      kind: "error",
      message: "INVALID_PARAMETER Index out of range:channelIndex min:1 max:8 received:10",
    });
  });
});

describe("Extron DMP 128 Plus and the original DMP 128 (SIS)", () => {
  const plus = codecFor("extron-dmp128-plus");
  const original = codecFor("extron-dmp128");

  it("addresses input n as object 4000(n-1) and encodes the gain per generation", () => {
    expect(plus.encode("setLevel", { channel: 2, levelDb: 12 }).line).toBe("\u001bG40001*120AU\r");
    expect(original.encode("setLevel", { channel: 2, levelDb: 24 }).line).toBe("\u001bG40001*2288AU\r");
    expect(exchange(original, "getLevel", { channel: 1 }, ["DsG40000*1948"]).seen).toEqual([
      { kind: "reply", values: { levelDb: -10 } },
    ]);
    expect(exchange(plus, "setMute", { channel: 1, muted: true }, ["DsM40000*1"]).seen).toEqual([
      { kind: "reply", values: {} },
    ]);
  });

  it("reads changes made at the front panel and meters as unsolicited lines", () => {
    expect(plus.classify("DsM40003*0")).toEqual({
      kind: "unsolicited",
      event: "mute",
      values: { channel: 4, muted: false },
    });
    expect(plus.classify("DsV40000*-425")).toEqual({
      kind: "unsolicited",
      event: "meter",
      values: { channel: 1, levelDb: -42.5 },
    });
    expect(plus.classify("(c) Copyright 2019, Extron Electronics, DMP 128 Plus, V1.05")).toMatchObject({
      event: "reboot",
    });
  });

  it("reports E-codes", () => {
    for (const code of ["E10", "E11", "E12", "E13", "E14", "E17", "E22", "E24", "E25"]) {
      expect(plus.classify(code)).toEqual({ kind: "error", message: code.slice(1) });
    }
  });
});

describe("Symetrix Composer", () => {
  const symetrix = codecFor("symetrix-composer");

  it("sets controls by controller number and position", () => {
    expect(exchange(symetrix, "setMute", { channel: 1, muted: true }, ["ACK"])).toEqual({
      sent: "CS 101 65535\r",
      seen: [{ kind: "reply", values: {} }],
    });
    expect(symetrix.encode("setLevel", { channel: 2, levelDb: 0 }).line).toBe("CS 202 56174\r");
    expect(exchange(symetrix, "getLevel", { channel: 2 }, ["202 56174"]).seen).toEqual([
      { kind: "reply", values: { levelDb: 0 } },
    ]);
    expect(exchange(symetrix, "setMute", { channel: 9, muted: true }, ["NAK"]).seen).toEqual([
      { kind: "error", message: "NAK" },
    ]);
  });

  it("reads pushed mutes, faders and meters", () => {
    expect(symetrix.classify("#00103=65535")).toEqual({
      kind: "unsolicited",
      event: "mute",
      values: { channel: 3, muted: true },
    });
    expect(symetrix.classify("#00301=43690")).toEqual({
      kind: "unsolicited",
      event: "meter",
      values: { channel: 1, levelDb: 0 },
    });
    expect(symetrix.classify("#00202=00000")).toEqual({
      kind: "unsolicited",
      event: "level",
      values: { channel: 2, levelDb: -72 },
    });
  });
});

describe("framing and garbage", () => {
  it("splits on any line ending, keeps partial lines, strips NULs and drops over-long lines", () => {
    const codec = codecFor("biamp-tesira");
    expect(codec.split("+OK\r\n+O")).toEqual(["+OK"]);
    expect(codec.split('K "value":1\u0000\n-ERR WRONG_STATE\r')).toEqual(['+OK "value":1', "-ERR WRONG_STATE"]);
    expect(codec.split(`${"x".repeat(5000)}\n+OK\n`)).toEqual(["+OK"]);
    expect(codec.split("y".repeat(5000))).toEqual([]);
    expect(codec.overlongLines).toBe(2);
  });

  it("survives 100,000 random bytes: nothing thrown, lines bounded, and a reply still recognised after", () => {
    const codec = codecFor("extron-dmp128-plus");
    let seed = 1;
    const bytes = Array.from({ length: 100_000 }, () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return String.fromCharCode(seed % 256);
    }).join("");
    const lines = codec.split(bytes);
    for (const line of lines) {
      expect(line.length).toBeLessThanOrEqual(4096);
      expect(() => codec.classify(line)).not.toThrow();
    }
    const command = codec.encode("getMute", { channel: 1 });
    const [reply] = codec.split("\rDsM40000*1\r");
    expect(codec.classify(reply!, { sent: command.line, command })).toEqual({ kind: "reply", values: { muted: true } });
  });
});

describe("mixer profiles are checked at load", () => {
  const base = loadProfile(mixerModelProfile, join(DEVICE_MODELS_DIR, "mixer", "biamp-tesira.json"));
  const check = (change: (profile: Record<string, unknown>) => void) => {
    const copy = structuredClone(base) as unknown as Record<string, unknown>;
    change(copy);
    return () => validateProfile(mixerModelProfile, copy, "broken.json");
  };

  it("rejects a bad regular expression, an unknown placeholder, an unknown group and a missing template", () => {
    expect(check((p) => ((p.errors as string[])[0] = "^-ERR ("))).toThrow(
      /broken\.json: errors\[0\]: a valid regular expression/,
    );
    expect(
      check(
        (p) =>
          ((p.commands as Record<string, { send: string }>).setMute!.send = "{muteBlok} set mute {channel} {muted}"),
      ),
    ).toThrow(/commands\.setMute\.send: only known placeholders .*got \{muteBlok\}/);
    expect(check((p) => ((p.unsolicited as { pattern: string }[])[0]!.pattern = "^(?<volume>\\d+)$"))).toThrow(
      /unsolicited\[0\]\.pattern: named groups among/,
    );
    expect(check((p) => delete (p.commands as Record<string, unknown>).subscribeMeter)).toThrow(ProfileError);
  });
});
