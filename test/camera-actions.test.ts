import { actionParams } from "@rc/protocol";
import { describe, expect, it } from "vitest";

describe("camera actions", () => {
  it("accept a continuous move and fill the default zoom", () => {
    expect(actionParams["ptz.move"].parse({ device: "cam1", pan: 0.5, tilt: -1 })).toEqual({
      device: "cam1",
      pan: 0.5,
      tilt: -1,
      zoom: 0,
    });
  });
  it("refuse out-of-range speeds, unknown fields and vendor-looking preset tokens", () => {
    expect(actionParams["ptz.move"].safeParse({ device: "cam1", pan: 2, tilt: 0 }).success).toBe(false);
    expect(actionParams["ptz.stop"].safeParse({ device: "cam1", fast: true }).success).toBe(false);
    expect(actionParams["ptz.goto"].safeParse({ device: "cam1", preset: "seat 3" }).success).toBe(true);
    expect(actionParams["ptz.goto"].safeParse({ device: "cam1", preset: "<94/>" }).success).toBe(false);
  });
  it("store only names every camera takes (A-Z a-z 0-9 _ . -), and recall or remove a name a camera holds", () => {
    expect(actionParams["ptz.store"].safeParse({ device: "cam1", preset: "chu-tri_2.a" }).success).toBe(true);
    for (const name of ["seat 3", "chủ-trì", "a/b", "x".repeat(33)]) {
      expect(actionParams["ptz.store"].safeParse({ device: "cam1", preset: name }).success, name).toBe(false);
    }
    expect(actionParams["ptz.goto"].safeParse({ device: "cam1", preset: "seat 3" }).success).toBe(true);
    expect(actionParams["ptz.remove"].safeParse({ device: "cam1", preset: "seat 3" }).success).toBe(true);
  });
  it("take a preset or a seat, not both and not neither", () => {
    expect(actionParams["ptz.goto"].safeParse({ device: "cam1", seat: "cong-dan" }).success).toBe(true);
    expect(actionParams["ptz.goto"].safeParse({ device: "cam1", seat: "cong-dan", preset: "a" }).success).toBe(false);
    expect(actionParams["ptz.store"].safeParse({ device: "cam1" }).success).toBe(false);
    expect(actionParams["ptz.absolute"].safeParse({ device: "cam1" }).success).toBe(false);
  });
});
