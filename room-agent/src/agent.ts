// The room agent's composition root: builds the parts, starts them in order, and links them to the broker.
import { randomBytes } from "node:crypto";
import { type LoadedRoom, modelOf } from "@rc/hardware-profiles";
import {
  type AvailabilityPayload,
  availabilityPayload,
  clientIdOf,
  type DesiredPayload,
  decodeMessage,
  describeActions,
  type EventPayload,
  encodePayload,
  eventPayload,
  healthPayload,
  type InfoPayload,
  infoPayload,
  isActionName,
  parseTopic,
  responsePayload,
  type StatePayload,
  statePayload,
  telemetryPayload,
  topics,
} from "@rc/protocol";
import { connectMqtt } from "@rc/protocol/mqtt";
import type { MqttClient } from "mqtt";
import type { Logger } from "pino";
import { AgentError } from "./agent-error.ts";
import { AppliedDesired } from "./applied-desired.ts";
import { nextBoot } from "./boot-counter.ts";
import { DeviceSupervisor } from "./devices/device-supervisor.ts";
import type { DeviceKindModule, DriverContext } from "./devices/driver-contract.ts";
import { deviceKinds } from "./devices/driver-registry.ts";
import { RoomDirector } from "./director/room-director.ts";
import { RoomPrivacy } from "./privacy.ts";
import { RequestDispatcher, type RequestHandler } from "./request-dispatcher.ts";
import { RoomFacts } from "./room-facts.ts";
import { TelemetrySampler } from "./telemetry.ts";

export const AGENT_VERSION = "0.1.0";

export interface AgentOptions {
  loaded: LoadedRoom;
  brokerUrl: string;
  username: string;
  password: string;
  /** Where the boot counter lives. */
  dataDir: string;
  keepaliveS: number;
  log: Logger;
}

/** A device line of the profile whose kind has no driver in this version: reported, never started. */
const NO_DRIVER = "no driver for this kind of device in this agent version";
/** Requests by which an operator aims a camera or cuts by hand: the auto director pauses for them. */
const OPERATOR_SHOT_ACTIONS = new Set([
  "ptz.move",
  "ptz.relative",
  "ptz.absolute",
  "ptz.home",
  "ptz.goto",
  "media.cut",
]);

export class RoomAgent {
  readonly facts = new RoomFacts();
  private readonly devices = new Map<string, DeviceSupervisor>();
  private readonly unsupported = new Map<string, string>();
  private client: MqttClient | undefined;
  private dispatcher: RequestDispatcher | undefined;
  private director: RoomDirector | undefined;
  private telemetryTimer: NodeJS.Timeout | undefined;
  private stateTimer: NodeJS.Timeout | undefined;
  private boot = 0;
  /** Drawn at every start: tells this start from any other, also when a replaced PC's counter starts again at 1. */
  private bootId = "";
  private seq = 0;
  private desiredRev: number | null = null;
  private appliedDesired: AppliedDesired | undefined;
  private startedAt = "";
  private readonly room;
  private readonly log: Logger;
  /** The only writer of `facts.privacy`: the switch, requests and the DSPs tell it what they want or hold. */
  private readonly privacy: RoomPrivacy;

  constructor(private readonly options: AgentOptions) {
    this.room = options.loaded.room;
    this.log = options.log;
    this.privacy = new RoomPrivacy({
      facts: this.facts,
      devices: this.devices,
      log: options.log.child({ part: "privacy" }),
      emitEvent: (event) => this.emitEvent(event),
    });
  }

