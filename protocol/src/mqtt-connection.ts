// How every part of the system connects to the broker: MQTT 3.1.1 (Aedes speaks no 5), reconnect every second,
// a clean session (agents re-publish and re-subscribe on every connect), no queueing of QoS 0 telemetry while
// offline, Nagle off so a small command is not held back waiting for an ACK (it cost ~40 ms per hop), and no table
// of 65,536 pre-made two-byte buffers for packet ids (mqtt-packet's default: 6 MB of a room agent's heap).
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";

export interface ConnectOptions {
  clientId: string;
  username: string;
  password: string;
  keepaliveS: number;
  /** What the broker says when this client dies; none for a short-lived client (a commissioning check). */
  will?: { topic: string; payload: string };
  /** For mqtts://: the CA that signed the broker's certificate (PEM). The server is always verified. */
  ca?: Buffer;
}

export function connectMqtt(url: string, options: ConnectOptions): MqttClient {
  const clientOptions: IClientOptions = {
    protocolVersion: 4,
    clientId: options.clientId,
    username: options.username,
    password: options.password,
    keepalive: options.keepaliveS,
    reconnectPeriod: 1000,
    connectTimeout: 5000,
    clean: true,
    queueQoSZero: false,
    writeCache: false,
    ...(options.will
      ? { will: { topic: options.will.topic, payload: Buffer.from(options.will.payload), qos: 1, retain: true } }
      : {}),
    ...(options.ca ? { ca: options.ca, rejectUnauthorized: true } : {}),
  };
  const client = mqtt.connect(url, clientOptions);
  client.on("connect", () => (client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true));
  return client;
}
