// Registering a room and creating its agent's broker login, or replacing that login on purpose: the CLI's job, never
// hand-edited JSON.
import { isValidId, type RoomKind, type RoomLevel, type SrtAddress } from "@rc/protocol";
import { generatePassword, hashPassword } from "./credentials.ts";
import { mosquittoPasswordHash } from "./mosquitto-files.ts";
import { type BrokerCredentialRecord, defaultRoomKind, type Store } from "./store.ts";

export interface NewRoom {
  id: string;
  name: string;
  level: RoomLevel;
  parent: string | null;
  /** By default guessed from the level (see defaultRoomKind). */
  kind?: RoomKind;
  /** Where its agent listens for SRT peers; none by default. */
  srt?: SrtAddress | null;
}

/** A room id that is already registered: its agent's password is changed on purpose only (rotateRoomPassword). */
export class RoomExistsError extends Error {
  constructor(readonly room: string) {
    super(
      `room "${room}" is already registered; its agent's password is unchanged ` +
        `(\`controller rooms rotate-password ${room}\` issues a new one on purpose)`,
    );
  }
}

export interface RoomLogin {
  username: string;
  password: string;
}

/** A new broker password for a room's agent, hashed for the embedded broker and for Mosquitto's password file. */
async function newLogin(): Promise<{ password: string; credential: BrokerCredentialRecord }> {
  const password = generatePassword();
  const [hash, mosquitto] = await Promise.all([hashPassword(password), mosquittoPasswordHash(password)]);
  return { password, credential: { ...hash, mosquitto, createdAt: new Date().toISOString() } };
}

/** Adds the room and creates its agent's login, returned once; refuses a room id already registered (RoomExistsError). */
export async function registerRoom(store: Store, room: NewRoom): Promise<RoomLogin> {
  if (!isValidId(room.id)) throw new Error(`invalid room id "${room.id}": lower-case letters, digits and '-'`);
  await store.reload();
  if (room.parent !== null && !Object.hasOwn(store.data.rooms, room.parent)) {
    throw new Error(`unknown parent room "${room.parent}": register it first`);
  }
  const { password, credential } = await newLogin();
  await store.update((data) => {
    // Checked again inside the update: another CLI may have registered it since the reload.
    if (Object.hasOwn(data.rooms, room.id)) throw new RoomExistsError(room.id);
    data.rooms[room.id] = {
      ...room,
      kind: room.kind ?? defaultRoomKind(room.level),
      srt: room.srt ?? null,
      createdAt: credential.createdAt,
    };
    data.credentials[room.id] = credential;
  });
  return { username: room.id, password };
}

/** Gives a registered room's agent a new password, returned once; the old one stops working. */
export async function rotateRoomPassword(store: Store, id: string): Promise<RoomLogin> {
  const { password, credential } = await newLogin();
  await store.update((data) => {
    if (!Object.hasOwn(data.rooms, id)) throw new Error(`no room "${id}"`);
    data.credentials[id] = credential;
  });
  return { username: id, password };
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
