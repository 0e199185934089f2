// The controller's composition root: store → sessions → (embedded broker) → MQTT client → registry → HTTP + socket.io.
import { randomBytes } from "node:crypto";
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import {
  CONTROLLER_USERNAME,
  clientIdOf,
  controllerResyncPayload,
  controllerStatusPayload,
  decodeMessage,
  encodePayload,
  topics,
} from "@rc/protocol";
import { connectMqtt } from "@rc/protocol/mqtt";
import type { MqttClient } from "mqtt";
import type { Logger } from "pino";
import { type ArchiveSettings, RecordingArchive } from "./archive.ts";
import { AuditLog } from "./audit-log.ts";
import { Authenticator } from "./auth.ts";
import { controllerCredentials } from "./controller-credentials.ts";
import { DesiredStates } from "./desired-states.ts";
import { EmbeddedBroker } from "./embedded-broker.ts";
import { DEFAULT_HEALTH_SETTINGS, Health, type HealthSettings } from "./health.ts";
import { createHttpApi } from "./http-api.ts";
import { LatestPerKey } from "./latest-per-key.ts";
import { Metrics } from "./metrics.ts";
import { Realtime } from "./realtime.ts";
import { RoomRegistry } from "./registry.ts";
import { RoomRequests } from "./room-requests.ts";
import { Schedules } from "./schedules.ts";
import { Sessions } from "./sessions.ts";
import { Store } from "./store.ts";
import { createFirstAdmin } from "./users.ts";

/** Where the audit log's day files are kept under the data folder. */
export function auditDirOf(dataDir: string): string {
  return join(dataDir, "audit");
}

export interface ControllerOptions {
  dataDir: string;
  /** An external broker (Mosquitto, EMQX); without it the embedded Aedes broker is started. */
  brokerUrl?: string;
  /** The controller's password at an external broker; by default the one kept under dataDir. */
  brokerPassword?: string;
  /** Where the embedded broker listens: loopback by default. */
  mqttHost: string;
  mqttPort: number;
  httpHost: string;
  httpPort: number;
  requestTimeoutMs: number;
  /** After a (re)connect, how long rooms have to answer the resync before they count as offline. */
  resyncGraceMs: number;
  /** With it, /metrics answers only `Authorization: Bearer <metricsToken>`. */
  metricsToken?: string;
  /** The recording archive's limits and retention (defaults: DEFAULT_ARCHIVE_SETTINGS). */
  archive?: Partial<ArchiveSettings>;
  /** Alarms, history and notifications (defaults: DEFAULT_HEALTH_SETTINGS). */
  health?: Partial<HealthSettings>;
  /**
   * Shows the admin created on a first start (no users yet) and its password, once. By default a line on stdout, never
   * the log: a password must not sit in log files.
   */
  showFirstAdmin?: (name: string, password: string) => void;
  log: Logger;
}

const LOCAL_WISH_INTERVAL_MS = 1000;

export const DEFAULT_CONTROLLER_OPTIONS = {
  mqttHost: "127.0.0.1",
  mqttPort: 1883,
  httpHost: "127.0.0.1",
  httpPort: 8080,
  requestTimeoutMs: 5000,
  resyncGraceMs: 10_000,
} as const;

export class Controller {
  readonly store: Store;
  readonly registry: RoomRegistry;
  readonly desired: DesiredStates;
  readonly sessions: Sessions;
  readonly schedules: Schedules;
  readonly archive: RecordingArchive;
  readonly audit: AuditLog;
  readonly health: Health;
  readonly auth: Authenticator;
  readonly broker: EmbeddedBroker | undefined;
  private client: MqttClient | undefined;
  private http: HttpServer | undefined;
  private realtime: Realtime | undefined;
  private stopWatching: (() => void) | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private readonly requests: RoomRequests;
  private readonly metrics: Metrics;
  private readonly log: Logger;
  private readonly startedAt = new Date().toISOString();
  /**
   * Local wishes, at most one a second per room (the latest): each one taken in is a store revision and an audit
   * entry, and a room that floods them (a fault, or a stolen room login) must not make the controller write at its rate.
   */
  private readonly localWishes = new LatestPerKey<unknown>(LOCAL_WISH_INTERVAL_MS, (room, data) => {
    void this.takeLocalWish(room, data);
  });

