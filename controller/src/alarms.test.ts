// The roll-up and the alarm conditions from a room's view, and the alarm book with fake time: debounce, one alarm per
// subject, clear on recovery, acknowledgement, maintenance windows.
import type { DeviceStatus, HealthPayload, RoomView, StatePayload } from "@rc/protocol";
import { describe, expect, it } from "vitest";
import { type Alarm, AlarmBook, type AlarmChange } from "./alarms.ts";
import { alarmConditions, roomRollup } from "./health-rollup.ts";

const health = (status: DeviceStatus, detail = ""): HealthPayload => ({
  status,
  since: "2026-12-03T01:00:00.000Z",
  detail,
  rttMs: null,
  counters: {},
});

function view(
  devices: Record<string, { status?: DeviceStatus; optional?: boolean }>,
  extra: Partial<RoomView> = {},
): RoomView {
  return {
    id: "xa",
    name: "Xã",
    level: "commune",
    kind: "commune",
    parent: null,
    availability: { state: "online", boot: 1, bootId: "boot-0001", since: "2026-12-03T01:00:00.000Z" },
    desired: null,
    stale: false,
    info: {
      agentVersion: "0",
      boot: 1,
      startedAt: "2026-12-03T01:00:00.000Z",
      room: { id: "xa", name: "Xã", level: "commune", parent: null },
      devices: Object.entries(devices).map(([id, device]) => ({
        id,
        kind: "camera",
        model: "m",
        optional: device.optional ?? false,
        capabilities: [],
      })),
      actions: [],
    },
    state: null,
    health: Object.fromEntries(
      Object.entries(devices)
        .filter(([, device]) => device.status !== undefined)
        .map(([id, device]) => [id, health(device.status!, `${id} is ${device.status}`)]),
    ),
    lastSeen: null,
    ...extra,
  };
}

function state(devices: StatePayload["devices"], session: string | null = "s-1"): StatePayload {
  return {
    at: "2026-12-03T01:00:00.000Z",
    seq: 1,
    boot: 1,
    bootId: "boot-0001",
    desiredRev: 1,
    session: session ? { id: session, role: "central" } : null,
    recording: true,
    programCamera: null,
    privacy: false,
    director: null,
    devices,
  };
}

describe("a room's roll-up", () => {
  it("is the worst required device; an optional device absent is not present, not an error", () => {
    const rollup = roomRollup(
      view({
        cam: { status: "degraded" },
        mixer: { status: "ok" },
        doc: { optional: true },
        gpio: { status: "offline", optional: true },
      }),
    );
    expect(rollup.status).toBe("degraded");
    expect(rollup.worst).toEqual(["cam"]);
    expect(rollup.devices).toEqual([
      { id: "cam", required: true, status: "degraded" },
      { id: "doc", required: false, status: "not_present" },
      { id: "gpio", required: false, status: "not_present" },
      { id: "mixer", required: true, status: "ok" },
    ]);
    expect(roomRollup(view({ cam: { status: "offline" }, mix: { status: "bad_config" } })).status).toBe("offline");
    expect(roomRollup(view({ cam: { status: "ok" }, doc: { optional: true } })).status).toBe("ok");
    expect(roomRollup(view({ cam: {} })).status).toBe("connecting");
    const gone = view(
      { cam: { status: "ok" } },
      { availability: { state: "offline", boot: 1, bootId: "boot-0001", since: "" } },
    );
    expect(roomRollup(gone).status).toBe("offline");
  });
});

describe("alarm conditions", () => {
  it("name the device, the session and point of a link, and the disk guard", () => {
    const conditions = alarmConditions(
      view(
        { cam: { status: "offline" }, doc: { status: "offline", optional: true }, media: { status: "ok" } },
        {
          state: state({
            media: {
              "link.huyen.status": "offline",
              "link.huyen.detail": "no answer from srt://127.0.0.1:9101",
              "link.tinh.status": "ok",
              "recording.diskGuard": true,
              "recording.freeMb": 100,
              "recording.detail": "recording stopped: 100 MB free",
            },
          }),
        },
      ),
    );
    expect(conditions?.map((condition) => [condition.key, condition.status, condition.severity])).toEqual([
      ["device:xa:cam", "offline", "major"],
      ["link:xa:s-1:huyen", "offline", "major"],
      ["disk:xa:media", "disk_guard", "critical"],
    ]);
    expect(conditions?.[1]).toMatchObject({ session: "s-1", point: "huyen", device: "media" });
    expect(conditions?.[1]?.detail).toContain("session s-1: link from xa to huyen offline");
  });

  it("are one room alarm while the agent is offline, and nothing at all while the room is unknown", () => {
    const offline = view(
      { cam: { status: "offline" } },
      { availability: { state: "offline", boot: 1, bootId: "b", since: "" } },
    );
    expect(alarmConditions(offline)?.map((condition) => condition.key)).toEqual(["room:xa"]);
    const unknown = view(
      { cam: { status: "offline" } },
      { availability: { state: "unknown", boot: null, bootId: null, since: "" } },
    );
    expect(alarmConditions(unknown)).toBeNull();
  });

  it("ignore a link outside a session", () => {
    const conditions = alarmConditions(view({}, { state: state({ media: { "link.huyen.status": "offline" } }, null) }));
    expect(conditions).toEqual([]);
  });
});

