// `room-agent check` as the integrator runs it at the room PC: a real process against the demo's commune room, its
// devices simulated as the demo simulates them (scripts/demo.ts: SimulatedRooms, the board's real firmware in a
// process of its own, as the demo runs it) and the controller's broker on loopback. The room as commissioned passes every line; the same room with a
// wrong camera password and a serial port that is not there fails on exactly those two lines, exit non-zero.
import { execFile, execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type DeviceEntry, loadRoom, type RoomProfile } from "@rc/hardware-profiles";
import { SimulatedRooms } from "@rc/simulators";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO, startTs, stopAll } from "./support/processes.ts";
import { SITE_CAMERA_PASSWORD, TestSite } from "./support/test-site.ts";

const ROOM = "xa-an-phu";

/**
 * Runs the agent's bundle, as a room PC runs it (scripts/build.sh; its media worker beside it), as a process of its
 * own and asynchronously: the simulators answer from this process.
 */
function roomAgent(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(REPO, "dist/room-agent.mjs"), ...args],
      { cwd: REPO, env: { ...process.env, ...env }, timeout: 60_000 },
      (error, stdout) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout }),
    );
  });
}

/** The table's line for one subject (its first column). */
const lineOf = (stdout: string, subject: string) =>
  stdout.split("\n").find((line) => line.startsWith(`${subject} `)) ?? `(no line for ${subject})`;

describe("room-agent check against the demo's commune room", () => {
  let site: TestSite;
  let simulated: SimulatedRooms;
  let room: RoomProfile;

  beforeAll(async () => {
    execFileSync("bash", [join(REPO, "scripts/build.sh")], { stdio: "inherit" });
    site = await TestSite.create("embedded", [ROOM]);
    mkdirSync(join(site.dir, "serial"));
    simulated = new SimulatedRooms({
      serialDir: join(site.dir, "serial"),
      cameraPassword: SITE_CAMERA_PASSWORD,
      camera: { picture: false },
      media: { recordingsDir: join(site.dir, "recordings"), window: false },
    });
    room = await simulated.room(loadRoom(join(REPO, "hardware-profiles/rooms", `${ROOM}.json`)).room);
    // The simulated chip keeps a share of a core busy: not in this process, where the DSPs answer from.
    const boards = startTs("boards", "simulators/src/firmata-board/cli.ts", [
      ...simulated.boards.flatMap(({ name, path }) => ["--board", `${name}=${path}`]),
      "--speed",
      "0.5",
    ]);
    await boards.waitForLine(/^control /, 30_000);
  }, 180_000);
  afterAll(async () => {
    await stopAll();
    await simulated?.stop();
    await site?.stop();
  });

  function check(profile: RoomProfile, extra: string[] = [], env: Record<string, string> = {}) {
    const file = join(site.dir, `check-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(file, JSON.stringify(profile));
    return roomAgent(
      [
        "check",
        "--room",
        file,
        "--broker",
        site.brokerUrl,
        "--credentials",
        site.room(ROOM).credentialsFile,
        "--data",
        join(site.dir, "agent"),
        ...extra,
      ],
      { RC_CAMERA_PASSWORD: SITE_CAMERA_PASSWORD, ...env },
    );
  }

  it("passes every device, the disk and the broker login, in Vietnamese", async () => {
    const { code, stdout } = await check(room);
    const tried = room.devices.filter((device) => device.enabled);
    // The demo's room as simulated: both cameras, the DSP, the board, the media worker and the line device.
    expect(tried.map((device) => device.kind).sort()).toEqual(["camera", "camera", "gpio", "media", "mixer", "test"]);
    for (const device of tried) expect(lineOf(stdout, device.id), stdout).toMatch(/ ĐẠT +kết nối và trả lời: /);
    expect(lineOf(stdout, site.brokerUrl)).toMatch(/máy chủ MQTT +ĐẠT +đăng nhập được: xa-an-phu$/);
    expect(stdout).toMatch(/ ổ đĩa +ĐẠT +còn trống: \d+ MB ≥ 512 MB/);
    expect(stdout).toMatch(/^Tất cả \d+ mục đạt\.$/m);
    expect(code).toBe(0);
  }, 90_000);

  it("says a wrong camera password and a missing serial port, both, in English, and exits 1", async () => {
    const missingPort = join(site.dir, "serial", "usb-FTDI_FT232R_USB_UART_gone-if00-port0");
    const devices = room.devices.map((device): DeviceEntry => {
      if (device.id === "cam-chinh" && device.kind === "camera")
        return { ...device, connection: { ...device.connection, passwordEnv: "RC_CHECK_WRONG_PASSWORD" } };
      if (device.id === "dsp" && device.kind === "mixer")
        return { ...device, connection: { ...device.connection, path: missingPort } };
      return device;
    });
    const { code, stdout } = await check({ ...room, devices }, ["--lang", "en"], {
      RC_CHECK_WRONG_PASSWORD: "not-the-password",
    });
    // The camera driver says NotAuthorized is a wrong configuration: said once, never retried into a lockout.
    expect(lineOf(stdout, "cam-chinh"), stdout).toMatch(
      / camera +BAD CONFIG +wrong configuration: fix the profile or the password: /,
    );
    expect(lineOf(stdout, "dsp")).toMatch(/ mixer +PROBLEM +could not connect: .*gone-if00-port0/);
    // Nothing else is blamed: the other camera (same simulator, right password) and the rest pass.
    for (const id of ["cam-phu", "bang-dieu-khien", "media"])
      expect(lineOf(stdout, id)).toMatch(/ OK +connected and answered: /);
    expect(stdout).toMatch(/^2 of \d+ checks failed: fix them and run again\.$/m);
    expect(code).toBe(1);
  }, 90_000);

  it("refuses a language it does not speak, before trying anything", async () => {
    const { code } = await check(room, ["--lang", "fr"]);
    expect(code).toBe(2);
  });
});
