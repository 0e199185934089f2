// Puts a room or one of its devices into maintenance (POST /api/maintenance): a reason and how long, one button per
// length, so planned work raises no alarm. Tells its page by a "maintenance" event with the words to show.
import { html } from "lit";
import { call } from "../api.ts";
import { messages } from "../i18n/index.ts";
import { formatDateTime } from "../time.ts";
import { describeFailure } from "./failure-message.ts";
import { LightElement } from "./light-element.ts";

const HOURS = [1, 4, 24] as const;

export interface MaintenanceDone {
  ok: boolean;
  message: string;
}

export class MaintenanceForm extends LightElement {
  room = "";
  device: string | null = null;
  /** The device's or the room's name, for the words. */
  what = "";
  private busy = false;

  private async plan(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const m = messages().board;
    const hours = Number((event.submitter as HTMLButtonElement | null)?.value ?? HOURS[0]);
    const reason = String(new FormData(event.target as HTMLFormElement).get("reason") ?? "").trim();
    let done: MaintenanceDone;
    if (!reason) {
      done = { ok: false, message: m.maintenanceNeedsReason };
    } else {
      this.busy = true;
      this.requestUpdate();
      try {
        const until = new Date(Date.now() + hours * 3600_000).toISOString();
        const window = await call<{ until: string }>("POST", "/api/maintenance", {
          room: this.room,
          ...(this.device ? { device: this.device } : {}),
          until,
          reason,
        });
        done = { ok: true, message: m.maintenanceSet({ what: this.what, time: formatDateTime(window.until) }) };
      } catch (failure) {
        done = { ok: false, message: describeFailure(failure) };
      }
      this.busy = false;
    }
    this.requestUpdate();
    this.dispatchEvent(new CustomEvent<MaintenanceDone>("maintenance", { detail: done, bubbles: true }));
  }

  protected override render() {
    const m = messages().board;
    const id = `reason-${this.room}-${this.device ?? "room"}`;
    return html`<form class="maintenance" @submit=${(event: SubmitEvent) => this.plan(event)}
        aria-label=${m.maintenanceOf({ what: this.what })}>
      <label for=${id}>${m.maintenanceReason}</label>
      <input id=${id} name="reason" value=${m.maintenanceDefaultReason} maxlength="500" />
      <div class="row wrap">
        ${HOURS.map(
          (h) => html`<button class="secondary" type="submit" value=${h} ?disabled=${this.busy}
            aria-label="${m.maintenanceOf({ what: this.what })} · ${m.maintenanceHours({ h })}">${m.maintenanceHours({ h })}</button>`,
        )}
      </div>
      <p class="hint">${m.maintenanceHint}</p>
    </form>`;
  }
}
customElements.define("rc-maintenance-form", MaintenanceForm);
