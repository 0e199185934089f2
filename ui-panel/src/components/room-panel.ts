// The operator panel of one room (`/panel/:room`), for its wall touch screen: the session, cameras, sound, the auto
// director, recording and the devices' health. Every control is drawn from the room's capability descriptors and its
// agent's actions, so it shows only what this room can do; every change arrives live over socket.io.
import type { DeviceStatus, RoomView, SeatInfo, SessionView } from "@rc/protocol";
import { html, nothing, type TemplateResult } from "lit";
import { ApiError, call, currentSession, logout, sendRequest, sessionTransition, whenUnauthorized } from "../api.ts";
import { messages } from "../i18n/index.ts";
import { type LinkState, LiveRooms } from "../live.ts";
import {
  answers,
  type Command,
  capabilityOf,
  commandOf,
  devicesOf,
  findCapability,
  mainMixer,
  readingOf,
  seatMics,
  seatsOf,
  statusOf,
} from "../room-model.ts";
import { formatDateTime, formatElapsed } from "../time.ts";
import { describeFailure } from "./failure-message.ts";
import { LightElement } from "./light-element.ts";
import "./pin-lock.ts";
import "./language-switch.ts";

/** A held joystick repeats its move well inside the camera driver's dead-man time (500 ms). */
const MOVE_REPEAT_MS = 200;
/** How long a seat button is held to store the camera's position there instead of recalling it. */
const LONG_PRESS_MS = 800;
const MOVE_SPEED = 0.5;
const VOLUME_STEP_DB = 3;

type Screen = "loading" | "locked" | "unknown" | "ready";

interface Confirmation {
  question: string;
  action: string;
  run: () => Promise<void>;
}

/** The panel shows a session until it has ended or was cancelled. */
function shown(session: SessionView): SessionView | null {
  return session.state === "ended" || session.state === "cancelled" ? null : session;
}

export class RoomPanel extends LightElement {
  room = "";
  private screen: Screen = "loading";
  private view: RoomView | null = null;
  private link: LinkState = "connecting";
  /** Served by the room's own agent: whether it reaches the centre (null at the controller, which never says). */
  private centre: boolean | null = null;
  private session: SessionView | null = null;
  private camera: string | null = null;
  private error: string | null = null;
  private notice: string | null = null;
  private confirmation: Confirmation | null = null;
  /** When this page first saw the room recording, if the controller's wish does not say since when. */
  private recordingSeenAt: number | null = null;
  /** The last meter levels (dB) of each mixer, by channel − 1, as its agent sends them for panels. */
  private readonly meters = new Map<string, number[]>();
  private readOnly = false;
  private live: LiveRooms | undefined;
  private clock: ReturnType<typeof setInterval> | undefined;
  private moving: { timer: ReturnType<typeof setInterval>; device: string } | undefined;
  private pressTimer: ReturnType<typeof setTimeout> | undefined;
  private longPressed = false;
  /** The chosen camera's live preview: its last snapshot (a data: URL) and what it showed (camera and position). */
  private preview: { camera: string; key: string; url: string } | null = null;
  /** The camera and position a snapshot was last asked for; asked again only when either changes (no polling). */
  private previewAsked: string | null = null;
  private previewLoading = false;

  override connectedCallback(): void {
    super.connectedCallback();
    whenUnauthorized(() => this.lock());
    void this.open();
  }

  override disconnectedCallback(): void {
    this.live?.stop();
    this.stopMove();
    clearInterval(this.clock);
    super.disconnectedCallback();
  }

  /** Whether the page may see the room: a 401 shows the lock screen, a 404 says the room does not exist. */
  private async open(): Promise<void> {
    try {
      this.view = await call<RoomView>("GET", `/api/rooms/${encodeURIComponent(this.room)}`);
      // A viewer may look at the room but not drive it: every control is shown locked, with the reason.
      this.readOnly = (await call<{ role: string }>("GET", "/api/auth/me")).role === "viewer";
      this.screen = "ready";
      this.startLive();
      void this.loadSession();
    } catch (failure) {
      if (failure instanceof ApiError && failure.status === 401) this.screen = "locked";
      else if (failure instanceof ApiError && failure.status === 404) this.screen = "unknown";
      else {
        this.screen = "ready";
        this.error = describeFailure(failure);
        this.startLive();
      }
    }
    this.requestUpdate();
  }

