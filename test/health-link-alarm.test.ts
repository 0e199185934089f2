// A session link that drops raises an alarm naming the session and the point (issue 14 part 3), with real agents and
// real media workers (GStreamer, SRT on loopback): the central point's program reaches the component point; the
// central point leaves (its SRT listener stops) → the component's link to it goes down → after the debounce one
// alarm names the session and the central point; the central point back → the link up → the alarm cleared. And the
// central point's disk guard (a minimum no disk has) holding its recording off raises a disk alarm.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DesiredPayload, RoomView } from "@rc/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Alarm } from "../controller/src/alarms.ts";
import { stopAll } from "./support/processes.ts";
import { TestSite } from "./support/test-site.ts";
import { testUdpPorts } from "./support/udp-ports.ts";
import { waitFor } from "./support/wait-for.ts";

const CENTRAL = "tinh-lien-ket";
const COMPONENT = "xa-lien-ket";
const SESSION = "phien-canh-bao";
const PASSPHRASE = "phien-canh-bao-lien-ket";
const cleanups: (() => Promise<unknown>)[] = [];
let site: TestSite;
const ports: Record<string, number> = {};
const recordings = mkdtempSync(join(tmpdir(), "rc-link-alarm-"));

/** A small media line on loopback, recordings in the site's folder. */
function media(room: string) {
  return {
    id: "media",
    kind: "media",
    video: { width: 320, height: 180, fps: 10, bitrateKbps: 300, keyframeS: 1 },
    audio: { input: "testsrc:440", bitrateKbps: 64 },
    inputs: { [`cam-${room}`]: room === CENTRAL ? "testsrc:red" : "testsrc:green" },
    srt: { bind: "127.0.0.1", port: ports[room], latencyMs: 120 },
    // The central point's guard asks for more free space than any disk has: its recording is always held off.
    recordings: { dir: join(recordings, room), segmentS: 600, minFreeMb: room === CENTRAL ? 1_000_000_000 : 1 },
    display: "none",
  };
}

const view = (room: string): RoomView => site.controller.registry.get(room)!;
const linkStatus = (room: string, peer: string) => view(room).state?.devices.media?.[`link.${peer}.status`];
const session = (role: "central" | "component"): DesiredPayload["session"] => ({
  id: SESSION,
  role,
  peers: [
    {
      room: role === "central" ? COMPONENT : CENTRAL,
      srt: { host: "127.0.0.1", port: ports[role === "central" ? COMPONENT : CENTRAL]! },
    },
  ],
  passphrase: PASSPHRASE,
});
const desire = (room: string, wanted: DesiredPayload["session"]) =>
  site.controller.desired.change(room, (current) => ({ ...current, session: wanted }), "test");
const linkAlarms = () =>
  site.controller.health.alarms({ active: true }).filter((alarm: Alarm) => alarm.kind === "link");

beforeAll(async () => {
  const [central, component] = await testUdpPorts(2);
  ports[CENTRAL] = central!;
  ports[COMPONENT] = component!;
  site = await TestSite.create("embedded", [CENTRAL, COMPONENT], {
    health: { alarmDebounceMs: 1000 },
    extend: (room) => ({ devices: [media(room)] }),
  });
  cleanups.push(async () => rmSync(recordings, { recursive: true, force: true }));
  cleanups.push(() => site.stop());
  cleanups.push(() => stopAll());
  site.startAgent(CENTRAL);
  site.startAgent(COMPONENT);
  await waitFor(
    "both media ok",
    () => view(CENTRAL)?.health.media?.status === "ok" && view(COMPONENT)?.health.media?.status === "ok",
    30_000,
  );
}, 60_000);

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe("a session link that drops", () => {
  it("raises one alarm naming the session and the point after the debounce, cleared when the link is back", async () => {
    await desire(CENTRAL, session("central"));
    await desire(COMPONENT, session("component"));
    await waitFor("the component's link up", () => linkStatus(COMPONENT, CENTRAL) === "ok", 30_000);
    expect(linkAlarms()).toEqual([]);

    // The central point leaves the session: its SRT listener stops, the component's link to it drops.
    await desire(CENTRAL, null);
    const alarm = await waitFor("the link's alarm", () => linkAlarms()[0], 40_000);
    expect(alarm).toMatchObject({
      kind: "link",
      room: COMPONENT,
      device: "media",
      session: SESSION,
      point: CENTRAL,
      status: expect.stringMatching(/^(offline|degraded)$/),
    });
    expect(alarm.detail).toContain(`session ${SESSION}: link from ${COMPONENT} to ${CENTRAL}`);
    expect(linkAlarms()).toHaveLength(1);

    // Back: the link comes up and the alarm clears; the history of the component has both.
    await desire(CENTRAL, session("central"));
    await waitFor("the alarm cleared", () => linkAlarms().length === 0, 40_000);
    await site.controller.health.history.flush();
    const page = await site.controller.health.roomHistory(COMPONENT, { limit: 500 });
    const changes = page.items
      .filter((line) => line.kind === "alarm" && (line.alarm as Alarm).kind === "link")
      .map((line) => `${line.change} ${(line.alarm as Alarm).key}`)
      .reverse();
    expect(changes).toEqual([
      `raised link:${COMPONENT}:${SESSION}:${CENTRAL}`,
      ...changes.slice(1, -1),
      `cleared link:${COMPONENT}:${SESSION}:${CENTRAL}`,
    ]);
    expect(page.items.some((line) => line.kind === "link" && line.point === CENTRAL && line.session === SESSION)).toBe(
      true,
    );
  }, 120_000);
});

describe("the disk guard", () => {
  it("holding the recording off raises a disk alarm", async () => {
    await site.controller.desired.change(CENTRAL, (current) => ({ ...current, recording: true }), "test");
    const alarm = await waitFor(
      "the disk alarm",
      () => site.controller.health.alarms({ active: true }).find((each: Alarm) => each.kind === "disk"),
      30_000,
    );
    expect(alarm).toMatchObject({ room: CENTRAL, device: "media", status: "disk_guard", severity: "critical" });
    expect(alarm.detail).toMatch(
      /^recording stopped: \d+ MB free on the recordings disk, under the 1000000000 MB minimum/,
    );
  }, 60_000);
});
