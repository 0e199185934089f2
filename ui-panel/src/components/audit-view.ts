// The audit log on the dashboard (GET /api/audit, admin and IT): newest first, filtered by days, room and user, a
// page at a time. Actions are worded from the catalogue; an action it does not know shows as its code.
import { html, nothing } from "lit";
import { call } from "../api.ts";
import { messages } from "../i18n/index.ts";
import { formatDateTime } from "../time.ts";
import { describeFailure } from "./failure-message.ts";
import { LightElement } from "./light-element.ts";

const PAGE = 50;

interface AuditEntry {
  seq: number;
  at: string;
  who: { user: string | null; via: string };
  what: { action: string; target: Record<string, string> };
  params: unknown;
  result: { ok: true } | { ok: false; code: string };
}

interface Filter {
  from?: string;
  to?: string;
  room?: string;
  user?: string;
}

export class AuditView extends LightElement {
  /** Rooms to filter by: id and name. */
  rooms: { id: string; name: string }[] = [];
  private entries: AuditEntry[] | null = null;
  private nextCursor: string | null = null;
  private filter: Filter = {};
  private error: string | null = null;

  override connectedCallback(): void {
    super.connectedCallback();
    void this.load(false);
  }

  private async load(more: boolean): Promise<void> {
    const query = new URLSearchParams({ limit: String(PAGE) });
    for (const [key, value] of Object.entries(this.filter)) if (value) query.set(key, value);
    if (more && this.nextCursor) query.set("cursor", this.nextCursor);
    try {
      const page = await call<{ items: AuditEntry[]; nextCursor: string | null }>("GET", `/api/audit?${query}`);
      this.entries = more ? [...(this.entries ?? []), ...page.items] : page.items;
      this.nextCursor = page.nextCursor;
      this.error = null;
    } catch (failure) {
      this.error = describeFailure(failure);
    }
    this.requestUpdate();
  }

  private apply(event: SubmitEvent): void {
    event.preventDefault();
    const form = new FormData(event.target as HTMLFormElement);
    const value = (name: string) => String(form.get(name) ?? "").trim() || undefined;
    // A "to" day counts whole: the API's bound is exclusive, so the day after.
    const to = value("to");
    const after = to ? new Date(Date.parse(`${to}T00:00:00+07:00`) + 24 * 3600_000).toISOString() : undefined;
    this.filter = {
      ...(value("from") ? { from: `${value("from")}T00:00:00+07:00` } : {}),
      ...(after ? { to: after } : {}),
      ...(value("room") ? { room: value("room") } : {}),
      ...(value("user") ? { user: value("user") } : {}),
    };
    void this.load(false);
  }

  private clear(event: Event): void {
    (event.target as HTMLButtonElement).form?.reset();
    this.filter = {};
    void this.load(false);
  }

  protected override render() {
    const m = messages();
    const b = m.board;
    return html`<section class="card" aria-labelledby="audit-title">
      <h2 id="audit-title">${b.audit}</h2>
      <form class="audit-filter row wrap" @submit=${(event: SubmitEvent) => this.apply(event)}>
        <label>${b.from} <input type="date" name="from" /></label>
        <label>${b.to} <input type="date" name="to" /></label>
        <label>${m.room}
          <select name="room">
            <option value="">${b.anyRoom}</option>
            ${this.rooms.map((room) => html`<option value=${room.id}>${room.name}</option>`)}
          </select></label>
        <label>${b.user} <input name="user" maxlength="200" autocomplete="off" /></label>
        <button class="primary" type="submit">${b.filter}</button>
        <button class="secondary" type="button" @click=${(event: Event) => this.clear(event)}>${b.clearFilter}</button>
      </form>
      ${this.error ? html`<p class="banner error" role="alert">${this.error}</p>` : nothing}
      ${this.entries?.length === 0 ? html`<p>${b.noAudit}</p>` : nothing}
      ${this.entries?.length ? this.renderTable(this.entries) : nothing}
      ${this.nextCursor ? html`<button class="secondary" @click=${() => this.load(true)}>${b.more}</button>` : nothing}
    </section>`;
  }

  private renderTable(entries: AuditEntry[]) {
    const b = messages().board;
    return html`<table class="audit" data-testid="audit">
      <thead><tr>
        <th scope="col">${b.time}</th><th scope="col">${b.who}</th><th scope="col">${b.what}</th>
        <th scope="col">${b.target}</th><th scope="col">${b.result}</th>
      </tr></thead>
      <tbody>${entries.map((entry) => {
        const action = entry.what.action;
        const requested = (entry.params as { action?: unknown } | null)?.action;
        const target = Object.entries(entry.what.target)
          .map(([kind, id]) => (kind === "room" ? (this.rooms.find((room) => room.id === id)?.name ?? id) : id))
          .join(", ");
        return html`<tr data-testid="audit-${entry.seq}">
          <td>${formatDateTime(entry.at)}</td>
          <td>${entry.who.user ?? b.system}</td>
          <td>${Object.hasOwn(b.action, action) ? b.action[action] : action}
            ${typeof requested === "string" ? html`<small lang="en">${requested}</small>` : nothing}</td>
          <td>${target}</td>
          <td class=${entry.result.ok ? "status-ok" : "status-offline"}>${entry.result.ok ? b.ok : b.failed({ code: entry.result.code })}</td>
        </tr>`;
      })}</tbody>
    </table>`;
  }
}
customElements.define("rc-audit-view", AuditView);