  private startLive(): void {
    if (this.live) {
      this.live.restart();
      return;
    }
    this.live = new LiveRooms(
      { rooms: [this.room] },
      {
        rooms: (rooms) => {
          const view = rooms.get(this.room);
          if (view) this.view = view;
          this.requestUpdate();
        },
        unauthorized: () => this.lock(),
        centre: (reachable) => {
          this.centre = reachable;
          this.requestUpdate();
        },
        event: (room, event) => {
          const levels = event.data.levelsDb;
          if (room !== this.room || event.type !== "meters" || !event.device || !Array.isArray(levels)) return;
          this.meters.set(
            event.device,
            levels.filter((level): level is number => typeof level === "number"),
          );
          this.requestUpdate();
        },
        link: (state) => {
          this.link = state;
          if (state === "connected") void this.loadSession();
          this.requestUpdate();
        },
        session: (_change, session) => {
          if (session.points.some((point) => point.room === this.room)) {
            this.session = shown(session);
            this.requestUpdate();
          }
        },
      },
    );
    this.live.start();
    // The elapsed recording time and the clock on screen; nothing is fetched by it.
    this.clock = setInterval(() => this.requestUpdate(), 1000);
  }

  private async loadSession(): Promise<void> {
    try {
      this.session = await currentSession(this.room);
    } catch {
      // Shown as "no session"; the live events bring it when it changes.
    }
    this.requestUpdate();
  }

  private lock(): void {
    this.stopMove();
    this.live?.stop();
    this.live = undefined;
    clearInterval(this.clock);
    this.preview = null;
    this.previewAsked = null;
    this.screen = "locked";
    this.requestUpdate();
  }

  private async lockByOperator(): Promise<void> {
    try {
      await logout();
    } catch {
      // Locked on screen all the same; the session cookie expires by itself.
    }
    this.lock();
  }

  /** Sends a command; a failure is shown in words with what to do. */
  private async send(command: Command | null, done?: string): Promise<void> {
    if (!command) return;
    try {
      await sendRequest(this.room, command.action, command.params);
      this.error = null;
      if (done) this.notice = done;
    } catch (failure) {
      this.error = describeFailure(failure);
    }
    this.requestUpdate();
  }

  private ask(confirmation: Confirmation): void {
    this.confirmation = confirmation;
    this.requestUpdate();
  }

  private get usable(): boolean {
    return !this.readOnly && this.link === "connected" && this.view?.availability.state === "online";
  }

  private deviceName(id: string): string {
    const device = this.view?.info?.devices.find((each) => each.id === id);
    return device?.name ?? (device ? `${messages().deviceKind[device.kind]} ${id}` : id);
  }

  private deviceReady(id: string): boolean {
    return this.usable && this.view !== null && statusOf(this.view, id) === "ok";
  }

  // Joystick and zoom: move while held, stop on release (and the driver's dead-man stop covers a lost release).

  private startMove(event: PointerEvent, pan: number, tilt: number, zoom: number): void {
    const device = this.camera;
    if (!device || !this.deviceReady(device)) return;
    (event.currentTarget as HTMLElement).setPointerCapture(event.pointerId);
    this.stopMove();
    const move = () => void this.send({ action: "ptz.move", params: { device, pan, tilt, zoom } });
    move();
    this.moving = { timer: setInterval(move, MOVE_REPEAT_MS), device };
  }

  private stopMove(): void {
    if (!this.moving) return;
    clearInterval(this.moving.timer);
    const { device } = this.moving;
    this.moving = undefined;
    void this.send({ action: "ptz.stop", params: { device } });
  }

