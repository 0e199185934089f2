// A whole site on loopback for integration tests: a controller (in this process), a broker (the embedded Aedes or
// a real Mosquitto 2 process with the repository's ACL file), registered rooms, each with a line device and an
// agent process started on demand. The REST API and socket.io want credentials: `site.fetch` calls as the site's
// admin (`site.adminToken`), `site.user` makes a user of another role with a token of its own.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import {
  addToken,
  addUser,
  Controller,
  type ControllerOptions,
  controllerCredentials,
  DEFAULT_CONTROLLER_OPTIONS,
  type Role,
  registerRoom,
  Store,
  writeMosquittoFiles,
} from "@rc/controller";
import {
  type ClientToServerEvents,
  CONTROLLER_USERNAME,
  clientIdOf,
  type EventPayload,
  type ServerToClientEvents,
  topics,
} from "@rc/protocol";
import { LineDevice } from "@rc/simulators";
import mqtt, { type MqttClient } from "mqtt";
import { pino } from "pino";
import { io, type Socket } from "socket.io-client";
import { launchMosquitto, startMosquitto } from "./mosquitto.ts";
import { freePort, type ManagedProcess, startTs } from "./processes.ts";

export type BrokerKind = "embedded" | "mosquitto";

export interface SiteOptions {
  requestTimeoutMs?: number;
  /** The controller's alarms, history and notifications (e.g. a short debounce, local webhook and SMTP servers). */
  health?: ControllerOptions["health"];
  /** More of a room's profile: devices beside its line device (e.g. simulated cameras), seats, probe timing, director. */
  extend?: (room: string) => {
    devices?: object[];
    seats?: object[];
    probe?: { intervalMs: number; offlineAfter: number };
    director?: object;
  };
}

/** The password every simulated camera of a test site uses, given to agents as RC_CAMERA_PASSWORD. */
export const SITE_CAMERA_PASSWORD = "admin";

export interface SiteRoom {
  id: string;
  profile: string;
  credentialsFile: string;
  password: string;
  device: LineDevice;
  dataDir: string;
}

export class TestSite {
  readonly dir = mkdtempSync(join(tmpdir(), "rc-site-"));
  readonly rooms = new Map<string, SiteRoom>();
  /** Every log line of the in-process controller, as JSON text. */
  readonly controllerLog: string[] = [];
  controller!: Controller;
  private controllerOptions!: ControllerOptions;
  mqttPort = 0;
  private mosquitto: ManagedProcess | undefined;
  private readonly watchers: MqttClient[] = [];
  controllerPassword = "";
  /** An API token of the site's admin ("admin"): what `fetch` sends. */
  adminToken = "";

  private constructor(readonly broker: BrokerKind) {}

  static async create(broker: BrokerKind, roomIds: string[], options: SiteOptions = {}): Promise<TestSite> {
    const site = new TestSite(broker);
    await site.setUp(roomIds, options);
    return site;
  }

  get brokerUrl(): string {
    return `mqtt://127.0.0.1:${this.mqttPort}`;
  }

  get httpUrl(): string {
    return this.controller.httpUrl;
  }

  room(id: string): SiteRoom {
    const room = this.rooms.get(id);
    if (!room) throw new Error(`no room ${id} in this site`);
    return room;
  }

  private async setUp(roomIds: string[], options: SiteOptions): Promise<void> {
    const dataDir = join(this.dir, "controller");
    const store = new Store(dataDir);
    await store.open();
    this.controllerPassword = await controllerCredentials(store);
    await addUser(store, { name: "admin", role: "admin" });
    this.adminToken = (await addToken(store, "admin", "tests")).token;
    for (const id of roomIds) {
      const { password } = await registerRoom(store, { id, name: `Phòng ${id}`, level: "commune", parent: null });
      const device = new LineDevice();
      await device.start();
      const profile = join(this.dir, `${id}.json`);
      const extra = options.extend?.(id) ?? {};
      writeFileSync(
        profile,
        JSON.stringify({
          version: 1,
          id,
          name: `Phòng ${id}`,
          level: "commune",
          parent: null,
          telemetryIntervalS: 1,
          probe: extra.probe ?? { intervalMs: 500, offlineAfter: 2 },
          devices: [{ id: "thu", kind: "test", connection: { port: device.address.port } }, ...(extra.devices ?? [])],
          seats: extra.seats ?? [],
          ...(extra.director ? { director: extra.director } : {}),
        }),
      );
      const credentialsFile = join(this.dir, `${id}.credentials.json`);
      writeFileSync(credentialsFile, JSON.stringify({ username: id, password }));
      this.rooms.set(id, { id, profile, credentialsFile, password, device, dataDir: join(this.dir, `agent-${id}`) });
    }
    this.mqttPort = await freePort();
    if (this.broker === "mosquitto") {
      // Mosquitto's logins and ACL as the controller writes them for a real site (`controller mosquitto write`).
      await writeMosquittoFiles(store, this.dir, this.controllerPassword);
      this.mosquitto = await startMosquitto(this.dir, this.mqttPort);
    }
    const log = pino(
      { level: "debug" },
      new Writable({
        write: (chunk, _encoding, done) => {
          this.controllerLog.push(...chunk.toString().trimEnd().split("\n"));
          done();
        },
      }),
    );
    this.controllerOptions = {
      ...DEFAULT_CONTROLLER_OPTIONS,
      dataDir,
      ...(this.broker === "mosquitto" ? { brokerUrl: this.brokerUrl } : {}),
      mqttPort: this.mqttPort,
      httpPort: 0,
      requestTimeoutMs: options.requestTimeoutMs ?? 3000,
      resyncGraceMs: 5000,
      ...(options.health ? { health: options.health } : {}),
      log,
    };
    this.controller = new Controller(this.controllerOptions);
    await this.controller.start();
  }

