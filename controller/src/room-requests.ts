// A REST request becomes an MQTT request to the agent and waits for the response with the same id.
import { randomUUID } from "node:crypto";
import {
  type ErrorCode,
  encodePayload,
  httpStatusOfError,
  type RequestPayload,
  type ResponsePayload,
  requestPayload,
  topics,
} from "@rc/protocol";
import type { MqttClient } from "mqtt";
import type { Logger } from "pino";

export interface RequestOutcome {
  status: number;
  body:
    | { id: string; ok: true; result: unknown }
    | { id: string; ok: false; error: { code: ErrorCode; message: string } };
}

interface Pending {
  room: string;
  resolve: (response: ResponsePayload) => void;
}

export class RoomRequests {
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly client: () => MqttClient | undefined,
    private readonly timeoutMs: number,
    private readonly log: Logger,
  ) {}

  /** Sends a request; the same `id` sent again is answered by the agent from its memory, not applied twice. */
  async send(
    room: string,
    action: string,
    params: Record<string, unknown>,
    from: string,
    id: string = randomUUID(),
  ): Promise<RequestOutcome> {
    const client = this.client();
    if (!client?.connected)
      return failure(id, "device_unavailable", "the controller is not connected to the broker", 503);
    const request: RequestPayload = { id, action, params, from };
    const response = new Promise<ResponsePayload | null>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve(null);
      }, this.timeoutMs);
      this.pending.set(id, {
        room,
        resolve: (answer) => {
          clearTimeout(timer);
          this.pending.delete(id);
          resolve(answer);
        },
      });
    });
    client.publish(topics.room(room, "request"), encodePayload(requestPayload, request), { qos: 1 });
    const answer = await response;
    if (answer === null) {
      this.log.warn({ room, id, action }, "request timed out");
      return failure(id, "timeout", `room ${room} did not answer within ${this.timeoutMs} ms`, 504);
    }
    if (answer.ok) return { status: 200, body: { id, ok: true, result: answer.result } };
    return { status: httpStatusOfError[answer.error.code], body: answer };
  }

  /** A response from a room; one for another room's request, or for nothing we sent, is logged and dropped. */
  response(room: string, response: ResponsePayload): void {
    const pending = this.pending.get(response.id);
    if (!pending) {
      this.log.debug({ room, id: response.id }, "response to no pending request dropped");
      return;
    }
    if (pending.room !== room) {
      this.log.warn({ room, expected: pending.room, id: response.id }, "response from the wrong room dropped");
      return;
    }
    pending.resolve(response);
  }
}

function failure(id: string, code: ErrorCode, message: string, status: number): RequestOutcome {
  return { status, body: { id, ok: false, error: { code, message } } };
}
