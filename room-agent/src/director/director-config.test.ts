import { loadRoom } from "@rc/hardware-profiles";
import { describe, expect, it } from "vitest";
import { directorConfigFromRoom } from "./director-config.ts";
import { DirectorEngine } from "./director-engine.ts";

const central = loadRoom(
  new URL("../../../hardware-profiles/rooms/tinh-ban-tiep-cong-dan.json", import.meta.url).pathname,
).room;

describe("director config from a room profile", () => {
  it("maps mic channels to seats, each seat to its camera first and the other cameras after, and the wide shot", () => {
    const config = directorConfigFromRoom(central, "dsp")!;
    expect(config.channels).toEqual(["chu-tri", "thu-ky", "cong-dan", "can-bo"]);
    expect(config.wide).toEqual({ camera: "cam-toan-canh", preset: "toan-canh" });
    const chair = config.seats.find((seat) => seat.id === "chu-tri")!;
    expect(chair).toMatchObject({ label: "Chủ trì", isChair: true });
    expect(chair.shots.map((shot) => shot.camera)).toEqual(["cam-chu-tri", "cam-cong-dan", "cam-toan-canh"]);
  });

  it("drives a director that frames the citizen's camera off air", () => {
    const engine = new DirectorEngine(directorConfigFromRoom(central, "dsp")!);
    engine.cameraArrived("cam-toan-canh", "toan-canh", 0);
    engine.operatorActivity(-100, { camera: "cam-toan-canh", preset: "toan-canh" });
    const decisions = [];
    for (let frame = 1; frame <= 20; frame++) decisions.push(...engine.levels(frame / 20, [-70, -70, -70, -70]));
    for (let frame = 21; frame <= 60; frame++) decisions.push(...engine.levels(frame / 20, [-70, -70, -20, -36]));
    expect(decisions.filter((d) => d.kind === "move").at(-1)).toMatchObject({
      camera: "cam-cong-dan",
      preset: "cong-dan",
    });
  });

  it("has nothing to direct in a room without a director section or without that mixer", () => {
    expect(directorConfigFromRoom({ ...central, director: undefined }, "dsp")).toBeNull();
    expect(directorConfigFromRoom(central, "no-such-mixer")).toBeNull();
  });
});
