// The room agent's composition root: builds the devices (each under its supervisor), the room features (desired
// state, privacy, the auto director, telemetry) and the broker link; starts them in order, each feature in its own
// try/catch; answers requests through one dispatch table; and builds the room's info and state from the parts.
import { randomBytes } from "node:crypto";
import { resolve } from "node:path";
import { type LoadedRoom, modelOf } from "@rc/hardware-profiles";
import {
  describeActions,
  type EventPayload,
  type HealthPayload,
  type InfoPayload,
  isActionName,
  type RoomView,
  type StatePayload,
} from "@rc/protocol";
import type { Logger } from "pino";
import { AgentError } from "./agent-error.ts";
import { AgentLink } from "./agent-link.ts";
import { AnswerJournal } from "./answer-journal.ts";
import { nextBoot } from "./boot-counter.ts";
import { DesiredState } from "./desired-state.ts";
import { DeviceSupervisor } from "./devices/device-supervisor.ts";
import type { DeviceKindModule, DriverContext } from "./devices/driver-contract.ts";
import { deviceKinds } from "./devices/driver-registry.ts";
import { directorFeature } from "./director/room-director.ts";
import type { LocalPanel } from "./local-panel.ts";
import { RoomPrivacy } from "./privacy.ts";
import { RecordingUpload } from "./recording-upload.ts";
import { REQUEST_MEMORY, RequestDispatcher, type RequestHandler } from "./request-dispatcher.ts";
import { NO_DRIVER, RoomDevices } from "./room-devices.ts";
import { RoomFacts } from "./room-facts.ts";
import type { RoomFeature } from "./room-feature.ts";
import { Telemetry } from "./telemetry.ts";

export const AGENT_VERSION = "0.1.0";

export interface AgentOptions {
  loaded: LoadedRoom;
  brokerUrl: string;
  username: string;
  password: string;
  /** Where the boot counter and the applied desired state live. */
  dataDir: string;
  keepaliveS: number;
  /** For mqtts://: the CA (PEM) the broker's certificate must chain to (`controller tls init` makes it). */
  ca?: Buffer;
  /** The controller's base URL for the recording archive; without it recordings stay on this PC. */
  archiveUrl?: string;
  /** Where the room's own operator panel is served (for its wall screen); without it, none. */
  panel?: { host: string; port: number };
  log: Logger;
}

export class RoomAgent {
  readonly facts = new RoomFacts();
  private readonly devices = new RoomDevices();
  private features: RoomFeature[] = [];
  private link: AgentLink | undefined;
  private dispatcher: RequestDispatcher | undefined;
  private stateTimer: NodeJS.Timeout | undefined;
  private boot = 0;
  /** Drawn at every start: tells this start from any other, also when a replaced PC's counter starts again at 1. */
  private bootId = "";
  private seq = 0;
  private startedAt = "";
  private readonly room;
  private readonly log: Logger;
  /** The only writer of `facts.privacy`: the switch, requests and the DSPs tell it what they want or hold. */
  private readonly privacy: RoomPrivacy;
  private readonly desired: DesiredState;
  private upload: RecordingUpload | undefined;
  /** The room's operator panel served here, for when the controller is unreachable. */
  private localPanel: LocalPanel | undefined;

  constructor(private readonly options: AgentOptions) {
    this.room = options.loaded.room;
    this.log = options.log;
    this.privacy = new RoomPrivacy({
      facts: this.facts,
      devices: this.devices,
      log: options.log.child({ part: "privacy" }),
      emitEvent: (event) => this.emitEvent(event),
    });
    this.desired = new DesiredState(options.dataDir, this.facts, options.log.child({ part: "desired" }), (wish) =>
      this.emitEvent({ type: "local_wish", data: wish }),
    );
  }

  async start(): Promise<void> {
    this.boot = await nextBoot(this.options.dataDir);
    this.bootId = randomBytes(9).toString("base64url");
    this.startedAt = new Date().toISOString();
    const { brokerUrl, username, password, keepaliveS, ca } = this.options;
    this.link = new AgentLink(
      {
        brokerUrl,
        username,
        password,
        keepaliveS,
        ca,
        room: this.room.id,
        boot: this.boot,
        bootId: this.bootId,
        log: this.log,
      },
      {
        publishRetained: () => this.publishRetained(),
        desired: (desired) => this.desired.apply(desired),
        request: (payload) => this.answer(payload),
        centre: (reachable) => {
          this.localPanel?.centre(reachable);
          if (reachable) this.desired.reachable();
        },
      },
    );
    this.buildDevices();
    this.upload = this.recordingUpload();
    if (this.options.panel) this.localPanel = await this.buildLocalPanel(this.options.panel);
    this.features = [
      this.desired,
      this.privacy,
      directorFeature(this.room, {
        devices: this.devices,
        facts: this.facts,
        log: this.log.child({ part: "director" }),
        emitEvent: (event) => this.emitEvent(event),
        changed: () => this.scheduleState(),
      }),
      new Telemetry(
        this.options.dataDir,
        this.room.telemetryIntervalS,
        (sample) => this.link?.publish("telemetry", sample, 0),
        this.log.child({ part: "telemetry" }),
      ),
      ...(this.upload ? [this.upload] : []),
      ...(this.localPanel ? [this.localPanel] : []),
    ];
    const requestsLog = this.log.child({ part: "requests" });
    this.dispatcher = new RequestDispatcher(this.buildHandlers(), requestsLog, {
      ...REQUEST_MEMORY,
      journal: new AnswerJournal(this.options.dataDir, requestsLog),
    });
    await this.dispatcher.restore();
    this.facts.on("change", () => this.scheduleState());
    for (const feature of this.features) {
      try {
        await feature.start();
      } catch (error) {
        this.log.error({ feature: feature.name, err: (error as Error).message }, "room feature did not start");
      }
    }
    this.link.start();
    for (const device of this.devices) device.start();
    this.log.info({ room: this.room.id, boot: this.boot, devices: this.devices.size }, "agent started");
  }

