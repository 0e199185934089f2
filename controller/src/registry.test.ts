import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { RoomRegistry } from "./registry.ts";

function registry() {
  const rooms = new RoomRegistry(pino({ level: "silent" }));
  rooms.setRegistrations([
    {
      id: "xa-a",
      name: "Xã A",
      level: "commune",
      kind: "commune",
      parent: null,
      srt: null,
      createdAt: new Date().toISOString(),
    },
  ]);
  return rooms;
}

const STATE = {
  at: new Date().toISOString(),
  desiredRev: null,
  session: null,
  recording: false,
  programCamera: null,
  privacy: false,
  director: null,
  devices: {},
};

describe("room registry", () => {
  it("ignores a will from an older boot once a newer boot is online", () => {
    const rooms = registry();
    rooms.availability("xa-a", { state: "online", boot: 7, bootId: "boot-seven" });
    rooms.availability("xa-a", { state: "offline", boot: 6, bootId: "boot-six-x" });
    expect(rooms.get("xa-a")!.availability).toMatchObject({ state: "online", boot: 7 });
    rooms.availability("xa-a", { state: "offline", boot: 7, bootId: "boot-seven" });
    expect(rooms.get("xa-a")!.availability).toMatchObject({ state: "offline", boot: 7 });
  });

  it("fault 4: a room whose boot counter went back (a replaced PC) is online at once, and the old PC's will is ignored", () => {
    const rooms = registry();
    rooms.availability("xa-a", { state: "online", boot: 57, bootId: "old-pc-57" });
    rooms.availability("xa-a", { state: "online", boot: 1, bootId: "new-pc-01" });
    expect(rooms.get("xa-a")!.availability).toMatchObject({ state: "online", boot: 1, bootId: "new-pc-01" });
    rooms.availability("xa-a", { state: "offline", boot: 57, bootId: "old-pc-57" });
    expect(rooms.get("xa-a")!.availability).toMatchObject({ state: "online", boot: 1 });
    rooms.state("xa-a", { ...STATE, boot: 1, bootId: "new-pc-01", seq: 0 });
    expect(rooms.get("xa-a")!.state).toMatchObject({ boot: 1, seq: 0 });
  });

  it("fault 9: an offline room shows its devices offline, naming what they last reported, until its agent is back", () => {
    const rooms = registry();
    const ok = { status: "ok" as const, since: new Date().toISOString(), detail: "", rttMs: 3, counters: {} };
    rooms.availability("xa-a", { state: "online", boot: 1, bootId: "boot-one-1" });
    rooms.health("xa-a", "media", ok);
    expect(rooms.get("xa-a")!.stale).toBe(false);
    rooms.availability("xa-a", { state: "offline", boot: 1, bootId: "boot-one-1" });
    expect(rooms.get("xa-a")!.stale).toBe(true);
    expect(rooms.get("xa-a")!.health.media).toMatchObject({ status: "offline", detail: expect.stringContaining("ok") });
    rooms.health("xa-a", "media", ok); // a retained health read while the room is offline is not current either
    expect(rooms.get("xa-a")!.health.media!.status).toBe("offline");
    rooms.availability("xa-a", { state: "online", boot: 2, bootId: "boot-two-2" });
    rooms.health("xa-a", "media", ok);
    expect(rooms.get("xa-a")!.health.media!.status).toBe("ok");
    expect(rooms.get("xa-a")!.stale).toBe(false);
  });

  it("keeps the newest state of the boot online when an older one arrives late", () => {
    const rooms = registry();
    rooms.availability("xa-a", { state: "online", boot: 2, bootId: "boot-two-2" });
    rooms.state("xa-a", { ...STATE, boot: 2, bootId: "boot-two-2", seq: 5 });
    rooms.state("xa-a", { ...STATE, boot: 2, bootId: "boot-two-2", seq: 4 });
    rooms.state("xa-a", { ...STATE, boot: 1, bootId: "boot-one-1", seq: 90 });
    expect(rooms.get("xa-a")!.state).toMatchObject({ boot: 2, seq: 5 });
  });

  it("turns rooms unknown when the broker is lost, and offline if they do not answer the resync", () => {
    const rooms = registry();
    rooms.availability("xa-a", { state: "online", boot: 1, bootId: "boot-one-1" });
    rooms.markAllUnknown();
    expect(rooms.get("xa-a")!.availability.state).toBe("unknown");
    rooms.markUnknownOffline();
    expect(rooms.get("xa-a")!.availability.state).toBe("offline");
  });

  it("ignores messages from rooms nobody registered", () => {
    const rooms = registry();
    rooms.availability("xa-z", { state: "online", boot: 1, bootId: "boot-one-1" });
    expect(rooms.get("xa-z")).toBeUndefined();
  });
});