  /**
   * Stops the controller (with the embedded broker, the broker too: every retained message is lost) and starts a new
   * one on the same store, broker port and HTTP port, as a restarted controller process would. `downMs` later.
   */
  async restartController(downMs = 200): Promise<void> {
    await this.stopController();
    await new Promise((resolve) => setTimeout(resolve, downMs));
    await this.startController();
  }

  /** Stops the controller (with the embedded broker, the broker too) until `startController`: the centre is gone. */
  async stopController(): Promise<void> {
    this.controllerOptions = { ...this.controllerOptions, httpPort: Number(new URL(this.controller.httpUrl).port) };
    await this.controller.stop();
  }

  /** A new controller on the same store, broker port and HTTP port, as a restarted controller process would be. */
  async startController(): Promise<void> {
    this.controller = new Controller(this.controllerOptions);
    await this.controller.start();
  }

  /** Stops the broker (the embedded one, or the Mosquitto process, which loses every retained message) and starts it again. */
  async restartBroker(downMs = 500): Promise<void> {
    if (this.broker === "embedded") {
      await this.controller.broker!.stop();
      await new Promise((resolve) => setTimeout(resolve, downMs));
      await this.controller.broker!.start();
      return;
    }
    await this.mosquitto!.stop("SIGKILL");
    await new Promise((resolve) => setTimeout(resolve, downMs));
    this.mosquitto = await launchMosquitto(join(this.dir, "mosquitto.conf"));
  }

  /** The agent's arguments for one of the site's rooms: its profile, the broker, its credentials and data folder. */
  agentArgs(id: string): string[] {
    const room = this.room(id);
    return [
      "--room",
      room.profile,
      "--broker",
      this.brokerUrl,
      "--credentials",
      room.credentialsFile,
      "--data",
      room.dataDir,
    ];
  }

  /** The room's agent from source, with a short keep-alive and extra environment (e.g. a media worker to try). */
  startAgent(id: string, { keepaliveS = 2, env = {} }: { keepaliveS?: number; env?: Record<string, string> } = {}) {
    return startTs(`agent ${id}`, "room-agent/src/cli.ts", [...this.agentArgs(id), "--keepalive", String(keepaliveS)], {
      RC_CAMERA_PASSWORD: SITE_CAMERA_PASSWORD,
      ...env,
    });
  }

  /**
   * fetch from the site's controller (`path` from /, or a whole URL), as the site's admin unless `init.headers` carry
   * an authorization of their own.
   */
  fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (!headers.has("authorization")) headers.set("authorization", `Bearer ${this.adminToken}`);
    return fetch(/^https?:/.test(path) ? path : `${this.httpUrl}${path}`, { ...init, headers });
  }

  /** A JSON request as the site's admin, and its status and JSON answer. */
  async call(method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await this.fetch(path, {
      method,
      headers: { "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  /** A user of the running controller with this role (an operator: bound to `rooms`), and an API token of theirs. */
  async user(name: string, role: Role, rooms: string[] = []): Promise<{ token: string; password: string }> {
    const { password } = await addUser(this.controller.store, { name, role, rooms });
    const { token } = await addToken(this.controller.store, name, "tests");
    return { token, password };
  }

  /** A socket.io client of the controller over websocket, logged in with this token (the site's admin's). */
  socket(token = this.adminToken): Socket<ServerToClientEvents, ClientToServerEvents> {
    return io(this.httpUrl, { transports: ["websocket"], auth: { token } });
  }

  /** A request to a room's agent through the REST API, as the site's admin. */
  async post(room: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await this.fetch(`/api/rooms/${room}/requests`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  /**
   * An MQTT client of the site's broker, logged in as `username` (the controller by default, or a room), with a
   * client id of that login as the broker demands; ended with the site.
   */
  async connectClient(
    username = CONTROLLER_USERNAME,
    password = username === CONTROLLER_USERNAME ? this.controllerPassword : this.room(username).password,
  ): Promise<MqttClient> {
    const client = await mqtt.connectAsync(this.brokerUrl, {
      protocolVersion: 4,
      username,
      password,
      reconnectPeriod: 0,
      clientId: clientIdOf(username, `test-${randomBytes(6).toString("hex")}`),
    });
    this.watchers.push(client);
    return client;
  }

  /** A room's events as they arrive, collected by a client logged in as the controller (ended with the site). */
  async watchEvents(room: string): Promise<EventPayload[]> {
    const events: EventPayload[] = [];
    const watcher = await this.connectClient();
    watcher.on("message", (_topic, payload) => events.push(JSON.parse(payload.toString()) as EventPayload));
    await watcher.subscribeAsync(topics.room(room, "events"), { qos: 1 });
    return events;
  }

  async stop(): Promise<void> {
    for (const watcher of this.watchers.splice(0)) await watcher.endAsync();
    await this.controller?.stop();
    await this.mosquitto?.stop("SIGKILL");
    for (const room of this.rooms.values()) await room.device.stop();
    // A media worker outlives a killed agent for a while and may still write its last segment: retry, do not throw.
    rmSync(this.dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  }
}
