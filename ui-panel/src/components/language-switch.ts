// One button that switches Vietnamese ⇄ English, shown on both faces.
import { html } from "lit";
import { currentLanguage, messages, setLanguage } from "../i18n/index.ts";
import { LightElement } from "./light-element.ts";

export class LanguageSwitch extends LightElement {
  protected override render() {
    const next = currentLanguage() === "vi" ? "en" : "vi";
    return html`<button class="secondary" lang=${next} @click=${() => setLanguage(next)}>
      ${messages().switchLanguage}
    </button>`;
  }
}
customElements.define("rc-language-switch", LanguageSwitch);
