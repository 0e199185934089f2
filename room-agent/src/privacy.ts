// The room's privacy (every seat microphone muted at the DSPs) has one owner: this feature, the only writer of
// `facts.privacy`. The wall switch, a request and a DSP's own mute button tell it a wish; what each mixer holds is
// an observation. A wish is carried to every mixer that has seat mics; an observation never opens anything. The fact
// stays on while privacy is wanted or any mixer still holds the room's mics muted, so a DSP that comes back from a
// re-plug with its settings lost (read open before it is re-applied) can neither turn privacy off nor open the others.
import type { EventPayload } from "@rc/protocol";
import type { Logger } from "pino";
import type { RoomDevices } from "./room-devices.ts";
import type { RoomFacts } from "./room-facts.ts";
import type { RoomFeature } from "./room-feature.ts";

/** What devices tell privacy's owner, and ask it. */
export interface PrivacyReports {
  /** Someone wants privacy on or off: the wall switch, a request, a DSP's own mute button. */
  wish(on: boolean, source: string): void;
  /** What a device holds may have changed (read at connect, re-applied, a notice): the fact is worked out again. */
  observed(): void;
  /** Privacy as wanted now, or undefined while nobody has said: what a mixer puts back after it reconnects. */
  wanted(): boolean | undefined;
}

/** For a driver used outside a room (benchmarks, tests of one device): nobody to tell. */
export const NO_PRIVACY: PrivacyReports = { wish: () => {}, observed: () => {}, wanted: () => undefined };

export interface RoomPrivacyOptions {
  facts: RoomFacts;
  /** The devices that mute mics for privacy (their `privacy` role): every mixer holding seat mics. */
  devices: RoomDevices;
  log: Logger;
  emitEvent(event: Omit<EventPayload, "at">): void;
}

export class RoomPrivacy implements PrivacyReports, RoomFeature {
  readonly name = "privacy";
  /** Undefined until someone says: a DSP found with its mics muted then puts the whole room in privacy. */
  private wantedOn: boolean | undefined;
  private running = false;

  constructor(private readonly options: RoomPrivacyOptions) {}

  start(): void {
    this.running = true;
    this.update();
  }

  stop(): void {
    this.running = false;
  }

  wanted(): boolean | undefined {
    return this.wantedOn;
  }

  wish(on: boolean, source: string): void {
    if (!this.running) return;
    this.options.log.info({ on, source }, "privacy wished");
    this.wantedOn = on;
    for (const { supervisor, role: mutes } of this.options.devices.withRole("privacy")) {
      const held = mutes.privacyHeld();
      if (held === undefined || held === on) continue;
      // A mixer that cannot take it now is told again when it reconnects (it asks wanted() in its re-apply).
      supervisor
        .command("mixer.privacy", () => mutes.privacy(on))
        .catch((error: Error) => {
          const reason = `privacy ${on ? "on" : "off"} not applied: ${error.message}`;
          this.options.log.warn({ device: supervisor.id, err: error.message }, "privacy not applied");
          this.options.emitEvent({ type: "device_error", device: supervisor.id, reason, data: {} });
        })
        .finally(() => this.update());
    }
    this.update();
  }

  observed(): void {
    if (!this.running) return;
    // Muted mics found before anyone said what the room wants (the agent restarted in a hearing's private part):
    // keep the room private, everywhere. Mics found open ask nothing: they open nobody else.
    if (this.wantedOn === undefined && this.anyHeld()) {
      this.wish(true, "mics found muted at a DSP");
      return;
    }
    this.update();
  }

  private update(): void {
    if (!this.running) return;
    this.options.facts.set({ privacy: this.wantedOn === true || this.anyHeld() });
  }

  /** A mixer's last known hold counts while it is away: we cannot say its mics opened. */
  private anyHeld(): boolean {
    return this.options.devices.withRole("privacy").some(({ role: mutes }) => mutes.privacyHeld() === true);
  }
}
