// The IT dashboard (`/`): every room with its roll-up, counts, a filter by level, the device matrix (rooms × device
// kinds) updated live over socket.io, and the active alarms with acknowledgement.
import type { DeviceKind, DeviceStatus, RoomLevel, RoomView } from "@rc/protocol";
import { html, nothing } from "lit";
import { ApiError, call, loginWithPassword, logout, whenUnauthorized } from "../api.ts";
import { messages } from "../i18n/index.ts";
import { type LinkState, LiveRooms } from "../live.ts";
import { kindStatus, rollUpOf, STATUS_ORDER, statusOf } from "../room-model.ts";
import { formatDateTime } from "../time.ts";
import { describeFailure } from "./failure-message.ts";
import { LightElement } from "./light-element.ts";
import "./language-switch.ts";

/** The matrix's columns: the kinds a room's health is made of (the test device is left out). */
const MATRIX_KINDS: readonly DeviceKind[] = ["camera", "mixer", "gpio", "media"];
/** The alarm list is read again after alarm events, a burst of them at once, this long after the first. */
const ALARM_REFRESH_MS = 300;
const LEVELS: readonly RoomLevel[] = ["central", "province", "district", "commune"];

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
  private link: LinkState = "connecting";
  private loggedIn: boolean | null = null;
  private alarms: Alarm[] | null = null;
  private error: string | null = null;
  private live: LiveRooms | undefined;
  private alarmTimer: ReturnType<typeof setTimeout> | undefined;

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
      this.rooms = await call<RoomView[]>("GET", "/api/rooms");
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
          this.rooms = [...rooms.values()].sort((a, b) => a.id.localeCompare(b.id));
          this.requestUpdate();
        },
        alarm: () => this.scheduleAlarms(),
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
    const rooms = this.rooms.filter((room) => this.level === "all" || room.level === this.level);
    return html`${header}
      ${this.link === "lost" ? html`<p class="banner lost" role="alert" data-testid="connection-lost">${m.connectionLost}</p>` : nothing}
      ${error}
      ${this.renderCounts(rooms)}
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
      </div>
      <section class="card" aria-labelledby="matrix-title">
        <h2 id="matrix-title">${m.deviceMatrix}</h2>
        <table class="matrix">
          <thead><tr>
            <th scope="col">${m.room}</th><th scope="col">${m.rollUp}</th>
            ${MATRIX_KINDS.map((kind) => html`<th scope="col">${m.deviceKind[kind]}</th>`)}
          </tr></thead>
          <tbody>${rooms.map((room) => this.renderRow(room))}</tbody>
        </table>
      </section>
      ${this.renderAlarms()}`;
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
        <a href="/panel/${room.id}">${room.name}</a>
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
      ${alarms === null ? html`<p>${m.alarmsUnavailable}</p>` : nothing}
      ${alarms?.length === 0 ? html`<p>${m.noAlarms}</p>` : nothing}
      <ul class="alarms">
        ${(alarms ?? []).map((alarm) => {
          const room = this.rooms.find((each) => each.id === alarm.room);
          const device = room?.info?.devices.find((each) => each.id === alarm.device);
          return html`<li class="severity-${alarm.severity}" data-testid="alarm-${alarm.room}-${alarm.device ?? "room"}">
            <span><strong>${room?.name ?? alarm.room}</strong>
              ${alarm.device ? ` · ${device?.name ?? alarm.device}` : ""} · ${statusWord(alarm.status)}
              <small lang="en">${alarm.detail}</small>
              <small>${m.raisedAt({ time: formatDateTime(alarm.raisedAt) })}</small></span>
            ${alarm.ack ? html`<span class="badge">${m.acknowledged}</span>` : html`<button class="secondary" @click=${() => this.acknowledge(alarm)}>${m.acknowledge}</button>`}
          </li>`;
        })}
      </ul>
    </section>`;
  }
}
customElements.define("rc-it-dashboard", ItDashboard);
