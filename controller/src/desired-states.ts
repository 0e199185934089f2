// Each room's desired state. The controller's store owns it (DESIGN §3.1, one owner for every wanted fact): it is
// published retained on the controller's every (re)connect, which also covers a broker restarted without its
// retained messages, and again whenever an agent says it is online; a request that changes a wanted fact changes it
// here. So neither a restarted controller, broker nor agent can lose a session or a recording that was asked for.
import {
  type DesiredPayload,
  describeZodError,
  desiredPayload,
  desiredView,
  encodePayload,
  type LocalWish,
  localWish,
  type RoomView,
  topics,
} from "@rc/protocol";
import type { MqttClient } from "mqtt";
import type { Logger } from "pino";
import type { RoomRegistry } from "./registry.ts";
import type { Store, StoreData } from "./store.ts";

/** What a room wants when nothing was ever asked of it. */
const NOTHING_WANTED: DesiredPayload = { rev: 0, session: null, recording: false };

export type WantedChange = (current: DesiredPayload) => Omit<DesiredPayload, "rev">;

/**
 * Changes a room's desired state in the store (also before the controller runs, e.g. the demo's session). The
 * revision is at least the previous one + 1 and at least the time in milliseconds, so it keeps growing even from a
 * rebuilt store.
 */
export async function changeDesired(store: Store, room: string, wanted: WantedChange, by: string) {
  let desired = NOTHING_WANTED;
  const changedAt = new Date().toISOString();
  await store.update((data) => {
    const current = Object.hasOwn(data.desired, room) ? data.desired[room]!.desired : NOTHING_WANTED;
    const next = wanted(current);
    // The last local wish taken in stays named through other changes, so its agent always lets go of it.
    const named = next.localWish === undefined && current.localWish ? { localWish: current.localWish } : {};
    desired = { ...next, ...named, rev: nextRevision(current) };
    data.desired[room] = { desired, changedAt, changedBy: by };
  });
  return { desired, changedAt };
}

function nextRevision(current: DesiredPayload): number {
  return Math.max(current.rev + 1, Date.now());
}

/**
 * A new revision of a room's desired state with the same wanted facts, inside a store update: for a change of what
 * its publication carries from elsewhere in the store (the panel PIN's hash), which an agent takes only when newer.
 * When and by whom the wanted facts changed stays (a recording's elapsed time counts from it).
 */
export function renewDesired(data: StoreData, room: string, by: string): void {
  const record = Object.hasOwn(data.desired, room) ? data.desired[room] : undefined;
  const current = record?.desired ?? NOTHING_WANTED;
  data.desired[room] = {
    desired: { ...current, rev: nextRevision(current) },
    changedAt: record?.changedAt ?? new Date().toISOString(),
    changedBy: record?.changedBy ?? by,
  };
}

export class DesiredStates {
  constructor(
    private readonly store: Store,
    private readonly registry: RoomRegistry,
    private readonly client: () => MqttClient | undefined,
    private readonly log: Logger,
  ) {}

  /** The stored desired state of a room, or what a room wants when nothing was asked. */
  get(room: string): DesiredPayload {
    const desired = this.store.data.desired;
    return Object.hasOwn(desired, room) ? desired[room]!.desired : NOTHING_WANTED;
  }

  /** What the room's agent is sent: the stored desired state and the hash of the room's panel PIN (never the PIN). */
  private published(room: string): DesiredPayload {
    const pins = this.store.data.pins;
    const pin = Object.hasOwn(pins, room) ? pins[room]! : undefined;
    return { ...this.get(room), panelPin: pin ? { algorithm: pin.algorithm, salt: pin.salt, hash: pin.hash } : null };
  }

  /** Shows every room's stored desired state in the registry: at start and whenever the store changed. */
  show(): void {
    for (const [room, record] of Object.entries(this.store.data.desired)) {
      this.registry.desired(room, desiredView(record.desired, record.changedAt, record.changedBy));
    }
  }

  /** Publishes every room's desired state (retained): on each (re)connect of the controller. */
  publishAll(): void {
    for (const room of Object.keys(this.store.data.desired)) this.publish(room);
  }

  /** Publishes one room's desired state, if anything was ever wanted of it; while disconnected, the next connect will. */
  publish(room: string): void {
    const client = this.client();
    if (!client?.connected || !Object.hasOwn(this.store.data.desired, room)) return;
    const topic = topics.room(room, "desired");
    client.publish(topic, encodePayload(desiredPayload, this.published(room)), { qos: 1, retain: true }, (error) => {
      if (error) this.log.warn({ room, err: error.message }, "desired state not published");
    });
  }

  /**
   * A request that asks for a wanted fact (recording on/off) changes the room's desired state before it goes to the
   * agent, so no reconnect or restart can undo it; other requests change nothing here.
   */
  async wish(room: RoomView, action: string, params: Record<string, unknown>, from: string): Promise<void> {
    if (action !== "media.record") return;
    const device = room.info?.devices.find((entry) => entry.id === params.device);
    if (room.info && device?.kind !== "media") return; // the agent answers that there is no such media device
    const on = params.on === true;
    if (this.get(room.id).recording === on) return;
    await this.change(room.id, (current) => ({ ...current, recording: on }), from);
  }

  /**
   * A wanted fact changed at the room's own panel, which its agent serves (the agent's `local_wish` event): written
   * into the room's desired state, naming the wish, so the agent lets go of it. The operator in the room acted after
   * whatever the agent had applied, so the wish wins over a change made here meanwhile; one already taken in (the
   * agent says it again on each reconnect until it sees it named) is only published again. Returns the wish taken in.
   */
  async localWish(room: string, data: unknown): Promise<LocalWish | null> {
    const parsed = localWish.safeParse(data);
    if (!parsed.success) {
      this.log.warn({ room, reason: describeZodError(parsed.error) }, "local wish dropped: not a wish");
      return null;
    }
    const wish = parsed.data;
    if (this.get(room).localWish === wish.id) {
      this.publish(room);
      return null;
    }
    await this.change(
      room,
      (current) => ({ ...current, recording: wish.recording, localWish: wish.id }),
      `panel of ${room}`,
    );
    return wish;
  }

  /** Changes a room's wanted facts: stored first (a new revision), then shown and published. */
  async change(room: string, wanted: WantedChange, by: string): Promise<DesiredPayload> {
    const { desired, changedAt } = await changeDesired(this.store, room, wanted, by);
    this.log.info(
      { room, rev: desired.rev, recording: desired.recording, session: desired.session?.id ?? null, by },
      "desired",
    );
    this.registry.desired(room, desiredView(desired, changedAt, by));
    this.publish(room);
    return desired;
  }
}
