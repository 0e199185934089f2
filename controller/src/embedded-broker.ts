// The zero-set-up broker: Aedes on loopback, with the store's credentials and the ACL. The controller talks to it
// as an ordinary MQTT client, so a real site swaps it for Mosquitto or EMQX with a URL.
// It is reachable before any login, so it spends little on strangers: a connect budget per address, a byte limit
// before login and a packet limit after it, a connect timeout, client ids bound to their login, and every hook
// caught, so no packet can throw inside the controller's process.
import type { EventEmitter } from "node:events";
import { type AddressInfo, createServer, type Server, type Socket } from "node:net";
import { CONTROLLER_USERNAME, loginOfClientId } from "@rc/protocol";
import { Aedes, type AuthenticateError, type Client } from "aedes";
import type { Logger } from "pino";
import { mayPublish, maySubscribe } from "./acl.ts";
import { type ConnectBudget, ConnectRateLimit, type PacketLimits, PacketMeter } from "./connection-guard.ts";
import { type PasswordHash, VerifiedPasswords } from "./credentials.ts";
import type { Store } from "./store.ts";

export interface BrokerLimits {
  /** Connects per remote address that have not (yet) proven a login. */
  connect: ConnectBudget;
  packets: PacketLimits;
  /** How long a socket may stay open without a CONNECT. */
  connectTimeoutMs: number;
}

export const DEFAULT_BROKER_LIMITS: BrokerLimits = {
  // A whole site behind one NAT reconnecting after a broker restart proves its logins, which gives tokens back.
  connect: { burst: 20, perSecond: 5 },
  packets: {
    // A CONNECT with its will is a few hundred bytes.
    beforeLogin: 8 * 1024,
    // The biggest legitimate packet is an agent's retained info: every action's JSON Schema (26 actions: 8 KB),
    // the room and each device's capabilities — tens of KB at most; 256 KB leaves a wide margin.
    packet: 256 * 1024,
  },
  connectTimeoutMs: 10_000,
};

export interface EmbeddedBrokerOptions {
  host: string;
  port: number;
  store: Store;
  log: Logger;
  limits?: BrokerLimits;
}

/** MQTT 3.1.1 CONNACK return codes the broker answers with (it closes the connection after them). */
const IDENTIFIER_REJECTED = 2;
const SERVER_UNAVAILABLE = 3;
const BAD_USERNAME_OR_PASSWORD = 4;

/** How much of a stranger's username or client id goes into a log line. */
const LOGGED_CHARS = 100;
/** How long a stopping broker waits for its connections to close before it cuts them off. */
const STOP_GRACE_MS = 1000;

interface SocketGuard {
  address: string;
  meter: PacketMeter;
}

export class EmbeddedBroker {
  private aedes: Aedes | undefined;
  private server: Server | undefined;
  private readonly passwords: VerifiedPasswords;
  private readonly limits: BrokerLimits;
  private readonly guards = new WeakMap<object, SocketGuard>();
  /** Every open connection, to cut off those still open when the broker stops. */
  private readonly sockets = new Set<Socket>();
  private connectLimit: ConnectRateLimit;

  constructor(private readonly options: EmbeddedBrokerOptions) {
    this.limits = options.limits ?? DEFAULT_BROKER_LIMITS;
    this.connectLimit = new ConnectRateLimit(this.limits.connect);
    this.passwords = new VerifiedPasswords({
      dir: options.store.dataDir,
      onSaveError: (error) => options.log.warn({ err: error.message }, "could not save a proven broker login"),
    });
  }

  get url(): string {
    const address = this.server?.address() as AddressInfo | undefined;
    return `mqtt://${this.options.host}:${address?.port ?? this.options.port}`;
  }

  async start(): Promise<void> {
    const { log } = this.options;
    await this.passwords.start();
    this.connectLimit = new ConnectRateLimit(this.limits.connect);
    const aedes = await Aedes.createBroker({
      connectTimeout: this.limits.connectTimeoutMs,
      authenticate: (client, username, password, done) => {
        const answer = once(done);
        this.authenticate(client, username, password).then(
          (refusal) => (refusal ? answer(refusal, false) : answer(null, true)),
          (error: Error) => {
            log.error({ err: error.message }, "broker login check failed");
            answer(refusal(SERVER_UNAVAILABLE, "server unavailable"), false);
          },
        );
      },
      authorizePublish: (client, packet, done) => {
        try {
          const username = usernameOf(client);
          if (client === null || mayPublish(username, packet.topic)) return done(null);
          log.warn({ username, topic: packet.topic.slice(0, 200) }, "broker refused a publish (ACL)");
          done(new Error("not authorised"));
        } catch (error) {
          log.error({ err: (error as Error).message }, "broker publish check failed");
          done(new Error("not authorised"));
        }
      },
      authorizeSubscribe: (client, subscription, done) => {
        try {
          const username = usernameOf(client);
          if (maySubscribe(username, subscription.topic)) return done(null, subscription);
          log.warn({ username, filter: subscription.topic.slice(0, 200) }, "broker refused a subscription (ACL)");
          done(null, null); // SUBACK 0x80 for that filter; the client stays connected
        } catch (error) {
          log.error({ err: (error as Error).message }, "broker subscription check failed");
          done(null, null);
        }
      },
    });
    // Aedes reports a broken client or connection here; an 'error' without a listener would throw.
    aedes.on("clientError", (client, error) => log.debug({ clientId: client.id, err: error.message }, "client error"));
    aedes.on("connectionError", (_client, error) => log.debug({ err: error.message }, "connection error"));
    (aedes as EventEmitter).on("error", (error: Error) => log.error({ err: error.message }, "broker error"));
    this.aedes = aedes;
    const server = createServer((socket) => this.accept(aedes, socket));
    server.on("error", (error) => log.error({ err: error.message }, "broker listener error"));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.options.port, this.options.host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    this.server = server;
    log.info({ url: this.url }, "embedded MQTT broker listening");
  }