  constructor(private readonly options: ControllerOptions) {
    this.log = options.log;
    this.store = new Store(options.dataDir);
    this.registry = new RoomRegistry(options.log.child({ part: "registry" }));
    this.desired = new DesiredStates(
      this.store,
      this.registry,
      () => this.client,
      options.log.child({ part: "desired" }),
    );
    this.sessions = new Sessions({
      store: this.store,
      desired: this.desired,
      registry: this.registry,
      log: options.log.child({ part: "sessions" }),
    });
    this.metrics = new Metrics(this.registry, this.sessions);
    this.schedules = new Schedules(this.store, this.sessions, options.log.child({ part: "schedules" }));
    this.archive = new RecordingArchive({
      dataDir: options.dataDir,
      settings: options.archive,
      sessionKind: (id) =>
        Object.hasOwn(this.store.data.sessions, id) ? this.store.data.sessions[id]!.kind : undefined,
      log: options.log.child({ part: "archive" }),
    });
    this.audit = new AuditLog({ dir: auditDirOf(options.dataDir), log: options.log.child({ part: "audit" }) });
    this.health = new Health({
      dataDir: options.dataDir,
      registry: this.registry,
      settings: { ...DEFAULT_HEALTH_SETTINGS, ...options.health },
      log: options.log.child({ part: "health" }),
      onAlarm: (change, alarm) => this.realtime?.alarm(change, alarm.room, alarm.id),
    });
    this.metrics.activeAlarmsFrom(() => this.health.activeAlarmsBySeverity());
    this.auth = new Authenticator(this.store, options.log.child({ part: "auth" }));
    this.requests = new RoomRequests(
      () => this.client,
      options.requestTimeoutMs,
      options.log.child({ part: "requests" }),
    );
    this.broker = options.brokerUrl
      ? undefined
      : new EmbeddedBroker({
          host: options.mqttHost,
          port: options.mqttPort,
          store: this.store,
          log: options.log.child({ part: "broker" }),
        });
  }

  get brokerUrl(): string {
    return this.options.brokerUrl ?? this.broker!.url;
  }

  get httpUrl(): string {
    const address = this.http?.address() as AddressInfo | undefined;
    return `http://${this.options.httpHost}:${address?.port ?? this.options.httpPort}`;
  }

  async start(): Promise<void> {
    await this.store.open();
    const firstAdmin = await createFirstAdmin(this.store);
    if (firstAdmin) {
      this.log.warn({ user: firstAdmin.name }, "no users: created an admin; its password is shown once on stdout");
      const show =
        this.options.showFirstAdmin ??
        ((name, password) =>
          process.stdout.write(`first start: user "${name}" (admin) created, password: ${password} (shown once)\n`));
      show(firstAdmin.name, firstAdmin.password);
    }
    await this.audit.start();
    if (firstAdmin) {
      this.audit.record({
        who: { user: null, via: "controller", address: null },
        what: { action: "user.add", target: { user: firstAdmin.name } },
        params: { role: "admin", firstStart: true },
        result: { ok: true },
      });
    }
    const password = this.options.brokerPassword ?? (await controllerCredentials(this.store));
    this.registry.setRegistrations(Object.values(this.store.data.rooms));
    this.desired.show();
    await this.health.start();
    // A session live before a restart is live after it: its rooms' desired states are made to agree before publishing.
    await this.sessions.start();
    this.schedules.start();
    await this.archive.start();
    this.stopWatching = this.store.watch(() => void this.reloadStore());
    await this.broker?.start();
    this.connect(password);
    await this.listen();
    this.log.info({ http: this.httpUrl, broker: this.brokerUrl }, "controller started");
  }

  async stop(): Promise<void> {
    this.stopWatching?.();
    this.schedules.stop();
    this.sessions.stop();
    this.archive.stop();
    this.localWishes.stop();
    clearTimeout(this.resyncTimer);
    await this.realtime?.stop(); // also closes the HTTP server
    const client = this.client;
    this.client = undefined;
    if (client?.connected) {
      await client
        .publishAsync(topics.controllerStatus, this.status("offline"), { qos: 1, retain: true })
        .catch(() => {});
    }
    await client?.endAsync(true).catch(() => {});
    await this.broker?.stop();
    await this.health.stop();
    await this.audit.stop();
    this.log.info("controller stopped");
  }

  private async reloadStore(): Promise<void> {
    try {
      await this.store.reload();
      this.registry.setRegistrations(Object.values(this.store.data.rooms));
      this.desired.show();
      await this.sessions.reconcile("store"); // a room's SRT address may have changed
      this.desired.publishAll();
      this.log.info({ rooms: Object.keys(this.store.data.rooms).length }, "store reloaded");
    } catch (error) {
      this.log.error({ err: (error as Error).message }, "store changed but is invalid; keeping the previous content");
    }
  }

  private status(state: "online" | "offline"): string {
    return encodePayload(controllerStatusPayload, { state, startedAt: this.startedAt });
  }

