// Prometheus text metrics at /metrics: what IT's monitoring scrapes.
import { DEVICE_STATUSES } from "@rc/protocol";
import type { RoomRegistry } from "./registry.ts";

export class Metrics {
  invalidMessages = 0;
  private readonly requestsByStatus = new Map<number, number>();

  constructor(private readonly registry: RoomRegistry) {}

  countRequest(status: number): void {
    this.requestsByStatus.set(status, (this.requestsByStatus.get(status) ?? 0) + 1);
  }

  render(): string {
    const rooms = { online: 0, offline: 0, unknown: 0 };
    const devices = Object.fromEntries(DEVICE_STATUSES.map((status) => [status, 0])) as Record<string, number>;
    for (const room of this.registry.list()) {
      rooms[room.availability.state]++;
      for (const health of Object.values(room.health)) devices[health.status] = (devices[health.status] ?? 0) + 1;
    }
    const lines = [
      "# HELP rc_rooms Registered rooms by agent availability.",
      "# TYPE rc_rooms gauge",
      ...Object.entries(rooms).map(([state, count]) => `rc_rooms{availability="${state}"} ${count}`),
      "# HELP rc_devices Devices by status.",
      "# TYPE rc_devices gauge",
      ...Object.entries(devices).map(([status, count]) => `rc_devices{status="${status}"} ${count}`),
      "# HELP rc_mqtt_invalid_messages_total MQTT messages dropped because they failed their schema.",
      "# TYPE rc_mqtt_invalid_messages_total counter",
      `rc_mqtt_invalid_messages_total ${this.invalidMessages}`,
      "# HELP rc_requests_total REST requests to rooms by HTTP status.",
      "# TYPE rc_requests_total counter",
      ...[...this.requestsByStatus].map(([status, count]) => `rc_requests_total{status="${status}"} ${count}`),
    ];
    return `${lines.join("\n")}\n`;
  }
}
