// The room's desired state as the agent follows it (DESIGN §3.1): applied only when newer than the one applied, kept
// on disk, and resumed at start, so the room resumes its session and recording even while the controller is
// unreachable, and an older desired state (a retained message the broker still holds, a controller that had stalled)
// can never undo a newer one. It sets the session, recording and desired facts; it reports the revision applied.
//
// A recording switched at the room's own panel (which the agent serves, also while the controller is unreachable)
// is a local wish: kept on disk and held against every desired state until the controller has written it into the
// room's desired state (which then names it in `localWish`), and told to the controller whenever it is reachable.
// So neither the agent's restart nor a desired state the controller sent before it heard of the wish undoes it.
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  type DesiredPayload,
  decodePayload,
  desiredPayload,
  type LocalWish,
  localWish,
  type StatePayload,
} from "@rc/protocol";
import type { Logger } from "pino";
import { writeOwnerOnlyFile } from "./owner-only-file.ts";
import type { RoomFacts } from "./room-facts.ts";
import type { RoomFeature } from "./room-feature.ts";

export class DesiredState implements RoomFeature {
  readonly name = "desired state";
  private readonly file: string;
  private readonly wishFile: string;
  private rev: number | null = null;
  /** The local wish the controller has not named yet. */
  private wish: LocalWish | null = null;
  /** Saves one after another, so an older desired state can never be renamed over a newer one. */
  private saving: Promise<void> = Promise.resolve();

  constructor(
    dataDir: string,
    private readonly facts: RoomFacts,
    private readonly log: Logger,
    /** Tells the controller of a local wish (the `local_wish` event); dropped while it is unreachable. */
    private readonly announce: (wish: LocalWish) => void,
  ) {
    this.file = join(dataDir, "desired.json");
    this.wishFile = join(dataDir, "local-wish.json");
  }

  /** Resumes the desired state applied before this start, without waiting for the controller. */
  async start(): Promise<void> {
    this.wish = await this.loadWish();
    const { desired, error } = await this.load();
    if (error) this.log.error({ err: error }, "last applied desired state unreadable: waiting for the controller's");
    if (desired) {
      this.log.info({ rev: desired.rev, session: desired.session?.id ?? null }, "resuming the last desired state");
      this.set(desired);
    } else if (this.wish) this.facts.set({ recording: this.wish.recording });
  }

  /**
   * The room's own panel switched the recording (the switch itself is done): held until the controller has it.
   * Resolves once it is on disk, so the panel's answer comes after it (an agent killed then still has it).
   */
  async wished(recording: boolean): Promise<void> {
    // Already wanted so (a double tap, or the controller's own wish): nothing for the controller to learn.
    if ((this.wish?.recording ?? this.facts.get().desired?.recording) === recording) return;
    this.wish = { id: randomUUID(), recording };
    this.log.info(this.wish, "local wish: held until the controller has it");
    this.facts.set({ recording });
    this.announce(this.wish);
    await this.saveWish();
  }

  /** The controller is reachable (again): a wish it has not named yet is told again. */
  reachable(): void {
    if (this.wish) this.announce(this.wish);
  }

  async stop(): Promise<void> {
    await this.saving;
  }

  /** Applies a desired state only if it is newer than the one applied: an old one never undoes a newer change. */
  apply(desired: DesiredPayload): void {
    if (this.rev !== null && desired.rev <= this.rev) {
      this.log.debug({ rev: desired.rev, applied: this.rev }, "desired state not newer than the applied one");
      return;
    }
    this.log.info({ rev: desired.rev, session: desired.session?.id ?? null }, "desired state received");
    if (this.wish && desired.localWish === this.wish.id) {
      this.log.info({ wish: this.wish.id, rev: desired.rev }, "local wish taken in by the controller");
      this.wish = null;
      void this.saveWish();
    }
    this.set(desired);
    this.save(desired).catch((error: Error) => {
      this.log.error({ err: error.message }, "applied desired state not saved: a restart would resume an older one");
    });
  }

  state(): Partial<StatePayload> {
    return { desiredRev: this.rev };
  }

  private set(desired: DesiredPayload): void {
    this.rev = desired.rev;
    this.facts.set({
      session: desired.session ? { id: desired.session.id, role: desired.session.role } : null,
      recording: this.wish ? this.wish.recording : desired.recording,
      desired,
    });
  }

  /** The local wish kept on disk; none when there is none or it cannot be read (logged: the controller's stands). */
  private async loadWish(): Promise<LocalWish | null> {
    try {
      const text = await readFile(this.wishFile, "utf8");
      const decoded = decodePayload(localWish.nullable(), text);
      if (decoded.ok) return decoded.value;
      this.log.error({ file: this.wishFile, reason: decoded.reason }, "local wish unreadable: the controller's stands");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT")
        this.log.error({ file: this.wishFile, err: (error as Error).message }, "local wish unreadable");
    }
    return null;
  }

  private saveWish(): Promise<void> {
    return this.queue(this.wishFile, `${JSON.stringify(this.wish)}\n`).catch((error: Error) => {
      this.log.error({ err: error.message }, "local wish not saved: a restart would forget it");
    });
  }

  /** The stored desired state; null when there is none, or it cannot be read (said in the error, never thrown). */
  private async load(): Promise<{ desired: DesiredPayload | null; error?: string }> {
    let text: string;
    try {
      text = await readFile(this.file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return { desired: null };
      return { desired: null, error: `${this.file}: ${(error as Error).message}` };
    }
    const decoded = decodePayload(desiredPayload, text);
    return decoded.ok ? { desired: decoded.value } : { desired: null, error: `${this.file}: ${decoded.reason}` };
  }

  private save(desired: DesiredPayload): Promise<void> {
    return this.queue(this.file, `${JSON.stringify(desired)}\n`);
  }

  /** Writes a file whole (never half a file), readable by the agent's user only, after the writes before it. */
  private queue(file: string, text: string): Promise<void> {
    const save = this.saving.then(() => writeOwnerOnlyFile(file, text));
    this.saving = save.catch(() => {});
    return save;
  }
}
