import { cameraModelProfile, loadModelProfile, ProfileError, validateProfile } from "@rc/hardware-profiles";
import { describe, expect, it } from "vitest";

describe("camera model files", () => {
  it("load with their quirks and defaults", () => {
    const hik = loadModelProfile("camera", "hikvision-ds-2de");
    expect(hik.moveStatus).toBe(false);
    expect(hik.reservedPresets).toContainEqual([92, 105]);
    expect(loadModelProfile("camera", "axis-v5925").getServices).toBe(false);
    const generic = loadModelProfile("camera", "generic-onvif-ptz");
    expect(generic).toMatchObject({ moveStatus: true, presetTokens: "opaque", maxPanTiltSpeed: 1 });
  });
  it("refuse a speed outside the generic space, naming the field", () => {
    const bad = { model: "x", vendor: "y", maxPanTiltSpeed: 3 };
    expect(() => validateProfile(cameraModelProfile, bad, "x.json")).toThrow(ProfileError);
    expect(() => validateProfile(cameraModelProfile, bad, "x.json")).toThrow(/maxPanTiltSpeed/);
  });
});