  async stop(): Promise<void> {
    clearTimeout(this.stateTimer);
    for (const feature of [...this.features].reverse()) {
      try {
        await feature.stop();
      } catch (error) {
        this.log.error({ feature: feature.name, err: (error as Error).message }, "room feature did not stop cleanly");
      }
    }
    await Promise.all([...this.devices].map((device) => device.stop()));
    await this.link?.stop();
    this.log.info({ room: this.room.id }, "agent stopped");
  }

  private buildDevices(): void {
    for (const entry of this.room.devices) {
      // Picked by the entry's own kind, so the entry and its model are what this module's create() takes.
      const module: DeviceKindModule | undefined = deviceKinds[entry.kind];
      if (!module) {
        this.devices.unsupported.set(entry.id, entry.kind);
        continue;
      }
      const context: DriverContext = {
        room: this.room,
        log: this.log.child({ device: entry.id }),
        dataDir: this.options.dataDir,
        facts: this.facts,
        privacy: this.privacy,
        emitEvent: (event) => this.emitEvent({ ...event, device: entry.id }),
      };
      const driver = module.create(entry, modelOf(this.options.loaded, entry), context);
      const supervisor = new DeviceSupervisor(driver, {
        enabled: entry.enabled,
        probeIntervalMs: this.room.probe.intervalMs,
        offlineAfter: this.room.probe.offlineAfter,
      });
      supervisor.on("health", (health) => {
        this.log.info({ device: entry.id, status: health.status, detail: health.detail }, "device status");
        this.link?.publishHealth(entry.id, health);
        this.scheduleState();
      });
      supervisor.on("readings", () => this.scheduleState());
      this.devices.add(supervisor);
    }
  }

  /**
   * Loaded only when asked for, and from a bundle of its own beside the agent's (scripts/build.sh): its web server
   * (express, socket.io) inside the agent's bundle would cost every agent 6 MB RSS, used or not (budget 80 MB).
   */
  private async buildLocalPanel({ host, port }: { host: string; port: number }): Promise<LocalPanel> {
    const here = import.meta.url;
    const file = new URL(here.endsWith(".ts") ? "./local-panel.ts" : "./local-panel.mjs", here).href;
    const { LocalPanel } = (await import(file)) as typeof import("./local-panel.ts");
    return new LocalPanel({
      host,
      port,
      room: this.room.id,
      view: () => this.panelView(),
      pinHash: () => this.facts.get().desired?.panelPin ?? null,
      // As a request from the controller: decoded, checked and remembered by the one dispatcher. A recording
      // switched here is a wanted fact the controller does not know of yet: the desired state holds it until it does.
      dispatch: async (request) => {
        const response = this.dispatcher ? await this.dispatcher.dispatch(JSON.stringify(request)) : null;
        if (response?.ok && request.action === "media.record") await this.desired.wished(request.params.on === true);
        return response;
      },
      log: this.log.child({ part: "local panel" }),
    });
  }

  /** The room as a panel sees it at the controller (RoomView), from this agent's own parts, for the local panel. */
  private panelView(): RoomView {
    const health: RoomView["health"] = {};
    for (const supervisor of this.devices) health[supervisor.id] = supervisor.health();
    return {
      id: this.room.id,
      name: this.room.name,
      level: this.room.level,
      // The controller's registration says; a commune's point is its people's committee, others a reception office.
      kind: this.room.level === "commune" ? "people_committee" : "reception_office",
      parent: this.room.parent,
      availability: { state: "online", boot: this.boot, bootId: this.bootId, since: this.startedAt },
      desired: null,
      stale: false,
      info: this.info(),
      state: this.state(),
      health,
      lastSeen: new Date().toISOString(),
    };
  }

