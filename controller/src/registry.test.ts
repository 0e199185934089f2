import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { RoomRegistry } from "./registry.ts";

function registry() {
  const rooms = new RoomRegistry(pino({ level: "silent" }));
  rooms.setRegistrations([
    { id: "xa-a", name: "Xã A", level: "commune", parent: null, createdAt: new Date().toISOString() },
  ]);
  return rooms;
}

describe("room registry", () => {
  it("ignores a will from an older boot once a newer boot is online", () => {
    const rooms = registry();
    rooms.availability("xa-a", { state: "online", boot: 7 });
    rooms.availability("xa-a", { state: "offline", boot: 6 });
    expect(rooms.get("xa-a")!.availability).toMatchObject({ state: "online", boot: 7 });
    rooms.availability("xa-a", { state: "offline", boot: 7 });
    expect(rooms.get("xa-a")!.availability).toMatchObject({ state: "offline", boot: 7 });
  });

  it("keeps the newest state when an older one arrives late", () => {
    const rooms = registry();
    const state = {
      at: new Date().toISOString(),
      desiredRev: null,
      session: null,
      recording: false,
      programCamera: null,
      privacy: false,
      director: null,
      devices: {},
    };
    rooms.state("xa-a", { ...state, boot: 2, seq: 5 });
    rooms.state("xa-a", { ...state, boot: 2, seq: 4 });
    rooms.state("xa-a", { ...state, boot: 1, seq: 90 });
    expect(rooms.get("xa-a")!.state).toMatchObject({ boot: 2, seq: 5 });
  });

  it("turns rooms unknown when the broker is lost, and offline if they do not answer the resync", () => {
    const rooms = registry();
    rooms.availability("xa-a", { state: "online", boot: 1 });
    rooms.markAllUnknown();
    expect(rooms.get("xa-a")!.availability.state).toBe("unknown");
    rooms.markUnknownOffline();
    expect(rooms.get("xa-a")!.availability.state).toBe("offline");
  });

  it("ignores messages from rooms nobody registered", () => {
    const rooms = registry();
    rooms.availability("xa-z", { state: "online", boot: 1 });
    expect(rooms.get("xa-z")).toBeUndefined();
  });
});