  async start(): Promise<void> {
    this.boot = await nextBoot(this.options.dataDir);
    this.bootId = randomBytes(9).toString("base64url");
    this.startedAt = new Date().toISOString();
    await this.resumeDesired();
    this.buildDevices();
    this.director = RoomDirector.forRoom(this.room, {
      devices: this.devices,
      facts: this.facts,
      log: this.log.child({ part: "director" }),
      emitEvent: (event) => this.emitEvent(event),
      changed: () => this.scheduleState(),
    });
    this.dispatcher = new RequestDispatcher(this.buildHandlers(), this.log.child({ part: "requests" }));
    this.facts.on("change", () => this.scheduleState());
    this.privacy.start();
    this.connect();
    for (const device of this.devices.values()) device.start();
    this.director?.start();
    const sampler = new TelemetrySampler(this.options.dataDir);
    this.telemetryTimer = setInterval(() => {
      void sampler
        .sample()
        .then((sample) => this.publish(topics.room(this.room.id, "telemetry"), telemetryPayload, sample, false, 0));
    }, this.room.telemetryIntervalS * 1000);
    this.log.info({ room: this.room.id, boot: this.boot, devices: this.devices.size }, "agent started");
  }

  async stop(): Promise<void> {
    clearInterval(this.telemetryTimer);
    clearTimeout(this.stateTimer);
    this.director?.stop();
    this.privacy.stop();
    await Promise.all([...this.devices.values()].map((device) => device.stop()));
    const client = this.client;
    this.client = undefined;
    if (client?.connected) {
      // Say goodbye ourselves: the will is only for deaths.
      await client
        .publishAsync(
          topics.room(this.room.id, "availability"),
          encodePayload(availabilityPayload, this.availability("offline")),
          { qos: 1, retain: true },
        )
        .catch(() => {});
    }
    await client?.endAsync().catch(() => {});
    this.log.info({ room: this.room.id }, "agent stopped");
  }

