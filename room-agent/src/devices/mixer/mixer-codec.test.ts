// "Send this line, the DSP answers this": each profile against the exact strings of research/mixer-protocols.md.
import { join } from "node:path";
import {
  DEVICE_MODELS_DIR,
  loadProfile,
  loadRoom,
  type MixerDeviceEntry,
  mixerDeviceEntry,
  mixerEntryProblems,
  mixerModelProfile,
  ProfileError,
  validateProfile,
} from "@rc/hardware-profiles";
import { describe, expect, it } from "vitest";
import { MixerCodec, type MixerCommandName, type MixerValues, sameAddress } from "./mixer-codec.ts";

const modelOf = (model: string) => loadProfile(mixerModelProfile, join(DEVICE_MODELS_DIR, "mixer", `${model}.json`));
const codecFor = (model: string, room?: ConstructorParameters<typeof MixerCodec>[1]) =>
  new MixerCodec(modelOf(model), room);

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
      codecFor("biamp-tesira", { bindings: { levelBlock: "MicLevels" } }).encode("setLevel", {
        channel: 2,
        levelDb: -6,
      }).line,
    ).toBe("MicLevels set level 2 -6.0\n");
  });

  it("drives a Level block as the program volume and a Mute block as a mute group, and hears their changes", () => {
    const room = codecFor("biamp-tesira", { programVolume: "ProgramLevel", muteGroups: { mics: "MicMute" } });
    expect(exchange(room, "setVolume", { control: "ProgramLevel", levelDb: -20 }, ["+OK"]).sent).toBe(
      "ProgramLevel set level 1 -20.0\n",
    );
    expect(exchange(room, "stepVolume", { control: "ProgramLevel", stepDb: -2 }, ["+OK"]).sent).toBe(
      "ProgramLevel increment level 1 -2.0\n",
    );
    expect(exchange(room, "getGroupMute", { group: "MicMute" }, ['+OK "value":true']).seen).toEqual([
      { kind: "reply", values: { muted: true } },
    ]);
    expect(room.encode("subscribeGroupMute", { group: "MicMute" }).line).toBe(
      "MicMute subscribe mute 1 group:MicMute\n",
    );
    expect(room.classify('! "publishToken":"group:MicMute" "value":true')).toEqual({
      kind: "unsolicited",
      event: "groupMute",
      values: { group: "MicMute", muted: true },
    });
    expect(room.classify('! "publishToken":"program" "value":-12.500000')).toEqual({
      kind: "unsolicited",
      event: "volume",
      values: { levelDb: -12.5 },
    });
    expect(room.classify('! "publishToken":"mute2" "value":true')).toMatchObject({
      event: "mute",
      values: { channel: 2 },
    });
    // A group this room does not name is not the room's business.
    expect(room.classify('! "publishToken":"group:StageMute" "value":true')).toMatchObject({ kind: "unknown" });
  });

  it("asks for meters at the profile's rate, or reads them one by one", () => {
    expect(codecFor("biamp-tesira").encode("subscribeMeter", { channel: 3 }).line).toBe(
      "AudioMeter1 subscribe level 3 mic3 100\n",
    );
    const slow = new MixerCodec({ ...modelOf("biamp-tesira"), meterIntervalMs: 250 });
    expect(slow.encode("subscribeMeter", { channel: 3 }).line).toBe("AudioMeter1 subscribe level 3 mic3 250\n");
    expect(exchange(slow, "getMeter", { channel: 2 }, ['+OK "value":-42.799999']).seen).toEqual([
      { kind: "reply", values: { levelDb: -42.799999 } },
    ]);
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

  it("takes a subscription's first reply on one line, as Biamp's TTP help shows it", () => {
    // tesira-help.biamp.com, TTP Subscriptions: "the first reply will be: ! "publishToken":"[CustomName]"
    // "value":[Value] +OK", e.g. `! "publishToken":"MyLevelName" "value":-100.000000 +OK`.
    expect(
      exchange(tesira, "subscribeMeter", { channel: 3 }, ['! "publishToken":"mic3" "value":-100.000000 +OK']).seen,
    ).toEqual([{ kind: "reply", values: {} }]);
    expect(
      exchange(tesira, "subscribeMute", { channel: 2 }, ['! "publishToken":"mute2" "value":false +OK']).seen,
    ).toEqual([{ kind: "reply", values: {} }]);
    // Come late (its command timed out), it is still news of the value.
    expect(tesira.classify('! "publishToken":"level1" "value":-6.000000 +OK')).toEqual({
      kind: "unsolicited",
      event: "level",
      values: { channel: 1, levelDb: -6 },
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

  it("drives an output's volume and a group master, and hears their changes from the front panel", () => {
    const room = codecFor("extron-dmp128-plus", { programVolume: "60000", muteGroups: { mics: "1" } });
    expect(exchange(room, "setVolume", { control: "60000", levelDb: -20 }, ["DsG60000*-200"])).toEqual({
      sent: "\u001bG60000*-200AU\r",
      seen: [{ kind: "reply", values: { levelDb: -20 } }],
    });
    expect(exchange(room, "setGroupMute", { group: "1", muted: true }, ["GrpmD01*+00001"])).toEqual({
      sent: "\u001bD1*1GRPM\r",
      seen: [{ kind: "reply", values: {} }],
    });
    expect(exchange(room, "getGroupMute", { group: "1" }, ["GrpmD01*+00000"]).seen).toEqual([
      { kind: "reply", values: { muted: false } },
    ]);
    expect(room.classify("DsG60000*-125")).toEqual({
      kind: "unsolicited",
      event: "volume",
      values: { control: "60000", levelDb: -12.5 },
    });
    expect(room.classify("DsG60001*-125")).toMatchObject({ kind: "unknown" });
    expect(
      codecFor("extron-dmp128", { programVolume: "60000" }).encode("setVolume", { control: "60000", levelDb: -10 })
        .line,
    ).toBe("\u001bG60000*1948AU\r");
    expect(exchange(room, "getMeter", { channel: 2 }, ["DsV40001*-425"]).seen).toEqual([
      { kind: "reply", values: { levelDb: -42.5 } },
    ]);
  });

  it("reads group masters as the manuals print them: two-digit groups, five-digit values", () => {
    // DMP 128 User Guide 68-2036-01 Rev. E, Audio group master commands: `ESC D X6% *1GRPM` → `GrpmD X6% *+00001`,
    // "X6% = Group master group number 01 - 32", "responses are always 5 digits". The DMP 128 FlexPlus guide prints
    // the short form `GrpmDX7%*1` (e.g. `GrpmD2*-293`).
    for (const model of ["extron-dmp128", "extron-dmp128-plus"]) {
      const room = codecFor(model, { muteGroups: { mics: "1", loa: "12" } });
      expect(exchange(room, "setGroupMute", { group: "1", muted: true }, ["GrpmD01*+00001"]).seen, model).toEqual([
        { kind: "reply", values: {} },
      ]);
      expect(exchange(room, "setGroupMute", { group: "1", muted: false }, ["GrpmD1*0"]).seen, model).toEqual([
        { kind: "reply", values: {} },
      ]);
      expect(exchange(room, "getGroupMute", { group: "12" }, ["GrpmD12*+00001"]).seen, model).toEqual([
        { kind: "reply", values: { muted: true } },
      ]);
      // Another group's answer, or an unmute where a mute was asked, is no reply to it.
      expect(exchange(room, "setGroupMute", { group: "1", muted: true }, ["GrpmD01*+00000"]).seen[0]).not.toMatchObject(
        { kind: "reply" },
      );
      expect(exchange(room, "getGroupMute", { group: "1" }, ["GrpmD11*+00001"]).seen[0]).not.toMatchObject({
        kind: "reply",
      });
      expect(room.classify("GrpmD01*+00001")).toEqual({
        kind: "unsolicited",
        event: "groupMute",
        values: { group: "01", muted: true },
      });
    }
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

  it("steps with CC (direction apart from size, in fader positions), recalls presets, sets the named controls", () => {
    expect(symetrix.encode("stepLevel", { channel: 1, stepDb: 3 }).line).toBe("CC 201 1 2341\r");
    expect(symetrix.encode("stepLevel", { channel: 2, stepDb: -1.5 }).line).toBe("CC 202 0 1170\r");
    expect(exchange(symetrix, "recallPreset", { preset: 12 }, ["ACK"]).sent).toBe("LP 12\r");
    expect(symetrix.encode("setVolume", { control: "1", levelDb: -20 }).line).toBe("CS 1 40570\r");
    expect(symetrix.encode("stepVolume", { control: "1", stepDb: 2 }).line).toBe("CC 1 1 1560\r");
    expect(symetrix.encode("setGroupMute", { group: "100", muted: true }).line).toBe("CS 100 65535\r");
    expect(exchange(symetrix, "getGroupMute", { group: "100" }, ["100 65535"]).seen).toEqual([
      { kind: "reply", values: { muted: true } },
    ]);
  });

  it("tells the room's program fader and mute button apart from other pushed controllers", () => {
    const room = codecFor("symetrix-composer", { programVolume: "1", muteGroups: { mics: "100" } });
    expect(room.classify("#00100=65535")).toEqual({
      kind: "unsolicited",
      event: "groupMute",
      values: { group: "00100", muted: true },
    });
    expect(room.classify("#00001=40570")).toEqual({
      kind: "unsolicited",
      event: "volume",
      values: { control: "00001", levelDb: -20 },
    });
    expect(room.classify("#00101=65535")).toMatchObject({ event: "mute", values: { channel: 1, muted: true } });
    // Without the room's addresses, controller 100 is no mute group, and 1 no program fader.
    expect(symetrix.classify("#00100=65535")).toMatchObject({ event: "mute", values: { channel: 0 } });
    expect(symetrix.classify("#00001=40570")).toMatchObject({ kind: "unknown" });
    expect(sameAddress("00100", "100")).toBe(true);
    expect(sameAddress("MicMute", "micmute")).toBe(false);
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

describe("a login step (Tesira with security on)", () => {
  it("hears a prompt that comes without a line end", () => {
    const secure = codecFor("biamp-tesira-secure");
    expect(secure.split("login: ")).toEqual(["login:"]);
    expect(secure.split("Login incorrect\r\nlog")).toEqual(["Login incorrect"]);
    expect(secure.split("in: ")).toEqual(["login:"]);
    expect(secure.split("Password: ")).toEqual(["Password:"]);
    // Models without a login keep a partial line waiting, whatever it says.
    expect(codecFor("biamp-tesira").split("login: ")).toEqual([]);
  });

  it("fills in the credentials, shows no password, and knows a refusal from a reply", () => {
    const secure = codecFor("biamp-tesira-secure");
    const [user, pass] = modelOf("biamp-tesira-secure").login!.steps;
    const credentials = { username: "control", password: "s3cret pass" };
    const name = secure.loginStep(user!, credentials);
    expect(name.line).toBe("control\n");
    expect(secure.classify("Password:", { sent: name.line, command: name })).toEqual({ kind: "reply", values: {} });
    const password = secure.loginStep(pass!, credentials);
    expect(password.line).toBe("s3cret pass\n");
    expect(password.shown).toBe("{password}");
    expect(
      secure.classify("Welcome to the Tesira Text Protocol Server...", { sent: password.line, command: password }),
    ).toEqual({ kind: "reply", values: {} });
    expect(secure.classify("Login incorrect", { sent: password.line, command: password })).toEqual({
      kind: "refused",
      line: "Login incorrect",
    });
    // A prompt no step waits for: the DSP restarted and wants a login again.
    expect(secure.classify("login:")).toEqual({ kind: "loginPrompt" });
  });

  it("is biamp-tesira plus a login, nothing else", () => {
    const { model: _a, description: _b, login, ...secure } = modelOf("biamp-tesira-secure");
    const { model: _c, description: _d, login: none, ...plain } = modelOf("biamp-tesira");
    expect(login).toBeDefined();
    expect(none).toBeUndefined();
    expect(secure).toEqual(plain);
  });

  it("takes {username} and {password} in login steps only", () => {
    const model = modelOf("biamp-tesira-secure") as unknown as Record<string, unknown>;
    const withInit = { ...model, init: [{ send: "{password}", expect: "^\\+OK$" }] };
    expect(() => validateProfile(mixerModelProfile, withInit, "secure.json")).toThrow(
      /init\[0\]\.send: only bindings and meterIntervalMs as placeholders; got \{password\}/,
    );
    const login = model.login as { steps: { send: string; expect: string }[] };
    const badStep = { ...model, login: { ...login, steps: [{ send: "{pasword}", expect: "^x$" }] } };
    expect(() => validateProfile(mixerModelProfile, badStep, "secure.json")).toThrow(
      /login\.steps\[0\]\.send: only username, password, bindings and meterIntervalMs as placeholders; got \{pasword\}/,
    );
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

  it("rejects poll mode without a meter read, addresses without their shape, and values in init", () => {
    expect(
      check((p) => {
        p.meterMode = "poll";
        delete (p.commands as Record<string, unknown>).getMeter;
      }),
    ).toThrow(/commands\.getMeter: a template \(meterMode is poll\)/);
    expect(check((p) => delete (p.addresses as Record<string, unknown>).group)).toThrow(
      /addresses\.group: what a \{group\} looks like \(commands\.setGroupMute uses it\)/,
    );
    expect(check((p) => (p.init = [{ send: "SESSION set verbose {muted}", expect: "^\\+OK$" }]))).toThrow(
      /init\[0\]\.send: only bindings and meterIntervalMs as placeholders; got \{muted\}/,
    );
  });
});

describe("a room's mixer line is checked against its model", () => {
  const line = (fields: Partial<MixerDeviceEntry>) =>
    mixerDeviceEntry.parse({ id: "dsp", kind: "mixer", model: "x", connection: { path: "/dev/ttyUSB0" }, ...fields });

  it("accepts every demo room's DSP line", () => {
    for (const room of ["tinh-ban-tiep-cong-dan", "huyen-dong-son", "xa-an-phu"]) {
      const loaded = loadRoom(new URL(`../../../../hardware-profiles/rooms/${room}.json`, import.meta.url).pathname);
      const dsp = loaded.room.devices.find((device) => device.kind === "mixer") as MixerDeviceEntry;
      expect(dsp.muteGroups.mics, room).toBeDefined();
      expect(dsp.programVolume, room).toBeDefined();
      expect(mixerEntryProblems(dsp, modelOf(dsp.model)), room).toEqual([]);
    }
  });

  it("rejects unknown bindings, addresses of the wrong shape and controls the model cannot drive", () => {
    expect(mixerEntryProblems(line({ bindings: { levelBlok: "Level2" } }), modelOf("biamp-tesira"))).toEqual([
      {
        path: ["bindings", "levelBlok"],
        expected: 'a binding of biamp-tesira (levelBlock, muteBlock, meterBlock); got "levelBlok"',
      },
    ]);
    expect(mixerEntryProblems(line({ programVolume: "ProgramLevel" }), modelOf("symetrix-composer"))).toEqual([
      { path: ["programVolume"], expected: 'a controller number 1-10000 (symetrix-composer); got "ProgramLevel"' },
    ]);
    expect(mixerEntryProblems(line({ muteGroups: { mics: "33" } }), modelOf("extron-dmp128"))).toEqual([
      {
        path: ["muteGroups", "mics"],
        expected: 'a group master number 1-32 (or 01-32) set up as a mute group (extron-dmp128); got "33"',
      },
    ]);
    expect(mixerEntryProblems(line({ muteGroups: { mics: "65" } }), modelOf("extron-dmp128-plus"))).toEqual([
      {
        path: ["muteGroups", "mics"],
        expected: 'a group master number 1-64 (or 01-64) set up as a mute group (extron-dmp128-plus); got "65"',
      },
    ]);
    const noGroups = modelOf("biamp-tesira");
    delete noGroups.commands.setGroupMute;
    expect(mixerEntryProblems(line({ muteGroups: { mics: "MicMute" } }), noGroups)).toEqual([
      { path: ["muteGroups", "mics"], expected: "a model with a setGroupMute command; biamp-tesira has none" },
    ]);
  });

  it("names mute groups with ids", () => {
    expect(() => line({ muteGroups: { "Mics Group": "MicMute" } })).toThrow(/a group name in lower case/);
  });
});
