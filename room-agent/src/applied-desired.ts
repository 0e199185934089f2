// The last desired state the agent applied, kept on disk: after a restart the room resumes its session and
// recording even while the controller is unreachable, and an older desired state (a retained message the broker
// still holds, a controller that had stalled) can never undo a newer one (DESIGN §3.1).
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { type DesiredPayload, decodePayload, desiredPayload } from "@rc/protocol";
import { Writer } from "steno";

export class AppliedDesired {
  private readonly file: string;
  private readonly writer: Writer;

  constructor(dataDir: string) {
    this.file = join(dataDir, "desired.json");
    this.writer = new Writer(this.file);
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

  /** Writes it whole (steno writes a temporary file and renames it: never half a file), readable by the agent only. */
  save(desired: DesiredPayload): Promise<void> {
    return this.writer.write(`${JSON.stringify(desired)}\n`);
  }
}
