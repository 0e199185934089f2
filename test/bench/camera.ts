// Benchmark of the camera path (issue 3): `POST /api/rooms/:id/requests` ptz.goto → the GotoPreset SOAP request
// arriving at the simulated camera, p50 and p99 over N requests (budget p99 ≤ 50 ms), and how long a camera that
// stops answering takes to show `offline` at the controller (budget 5 s). Controller, embedded broker and camera in
// this process (the camera stamps each request on arrival, on this process's clock); the agent is its own process.
//   node --import tsx test/bench/camera.ts [--requests N]
import { parseArgs } from "node:util";
import type { RoomView } from "@rc/protocol";
import { OnvifCamera } from "@rc/simulators";
import { stopAll } from "../support/processes.ts";
import { TestSite } from "../support/test-site.ts";
import { waitFor } from "../support/wait-for.ts";

const { values } = parseArgs({ options: { requests: { type: "string", default: "1000" } } });
const REQUESTS = Number(values.requests);
const ROOM = "phong-do-camera";

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;

const camera = new OnvifCamera({ name: "bench", fullSpeedTravelS: 0.2, picture: false });
await camera.start();
const site = await TestSite.create("embedded", [ROOM], {
  extend: () => ({
    probe: { intervalMs: 2000, offlineAfter: 2 }, // the product's defaults (DESIGN §3.2)
    devices: [
      {
        id: "cam",
        kind: "camera",
        model: "generic-onvif-ptz",
        connection: { host: "127.0.0.1", port: camera.port, username: "admin", passwordEnv: "RC_CAMERA_PASSWORD" },
      },
    ],
  }),
});
try {
  site.startAgent(ROOM);
  const room = async () => (await (await site.fetch(`/api/rooms/${ROOM}`)).json()) as RoomView;
  /** Waits until the room's view passes the check; gives how long that took. */
  const until = async (what: string, check: (view: RoomView) => boolean, timeoutMs = 30_000) => {
    const started = performance.now();
    await waitFor(what, async () => check(await room()), timeoutMs, 20);
    return performance.now() - started;
  };
  await until("the camera ok", (view) => view.health.cam?.status === "ok");

  for (const [preset, pan] of [
    ["chu-tri", -0.5],
    ["cong-dan", 0.5],
  ] as const) {
    await site.post(ROOM, { action: "ptz.absolute", params: { device: "cam", pan, tilt: 0 } });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const stored = await site.post(ROOM, { action: "ptz.store", params: { device: "cam", preset } });
    if (stored.status !== 200) throw new Error(`store ${preset}: ${JSON.stringify(stored.body)}`);
  }

  const goto = async (i: number): Promise<number> => {
    const arrivedBefore = camera.requests.length;
    const sent = performance.now();
    const response = await site.post(ROOM, {
      action: "ptz.goto",
      params: { device: "cam", preset: i % 2 === 0 ? "chu-tri" : "cong-dan" },
    });
    if (response.status !== 200) throw new Error(`goto ${i}: HTTP ${response.status} ${JSON.stringify(response.body)}`);
    const arrival = camera.requests.slice(arrivedBefore).find((r) => r.operation === "GotoPreset");
    if (!arrival) throw new Error(`goto ${i}: no GotoPreset reached the camera`);
    return arrival.at - sent;
  };
  for (let i = 0; i < 50; i++) await goto(i); // warm-up
  const times: number[] = [];
  for (let i = 0; i < REQUESTS; i++) times.push(await goto(i));
  times.sort((a, b) => a - b);

  // A camera that stops answering (socket open, no reply) until the controller shows it offline.
  camera.behaviour = "silent";
  const offlineMs = await until("offline", (view) => view.health.cam?.status === "offline", 20_000);

  console.log(`ptz.goto REST → GotoPreset at the camera, ${REQUESTS} requests one at a time:`);
  console.log(
    `  p50 ${percentile(times, 50).toFixed(1)} ms   p99 ${percentile(times, 99).toFixed(1)} ms   max ${times.at(-1)?.toFixed(1)} ms   (budget p99 ≤ 50 ms)`,
  );
  console.log(`camera stops answering → offline at the controller: ${(offlineMs / 1000).toFixed(2)} s (budget 5 s)`);
} finally {
  await stopAll();
  await site.stop();
  await camera.stop();
}