  /** Uploads the finished segments of the room's media devices' recordings folders, given an archive URL. */
  private recordingUpload(): RecordingUpload | undefined {
    const folders = this.room.devices.flatMap((entry) =>
      entry.kind === "media" ? [resolve(entry.recordings.dir)] : [],
    );
    if (!this.options.archiveUrl) {
      if (folders.length > 0) this.log.warn("no --archive-url: finished recordings stay on this PC, none is uploaded");
      return undefined;
    }
    return new RecordingUpload({
      archiveUrl: this.options.archiveUrl,
      room: this.room.id,
      username: this.options.username,
      password: this.options.password,
      folders,
      log: this.log.child({ part: "upload" }),
      changed: () => this.scheduleState(),
    });
  }

  /** One table: the agent's own requests, each feature's, and every device kind's (routed to the named device). */
  private buildHandlers(): Map<string, RequestHandler> {
    const handlers = new Map<string, RequestHandler>();
    handlers.set("state.resync", async () => {
      this.publishRetained();
      return { republished: true };
    });
    handlers.set("device.restart", async (params) => {
      await this.devices.get(String(params.device), this.room.id).restart();
      return { restarted: params.device };
    });
    for (const feature of this.features)
      for (const [action, handler] of feature.actions ?? []) handlers.set(action, handler);
    for (const module of Object.values(deviceKinds)) {
      for (const [action, run] of Object.entries(module.actions)) {
        handlers.set(action, async (params) => {
          const supervisor = this.devices.get(String(params.device), this.room.id);
          if (supervisor.driver.kind !== module.kind) {
            throw new AgentError("conflict", `${supervisor.id} is a ${supervisor.driver.kind}, not a ${module.kind}`);
          }
          for (const feature of this.features) feature.beforeRequest?.(action, params);
          // biome-ignore lint/suspicious/noExplicitAny: params were checked by the action's schema.
          return supervisor.command(action, () => (run as any)(supervisor.driver, params));
        });
      }
    }
    return handlers;
  }

  private answer(payload: Buffer): void {
    void this.dispatcher!.dispatch(payload).then((response) => {
      if (response) this.link?.publish("response", response);
    });
  }

  /** Everything retained, in the order a fresh reader wants it: alive, what I am, what I do, how my devices are. */
  private publishRetained(): void {
    const link = this.link!;
    link.publishOnline();
    link.publish("info", this.info());
    this.publishState();
    for (const supervisor of this.devices) link.publishHealth(supervisor.id, supervisor.health());
    const disabled: HealthPayload = {
      status: "disabled",
      since: this.startedAt,
      detail: NO_DRIVER,
      rttMs: null,
      counters: {},
    };
    for (const id of this.devices.unsupported.keys()) link.publishHealth(id, disabled);
  }

  private info(): InfoPayload {
    return {
      agentVersion: AGENT_VERSION,
      boot: this.boot,
      startedAt: this.startedAt,
      room: {
        id: this.room.id,
        name: this.room.name,
        level: this.room.level,
        parent: this.room.parent,
        seats: this.room.seats,
      },
      devices: this.room.devices.map((entry) => ({
        id: entry.id,
        ...(entry.name === undefined ? {} : { name: entry.name }),
        kind: entry.kind,
        model: this.devices.find(entry.id)?.driver.model ?? ("model" in entry ? entry.model : entry.kind),
        optional: entry.optional,
        capabilities: this.devices.find(entry.id)?.driver.capabilities() ?? [],
      })),
      // With their params' JSON Schemas, so a panel can build a request without knowing the device (DESIGN §3.6).
      actions: describeActions((this.dispatcher?.actions ?? []).filter(isActionName)),
    };
  }

  private state(): StatePayload {
    const facts = this.facts.get();
    const devices: StatePayload["devices"] = {};
    for (const supervisor of this.devices) devices[supervisor.id] = supervisor.driver.readings();
    const state: StatePayload = {
      at: new Date().toISOString(),
      seq: this.seq++,
      boot: this.boot,
      bootId: this.bootId,
      desiredRev: null,
      session: facts.session,
      recording: facts.recording,
      programCamera: facts.programCamera,
      privacy: facts.privacy,
      director: null,
      devices,
    };
    for (const feature of this.features) Object.assign(state, feature.state?.());
    return state;
  }

  /** Many small changes in a burst become one retained state message. */
  private scheduleState(): void {
    if (this.stateTimer) return;
    this.stateTimer = setTimeout(() => {
      this.stateTimer = undefined;
      this.publishState();
    }, 20);
  }

  private publishState(): void {
    clearTimeout(this.stateTimer);
    this.stateTimer = undefined;
    this.link?.publish("state", this.state());
    this.localPanel?.changed();
  }

  private emitEvent(event: Omit<EventPayload, "at">): void {
    if (event.type === "recording_segment_closed") this.upload?.segmentClosed();
    const payload: EventPayload = { at: new Date().toISOString(), ...event };
    this.link?.publish("events", payload, event.type === "meters" ? 0 : 1);
    this.localPanel?.event(payload);
  }
}
