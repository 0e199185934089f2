// The app's components render into the page itself (no shadow root): one stylesheet styles both faces, and a
// change of language re-renders every component on the page.
import { LitElement } from "lit";

export class LightElement extends LitElement {
  private readonly onLanguage = () => this.requestUpdate();

  protected override createRenderRoot(): HTMLElement {
    return this;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener("rc-language", this.onLanguage);
  }

  override disconnectedCallback(): void {
    window.removeEventListener("rc-language", this.onLanguage);
    super.disconnectedCallback();
  }
}