describe("the alarm book", () => {
  function book(debounceMs = 10_000) {
    let now = Date.parse("2026-12-03T01:00:00.000Z");
    const changes: [AlarmChange, Alarm][] = [];
    const alarms = new AlarmBook({
      debounceMs,
      now: () => now,
      onChange: (change, alarm) => changes.push([change, alarm]),
    });
    return {
      alarms,
      changes,
      advance(ms: number) {
        now += ms;
        alarms.tick();
      },
      get now() {
        return now;
      },
    };
  }
  const camOffline = () => alarmConditions(view({ cam: { status: "offline" } }));
  const camOk = () => alarmConditions(view({ cam: { status: "ok" } }));

  it("raises one alarm after the debounce, follows its status, clears on recovery", () => {
    const { alarms, changes, advance } = book();
    alarms.evaluate("xa", camOffline());
    advance(9_999);
    expect(changes).toEqual([]);
    alarms.evaluate("xa", camOffline()); // the same condition again does not restart the debounce
    advance(1);
    expect(changes.map(([change]) => change)).toEqual(["raised"]);
    expect(alarms.list({ active: true })).toHaveLength(1);
    alarms.evaluate("xa", alarmConditions(view({ cam: { status: "bad_config" } })));
    alarms.evaluate("xa", camOffline());
    advance(60_000);
    expect(changes.map(([change, alarm]) => `${change}:${alarm.status}`)).toEqual([
      "raised:offline",
      "changed:bad_config",
      "changed:offline",
    ]);
    alarms.evaluate("xa", camOk());
    expect(changes.at(-1)![0]).toBe("cleared");
    expect(alarms.list({ active: true })).toEqual([]);
    expect(alarms.list({ active: false })[0]).toMatchObject({ key: "device:xa:cam", clearedAt: expect.any(String) });
  });

  it("raises nothing for a condition shorter than the debounce", () => {
    const { alarms, changes, advance } = book();
    alarms.evaluate("xa", camOffline());
    advance(5_000);
    alarms.evaluate("xa", camOk());
    advance(60_000);
    expect(changes).toEqual([]);
  });

  it("keeps alarms from being raised inside a maintenance window, and raises when it ends if the fault is still there", () => {
    const { alarms, changes, advance, now } = book();
    alarms.addWindow({
      room: "xa",
      device: "cam",
      from: new Date(now).toISOString(),
      until: new Date(now + 60_000).toISOString(),
      reason: "thay camera",
      createdBy: "it",
    });
    alarms.evaluate("xa", camOffline());
    alarms.evaluate("xa", alarmConditions(view({ cam: { status: "offline" }, mix: { status: "offline" } })));
    advance(30_000);
    // The window is the camera's: the mixer's alarm is raised.
    expect(changes.map(([change, alarm]) => `${change}:${alarm.device}`)).toEqual(["raised:mix"]);
    advance(30_000);
    expect(changes.map(([change, alarm]) => `${change}:${alarm.device}`)).toEqual(["raised:mix", "raised:cam"]);
    expect(alarms.maintenanceWindows()).toEqual([]);
  });

  it("acknowledges once, with who and the note", () => {
    const { alarms, advance } = book(0);
    alarms.evaluate("xa", camOffline());
    advance(0);
    const [alarm] = alarms.list({ active: true });
    expect(alarms.acknowledge(alarm!, "it-1", "đã báo kỹ thuật")).toBe(true);
    expect(alarms.acknowledge(alarm!, "it-2", "again")).toBe(false);
    expect(alarms.find(alarm!.id)?.ack).toMatchObject({ by: "it-1", note: "đã báo kỹ thuật" });
  });

  it("saves and restores; an alarm restored whose condition is gone clears", () => {
    const first = book(0);
    first.alarms.evaluate("xa", camOffline());
    first.advance(0);
    const second = book(0);
    second.alarms.restore(first.alarms.saved());
    expect(second.alarms.list({ active: true })).toHaveLength(1);
    second.alarms.evaluate("xa", camOk());
    expect(second.changes.map(([change]) => change)).toEqual(["cleared"]);
  });
});
