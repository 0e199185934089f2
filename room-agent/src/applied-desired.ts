// The last desired state the agent applied, kept on disk: after a restart the room resumes its session and
// recording even while the controller is unreachable, and an older desired state (a retained message the broker
// still holds, a controller that had stalled) can never undo a newer one (DESIGN §3.1).
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { type DesiredPayload, decodePayload, desiredPayload } from "@rc/protocol";
import { writeOwnerOnlyFile } from "./owner-only-file.ts";

export class AppliedDesired {
  private readonly file: string;
  /** Saves one after another, so an older desired state can never be renamed over a newer one. */
  private saving: Promise<void> = Promise.resolve();

  constructor(dataDir: string) {
    this.file = join(dataDir, "desired.json");
  }

  /** The stored desired state; null when there is none, or it cannot be read (said in the error, never thrown). */
  async load(): Promise<{ desired: DesiredPayload | null; error?: string }> {
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
  save(desired: DesiredPayload): Promise<void> {
    const save = this.saving.then(() => writeOwnerOnlyFile(this.file, `${JSON.stringify(desired)}\n`));
    this.saving = save.catch(() => {});
    return save;
  }
}
