// A room's page on the IT dashboard: its devices with a driver restart and maintenance, the control PC's telemetry
// as charts, the auto director's recent decisions worded from their causes, and the status changes and alarms of its
// history (GET /api/rooms/:id/history and /telemetry). Read again when the dashboard hears the room changed.
import type { DirectorCause, RoomView } from "@rc/protocol";
import { html, nothing } from "lit";
import { call } from "../api.ts";
import { directorCauseWords } from "../director-words.ts";
import { messages } from "../i18n/index.ts";
import { seatsOf, statusOf } from "../room-model.ts";
import { formatClock, formatDateTime } from "../time.ts";
import { describeFailure } from "./failure-message.ts";
import type { MaintenanceDone } from "./maintenance-form.ts";
import "./maintenance-form.ts";
import { ReloadingElement } from "./reloading-element.ts";
import "./telemetry-chart.ts";

/** Lines of the history read at once (newest first): a busy day of a room. */
const HISTORY_LINES = 300;
/** Telemetry samples (one a minute at the controller's default): the last six hours. */
const TELEMETRY_SAMPLES = 360;
const DECISIONS_SHOWN = 15;
const CHANGES_SHOWN = 40;

interface HistoryLine {
  at: string;
  kind: string;
  [field: string]: unknown;
}

export interface MaintenanceWindow {
  id: string;
  room: string;
  device: string | null;
  from: string;
  until: string;
  reason: string;
}

interface Telemetry {
  at: string;
  cpuPercent?: number;
  rssBytes?: number;
  temperatureC?: number | null;
}

export class RoomHistory extends ReloadingElement {
  room!: RoomView;
  /** Admin and IT restart drivers and plan maintenance; a viewer only reads. */
  mayAct = false;
  private lines: HistoryLine[] | null = null;
  private telemetry: Telemetry[] = [];
  private windows: MaintenanceWindow[] = [];
  private failed = false;
  private notice: { ok: boolean; message: string } | null = null;
  /** The device whose maintenance form is open ("" for the whole room), and the one asked to restart. */
  private planning: string | null = null;
  private confirmRestart: string | null = null;
  /**
   * Changes of a room (a live update or an alarm) come in bursts (a device and the roll-up) and, in a hearing, every
   * few seconds (the director's cuts): an open room page costs the controller a read every few seconds.
   */
  protected readonly refreshMs = 3000;

  protected async load(): Promise<void> {
    const room = encodeURIComponent(this.room.id);
    try {
      const [history, telemetry, windows] = await Promise.all([
        call<{ items: HistoryLine[] }>("GET", `/api/rooms/${room}/history?limit=${HISTORY_LINES}`),
        call<{ items: Telemetry[] }>("GET", `/api/rooms/${room}/telemetry?limit=${TELEMETRY_SAMPLES}`),
        call<{ items: MaintenanceWindow[] }>("GET", `/api/maintenance?room=${room}&limit=100`),
      ]);
      this.lines = history.items;
      this.telemetry = telemetry.items.reverse();
      this.windows = windows.items;
      this.failed = false;
    } catch {
      this.failed = true;
    }
    this.requestUpdate();
  }

  private deviceName(device: string | null | undefined): string {
    if (!device) return messages().board.wholeRoom;
    return this.room.info?.devices.find((each) => each.id === device)?.name ?? device;
  }

  private async restart(device: string): Promise<void> {
    const m = messages().board;
    this.confirmRestart = null;
    try {
      const path = `/api/rooms/${encodeURIComponent(this.room.id)}/devices/${encodeURIComponent(device)}/restart`;
      await call("POST", path);
      this.notice = { ok: true, message: m.restarted({ device: this.deviceName(device) }) };
    } catch (failure) {
      this.notice = { ok: false, message: describeFailure(failure) };
    }
    this.requestUpdate();
  }

  private async endMaintenance(window: MaintenanceWindow): Promise<void> {
    try {
      await call("DELETE", `/api/maintenance/${encodeURIComponent(window.id)}`);
      this.notice = null;
    } catch (failure) {
      this.notice = { ok: false, message: describeFailure(failure) };
    }
    await this.load();
  }

  private planned(event: CustomEvent<MaintenanceDone>): void {
    this.notice = event.detail;
    if (event.detail.ok) this.planning = null;
    void this.load();
  }