  // Seat buttons: a tap recalls the seat's preset, a long press asks to store the camera's position there.

  private seatDown(seat: SeatInfo): void {
    this.longPressed = false;
    clearTimeout(this.pressTimer);
    this.pressTimer = setTimeout(() => {
      this.longPressed = true;
      if (!seat.camera || !this.view || !answers(this.view, "ptz.store")) return;
      const camera = seat.camera;
      this.ask({
        question: messages().storeConfirm({ seat: seat.label, camera: this.deviceName(camera) }),
        action: messages().store,
        run: () =>
          this.send(
            { action: "ptz.store", params: { device: camera, seat: seat.id } },
            messages().stored({ seat: seat.label }),
          ),
      });
    }, LONG_PRESS_MS);
  }

  private seatUp(seat: SeatInfo): void {
    clearTimeout(this.pressTimer);
    if (this.longPressed || !seat.camera || !seat.preset || !this.view) return;
    this.camera = seat.camera;
    const preset = capabilityOf(this.view, seat.camera, "preset");
    void this.send(preset ? commandOf(preset, seat.preset) : null);
  }

  protected override render() {
    const m = messages();
    switch (this.screen) {
      case "loading":
        return html`<p class="loading">${m.loading}</p>`;
      case "unknown":
        return html`<p class="error" role="alert">${m.roomUnknown({ room: this.room })}</p>`;
      case "locked":
        return html`<div class="topbar"><span></span><rc-language-switch></rc-language-switch></div>
          <rc-pin-lock .room=${this.room} @unlocked=${() => this.unlocked()}></rc-pin-lock>`;
      case "ready":
        return this.renderPanel();
    }
  }

  private unlocked(): void {
    this.screen = "loading";
    this.requestUpdate();
    void this.open();
  }

  private renderPanel(): TemplateResult {
    const m = messages();
    const view = this.view;
    const privacy = view?.state?.privacy === true;
    const recording = view?.state?.recording === true;
    const onAir = view?.state?.session !== null && view?.state?.session !== undefined;
    document.body.classList.toggle("privacy", privacy);
    return html`
      <header class="topbar ${privacy ? "privacy" : ""}">
        <h1>${view?.name ?? this.room}</h1>
        <div class="lamps">
          <span class="lamp ${onAir ? "on-air" : "off"}" data-testid="on-air">${onAir ? m.onAir : m.offAir}</span>
          <span class="lamp ${recording ? "rec" : "off"}" data-testid="rec">${recording ? m.rec : m.notRec}</span>
        </div>
        <rc-language-switch></rc-language-switch>
        <button class="secondary" @click=${() => this.lockByOperator()}>${m.lock}</button>
      </header>
      ${this.link === "lost" ? html`<p class="banner lost" role="alert" data-testid="connection-lost">${m.connectionLost}</p>` : nothing}
      ${this.centre === false ? html`<p class="banner lost" role="alert" data-testid="centre-unreachable">${m.centreUnreachable}</p>` : nothing}
      ${view && view.availability.state !== "online" && this.link !== "lost" ? html`<p class="banner lost" role="alert">${m.roomOffline}</p>` : nothing}
      ${this.readOnly ? html`<p class="banner notice" role="status">${m.readOnly}</p>` : nothing}
      ${privacy ? html`<p class="banner privacy" role="status" data-testid="privacy-banner">${m.privacyOn}</p>` : nothing}
      ${
        this.error
          ? html`<p class="banner error" role="alert" data-testid="error">${this.error}
            <button class="secondary" @click=${() => this.dismiss()}>${m.dismiss}</button></p>`
          : nothing
      }
      ${
        this.notice
          ? html`<p class="banner notice" role="status">${this.notice}
            <button class="secondary" @click=${() => this.dismiss()}>${m.dismiss}</button></p>`
          : nothing
      }
      ${
        view
          ? html`<div class="panel-grid">
            <div class="column">${this.renderSession(view)} ${this.renderDevices(view)}</div>
            <div class="column">${this.renderCameras(view)}</div>
            <div class="column">${this.renderSound(view)} ${this.renderDirector(view)} ${this.renderRecording(view)}</div>
          </div>`
          : nothing
      }
      ${this.renderConfirmation()}
    `;
  }

