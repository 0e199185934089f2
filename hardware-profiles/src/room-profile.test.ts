import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadProfile, ProfileError } from "./load.ts";
import { loadRoom } from "./room-loader.ts";
import { roomProfile } from "./room-profile.ts";

const examples = new URL("../examples/", import.meta.url).pathname;
const expectedErrors = JSON.parse(readFileSync(join(examples, "expected-errors.json"), "utf8")) as Record<
  string,
  string
>;

describe("room profiles", () => {
  it.each(readdirSync(join(examples, "valid")))("accepts valid example %s", (file) => {
    expect(loadProfile(roomProfile, join(examples, "valid", file)).devices.length).toBeGreaterThan(0);
  });

  it.each(readdirSync(join(examples, "invalid")))(
    "rejects %s naming the file, the path and the expectation",
    (file) => {
      const path = join(examples, "invalid", file);
      const expected = expectedErrors[file];
      expect(expected, `expected-errors.json lacks ${file}`).toBeDefined();
      expect(() => loadProfile(roomProfile, path)).toThrow(ProfileError);
      try {
        loadProfile(roomProfile, path);
      } catch (error) {
        expect((error as Error).message).toContain(path);
        expect((error as Error).message).toContain(expected!);
      }
    },
  );

  it("fills the documented defaults", () => {
    const room = loadProfile(roomProfile, join(examples, "valid", "minimal-room.json"));
    expect(room.probe).toEqual({ intervalMs: 2000, offlineAfter: 2 });
    expect(room.telemetryIntervalS).toBe(10);
    expect(room.devices[0]).toMatchObject({ optional: false, enabled: true });
  });

  it("names the room file when a device model file is missing", () => {
    const file = new URL("../rooms/xa-an-phu.json", import.meta.url).pathname;
    expect(() => loadRoom(file, "/nonexistent-models")).toThrow(
      /xa-an-phu\.json: devices\[0\]\.model: a valid model profile/,
    );
  });

  it("refuses a mixer line whose addresses its model cannot drive, naming the path", () => {
    const room = JSON.parse(readFileSync(join(examples, "valid", "mixer-room.json"), "utf8"));
    room.devices[0].programVolume = "ProgramLevel";
    const file = join(mkdtempSync(join(tmpdir(), "rc-room-")), "room.json");
    writeFileSync(file, JSON.stringify(room));
    expect(() => loadRoom(file)).toThrow(ProfileError);
    expect(() => loadRoom(file)).toThrow(/room\.json: devices\[0\]\.programVolume: .*got "ProgramLevel"/);
  });
});
