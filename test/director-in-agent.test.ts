// The auto director inside a real agent: a simulated Tesira plays a recorded hearing scene into its meters over a
// pty pair, three simulated ONVIF cameras frame the seats. The rule under test (DESIGN §3.5): a camera on air is never
// sent a preset recall or a move, and a cut comes only after the off-air camera reported it arrived.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadProfile, roomProfile } from "@rc/hardware-profiles";
import { audioScene, SimulatedRooms } from "@rc/simulators";
import { afterAll, describe, expect, it } from "vitest";
import { freePort, REPO, stopAll } from "./support/processes.ts";
import { SITE_CAMERA_PASSWORD, TestSite } from "./support/test-site.ts";
import { waitFor } from "./support/wait-for.ts";

const ROOM = "phong-dao-dien";
const SEATS = ["chu-tri", "cong-dan", "can-bo"] as const;
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe("auto director in the agent", () => {
  it("never moves the camera on air, and cuts only to a camera that has arrived", async () => {
    const scene = loadProfile(audioScene, join(REPO, "simulators/src/audio-scene/scenes/dialogue.json"));
    expect(scene.channels).toEqual([...SEATS]);

    // Three cameras: one per talking seat zone and a wide one; every camera has every seat's preset (the simulated
    // room's cameras frame the seats side by side, the wide shot in the middle). A Tesira plays the scene.
    const seats = SEATS.map((id, i) => ({
      id,
      label: id,
      role: i === 0 ? ("chair" as const) : ("citizen" as const),
      camera: i === 0 ? "cam-a" : "cam-b",
      preset: id,
      mic: { device: "dsp", channel: i + 1 },
    }));
    const camera = (id: string) => ({
      id,
      kind: "camera",
      model: "generic-onvif-ptz",
      connection: { host: "127.0.0.1", username: "admin", passwordEnv: "RC_CAMERA_PASSWORD" },
    });
    const serialDir = mkdtempSync(join(tmpdir(), "rc-director-"));
    cleanups.push(async () => rmSync(serialDir, { recursive: true, force: true }));
    const simulated = new SimulatedRooms({
      serialDir,
      cameraPassword: SITE_CAMERA_PASSWORD,
      camera: { fullSpeedTravelS: 1.5, picture: false },
      scene,
    });
    cleanups.push(() => simulated.stop());
    const { devices } = await simulated.room(
      roomProfile.parse({
        version: 1,
        id: ROOM,
        name: ROOM,
        level: "commune",
        parent: null,
        devices: [
          { id: "dsp", kind: "mixer", model: "biamp-tesira", connection: { path: "/dev/ttyUSB0" } },
          ...["cam-a", "cam-b", "cam-w"].map(camera),
        ],
        seats,
        director: { wideShot: { camera: "cam-w", preset: "toan-canh" } },
      }),
    );
    const cameras = new Map(simulated.cameras.map(({ device, camera }) => [device, camera]));

    const deadPort = await freePort();
    const site = await TestSite.create("embedded", [ROOM], {
      extend: () => ({
        devices: [
          ...devices,
          // A fourth camera that never answers (nothing listens on its port): the director must leave it out.
          { ...camera("cam-x"), connection: { ...camera("cam-x").connection, port: deadPort } },
        ],
        seats,
        director: { wideShot: { camera: "cam-w", preset: "toan-canh" } },
      }),
    });
    cleanups.push(() => site.stop());
    cleanups.push(() => stopAll());

    const events = await site.watchEvents(ROOM);

    site.startAgent(ROOM);
    const cuts = () => events.filter((e) => e.type === "cut" && e.data.by === "director");
    // The scene alternates chair and citizen turns: let it run for several turns.
    await waitFor("four director cuts", () => cuts().length >= 4, 60_000);
    await new Promise((resolve) => setTimeout(resolve, 3000));

    // Program camera over time, from the cuts (the agent stamps each event when it cuts).
    const timeline = cuts().map((cut) => ({ at: Date.parse(cut.at), camera: String(cut.data.camera) }));
    const onAirAt = (t: number) => timeline.filter((c) => c.at <= t).at(-1)?.camera;
    let recalls = 0;
    for (const [id, camera] of cameras) {
      for (const motion of camera.motions) {
        recalls++;
        expect(onAirAt(motion.startedAt), `${id} moved at ${motion.startedAt} while on air`).not.toBe(id);
      }
    }
    expect(recalls).toBeGreaterThanOrEqual(2);
    for (const cut of timeline) {
      const moves = cameras.get(cut.camera)!.motions.filter((m) => m.startedAt <= cut.at);
      const last = moves.at(-1);
      if (last) expect(cut.at, `cut to ${cut.camera} before it arrived`).toBeGreaterThanOrEqual(last.arrivesAt);
    }
    // Every decision carries a reason a person can read.
    for (const cut of cuts()) expect(cut.reason).toMatch(/\w+ \w+/);
    // No alarm from the director: not for its own replaced moves, nor for cameras still connecting when it first
    // framed them, nor for the camera that never answers (its health topic says so); that camera is never chosen.
    expect(events.filter((e) => e.type === "device_error").map((e) => `${e.device}: ${e.reason}`)).toEqual([]);
    expect(events.filter((e) => e.data.camera === "cam-x")).toEqual([]);
    // The room's state agrees with the director's last cut (the scene runs on: the last cut when the state is read).
    const readState = async () =>
      (
        (await (await site.fetch(`/api/rooms/${ROOM}`)).json()) as {
          state: { director: { mode: string; reason: string }; programCamera: string };
        }
      ).state;
    const state = await waitFor("the state showing the last cut", async () => {
      const now = await readState();
      return now.programCamera === cuts().at(-1)?.data.camera && now;
    });
    expect(state.director.mode).toBe("auto");
  });
});