  private connect(password: string): void {
    const client = connectMqtt(this.brokerUrl, {
      // Unguessable, so no other login can take the controller's session over (the broker also binds ids to logins).
      clientId: clientIdOf(CONTROLLER_USERNAME, randomBytes(12).toString("hex")),
      username: CONTROLLER_USERNAME,
      password,
      keepaliveS: 10,
      will: { topic: topics.controllerStatus, payload: this.status("offline") },
    });
    this.client = client;
    let wasConnected = false;
    client.on("connect", () => {
      wasConnected = true;
      this.log.info({ broker: this.brokerUrl }, "connected to the broker");
      client.subscribe(
        [
          topics.allRooms("availability"),
          topics.allRooms("info"),
          topics.allRooms("state"),
          topics.allRooms("events"),
          topics.allRooms("telemetry"),
          topics.allRooms("response"),
          topics.allHealth,
        ],
        { qos: 1 },
        (error) => {
          if (error) {
            this.log.error({ err: error.message }, "subscribe failed");
            return;
          }
          client.publish(topics.controllerStatus, this.status("online"), { qos: 1, retain: true });
          // The store owns what every room should be doing; a restarted broker or controller says it again.
          this.desired.publishAll();
          // A broker restarted without persistence lost every retained topic: ask the agents to say them again.
          client.publish(
            topics.controllerResync,
            encodePayload(controllerResyncPayload, { at: new Date().toISOString() }),
            {
              qos: 1,
            },
          );
          clearTimeout(this.resyncTimer);
          this.resyncTimer = setTimeout(() => this.registry.markUnknownOffline(), this.options.resyncGraceMs);
        },
      );
    });
    client.on("close", () => {
      if (!wasConnected) return;
      wasConnected = false;
      this.log.warn("lost the broker; room availability unknown until it is back");
      clearTimeout(this.resyncTimer);
      this.registry.markAllUnknown();
    });
    client.on("error", (error) => this.log.warn({ err: error.message }, "broker connection error"));
    client.on("message", (topic, payload) => {
      this.metrics.mqttReceived(topic);
      this.receive(topic, payload);
    });
    // Every publication, wherever in the controller it was made, leaves through here.
    client.on("packetsend", (packet) => {
      if (packet.cmd === "publish") this.metrics.mqttSent(packet.topic);
    });
  }

  private receive(topic: string, payload: Buffer): void {
    const message = decodeMessage(topic, payload);
    if (!message.ok) {
      this.metrics.mqttInvalid();
      this.log.warn({ topic: topic.slice(0, 200), reason: message.reason }, "invalid message dropped");
      return;
    }
    switch (message.kind) {
      case "availability":
        this.registry.availability(message.room, message.value);
        // An agent (re)connected, perhaps a new PC or one whose retained desired was lost: say what it should do.
        if (message.value.state === "online") this.desired.publish(message.room);
        break;
      case "info":
        this.registry.info(message.room, message.value);
        break;
      case "state":
        this.registry.state(message.room, message.value);
        break;
      case "health":
        this.registry.health(message.room, message.device, message.value);
        break;
      case "response":
        this.registry.touch(message.room);
        this.requests.response(message.room, message.value);
        break;
      case "telemetry":
        this.registry.telemetry(message.room, message.value);
        this.health.telemetry(message.room, message.value);
        break;
      case "events":
        this.registry.touch(message.room);
        if (message.value.type === "local_wish") this.localWishes.offer(message.room, message.value.data);
        this.health.event(message.room, message.value);
        this.realtime?.event(message.room, message.value);
        break;
      default:
        this.log.warn({ topic }, "message on a topic the controller does not handle dropped");
    }
  }

  /** A recording switched at the room's own panel: into the room's desired state, and into the audit log. */
  private async takeLocalWish(room: string, data: unknown): Promise<void> {
    try {
      const wish = await this.desired.localWish(room, data);
      if (!wish) return;
      this.audit.record({
        who: { user: null, via: "room-panel", address: null },
        what: { action: "media.record", target: { room } },
        params: { on: wish.recording, wish: wish.id },
        result: { ok: true },
      });
    } catch (error) {
      this.log.error(
        { room, err: (error as Error).message },
        "local wish not stored: the agent says it again on reconnect",
      );
    }
  }

  private async listen(): Promise<void> {
    const app = createHttpApi({
      auth: this.auth,
      registry: this.registry,
      requests: this.requests,
      metrics: this.metrics,
      metricsToken: this.options.metricsToken,
      brokerConnected: () => this.client?.connected ?? false,
      desired: this.desired,
      sessions: {
        sessions: this.sessions,
        schedules: this.schedules,
        registry: this.registry,
        store: this.store,
        archived: (session, room) => this.archive.list(session).filter((entry) => entry.room === room),
      },
      archive: { archive: this.archive, store: this.store, log: this.log.child({ part: "archive" }) },
      audit: { log: this.audit, dir: auditDirOf(this.options.dataDir) },
      health: {
        health: this.health,
        registry: this.registry,
        requests: this.requests,
        brokerConnected: () => this.client?.connected ?? false,
      },
    });
    const http = createServer(app);
    this.realtime = new Realtime(this.registry, this.sessions, this.auth, this.log.child({ part: "realtime" }));
    this.realtime.start(http);
    await new Promise<void>((resolve, reject) => {
      http.once("error", reject);
      http.listen(this.options.httpPort, this.options.httpHost, () => resolve());
    });
    this.http = http;
  }
}
