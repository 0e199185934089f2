// The agent's one link to the broker (DESIGN §3.1): it connects with the room's login, a client id of its own boot
// and a will; subscribes to what the room reads; says online and has the root re-publish every retained topic on
// each (re)connect and on the controller's resync; corrects a stale will of an older connection; and publishes each
// kind of message with the schema of its topic, so a topic and its payload can never disagree.
import {
  type AvailabilityPayload,
  availabilityPayload,
  clientIdOf,
  type DesiredPayload,
  decodeMessage,
  encodePayload,
  type HealthPayload,
  healthPayload,
  parseTopic,
  roomTopicSchemas,
  topics,
} from "@rc/protocol";
import { connectMqtt } from "@rc/protocol/mqtt";
import type { MqttClient } from "mqtt";
import type { Logger } from "pino";
import type { z } from "zod";

/** What the agent publishes under its room, each kind with its topic's schema. */
type AgentKind = "info" | "state" | "telemetry" | "events" | "response";
export type AgentPayload<K extends AgentKind> = z.input<(typeof roomTopicSchemas)[K]>;

export interface AgentLinkOptions {
  brokerUrl: string;
  username: string;
  password: string;
  keepaliveS: number;
  /** For mqtts://: the CA the broker's certificate must chain to. */
  ca?: Buffer;
  room: string;
  boot: number;
  /** This start's random id: in the client id, the availability and the will. */
  bootId: string;
  log: Logger;
}

export interface AgentLinkHooks {
  /** Connected (again), or the controller asked: every retained topic wants publishing now. */
  publishRetained(): void;
  /** A desired state from the controller (the agent decides whether it is newer). */
  desired(desired: DesiredPayload): void;
  /** A request, undecoded: the dispatcher checks it itself, so a malformed one with a readable id gets an answer. */
  request(payload: Buffer): void;
  /** Whether the controller is reachable: the broker link is up and the controller says it is online. */
  centre?(reachable: boolean): void;
}

export class AgentLink {
  private client: MqttClient | undefined;
  private linked = false;
  /** From the controller's retained status (with its will): online until it says otherwise. */
  private controllerOnline = true;
  private reachable = false;

  constructor(
    private readonly options: AgentLinkOptions,
    private readonly hooks: AgentLinkHooks,
  ) {}

  start(): void {
    const { room, log } = this.options;
    const client = connectMqtt(this.options.brokerUrl, {
      // One client id per boot, belonging to this login and unguessable: a reconnect of this process takes its own
      // session over, while a half-open connection of an older boot lingers until the broker's keep-alive ends it —
      // and its will is then stale. No other room can guess it to kick this one off.
      clientId: clientIdOf(this.options.username, this.options.bootId),
      username: this.options.username,
      password: this.options.password,
      keepaliveS: this.options.keepaliveS,
      ...(this.options.ca ? { ca: this.options.ca } : {}),
      will: {
        topic: topics.room(room, "availability"),
        payload: encodePayload(availabilityPayload, this.availability("offline")),
      },
    });
    this.client = client;
    client.on("connect", () => {
      log.info({ broker: this.options.brokerUrl }, "connected to the broker");
      this.linked = true;
      this.controllerOnline = true;
      this.tellCentre();
      const reads = [topics.room(room, "desired"), topics.room(room, "request"), topics.room(room, "availability")];
      client.subscribe([...reads, topics.controllerResync, topics.controllerStatus], { qos: 1 }, (error) => {
        if (error) log.error({ err: error }, "subscribe failed");
      });
      this.hooks.publishRetained();
    });
    client.on("close", () => {
      log.debug("broker connection closed");
      this.linked = false;
      this.tellCentre();
    });
    client.on("error", (error) => log.warn({ err: error.message }, "broker connection error"));
    client.on("message", (topic, payload) => this.receive(topic, payload));
  }

