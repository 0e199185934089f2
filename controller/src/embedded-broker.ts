// The zero-set-up broker: Aedes on loopback, with the store's credentials and the ACL. The controller talks to it
// as an ordinary MQTT client, so a real site swaps it for Mosquitto or EMQX with a URL.
import { type AddressInfo, createServer, type Server } from "node:net";
import { Aedes } from "aedes";
import type { Logger } from "pino";
import { mayPublish, maySubscribe } from "./acl.ts";
import { VerifiedPasswords } from "./credentials.ts";
import type { Store } from "./store.ts";

export interface EmbeddedBrokerOptions {
  host: string;
  port: number;
  store: Store;
  log: Logger;
}

/** MQTT CONNACK return code 4: bad user name or password (the broker answers, then closes). */
const BAD_USERNAME_OR_PASSWORD = 4;

export class EmbeddedBroker {
  private aedes: Aedes | undefined;
  private server: Server | undefined;
  private readonly passwords = new VerifiedPasswords();

  constructor(private readonly options: EmbeddedBrokerOptions) {}

  get url(): string {
    const address = this.server?.address() as AddressInfo | undefined;
    return `mqtt://${this.options.host}:${address?.port ?? this.options.port}`;
  }

  async start(): Promise<void> {
    const { store, log } = this.options;
    const aedes = await Aedes.createBroker({
      authenticate: (client, username, password, done) => {
        const stored = username ? store.data.credentials[username] : undefined;
        void this.passwords.verify(username ?? "", password?.toString() ?? "", stored).then((ok) => {
          if (ok) {
            Object.assign(client, { rcUsername: username });
            return done(null, true);
          }
          log.warn({ clientId: client.id, username }, "broker refused a login");
          const error = Object.assign(new Error("bad user name or password"), { returnCode: BAD_USERNAME_OR_PASSWORD });
          done(error, false);
        });
      },
      authorizePublish: (client, packet, done) => {
        const username = usernameOf(client);
        if (client === null || mayPublish(username, packet.topic)) return done(null);
        log.warn({ username, topic: packet.topic.slice(0, 200) }, "broker refused a publish (ACL)");
        done(new Error("not authorised"));
      },
      authorizeSubscribe: (client, subscription, done) => {
        const username = usernameOf(client);
        if (maySubscribe(username, subscription.topic)) return done(null, subscription);
        log.warn({ username, filter: subscription.topic.slice(0, 200) }, "broker refused a subscription (ACL)");
        done(null, null); // SUBACK 0x80 for that filter; the client stays connected
      },
    });
    aedes.on("clientError", (client, error) => log.debug({ clientId: client.id, err: error.message }, "client error"));
    this.aedes = aedes;
    const server = createServer((socket) => {
      socket.setNoDelay(true); // see connectMqtt: small packets must not wait for ACKs
      aedes.handle(socket);
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.options.port, this.options.host, () => resolve());
    });
    this.server = server;
    log.info({ url: this.url }, "embedded MQTT broker listening");
  }

  async stop(): Promise<void> {
    const server = this.server;
    const aedes = this.aedes;
    this.server = undefined;
    this.aedes = undefined;
    if (aedes) await new Promise<void>((resolve) => aedes.close(() => resolve()));
    if (server) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }
}

/** Aedes does not keep the CONNECT username: authenticate() stores it on the client for the ACL checks. */
function usernameOf(client: { id: string } | null): string {
  return (client as { rcUsername?: string } | null)?.rcUsername ?? "";
}