  private dismiss(): void {
    this.error = null;
    this.notice = null;
    this.requestUpdate();
  }

  private renderConfirmation() {
    const confirmation = this.confirmation;
    if (!confirmation) return nothing;
    const close = () => {
      this.confirmation = null;
      this.requestUpdate();
    };
    return html`<div class="overlay">
      <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="confirm-question">
        <p id="confirm-question">${confirmation.question}</p>
        <div class="row">
          <button class="secondary" @click=${close}>${messages().cancel}</button>
          <button class="primary" @click=${() => {
            close();
            void confirmation.run();
          }}>${confirmation.action}</button>
        </div>
      </div>
    </div>`;
  }

  private renderSession(view: RoomView) {
    const m = messages();
    const session = this.session;
    if (!session) {
      return html`<section class="card" aria-labelledby="session-title">
        <h2 id="session-title">${m.session}</h2>
        <p>${m.noSession}</p>
      </section>`;
    }
    const isHost = session.host === view.id;
    const media = devicesOf(view, "media")[0]?.id;
    // The host reports a link per component point; a component point its one link to the host.
    const linkOf = (room: string) => {
      if (room === view.id || (!isHost && room !== session.host) || !media) return null;
      const status = readingOf(view, media, `link.${room}.status`);
      return status === "ok" ? "up" : status === "degraded" ? "poor" : status === "offline" ? "down" : "none";
    };
    return html`<section class="card" aria-labelledby="session-title">
      <h2 id="session-title">${m.session}: ${m.sessionState[session.state]}</h2>
      <p class="session-title">${session.title}</p>
      <p>${m.presiding}: <strong>${session.presiding.name}</strong>${session.presiding.title ? `, ${session.presiding.title}` : ""}</p>
      ${session.state === "scheduled" ? html`<p>${m.startsAt({ time: formatDateTime(session.start) })}</p>` : nothing}
      <ul class="points">
        ${session.points
          .filter((point) => point.removedAt === null)
          .map((point) => {
            const link = linkOf(point.room);
            return html`<li>
              <span>${point.role === "central" ? m.centralPoint : m.componentPoint}: ${point.head ?? point.room}</span>
              ${link ? html`<span class="quality ${link}">${m.link[link]}</span>` : nothing}
            </li>`;
          })}
      </ul>
      ${
        isHost && session.state === "scheduled"
          ? html`<button class="primary big" ?disabled=${!this.usable}
            @click=${() => this.transition(session, "start")}>${m.startSession}</button>`
          : nothing
      }
      ${
        isHost && session.state === "live"
          ? html`<button class="danger big" ?disabled=${!this.usable}
            @click=${() => this.ask({ question: m.confirmEndSession, action: m.endSession, run: () => this.transition(session, "end") })}>
            ${m.endSession}</button>`
          : nothing
      }
    </section>`;
  }

  private async transition(session: SessionView, transition: "start" | "end"): Promise<void> {
    try {
      this.session = shown(await sessionTransition(session.id, transition));
      this.error = null;
    } catch (failure) {
      this.error = describeFailure(failure);
    }
    this.requestUpdate();
  }