  /** Says goodbye itself (the will is only for deaths), then closes. */
  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client?.connected) {
      await client
        .publishAsync(
          topics.room(this.options.room, "availability"),
          encodePayload(availabilityPayload, this.availability("offline")),
          { qos: 1, retain: true },
        )
        .catch(() => {});
    }
    await client?.endAsync().catch(() => {});
  }

  /** Publishes one of the room's messages; while disconnected nothing is queued (retained ones go again on connect). */
  publish<K extends AgentKind>(kind: K, value: AgentPayload<K>, qos: 0 | 1 = 1): void {
    const retain = kind === "info" || kind === "state";
    this.send(
      topics.room(this.options.room, kind),
      encodePayload(roomTopicSchemas[kind] as z.ZodType, value),
      retain,
      qos,
    );
  }

  publishHealth(device: string, health: HealthPayload): void {
    this.send(topics.health(this.options.room, device), encodePayload(healthPayload, health), true, 1);
  }

  publishOnline(): void {
    const topic = topics.room(this.options.room, "availability");
    this.send(topic, encodePayload(availabilityPayload, this.availability("online")), true, 1);
  }

  private send(topic: string, payload: string, retain: boolean, qos: 0 | 1): void {
    const client = this.client;
    if (!client?.connected) return;
    client.publish(topic, payload, { qos, retain }, (error) => {
      if (error) this.options.log.warn({ topic, err: error.message }, "publish failed");
    });
  }

  private availability(state: AvailabilityPayload["state"]): AvailabilityPayload {
    return { state, boot: this.options.boot, bootId: this.options.bootId };
  }

  private receive(topic: string, payload: Buffer): void {
    const { log } = this.options;
    const kind = parseTopic(topic)?.kind;
    if (kind === "request") {
      this.hooks.request(payload);
      return;
    }
    if (payload.length === 0 && kind === "desired") {
      // MQTT's way of deleting a retained message. The controller's store owns the desired state and never deletes
      // it (it publishes "no session" instead): a deletion must not drop the room out of a hearing.
      log.warn("deleted desired state ignored: the room keeps the last one it applied");
      return;
    }
    const message = decodeMessage(topic, payload);
    if (!message.ok) {
      log.warn({ topic: topic.slice(0, 200), reason: message.reason }, "invalid message dropped");
      return;
    }
    switch (message.kind) {
      case "desired":
        this.hooks.desired(message.value);
        return;
      case "availability":
        this.correctAvailability(message.value);
        return;
      case "controllerStatus":
        this.controllerOnline = message.value.state === "online";
        this.tellCentre();
        return;
      case "controllerResync":
        log.info("controller asked for a resync");
        this.hooks.publishRetained();
        return;
      default:
        log.warn({ topic }, "message on a topic the agent does not handle dropped");
    }
  }

  private tellCentre(): void {
    const reachable = this.linked && this.controllerOnline;
    if (reachable === this.reachable) return;
    this.reachable = reachable;
    this.options.log.info({ reachable }, reachable ? "centre reachable" : "centre unreachable");
    this.hooks.centre?.(reachable);
  }

  /**
   * A will of an older connection overwrote our retained availability: say again that we are online. It may be our
   * own, of this very boot: a broker that ends the old connection only after this one said online (its keep-alive
   * check after a stall of the broker's process) publishes that will late, and the room would show offline while
   * we are here (issue 11's chaos, controller stalled 20 s).
   */
  private correctAvailability(seen: AvailabilityPayload): void {
    if (!this.client?.connected) return;
    if (seen.bootId === this.options.bootId) {
      if (seen.state !== "offline") return;
      this.options.log.info({ seen }, "this boot's own older connection's will corrected");
      this.publishOnline();
      return;
    }
    if (seen.state === "online") {
      this.options.log.error({ seen, boot: this.options.boot }, "another agent says it is online for this room");
      return;
    }
    this.options.log.info({ seen, boot: this.options.boot }, "stale availability on the broker corrected");
    this.publishOnline();
  }
}
