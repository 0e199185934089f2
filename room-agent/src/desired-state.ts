// The room's desired state as the agent follows it (DESIGN §3.1): applied only when newer than the one applied, kept
// on disk, and resumed at start, so the room resumes its session and recording even while the controller is
// unreachable, and an older desired state (a retained message the broker still holds, a controller that had stalled)
// can never undo a newer one. It sets the session, recording and desired facts; it reports the revision applied.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { type DesiredPayload, decodePayload, desiredPayload, type StatePayload } from "@rc/protocol";
import type { Logger } from "pino";
import { writeOwnerOnlyFile } from "./owner-only-file.ts";
import type { RoomFacts } from "./room-facts.ts";
import type { RoomFeature } from "./room-feature.ts";

export class DesiredState implements RoomFeature {
  readonly name = "desired state";
  private readonly file: string;
  private rev: number | null = null;
  /** Saves one after another, so an older desired state can never be renamed over a newer one. */
  private saving: Promise<void> = Promise.resolve();

  constructor(
    dataDir: string,
    private readonly facts: RoomFacts,
    private readonly log: Logger,
  ) {
    this.file = join(dataDir, "desired.json");
  }

  /** Resumes the desired state applied before this start, without waiting for the controller. */
  async start(): Promise<void> {
    const { desired, error } = await this.load();
    if (error) this.log.error({ err: error }, "last applied desired state unreadable: waiting for the controller's");
    if (!desired) return;
    this.log.info({ rev: desired.rev, session: desired.session?.id ?? null }, "resuming the last desired state");
    this.set(desired);
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
      recording: desired.recording,
      desired,
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

  /** Writes it whole (never half a file), readable by the agent's user only. */
  private save(desired: DesiredPayload): Promise<void> {
    const save = this.saving.then(() => writeOwnerOnlyFile(this.file, `${JSON.stringify(desired)}\n`));
    this.saving = save.catch(() => {});
    return save;
  }
}
