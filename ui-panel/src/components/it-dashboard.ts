// The IT dashboard (`/`): every room with its roll-up, counts, a filter by level, the device matrix (rooms × device
// kinds) updated live over socket.io, and the active alarms with acknowledgement and maintenance; a room's history
// (room-history.ts), the sessions with attendance and recordings (session-list.ts) and the audit log (audit-view.ts).
import type { DeviceKind, DeviceStatus, RoomLevel, RoomView } from "@rc/protocol";
import { html, nothing } from "lit";
import { keyed } from "lit/directives/keyed.js";
import { repeat } from "lit/directives/repeat.js";
import { ApiError, call, loginWithPassword, logout, whenUnauthorized } from "../api.ts";
import { messages } from "../i18n/index.ts";
import { type LinkState, LiveRooms } from "../live.ts";
import { kindStatus, rollUpOf, STATUS_ORDER, statusOf } from "../room-model.ts";
import { formatDateTime } from "../time.ts";
import { describeFailure } from "./failure-message.ts";
import { LightElement } from "./light-element.ts";
import type { MaintenanceDone } from "./maintenance-form.ts";
import type { RoomHistory } from "./room-history.ts";
import type { SessionList } from "./session-list.ts";
import "./audit-view.ts";
import "./language-switch.ts";
import "./maintenance-form.ts";
import "./room-history.ts";
import "./session-list.ts";

/** The matrix's columns: the kinds a room's health is made of (the test device is left out). */
const MATRIX_KINDS: readonly DeviceKind[] = ["camera", "mixer", "gpio", "media"];
/** The alarm list is read again after alarm events, a burst of them at once, this long after the first. */
const ALARM_REFRESH_MS = 300;
const LEVELS: readonly RoomLevel[] = ["central", "province", "district", "commune"];
const TABS = ["overview", "sessions", "audit"] as const;
type Tab = (typeof TABS)[number];
/** Rows stay in one order, and each row's element stays its room's (keyed), so no button changes room under a finger. */
const byId = (a: RoomView, b: RoomView) => a.id.localeCompare(b.id);

interface Alarm {
  id: string;
  room: string;
  device: string | null;
  status: string;
  severity: "critical" | "major" | "minor";
  detail: string;
  raisedAt: string;
  ack: { by: string; at: string; note: string } | null;
}

export class ItDashboard extends LightElement {
  private rooms: RoomView[] = [];
  private level: RoomLevel | "all" = "all";
  /** A district room: only it and the rooms under it (by their parents) are shown. */
  private district = "all";
  private link: LinkState = "connecting";
  private loggedIn: boolean | null = null;
  private alarms: Alarm[] | null = null;
  private error: string | null = null;
  private live: LiveRooms | undefined;
  private alarmTimer: ReturnType<typeof setTimeout> | undefined;
  private tab: Tab = "overview";
  /** The room whose history is shown instead of the overview, and its view when last shown. */
  private detail: string | null = null;
  private detailView: RoomView | undefined;
  /** Admin and IT act (acknowledge, restart, maintenance, the audit log); a viewer reads. */
  private userRole = "";
  /** The alarm whose maintenance form is open, and what the last maintenance planned said. */
  private planning: string | null = null;
  private notice: MaintenanceDone | null = null;

  override connectedCallback(): void {
    super.connectedCallback();
    whenUnauthorized(() => this.signedOut());
    void this.open();
  }

  override disconnectedCallback(): void {
    this.live?.stop();
    clearTimeout(this.alarmTimer);
    super.disconnectedCallback();
  }

  private async open(): Promise<void> {
    try {
      this.rooms = (await call<RoomView[]>("GET", "/api/rooms")).sort(byId);
      this.userRole = (await call<{ role: string }>("GET", "/api/auth/me")).role;
      this.loggedIn = true;
      this.startLive();
      void this.loadAlarms();
    } catch (failure) {
      if (failure instanceof ApiError && failure.status === 401) this.loggedIn = false;
      else this.error = describeFailure(failure);
    }
    this.requestUpdate();
  }

  private signedOut(): void {
    this.live?.stop();
    this.live = undefined;
    this.loggedIn = false;
    this.requestUpdate();
  }