  private buildDevices(): void {
    for (const entry of this.room.devices) {
      // Picked by the entry's own kind, so the entry and its model are what this module's create() takes.
      const module: DeviceKindModule | undefined = deviceKinds[entry.kind];
      if (!module) {
        this.unsupported.set(entry.id, entry.kind);
        continue;
      }
      const context: DriverContext = {
        room: this.room,
        log: this.log.child({ device: entry.id }),
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
        this.publish(topics.health(this.room.id, entry.id), healthPayload, health, true);
        this.scheduleState();
      });
      supervisor.on("readings", () => this.scheduleState());
      this.devices.set(entry.id, supervisor);
    }
  }

  private buildHandlers(): Map<string, RequestHandler> {
    const handlers = new Map<string, RequestHandler>();
    handlers.set("state.resync", async () => {
      this.publishRetained();
      return { republished: true };
    });
    handlers.set("device.restart", async (params) => {
      await this.device(String(params.device)).restart();
      return { restarted: params.device };
    });
    handlers.set("director.mode", async (params) => {
      if (!this.director) throw new AgentError("conflict", `room ${this.room.id} has no auto director configured`);
      return this.director.setMode(params.mode as "auto" | "manual" | "paused");
    });
    for (const module of Object.values(deviceKinds)) {
      for (const [action, run] of Object.entries(module.actions)) {
        handlers.set(action, async (params) => {
          const supervisor = this.device(String(params.device));
          if (supervisor.driver.kind !== module.kind) {
            throw new AgentError("conflict", `${supervisor.id} is a ${supervisor.driver.kind}, not a ${module.kind}`);
          }
          if (OPERATOR_SHOT_ACTIONS.has(action)) this.director?.operatorActivity();
          // biome-ignore lint/suspicious/noExplicitAny: params were checked by the action's schema.
          return supervisor.command(action, () => (run as any)(supervisor.driver, params));
        });
      }
    }
    return handlers;
  }

  private device(id: string): DeviceSupervisor {
    const supervisor = this.devices.get(id);
    if (supervisor) return supervisor;
    if (this.unsupported.has(id)) throw new AgentError("device_unavailable", `${id}: ${NO_DRIVER}`);
    throw new AgentError("not_found", `no device "${id}" in room ${this.room.id}`);
  }

  private connect(): void {
    const room = this.room.id;
    const client = connectMqtt(this.options.brokerUrl, {
      // One client id per boot, belonging to this login and unguessable: a reconnect of this process takes its own
      // session over, while a half-open connection of an older boot lingers until the broker's keep-alive ends it —
      // and its will is then stale. No other room can guess it to kick this one off.
      clientId: clientIdOf(this.options.username, this.bootId),
      username: this.options.username,
      password: this.options.password,
      keepaliveS: this.options.keepaliveS,
      will: {
        topic: topics.room(room, "availability"),
        payload: encodePayload(availabilityPayload, this.availability("offline")),
      },
    });
    this.client = client;
    client.on("connect", () => {
      this.log.info({ broker: this.options.brokerUrl }, "connected to the broker");
      client.subscribe(
        [
          topics.room(room, "desired"),
          topics.room(room, "request"),
          topics.room(room, "availability"),
          topics.controllerResync,
        ],
        { qos: 1 },
        (error) => {
          if (error) this.log.error({ err: error }, "subscribe failed");
        },
      );
      this.publishRetained();
    });
    client.on("close", () => this.log.debug("broker connection closed"));
    client.on("error", (error) => this.log.warn({ err: error.message }, "broker connection error"));
    client.on("message", (topic, payload) => this.receive(topic, payload));
  }

  private receive(topic: string, payload: Buffer): void {
    if (parseTopic(topic)?.kind === "request") {
      // The dispatcher checks requests itself, so that a malformed one with a readable id still gets an answer.
      void this.dispatcher!.dispatch(payload).then((response) => {
        if (response) this.publish(topics.room(this.room.id, "response"), responsePayload, response, false);
      });
      return;
    }
    if (payload.length === 0 && parseTopic(topic)?.kind === "desired") {
      // MQTT's way of deleting a retained message. The controller's store owns the desired state and never deletes
      // it (it publishes "no session" instead): a deletion must not drop the room out of a hearing.
      this.log.warn("deleted desired state ignored: the room keeps the last one it applied");
      return;
    }
    const message = decodeMessage(topic, payload);
    if (!message.ok) {
      this.log.warn({ topic: topic.slice(0, 200), reason: message.reason }, "invalid message dropped");
      return;
    }
    switch (message.kind) {
      case "desired":
        this.applyDesired(message.value);
        return;
      case "availability":
        this.correctAvailability(message.value);
        return;
      case "controllerResync":
        this.log.info("controller asked for a resync");
        this.publishRetained();
        return;
      default:
        this.log.warn({ topic }, "message on a topic the agent does not handle dropped");
    }
  }

  /** A will of an older connection overwrote our retained availability: say again that we are online. */
  private correctAvailability(seen: AvailabilityPayload): void {
    if (!this.client?.connected || seen.bootId === this.bootId) return;
    if (seen.state === "online") {
      this.log.error({ seen, boot: this.boot }, "another agent says it is online for this room");
      return;
    }
    this.log.info({ seen, boot: this.boot }, "stale availability on the broker corrected");
    this.publishAvailability();
  }

  private availability(state: AvailabilityPayload["state"]): AvailabilityPayload {
    return { state, boot: this.boot, bootId: this.bootId };
  }

  /** The desired state applied before this start, so the room resumes its session without waiting for the controller. */
  private async resumeDesired(): Promise<void> {
    this.appliedDesired = new AppliedDesired(this.options.dataDir);
    const { desired, error } = await this.appliedDesired.load();
    if (error) this.log.error({ err: error }, "last applied desired state unreadable: waiting for the controller's");
    if (!desired) return;
    this.log.info({ rev: desired.rev, session: desired.session?.id ?? null }, "resuming the last desired state");
    this.setDesiredFacts(desired);
  }

  /** Applies a desired state only if it is newer than the one applied: an old one never undoes a newer change. */
  private applyDesired(desired: DesiredPayload): void {
    if (this.desiredRev !== null && desired.rev <= this.desiredRev) {
      this.log.debug({ rev: desired.rev, applied: this.desiredRev }, "desired state not newer than the applied one");
      return;
    }
    this.log.info({ rev: desired.rev, session: desired.session?.id ?? null }, "desired state received");
    this.setDesiredFacts(desired);
    this.appliedDesired!.save(desired).catch((error: Error) => {
      this.log.error({ err: error.message }, "applied desired state not saved: a restart would resume an older one");
    });
  }

  private setDesiredFacts(desired: DesiredPayload): void {
    this.desiredRev = desired.rev;
    this.facts.set({
      session: desired.session ? { id: desired.session.id, role: desired.session.role } : null,
      recording: desired.recording,
      desired,
    });
    this.scheduleState();
  }

  private publishAvailability(): void {
    this.publish(topics.room(this.room.id, "availability"), availabilityPayload, this.availability("online"), true);
  }

  /** Everything retained, in the order a fresh reader wants it: alive, what I am, what I do, how my devices are. */
  private publishRetained(): void {
    this.publishAvailability();
    this.publish(topics.room(this.room.id, "info"), infoPayload, this.info(), true);
    this.publishState();
    for (const [id, supervisor] of this.devices) {
      this.publish(topics.health(this.room.id, id), healthPayload, supervisor.health(), true);
    }
    for (const [id] of this.unsupported) {
      this.publish(
        topics.health(this.room.id, id),
        healthPayload,
        {
          status: "disabled",
          since: this.startedAt,
          detail: NO_DRIVER,
          rttMs: null,
          counters: {},
        },
        true,
      );
    }
  }

  private info(): InfoPayload {
    return {
      agentVersion: AGENT_VERSION,
      boot: this.boot,
      startedAt: this.startedAt,
      room: { id: this.room.id, name: this.room.name, level: this.room.level, parent: this.room.parent },
      devices: this.room.devices.map((entry) => ({
        id: entry.id,
        kind: entry.kind,
        model: this.devices.get(entry.id)?.driver.model ?? ("model" in entry ? entry.model : entry.kind),
        optional: entry.optional,
        capabilities: this.devices.get(entry.id)?.driver.capabilities() ?? [],
      })),
      // With their params' JSON Schemas, so a panel can build a request without knowing the device (DESIGN §3.6).
      actions: describeActions((this.dispatcher?.actions ?? []).filter(isActionName)),
    };
  }

  private state(): StatePayload {
    const facts = this.facts.get();
    const devices: StatePayload["devices"] = {};
    for (const [id, supervisor] of this.devices) devices[id] = supervisor.driver.readings();
    return {
      at: new Date().toISOString(),
      seq: this.seq++,
      boot: this.boot,
      bootId: this.bootId,
      desiredRev: this.desiredRev,
      session: facts.session,
      recording: facts.recording,
      programCamera: facts.programCamera,
      privacy: facts.privacy,
      director: this.director?.view() ?? null,
      devices,
    };
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
    this.publish(topics.room(this.room.id, "state"), statePayload, this.state(), true);
  }

  private emitEvent(event: Omit<EventPayload, "at">): void {
    const qos = event.type === "meters" ? 0 : 1;
    this.publish(
      topics.room(this.room.id, "events"),
      eventPayload,
      { at: new Date().toISOString(), ...event },
      false,
      qos,
    );
  }

  private publish<S extends Parameters<typeof encodePayload>[0]>(
    topic: string,
    schema: S,
    value: Parameters<typeof encodePayload<S>>[1],
    retain: boolean,
    qos: 0 | 1 = 1,
  ): void {
    const client = this.client;
    if (!client?.connected) return; // everything retained is published again on (re)connect
    client.publish(topic, encodePayload(schema, value), { qos, retain }, (error) => {
      if (error) this.log.warn({ topic, err: error.message }, "publish failed");
    });
  }
}
