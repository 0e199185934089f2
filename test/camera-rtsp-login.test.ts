// Issue 16: real cameras want their login on RTSP too. A room's agent with a simulated camera whose RTSP stream
// wants Digest (as do its snapshots and SOAP services) and a media line: the media worker plays the camera's real
// picture — the program shows what the camera's own snapshot shows — with the password given to rtspsrc, and the
// password appears in no log line of the agent or its worker.
import type { RoomView } from "@rc/protocol";
import { fetchWithLogin, OnvifCamera } from "@rc/simulators";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeJpeg, difference } from "../simulators/src/onvif-camera/picture/picture-test-clients.ts";
import { type ManagedProcess, stopAll } from "./support/processes.ts";
import { TestSite } from "./support/test-site.ts";
import { waitFor } from "./support/wait-for.ts";

const ROOM = "phong-rtsp-digest";
/**
 * A password that a launch line must quote with care: quotes, a backslash, a "!" and spaces. (ASCII: the `onvif`
 * package hashes a WS-Security password as ASCII, and cameras take no other in their passwords.)
 */
const PASSWORD = 'mat "khau" ! \\ camera-9';
/** Mean grey-level difference (0..255) under which two small decoded pictures show the same view. */
const SAME_VIEW = 12;

const cleanups: (() => Promise<unknown>)[] = [];
let site: TestSite;
let camera: OnvifCamera;
let agent: ManagedProcess;

const room = async () => (await (await site.fetch(`/api/rooms/${ROOM}`)).json()) as RoomView;

beforeAll(async () => {
  camera = new OnvifCamera({ name: "Camera công dân", password: PASSWORD });
  expect(camera.options.mediaLogin).toBe("digest"); // the simulated camera's default, as a real camera's
  await camera.start();
  cleanups.push(() => camera.stop());
  site = await TestSite.create("embedded", [ROOM], {
    requestTimeoutMs: 10_000,
    extend: () => ({
      devices: [
        {
          id: "cam",
          kind: "camera",
          model: "generic-onvif-ptz",
          connection: { host: "127.0.0.1", port: camera.port, username: "admin", passwordEnv: "RC_CAMERA_PASSWORD" },
        },
        {
          id: "media",
          kind: "media",
          video: { width: 640, height: 360, fps: 15, bitrateKbps: 800, keyframeS: 2 },
          audio: { input: "silence" },
          display: "none",
        },
      ],
    }),
  });
  cleanups.push(() => site.stop());
  cleanups.push(() => stopAll());
  agent = site.startAgent(ROOM, { env: { RC_CAMERA_PASSWORD: PASSWORD } });
}, 60_000);

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe("a camera whose RTSP wants Digest", () => {
  it("the room's media worker shows its real picture, and its password is in no log line", async () => {
    const media = await waitFor(
      "the media worker playing the camera",
      async () => {
        const devices = (await room()).state?.devices;
        return devices?.media?.["camera.cam"] === "ok" && devices.media["program.status"] === "playing"
          ? devices.media
          : undefined;
      },
      30_000,
    ).catch(async (error: Error) => {
      const view = await room();
      throw new Error(`${error.message}: ${JSON.stringify({ media: view.state?.devices.media, health: view.health })}`);
    });
    expect(media["camera.cam"]).toBe("ok");
    // Let a few pictures through, then compare the program with what the camera itself shows.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const answer = await site.post(ROOM, { action: "media.snapshot", params: { device: "media", source: "program" } });
    expect(answer).toMatchObject({ status: 200, body: { ok: true } });
    const program = Buffer.from(String((answer.body.result as { jpegBase64: string }).jpegBase64), "base64");
    const own = await fetchWithLogin(`http://127.0.0.1:${camera.port}/snapshot.jpg`, "admin", PASSWORD);
    expect(own.status).toBe(200);
    const [seen, shown] = await Promise.all([decodeJpeg(program), decodeJpeg(Buffer.from(await own.arrayBuffer()))]);
    const black = Buffer.alloc(seen.length);
    expect(difference(seen, black)).toBeGreaterThan(40); // a picture, not the black of a camera with no stream
    expect(difference(seen, shown)).toBeLessThan(SAME_VIEW);
    // Every login the camera saw was right: rtspsrc answered the Digest challenge with the password it was given.
    expect(camera.authFailures).toBe(0);

    // The launch line was logged, with the password hidden; no line anywhere carries it.
    expect(agent.lines.some((line) => line.includes("user-pw=***"))).toBe(true);
    expect(agent.lines.filter((line) => line.includes("khau") || line.includes("camera-9"))).toEqual([]);
    expect(site.controllerLog.filter((line) => line.includes("khau") || line.includes("camera-9"))).toEqual([]);
  }, 60_000);
});
