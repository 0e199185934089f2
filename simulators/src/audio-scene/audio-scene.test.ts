import { readdirSync } from "node:fs";
import { join } from "node:path";
import { loadProfile, ProfileError, validateProfile } from "@rc/hardware-profiles";
import { describe, expect, it } from "vitest";
import { audioScene, levelsAt } from "./audio-scene.ts";

const scenes = join(import.meta.dirname, "scenes");

describe("audio scenes", () => {
  it.each(readdirSync(scenes))("%s is a valid scene with speech in it", (file) => {
    const scene = loadProfile(audioScene, join(scenes, file));
    expect(scene.levels.length / scene.rateHz).toBeGreaterThanOrEqual(60);
    expect(scene.truth.some((span) => span.speakers.length > 0)).toBe(true);
    const loudest = Math.max(...scene.levels.flat());
    expect(loudest).toBeGreaterThan(-35); // someone speaks near a mic
    expect(loudest).toBeLessThan(0);
  });

  it("names the frame whose row has the wrong number of levels", () => {
    const bad = { name: "x", rateHz: 20, channels: ["a", "b"], levels: [[-60, -60], [-60]], truth: [] };
    expect(() => validateProfile(audioScene, bad, "bad.json")).toThrow(ProfileError);
    expect(() => validateProfile(audioScene, bad, "bad.json")).toThrow(
      /levels\[1\]: 2 levels \(one per channel\); got 1/,
    );
  });

  it("reads the levels at a time, holding the last frame or looping", () => {
    const scene = validateProfile(
      audioScene,
      { name: "x", rateHz: 10, channels: ["a"], levels: [[-1], [-2], [-3]], truth: [] },
      "x",
    );
    expect(levelsAt(scene, 0.15)).toEqual([-2]);
    expect(levelsAt(scene, 5)).toEqual([-3]);
    expect(levelsAt(scene, 0.35, true)).toEqual([-1]);
  });
});
