// Registering a room and creating (or replacing) its agent's broker login: the CLI's job, never hand-edited JSON.
import { isValidId, type RoomKind, type RoomLevel, type SrtAddress } from "@rc/protocol";
import { generatePassword, hashPassword } from "./credentials.ts";
import { defaultRoomKind, type Store } from "./store.ts";

export interface NewRoom {
  id: string;
  name: string;
  level: RoomLevel;
  parent: string | null;
  /** By default guessed from the level (see defaultRoomKind). */
  kind?: RoomKind;
  /** Where its agent listens for SRT peers; by default what was registered before, or none. */
  srt?: SrtAddress | null;
}

/** Adds the room (or updates its name/level/kind/parent/SRT address) and gives its agent a new password, returned once. */
export async function registerRoom(store: Store, room: NewRoom): Promise<{ username: string; password: string }> {
  if (!isValidId(room.id)) throw new Error(`invalid room id "${room.id}": lower-case letters, digits and '-'`);
  await store.reload();
  if (room.parent !== null && !Object.hasOwn(store.data.rooms, room.parent)) {
    throw new Error(`unknown parent room "${room.parent}": register it first`);
  }
  const password = generatePassword();
  const hash = await hashPassword(password);
  const now = new Date().toISOString();
  await store.update((data) => {
    const before = Object.hasOwn(data.rooms, room.id) ? data.rooms[room.id] : undefined;
    data.rooms[room.id] = {
      ...room,
      kind: room.kind ?? before?.kind ?? defaultRoomKind(room.level),
      srt: room.srt === undefined ? (before?.srt ?? null) : room.srt,
      createdAt: before?.createdAt ?? now,
    };
    data.credentials[room.id] = { ...hash, createdAt: now };
  });
  return { username: room.id, password };
}

export async function removeRoom(store: Store, id: string): Promise<boolean> {
  await store.reload();
  if (!Object.hasOwn(store.data.rooms, id)) return false;
  await store.update((data) => {
    delete data.rooms[id];
    delete data.credentials[id];
    delete data.desired[id];
  });
  return true;
}