  private startLive(): void {
    if (this.live) {
      this.live.restart();
      return;
    }
    this.live = new LiveRooms(
      { rooms: "all" },
      {
        rooms: (rooms) => {
          this.rooms = [...rooms.values()].sort(byId);
          const detail = this.detail === null ? undefined : rooms.get(this.detail);
          if (detail && detail !== this.detailView) {
            this.detailView = detail;
            this.querySelector<RoomHistory>("rc-room-history")?.changed();
          }
          this.requestUpdate();
        },
        session: () => this.querySelector<SessionList>("rc-session-list")?.changed(),
        alarm: () => {
          this.scheduleAlarms();
          this.querySelector<RoomHistory>("rc-room-history")?.changed();
        },
        unauthorized: () => this.signedOut(),
        link: (state) => {
          this.link = state;
          // Back after a lost connection: alarms may have changed meanwhile.
          if (state === "connected") this.scheduleAlarms();
          this.requestUpdate();
        },
      },
    );
    this.live.start();
  }

  /** An alarm changed: read the list again, once for a burst of changes. */
  private scheduleAlarms(): void {
    if (this.alarmTimer !== undefined) return;
    this.alarmTimer = setTimeout(() => {
      this.alarmTimer = undefined;
      void this.loadAlarms();
    }, ALARM_REFRESH_MS);
  }

  private async loadAlarms(): Promise<void> {
    try {
      const page = await call<{ items: Alarm[] }>("GET", "/api/alarms?active=true");
      this.alarms = page.items;
    } catch {
      this.alarms = null;
    }
    this.requestUpdate();
  }

  private async acknowledge(alarm: Alarm): Promise<void> {
    try {
      await call("POST", `/api/alarms/${encodeURIComponent(alarm.id)}/ack`, { note: messages().acknowledged });
      this.error = null;
    } catch (failure) {
      this.error = describeFailure(failure);
    }
    await this.loadAlarms();
  }

  private async login(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const form = new FormData(event.target as HTMLFormElement);
    try {
      await loginWithPassword(String(form.get("user")), String(form.get("password")));
      this.error = null;
      await this.open();
    } catch (failure) {
      this.error =
        failure instanceof ApiError && failure.status === 401 ? messages().wrongLogin : describeFailure(failure);
      this.requestUpdate();
    }
  }

  protected override render() {
    const m = messages();
    const header = html`<header class="topbar">
      <h1>${m.dashboard}</h1>
      <rc-language-switch></rc-language-switch>
      ${this.loggedIn ? html`<button class="secondary" @click=${() => void logout().finally(() => this.signedOut())}>${m.logout}</button>` : nothing}
    </header>`;
    const error = this.error ? html`<p class="banner error" role="alert">${this.error}</p>` : nothing;
    if (this.loggedIn === null) return html`${header}${error}<p class="loading">${m.loading}</p>`;
    if (!this.loggedIn) {
      return html`${header}${error}
        <form class="card login" @submit=${(event: SubmitEvent) => this.login(event)}>
          <h2>${m.loginTitle}</h2>
          <label>${m.userName} <input name="user" autocomplete="username" required /></label>
          <label>${m.password} <input name="password" type="password" autocomplete="current-password" required /></label>
          <button class="primary big" type="submit">${m.login}</button>
        </form>`;
    }
    const rooms = this.rooms.filter(
      (room) => (this.level === "all" || room.level === this.level) && this.inDistrict(room),
    );
    return html`${header}
      ${this.link === "lost" ? html`<p class="banner lost" role="alert" data-testid="connection-lost">${m.connectionLost}</p>` : nothing}
      ${error}
      ${this.renderTabs()}
      ${this.renderTab(rooms)}`;
  }

  /** Whether the room is the chosen district or under it, following parents (a cycle ends the walk). */
  private inDistrict(room: RoomView): boolean {
    if (this.district === "all") return true;
    const byId = new Map(this.rooms.map((each) => [each.id, each]));
    const seen = new Set<string>();
    for (let at: RoomView | undefined = room; at && !seen.has(at.id); at = byId.get(at.parent ?? "")) {
      if (at.id === this.district) return true;
      seen.add(at.id);
    }
    return false;
  }

