// The few room-wide facts that several parts set or follow: which camera is on air, the session, recording,
// privacy. One owner of each fact sets it (desired state, media switcher, director, the privacy feature in
// privacy.ts); drivers such as the tally lamps follow it. The reported state is built from these plus each
// device's readings.
import { EventEmitter } from "node:events";
import type { DesiredPayload } from "@rc/protocol";

export interface RoomFactValues {
  programCamera: string | null;
  session: { id: string; role: "central" | "component" } | null;
  recording: boolean;
  privacy: boolean;
  /** Each camera's stream URI (from ONVIF GetStreamUri), for the media worker's program inputs. */
  cameraStreams: Record<string, string>;
  /** The controller's whole desired state (peers, SRT passphrase…) for the parts that converge to it; never reported. */
  desired: DesiredPayload | null;
}

export class RoomFacts extends EventEmitter<{ change: [RoomFactValues, Partial<RoomFactValues>] }> {
  private values: RoomFactValues = {
    programCamera: null,
    session: null,
    recording: false,
    privacy: false,
    cameraStreams: {},
    desired: null,
  };

  get(): Readonly<RoomFactValues> {
    return this.values;
  }

  /** Changes some facts; listeners hear only about real changes. */
  set(patch: Partial<RoomFactValues>): void {
    const changed: Partial<RoomFactValues> = {};
    for (const key of Object.keys(patch) as (keyof RoomFactValues)[]) {
      if (JSON.stringify(this.values[key]) !== JSON.stringify(patch[key]))
        Object.assign(changed, { [key]: patch[key] });
    }
    if (Object.keys(changed).length === 0) return;
    this.values = { ...this.values, ...changed };
    this.emit("change", this.values, changed);
  }
}