  /**
   * Asks the chosen camera for a snapshot when it or its position changed since the last one was asked for: the live
   * state's readings drive it, so a still camera is not asked again and a moving one at most one snapshot at a time.
   */
  private refreshPreview(view: RoomView, camera: string): void {
    if (!capabilityOf(view, camera, "snapshot") || !this.deviceReady(camera) || this.previewLoading) return;
    const key = [
      camera,
      ...["pan", "tilt", "zoom", "moving"].map((name) => String(readingOf(view, camera, name))),
    ].join("|");
    if (key === this.previewAsked) return;
    this.previewAsked = key;
    this.previewLoading = true;
    void (async () => {
      try {
        const answer = (await sendRequest(this.room, "camera.snapshot", { device: camera })) as {
          result?: { contentType?: string; base64?: string };
        } | null;
        const picture = answer?.result;
        if (picture?.base64) {
          this.preview = { camera, key, url: `data:${picture.contentType ?? "image/jpeg"};base64,${picture.base64}` };
        }
      } catch {
        // The preview keeps its last picture; the device's status says what is wrong. Asked again when it moves.
      } finally {
        this.previewLoading = false;
        this.requestUpdate();
      }
    })();
  }

  private renderCameras(view: RoomView) {
    const m = messages();
    const cameras = devicesOf(view, "camera");
    if (cameras.length === 0) return nothing;
    const camera = this.camera && cameras.some((each) => each.id === this.camera) ? this.camera : cameras[0]!.id;
    this.camera = camera;
    const ready = this.deviceReady(camera);
    this.refreshPreview(view, camera);
    const program = view.state?.programCamera ?? null;
    const cut = findCapability(view, "media", "program.camera");
    const canMove = answers(view, "ptz.move") && answers(view, "ptz.stop");
    const seats = seatsOf(view).filter((seat) => seat.camera && seat.preset);
    const hold = (label: string, pan: number, tilt: number, zoom: number, symbol: string) =>
      html`<button class="hold" aria-label=${label} title=${m.holdToMove} ?disabled=${!ready} data-testid="move-${label}"
        @pointerdown=${(event: PointerEvent) => this.startMove(event, pan, tilt, zoom)}
        @pointerup=${() => this.stopMove()} @pointercancel=${() => this.stopMove()}
        @lostpointercapture=${() => this.stopMove()} @contextmenu=${(event: Event) => event.preventDefault()}>
        <span aria-hidden="true">${symbol}</span></button>`;
    return html`<section class="card" aria-labelledby="cameras-title">
      <h2 id="cameras-title">${m.cameras}</h2>
      <div class="row wrap" role="group" aria-label=${m.camerasOf}>
        ${cameras.map(
          (
            each,
          ) => html`<button class="choice ${each.id === camera ? "selected" : ""}" aria-pressed=${each.id === camera}
            data-testid="camera-${each.id}" @click=${() => {
              this.camera = each.id;
              this.requestUpdate();
            }}>
            ${this.deviceName(each.id)} ${each.id === program ? html`<span class="badge on-air">${m.onProgram}</span>` : nothing}
            ${statusOf(view, each.id) !== "ok" ? html`<span class="badge bad">${m.statusWord[statusOf(view, each.id)]}</span>` : nothing}
          </button>`,
        )}
      </div>
      ${ready ? nothing : html`<p class="hint bad">${m.disabledBecause({ device: this.deviceName(camera) })}</p>`}
      ${
        this.preview?.camera === camera
          ? html`<img class="preview" data-testid="preview" src=${this.preview.url}
            alt=${`${m.cameras}: ${this.deviceName(camera)}`}
            style="display:block;width:100%;max-width:480px;aspect-ratio:16/9;object-fit:contain;background:#000">`
          : nothing
      }
      ${
        cut && camera !== program
          ? html`<button class="secondary" ?disabled=${!ready || !this.usable}
            @click=${() => this.send(commandOf(cut.capability, camera))}>${m.onProgram}: ${this.deviceName(camera)}</button>`
          : nothing
      }
      ${
        seats.length > 0
          ? html`<h3>${m.presetsBySeat}</h3>
            <p class="hint">${m.presetHint}</p>
            <div class="seat-grid">
              ${seats.map(
                (seat) => html`<button class="seat" data-testid="seat-${seat.id}"
                  ?disabled=${!this.deviceReady(seat.camera!)}
                  @pointerdown=${() => this.seatDown(seat)} @pointerup=${() => this.seatUp(seat)}
                  @pointerleave=${() => clearTimeout(this.pressTimer)} @contextmenu=${(event: Event) => event.preventDefault()}>
                  ${seat.label}<small>${this.deviceName(seat.camera!)}</small></button>`,
              )}
            </div>`
          : nothing
      }
      ${
        canMove
          ? html`<div class="ptz">
            <div class="joystick" role="group" aria-label=${m.holdToMove}>
              <span></span>${hold(m.moveUp, 0, MOVE_SPEED, 0, "▲")}<span></span>
              ${hold(m.moveLeft, -MOVE_SPEED, 0, 0, "◀")}
              ${
                answers(view, "ptz.home")
                  ? html`<button class="hold" aria-label=${m.home} ?disabled=${!ready}
                    @click=${() => this.send({ action: "ptz.home", params: { device: camera } })}><span aria-hidden="true">⌂</span></button>`
                  : html`<span></span>`
              }
              ${hold(m.moveRight, MOVE_SPEED, 0, 0, "▶")}
              <span></span>${hold(m.moveDown, 0, -MOVE_SPEED, 0, "▼")}<span></span>
            </div>
            <div class="zoom" role="group">
              ${hold(m.zoomIn, 0, 0, MOVE_SPEED, "+")} ${hold(m.zoomOut, 0, 0, -MOVE_SPEED, "−")}
            </div>
          </div>`
          : nothing
      }
    </section>`;
  }