  protected override render() {
    const m = messages();
    return html`
      ${this.notice ? html`<p class="banner ${this.notice.ok ? "notice" : "error"}" role=${this.notice.ok ? "status" : "alert"}>${this.notice.message}</p>` : nothing}
      ${this.failed ? html`<p class="banner error" role="alert">${m.board.historyUnavailable}</p>` : nothing}
      <div class="history-grid">
        ${this.renderDevices()}
        ${this.renderDecisions()}
      </div>
      ${this.renderTelemetry()}
      ${this.renderChanges()}
      ${this.confirmRestart === null ? nothing : this.renderConfirm(this.confirmRestart)}`;
  }

  private renderDevices() {
    const m = messages();
    const devices = (this.room.info?.devices ?? []).filter((device) => device.kind !== "test");
    return html`<section class="card" aria-labelledby="devices-title">
      <h2 id="devices-title">${m.board.devices}</h2>
      <ul class="device-rows">
        ${devices.map((device) => {
          const status = statusOf(this.room, device.id);
          const name = this.deviceName(device.id);
          return html`<li data-testid="device-${device.id}">
            <span class="status-${status}"><strong>${name}</strong> · ${m.statusWord[status]}</span>
            <span class="row">
              <button class="secondary" ?disabled=${!this.mayAct} aria-label=${m.board.restartOf({ device: name })}
                @click=${() => {
                  this.confirmRestart = device.id;
                  this.requestUpdate();
                }}>${m.board.restart}</button>
              <button class="secondary" ?disabled=${!this.mayAct} aria-expanded=${this.planning === device.id}
                aria-label=${m.board.maintenanceOf({ what: name })}
                @click=${() => this.togglePlanning(device.id)}>${m.board.maintenance}</button>
            </span>
            ${this.planning === device.id ? this.renderForm(device.id) : nothing}
          </li>`;
        })}
        <li>
          <span><strong>${m.board.wholeRoom}</strong></span>
          <button class="secondary" ?disabled=${!this.mayAct} aria-expanded=${this.planning === ""}
            aria-label=${m.board.maintenanceOf({ what: m.board.wholeRoom })}
            @click=${() => this.togglePlanning("")}>${m.board.maintenance}</button>
          ${this.planning === "" ? this.renderForm(null) : nothing}
        </li>
      </ul>
      ${this.windows.length ? html`<h3>${m.board.maintenanceWindows}</h3>` : nothing}
      <ul class="device-rows">
        ${this.windows.map(
          (window) => html`<li data-testid="maintenance-${window.device ?? "room"}">
            <span>${m.board.maintenanceUntil({ what: this.deviceName(window.device), time: formatDateTime(window.until) })}
              <small>${window.reason}</small></span>
            <button class="secondary" ?disabled=${!this.mayAct} @click=${() => this.endMaintenance(window)}>${m.board.maintenanceEnd}</button>
          </li>`,
        )}
      </ul>
    </section>`;
  }

  private togglePlanning(device: string): void {
    this.planning = this.planning === device ? null : device;
    this.requestUpdate();
  }

  private renderForm(device: string | null) {
    return html`<rc-maintenance-form .room=${this.room.id} .device=${device} .what=${this.deviceName(device)}
      @maintenance=${(event: CustomEvent<MaintenanceDone>) => this.planned(event)}></rc-maintenance-form>`;
  }

  private renderConfirm(device: string) {
    const m = messages();
    return html`<div class="overlay"><div class="dialog" role="dialog" aria-modal="true" aria-labelledby="restart-question">
      <p id="restart-question">${m.board.restartConfirm({ device: this.deviceName(device) })}</p>
      <div class="row">
        <button class="secondary" @click=${() => {
          this.confirmRestart = null;
          this.requestUpdate();
        }}>${m.cancel}</button>
        <button class="primary" @click=${() => this.restart(device)}>${m.board.restart}</button>
      </div>
    </div></div>`;
  }

  private renderTelemetry() {
    const m = messages().board;
    const samples = this.telemetry;
    const times = samples.map((sample) => Date.parse(sample.at) / 1000);
    const series = (value: (sample: Telemetry) => number | null | undefined) =>
      samples.map((sample) => {
        const v = value(sample);
        return typeof v === "number" ? Math.round(v * 10) / 10 : null;
      });
    const charts = [
      { what: m.chart.cpu, values: series((sample) => sample.cpuPercent) },
      { what: m.chart.memory, values: series((sample) => (sample.rssBytes ?? Number.NaN) / 1048576) },
      { what: m.chart.temperature, values: series((sample) => sample.temperatureC) },
    ].filter((chart) => chart.values.some((value) => value !== null && Number.isFinite(value)));
    return html`<section class="card" aria-labelledby="telemetry-title" data-testid="telemetry">
      <h2 id="telemetry-title">${m.telemetry}</h2>
      ${samples.length === 0 ? html`<p>${m.noTelemetry}</p>` : nothing}
      <div class="charts">
        ${charts.map(
          (chart) =>
            html`<rc-telemetry-chart .what=${chart.what} .times=${times} .values=${chart.values}></rc-telemetry-chart>`,
        )}
      </div>
    </section>`;
  }

