// The dashboard's sessions: the last 30 days and the coming ones, newest first, each with its points' attendance
// (from the agents' availability, never typed in) and its recordings from the archive, played in the page (the
// controller serves them with HTTP Range, so the video element seeks without loading the whole file).
// Types only: the protocol's schemas (zod) stay out of the browser bundle.
import type { SessionView } from "@rc/protocol";
import { html, nothing } from "lit";
import { ApiError, call } from "../api.ts";
import { messages } from "../i18n/index.ts";
import { formatClock, formatDateTime } from "../time.ts";
import { ReloadingElement } from "./reloading-element.ts";

const DAYS_BACK = 30;

interface Recording {
  id: string;
  room: string;
  file: string;
  bytes: number;
  start: string | null;
  url: string;
}

type Recordings = Recording[] | "forbidden" | "unavailable";

export class SessionList extends ReloadingElement {
  /** Room names by id, for the words. */
  roomNames = new Map<string, string>();
  private sessions: SessionView[] | null = null;
  private failed = false;
  private open: string | null = null;
  private recordings = new Map<string, Recordings>();
  private playing: string | null = null;
  private unplayable = new Set<string>();
  protected readonly refreshMs = 500;

  /** The list, and the open session's recordings. */
  protected async load(): Promise<void> {
    if (this.open) void this.loadRecordings(this.open);
    const from = new Date(Date.now() - DAYS_BACK * 24 * 3600_000).toISOString();
    try {
      const page = await call<{ items: SessionView[] }>("GET", `/api/sessions?from=${from}&limit=200`);
      this.sessions = page.items.reverse();
      this.failed = false;
    } catch {
      this.failed = true;
    }
    this.requestUpdate();
  }

  private async loadRecordings(session: string): Promise<void> {
    try {
      const listing = await call<{ recordings: Recording[] }>(
        "GET",
        `/api/sessions/${encodeURIComponent(session)}/recordings`,
      );
      this.recordings.set(session, listing.recordings);
    } catch (failure) {
      this.recordings.set(session, failure instanceof ApiError && failure.status === 403 ? "forbidden" : "unavailable");
    }
    this.requestUpdate();
  }

  private toggle(session: string): void {
    this.open = this.open === session ? null : session;
    this.playing = null;
    if (this.open) void this.loadRecordings(this.open);
    this.requestUpdate();
  }

  private roomName(room: string): string {
    return this.roomNames.get(room) ?? room;
  }

  protected override render() {
    const m = messages();
    const sessions = this.sessions;
    return html`<section class="card" aria-labelledby="sessions-title">
      <h2 id="sessions-title">${m.board.sessions}</h2>
      ${this.failed ? html`<p class="banner error" role="alert">${m.errors.internal}</p>` : nothing}
      ${sessions?.length === 0 ? html`<p>${m.board.noSessions}</p>` : nothing}
      <ul class="sessions">
        ${(sessions ?? []).map((session) => {
          const open = this.open === session.id;
          return html`<li data-testid="session-${session.id}">
            <div class="row session-row">
              <span class="grow"><strong>${session.title}</strong>
                <small>${m.sessionState[session.state]} · ${formatDateTime(session.start)} · ${m.centralPoint}: ${this.roomName(session.host)}</small></span>
              <button class="secondary" aria-expanded=${open} @click=${() => this.toggle(session.id)}>
                ${open ? m.board.hideDetails : m.board.sessionDetails}</button>
            </div>
            ${open ? this.renderDetails(session) : nothing}
          </li>`;
        })}
      </ul>
    </section>`;
  }

  private renderDetails(session: SessionView) {
    const m = messages();
    const endedAt = session.transitions.find((transition) => transition.state === "ended")?.at ?? null;
    return html`<div class="session-details">
      <h3>${m.board.attendance}</h3>
      <ul class="history wide" data-testid="attendance">
        ${session.points.map((point) => {
          const intervals = point.attendance.map((interval) => {
            // An interval still open in an ended session closed with it.
            const to = interval.leftAt ?? endedAt;
            const from = formatClock(interval.joinedAt);
            return to ? m.board.present({ from, to: formatClock(to) }) : m.board.presentNow({ from });
          });
          return html`<li data-testid="attendance-${point.room}">
            <span><strong>${this.roomName(point.room)}</strong> ·
              ${point.role === "central" ? m.centralPoint : m.componentPoint}
              ${point.head ? html`<small>${point.head}${point.headInPerson === null ? "" : ` · ${point.headInPerson ? m.board.headInPerson.yes : m.board.headInPerson.no}`}</small>` : nothing}</span>
            <span>${intervals.length ? intervals.join("; ") : m.board.absent}</span>
          </li>`;
        })}
      </ul>
      <h3>${m.board.recordings}</h3>
      ${this.renderRecordings(session.id)}
    </div>`;
  }

  private renderRecordings(session: string) {
    const m = messages().board;
    const recordings = this.recordings.get(session);
    if (recordings === undefined) return html`<p class="loading">${messages().loading}</p>`;
    if (recordings === "forbidden") return html`<p>${m.recordingsForbidden}</p>`;
    if (recordings === "unavailable") return html`<p>${m.recordingsUnavailable}</p>`;
    if (recordings.length === 0) return html`<p>${m.noRecordings}</p>`;
    return html`<ul class="history" data-testid="recordings">
      ${recordings.map((recording) => {
        const what = m.recordingOf({
          room: this.roomName(recording.room),
          time: recording.start ? formatDateTime(recording.start) : recording.file,
          mb: (recording.bytes / 1048576).toFixed(1),
        });
        const playing = this.playing === recording.id;
        return html`<li class="recording">
          <span>${what}</span>
          <button class="secondary" aria-label=${m.playOf({ what })} aria-pressed=${playing} @click=${() => {
            this.playing = playing ? null : recording.id;
            this.requestUpdate();
          }}>${m.play}</button>
          ${
            playing
              ? html`<video class="player" data-testid="player" controls autoplay muted preload="metadata"
                  src=${recording.url} aria-label=${m.player({ what })}
                  @error=${() => {
                    this.unplayable.add(recording.id);
                    this.requestUpdate();
                  }}></video>`
              : nothing
          }
          ${this.unplayable.has(recording.id) ? html`<p class="hint bad">${m.cannotPlay} <a href=${recording.url} download>${m.download}</a></p>` : nothing}
        </li>`;
      })}
    </ul>`;
  }
}
customElements.define("rc-session-list", SessionList);
