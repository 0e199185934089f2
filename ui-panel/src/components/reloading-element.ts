// A dashboard view read from the controller: read when it is put on the page, and again when told its data changed
// (socket.io), once for a burst of changes, `refreshMs` after the first, so an open view costs the controller a read
// every so often rather than one a change.
import { LightElement } from "./light-element.ts";

export abstract class ReloadingElement extends LightElement {
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;

  /** How long after the first change of a burst the view is read again. */
  protected abstract readonly refreshMs: number;

  /** Reads the view's data and renders it; a failed read is the view's to show, never thrown. */
  protected abstract load(): Promise<void>;

  override connectedCallback(): void {
    super.connectedCallback();
    void this.load();
  }

  override disconnectedCallback(): void {
    clearTimeout(this.refreshTimer);
    // Put on the page again, the view must still hear of changes.
    this.refreshTimer = undefined;
    super.disconnectedCallback();
  }

  /** The data changed: read them again, once for a burst. */
  changed(): void {
    if (this.refreshTimer !== undefined) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      void this.load();
    }, this.refreshMs);
  }
}