  async stop(): Promise<void> {
    const server = this.server;
    const aedes = this.aedes;
    this.server = undefined;
    this.aedes = undefined;
    // Stop taking connections first: one accepted while Aedes closes would be handled by no one and hold the
    // listener open. One still open a second later (a client mid-login) is cut off, so a stop never hangs.
    const closed = new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    if (aedes) await new Promise<void>((resolve) => aedes.close(() => resolve()));
    const cutOff = setTimeout(() => {
      for (const socket of this.sockets) socket.destroy();
    }, STOP_GRACE_MS);
    await closed;
    clearTimeout(cutOff);
    await this.passwords.stop();
  }

  private accept(aedes: Aedes, socket: Socket): void {
    const { log } = this.options;
    socket.on("error", () => {}); // a reset peer is no fault of ours; Aedes reports errors of the clients it handles
    this.sockets.add(socket);
    socket.once("close", () => this.sockets.delete(socket));
    const address = socket.remoteAddress ?? "unknown";
    if (!this.connectLimit.take(address)) {
      // Closed before a byte is read: no parsing, no scrypt. Logged at debug: a flood must not flood the log.
      log.debug({ address }, "broker refused a connection (connect rate)");
      socket.destroy();
      return;
    }
    socket.setNoDelay(true); // see connectMqtt: small packets must not wait for ACKs
    const meter = new PacketMeter(socket, this.limits.packets, (reason) =>
      log.warn({ address, reason }, "broker closed a connection (packet size)"),
    );
    try {
      aedes.handle(socket);
    } catch (error) {
      log.error({ err: (error as Error).message }, "broker could not take a connection");
      socket.destroy();
      return;
    }
    meter.start(); // after Aedes has put the socket in paused mode: the meter sees each chunk as Aedes reads it
    this.guards.set(socket, { address, meter });
  }

  /** Null when the client may connect; otherwise the refusal, with its CONNACK return code. */
  private async authenticate(
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
  ): Promise<AuthenticateError | null> {
    const { store, log } = this.options;
    const login = username ?? "";
    // A client id belongs to the login before its first ':', so no login can take over another's session (MQTT
    // closes the older connection with the same id). Checked first: it costs nothing, unlike the password.
    if (loginOfClientId(client.id) !== login) {
      log.warn(
        { clientId: client.id.slice(0, LOGGED_CHARS), username: login.slice(0, LOGGED_CHARS) },
        loginOfClientId(client.id) === CONTROLLER_USERNAME
          ? "broker refused the controller's client id of another login"
          : "broker refused a client id of another login",
      );
      // Identifier rejected, not "not authorized": the login may be fine, the id is what is wrong — and it tells
      // a misconfigured agent's operator exactly that.
      return refusal(IDENTIFIER_REJECTED, "identifier rejected");
    }
    // Own members only: a username like "toString" or "__proto__" must find nothing, not Object.prototype's.
    const credentials = store.data.credentials as Record<string, PasswordHash>;
    const stored = Object.hasOwn(credentials, login) ? credentials[login] : undefined;
    const ok = await this.passwords.verify(login, password?.toString() ?? "", stored);
    if (!ok) {
      log.warn(
        { clientId: client.id.slice(0, LOGGED_CHARS), username: login.slice(0, LOGGED_CHARS) },
        "broker refused a login",
      );
      return refusal(BAD_USERNAME_OR_PASSWORD, "bad user name or password");
    }
    Object.assign(client, { rcUsername: login });
    const guard = this.guards.get(client.conn);
    if (guard) {
      guard.meter.login();
      this.connectLimit.giveBack(guard.address);
    }
    return null;
  }
}

function refusal(returnCode: number, message: string): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
}

/** Aedes must hear the answer to a login once, whatever happens after. */
function once<A extends unknown[]>(callback: (...args: A) => void): (...args: A) => void {
  let called = false;
  return (...args: A) => {
    if (called) return;
    called = true;
    callback(...args);
  };
}

/** Aedes does not keep the CONNECT username: authenticate() stores it on the client for the ACL checks. */
function usernameOf(client: { id: string } | null): string {
  return (client as { rcUsername?: string } | null)?.rcUsername ?? "";
}