  private renderDecisions() {
    const m = messages();
    const labels = new Map(seatsOf(this.room).map((seat) => [seat.id, seat.label]));
    const decisions = (this.lines ?? [])
      .filter(
        (line) =>
          // The cuts: what went on air and why (the moves before them only frame a camera off air).
          line.kind === "event" &&
          line.type === "cut" &&
          (line.data as { by?: unknown } | undefined)?.by === "director",
      )
      .slice(0, DECISIONS_SHOWN);
    return html`<section class="card" aria-labelledby="decisions-title">
      <h2 id="decisions-title">${m.board.decisions}</h2>
      ${decisions.length === 0 ? html`<p>${m.board.noDecisions}</p>` : nothing}
      <ul class="history clock" data-testid="decisions">
        ${decisions.map((line) => {
          const data = line.data as { camera?: string; cause?: DirectorCause };
          const camera = this.deviceName(data.camera);
          const cause = data.cause
            ? directorCauseWords(
                data.cause,
                (seat) => labels.get(seat) ?? seat,
                (device) => this.deviceName(device),
              )
            : null;
          return html`<li>
            <time datetime=${line.at}>${formatClock(line.at)}</time>
            <span>${m.board.cutTo({ camera })}
              ${cause ? html`<small>${cause}</small>` : typeof line.reason === "string" ? html`<small lang="en">${line.reason}</small>` : nothing}</span>
          </li>`;
        })}
      </ul>
    </section>`;
  }

  private renderChanges() {
    const m = messages();
    const changes = (this.lines ?? [])
      .map((line) => ({ line, words: this.wordsOf(line) }))
      .filter((change): change is { line: HistoryLine; words: string } => change.words !== null)
      .slice(0, CHANGES_SHOWN);
    return html`<section class="card" aria-labelledby="changes-title">
      <h2 id="changes-title">${m.board.changes}</h2>
      ${this.lines !== null && changes.length === 0 ? html`<p>${m.board.noChanges}</p>` : nothing}
      <ul class="history" data-testid="changes">
        ${changes.map(
          ({ line, words }) => html`<li class="kind-${line.kind}">
            <time datetime=${line.at}>${formatDateTime(line.at)}</time><span>${words}</span></li>`,
        )}
      </ul>
    </section>`;
  }

  /** A history line in words, or null for the lines shown elsewhere (the director's) or not at all. */
  private wordsOf(line: HistoryLine): string | null {
    const m = messages();
    const b = m.board.line;
    const status = (value: unknown) =>
      typeof value === "string" && Object.hasOwn(m.statusWord, value)
        ? m.statusWord[value as keyof typeof m.statusWord]
        : String(value);
    switch (line.kind) {
      case "availability": {
        const state = String(line.status) as keyof typeof m.availability;
        return b.availability({ status: Object.hasOwn(m.availability, state) ? m.availability[state] : state });
      }
      case "device":
        return b.device({ device: this.deviceName(line.device as string), status: status(line.status) });
      case "rollup":
        return b.rollup({
          status: line.status === "unknown" ? m.availability.unknown : status(line.status),
        });
      case "alarm": {
        const alarm = line.alarm as { device: string | null; status: string };
        const what = `${this.deviceName(alarm.device)} · ${status(alarm.status)}`;
        const change = String(line.change) as keyof typeof b.alarm;
        return Object.hasOwn(b.alarm, change) ? b.alarm[change]({ what }) : null;
      }
      case "maintenance": {
        const window = line.window as MaintenanceWindow;
        const change = String(line.change) as keyof typeof b.maintenance;
        const words = { what: this.deviceName(window.device), time: formatDateTime(window.until) };
        return Object.hasOwn(b.maintenance, change) ? b.maintenance[change](words) : null;
      }
      case "link": {
        const state = String(line.status) as keyof typeof m.link;
        return b.link({
          point: String(line.point),
          status: Object.hasOwn(m.link, state) ? m.link[state] : state,
        });
      }
      case "event":
        return line.type === "device_error" ? b.deviceError({ device: this.deviceName(line.device as string) }) : null;
      default:
        return null;
    }
  }
}
customElements.define("rc-room-history", RoomHistory);