  private get mayAct(): boolean {
    return this.userRole === "admin" || this.userRole === "it";
  }

  private show(tab: Tab, detail: string | null = null): void {
    this.tab = tab;
    this.detail = detail;
    this.detailView = detail === null ? undefined : this.rooms.find((room) => room.id === detail);
    this.planning = null;
    this.requestUpdate();
  }

  private renderTabs() {
    const m = messages().board;
    // The audit log is for admin and IT (the API refuses others).
    const tabs = TABS.filter((tab) => tab !== "audit" || this.mayAct);
    return html`<nav class="row wrap tabs" aria-label=${m.sections}>
      ${tabs.map(
        (tab) => html`<button class="choice ${this.tab === tab ? "selected" : ""}" aria-pressed=${this.tab === tab}
          @click=${() => this.show(tab)}>${m.tab[tab]}</button>`,
      )}
    </nav>`;
  }

  private renderTab(rooms: RoomView[]) {
    const m = messages();
    if (this.tab === "sessions") {
      return html`<rc-session-list .roomNames=${new Map(this.rooms.map((room) => [room.id, room.name]))}></rc-session-list>`;
    }
    if (this.tab === "audit") {
      return html`<rc-audit-view .rooms=${this.rooms.map(({ id, name }) => ({ id, name }))}></rc-audit-view>`;
    }
    const detail = this.detail === null ? undefined : this.rooms.find((room) => room.id === this.detail);
    if (detail) {
      return html`<div class="row detail-head">
          <button class="secondary" @click=${() => this.show("overview")}>← ${m.board.back}</button>
          <h2>${m.board.historyOf({ room: detail.name })}</h2>
        </div>
        ${keyed(detail.id, html`<rc-room-history .room=${detail} .mayAct=${this.mayAct}></rc-room-history>`)}`;
    }
    return html`${this.renderCounts(rooms)}
      <div class="row wrap" role="group" aria-label=${m.filterLevel}>
        ${(["all", ...LEVELS] as const).map(
          (
            level,
          ) => html`<button class="choice ${this.level === level ? "selected" : ""}" aria-pressed=${this.level === level}
            @click=${() => {
              this.level = level;
              this.requestUpdate();
            }}>${level === "all" ? m.allLevels : m.level[level]}</button>`,
        )}
        ${this.renderDistricts()}
      </div>
      <section class="card" aria-labelledby="matrix-title">
        <h2 id="matrix-title">${m.deviceMatrix}</h2>
        <table class="matrix">
          <thead><tr>
            <th scope="col">${m.room}</th><th scope="col">${m.rollUp}</th>
            ${MATRIX_KINDS.map((kind) => html`<th scope="col">${m.deviceKind[kind]}</th>`)}
          </tr></thead>
          <tbody>${repeat(
            rooms,
            (room) => room.id,
            (room) => this.renderRow(room),
          )}</tbody>
        </table>
      </section>
      ${this.renderAlarms()}`;
  }

  private renderDistricts() {
    const m = messages().board;
    const districts = this.rooms.filter((room) => room.level === "district");
    if (districts.length === 0) return nothing;
    return html`<label for="district-filter">${m.district}</label>
      <select id="district-filter" @change=${(event: Event) => {
        this.district = (event.target as HTMLSelectElement).value;
        this.requestUpdate();
      }}>
        <option value="all" ?selected=${this.district === "all"}>${m.allDistricts}</option>
        ${districts.map((room) => html`<option value=${room.id} ?selected=${this.district === room.id}>${room.name}</option>`)}
      </select>`;
  }

  private renderCounts(rooms: RoomView[]) {
    const m = messages();
    const online = rooms.filter((room) => room.availability.state === "online").length;
    const byStatus = new Map<string, number>();
    for (const room of rooms) {
      for (const device of room.info?.devices ?? []) {
        const status = statusOf(room, device.id);
        byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
      }
    }
    return html`<section class="card counts" aria-label=${m.devicesByStatus}>
      <span class="count" data-testid="rooms-online">${m.roomsOnline({ n: online, total: rooms.length })}</span>
      ${rooms.length > online ? html`<span class="count status-offline">${m.roomsOffline({ n: rooms.length - online })}</span>` : nothing}
      ${STATUS_ORDER.filter((status) => byStatus.has(status)).map(
        (status) => html`<span class="count status-${status}">${m.statusWord[status]}: ${byStatus.get(status)}</span>`,
      )}
    </section>`;
  }