  private renderSound(view: RoomView) {
    const m = messages();
    const mics = seatMics(view);
    const mixer = mainMixer(view);
    const privacy = view.state?.privacy === true;
    const volume = findCapability(view, "mixer", "program.levelDb");
    const level = volume ? readingOf(view, volume.device, "program.levelDb") : null;
    const step = (delta: number) => {
      if (!volume || typeof level !== "number") return;
      const { min = -100, max = 12 } = volume.capability;
      void this.send(commandOf(volume.capability, Math.min(max, Math.max(min, level + delta))));
    };
    return html`<section class="card ${privacy ? "privacy" : ""}" aria-labelledby="sound-title">
      <h2 id="sound-title">${m.sound}</h2>
      ${
        mixer && answers(view, "mixer.privacy")
          ? html`<button class="big ${privacy ? "danger-on" : "danger"}" data-testid="privacy"
            aria-pressed=${privacy} ?disabled=${!this.deviceReady(mixer)}
            @click=${() => this.send({ action: "mixer.privacy", params: { device: mixer, on: !privacy } })}>
            ${privacy ? m.privacyOff : m.privacy}</button>`
          : nothing
      }
      <div class="mic-grid">
        ${mics.map(
          (mic) => html`<button class="mic ${mic.muted ? "muted" : "open"}" data-testid="mic-${mic.seat.id}"
            aria-pressed=${mic.muted === true} ?disabled=${!this.deviceReady(mic.device)}
            @click=${() => this.send(commandOf(mic.capability, !(mic.muted ?? false)))}>
            <span>${m.muteSeat({ seat: mic.seat.label })}</span>
            <strong>${mic.muted ? m.micMuted : m.micOpen}</strong>
            ${this.renderMeter(mic.device, mic.seat.mic!.channel)}
          </button>`,
        )}
      </div>
      ${
        volume
          ? html`<div class="volume row" role="group" aria-label=${m.volume}>
            <button aria-label=${m.volumeDown} ?disabled=${!this.deviceReady(volume.device) || typeof level !== "number"}
              @click=${() => step(-VOLUME_STEP_DB)}>−</button>
            <span class="value">${m.volume}: ${typeof level === "number" ? `${level} dB` : "—"}</span>
            <button aria-label=${m.volumeUp} ?disabled=${!this.deviceReady(volume.device) || typeof level !== "number"}
              @click=${() => step(VOLUME_STEP_DB)}>+</button>
          </div>`
          : nothing
      }
    </section>`;
  }

