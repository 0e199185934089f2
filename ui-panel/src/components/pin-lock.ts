// The panel's lock screen: a number pad (no keyboard on a wall screen), POST /api/auth/pin, and the answer in words.
// On success it fires "unlocked"; the PIN is never kept after the attempt.
import { html, nothing } from "lit";
import { ApiError, loginWithPin } from "../api.ts";
import { messages } from "../i18n/index.ts";
import { describeFailure } from "./failure-message.ts";
import { LightElement } from "./light-element.ts";

const MAX_DIGITS = 8;

export class PinLock extends LightElement {
  room = "";
  private pin = "";
  private error: string | null = null;
  private busy = false;

  private press(digit: string): void {
    if (this.pin.length >= MAX_DIGITS) return;
    this.pin += digit;
    this.error = null;
    this.requestUpdate();
  }

  private clear(): void {
    this.pin = "";
    this.requestUpdate();
  }

  private async unlock(): Promise<void> {
    if (this.busy || this.pin.length === 0) return;
    this.busy = true;
    this.requestUpdate();
    try {
      await loginWithPin(this.room, this.pin);
      this.dispatchEvent(new Event("unlocked"));
    } catch (failure) {
      this.error =
        failure instanceof ApiError && failure.status === 401 ? messages().wrongPin : describeFailure(failure);
    } finally {
      this.pin = "";
      this.busy = false;
      this.requestUpdate();
    }
  }

  protected override render() {
    const m = messages();
    const digits = ["1", "2", "3", "4", "5", "6", "7", "8", "9"];
    return html`<section class="lock" aria-labelledby="lock-title">
      <h1 id="lock-title">${m.lockTitle}</h1>
      <div class="pin-dots" role="status" aria-label=${m.pinLabel}>
        <span aria-hidden="true">${"●".repeat(this.pin.length) || "\u00a0"}</span>
        <span class="visually-hidden">${m.pinEntered({ n: this.pin.length })}</span>
      </div>
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      <div class="pin-pad">
        ${digits.map((digit) => html`<button class="digit" @click=${() => this.press(digit)}>${digit}</button>`)}
        <button class="digit secondary" @click=${() => this.clear()}>${m.clear}</button>
        <button class="digit" @click=${() => this.press("0")}>0</button>
        <button class="digit primary" ?disabled=${this.busy || this.pin.length === 0} @click=${() => this.unlock()}>
          ${m.unlock}
        </button>
      </div>
    </section>`;
  }
}
customElements.define("rc-pin-lock", PinLock);