  private renderRow(room: RoomView) {
    const m = messages();
    const rollUp = rollUpOf(room);
    return html`<tr data-testid="room-${room.id}">
      <th scope="row">
        <span class="row room-cell"><a href="/panel/${room.id}">${room.name}</a>
          <button class="secondary" aria-label=${m.board.historyOf({ room: room.name })}
            @click=${() => this.show("overview", room.id)}>${m.board.history}</button></span>
        <small>${m.level[room.level]} · ${m.availability[room.availability.state]}</small>
      </th>
      <td class="status-${rollUp}" data-status=${rollUp}>${rollUp === "unknown" ? m.availability.unknown : m.statusWord[rollUp]}</td>
      ${MATRIX_KINDS.map((kind) => {
        const status = kindStatus(room, kind);
        return html`<td class="status-${status ?? "none"}" data-testid="cell-${room.id}-${kind}" data-status=${status ?? "none"}>
          ${status ? m.statusWord[status] : m.notPresent}</td>`;
      })}
    </tr>`;
  }

  private renderAlarms() {
    const m = messages();
    const alarms = this.alarms;
    const statusWord = (status: string) =>
      Object.hasOwn(m.statusWord, status) ? m.statusWord[status as DeviceStatus] : status;
    return html`<section class="card" aria-labelledby="alarms-title">
      <h2 id="alarms-title">${m.alarms}</h2>
      ${this.notice ? html`<p class="banner ${this.notice.ok ? "notice" : "error"}" role=${this.notice.ok ? "status" : "alert"}>${this.notice.message}</p>` : nothing}
      ${alarms === null ? html`<p>${m.alarmsUnavailable}</p>` : nothing}
      ${alarms?.length === 0 ? html`<p>${m.noAlarms}</p>` : nothing}
      <ul class="alarms">
        ${repeat(
          alarms ?? [],
          (alarm) => alarm.id,
          (alarm) => {
            const room = this.rooms.find((each) => each.id === alarm.room);
            const device = room?.info?.devices.find((each) => each.id === alarm.device);
            return html`<li class="severity-${alarm.severity}" data-testid="alarm-${alarm.room}-${alarm.device ?? "room"}">
            <span><strong>${room?.name ?? alarm.room}</strong>
              ${alarm.device ? ` · ${device?.name ?? alarm.device}` : ""} · ${statusWord(alarm.status)}
              <small lang="en">${alarm.detail}</small>
              <small>${m.raisedAt({ time: formatDateTime(alarm.raisedAt) })}</small></span>
            <span class="row">
              ${alarm.ack ? html`<span class="badge">${m.acknowledged}</span>` : html`<button class="secondary" ?disabled=${!this.mayAct} @click=${() => this.acknowledge(alarm)}>${m.acknowledge}</button>`}
              <button class="secondary" ?disabled=${!this.mayAct} aria-expanded=${this.planning === alarm.id}
                @click=${() => {
                  this.planning = this.planning === alarm.id ? null : alarm.id;
                  this.requestUpdate();
                }}>${m.board.maintenance}</button>
            </span>
            ${
              this.planning === alarm.id
                ? html`<rc-maintenance-form .room=${alarm.room} .device=${alarm.device}
                    .what=${`${room?.name ?? alarm.room}${alarm.device ? ` · ${device?.name ?? alarm.device}` : ""}`}
                    @maintenance=${(event: CustomEvent<MaintenanceDone>) => {
                      this.notice = event.detail;
                      if (event.detail.ok) this.planning = null;
                      this.scheduleAlarms();
                    }}></rc-maintenance-form>`
                : nothing
            }
          </li>`;
          },
        )}
      </ul>
    </section>`;
  }
}
customElements.define("rc-it-dashboard", ItDashboard);