  /** A microphone's level as a bar: −60 dB empty, 0 dB full. */
  private renderMeter(device: string, channel: number) {
    const level = this.meters.get(device)?.[channel - 1];
    if (level === undefined) return nothing;
    const fill = Math.min(1, Math.max(0, (level + 60) / 60));
    return html`<span class="meter" aria-hidden="true"><span style="width: ${Math.round(fill * 100)}%"></span></span>`;
  }

  private renderDirector(view: RoomView) {
    const m = messages();
    const director = view.state?.director;
    if (!director || !answers(view, "director.mode")) return nothing;
    const auto = director.mode === "auto";
    return html`<section class="card" aria-labelledby="director-title">
      <h2 id="director-title">${m.director}: <span data-testid="director-mode">${m.directorMode[director.mode]}</span></h2>
      <button class="big ${auto ? "selected" : ""}" aria-pressed=${auto} ?disabled=${!this.usable}
        @click=${() => this.send({ action: "director.mode", params: { mode: auto ? "manual" : "auto" } })}>
        ${auto ? m.directorOff : m.directorOn}</button>
      ${this.renderCause(view)}
    </section>`;
  }

  /** The director's last cause in the panel's language; the English sentence only from an agent without causes. */
  private renderCause(view: RoomView) {
    const m = messages();
    const director = view.state?.director;
    if (!director) return nothing;
    const cause = director.cause;
    if (!cause) {
      return director.reason
        ? html`<p class="hint">${m.lastReason}: <span lang="en">${director.reason}</span></p>`
        : nothing;
    }
    const labels = new Map(seatsOf(view).map((seat) => [seat.id, seat.label]));
    const words = m.directorCause[cause.code]({
      seats: cause.seats?.map((seat) => labels.get(seat) ?? seat).join(", "),
      camera: cause.camera === undefined ? undefined : this.deviceName(cause.camera),
      seconds: cause.seconds,
    });
    return html`<p class="hint" data-testid="director-cause">${m.lastReason}: ${words}</p>`;
  }

  private renderRecording(view: RoomView) {
    const m = messages();
    const control = findCapability(view, "media", "recording.on");
    const recording = view.state?.recording === true;
    if (!control && !recording) return nothing;
    if (!recording) this.recordingSeenAt = null;
    else this.recordingSeenAt ??= Date.now();
    const since =
      view.desired?.recording === true ? Date.parse(view.desired.changedAt) : (this.recordingSeenAt ?? Date.now());
    return html`<section class="card" aria-labelledby="recording-title">
      <h2 id="recording-title">${m.recording}: ${recording ? m.recordingOn : m.recordingOff}</h2>
      ${recording ? html`<p class="elapsed" data-testid="elapsed">${m.elapsed({ time: formatElapsed(Date.now() - since) })}</p>` : nothing}
      ${
        control
          ? html`<button class="big ${recording ? "danger" : "primary"}" ?disabled=${!this.deviceReady(control.device)}
            @click=${() => this.send(commandOf(control.capability, !recording))}>
            ${recording ? m.stopRecording : m.startRecording}</button>`
          : nothing
      }
    </section>`;
  }

  private renderDevices(view: RoomView) {
    const m = messages();
    const devices = devicesOf(view).filter((device) => !(device.optional && statusOf(view, device.id) === "disabled"));
    const line = (id: string, status: DeviceStatus) => m.deviceStatus[status]({ device: this.deviceName(id) });
    return html`<section class="card" aria-labelledby="devices-title">
      <h2 id="devices-title">${m.devices}</h2>
      <ul class="devices">
        ${devices.map((device) => {
          const status = statusOf(view, device.id);
          return html`<li class="status-${status}" data-testid="device-${device.id}">${line(device.id, status)}</li>`;
        })}
      </ul>
    </section>`;
  }
}
customElements.define("rc-room-panel", RoomPanel);
