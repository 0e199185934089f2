// A REST request becomes an MQTT request to the agent and waits for the response with the same (room, id).
import { randomUUID } from "node:crypto";
import {
  type ErrorCode,
  encodePayload,
  httpStatusOfError,
  type RequestPayload,
  type ResponsePayload,
  requestFingerprint,
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
  /** The request's action and params: a copy shares the outcome, another request with the same id is refused. */
  fingerprint: string;
  outcome: Promise<RequestOutcome>;
  answer: (response: ResponsePayload) => void;
}

export class RoomRequests {
  /** Per room, per request id: two rooms may be sent the same id at once, each answer goes to its own request. */
  private readonly pending = new Map<string, Map<string, Pending>>();

  constructor(
    private readonly client: () => MqttClient | undefined,
    private readonly timeoutMs: number,
    private readonly log: Logger,
  ) {}

  /**
   * Sends a request and waits for its answer until its deadline (now + the time-out), which the agent respects: a
   * request not started by then is never applied. Copies of the same (room, id, action, params) sent while one is
   * waiting share its outcome; the agent answers a later copy from its memory, applied once. The same id with
   * another action or params is refused (409), here while the first waits and by the agent afterwards.
   */
  send(
    room: string,
    action: string,
    params: Record<string, unknown>,
    from: string,
    id: string = randomUUID(),
  ): Promise<RequestOutcome> {
    const fingerprint = requestFingerprint(action, params);
    const waiting = this.pending.get(room)?.get(id);
    if (waiting) {
      if (waiting.fingerprint === fingerprint) return waiting.outcome;
      this.log.warn({ room, id, action }, "request id reused for another action refused");
      return Promise.resolve(failure(id, "conflict", "request id reused for another action", 409));
    }
    const client = this.client();
    if (!client?.connected) {
      return Promise.resolve(failure(id, "device_unavailable", "the controller is not connected to the broker", 503));
    }
    const deadline = Date.now() + this.timeoutMs;
    const request: RequestPayload = { id, action, params, from, deadline };
    let answer: (response: ResponsePayload) => void = () => {};
    const outcome = new Promise<RequestOutcome>((resolve) => {
      const timer = setTimeout(() => {
        this.forget(room, id);
        this.log.warn({ room, id, action }, "request timed out");
        resolve(
          failure(
            id,
            "timeout",
            `room ${room} did not answer within ${this.timeoutMs} ms; a request it had not started by then is not applied`,
            504,
          ),
        );
      }, this.timeoutMs);
      answer = (response) => {
        clearTimeout(timer);
        this.forget(room, id);
        resolve(
          response.ok
            ? { status: 200, body: { id, ok: true, result: response.result } }
            : { status: httpStatusOfError[response.error.code], body: response },
        );
      };
    });
    const ofRoom = this.pending.get(room) ?? new Map<string, Pending>();
    this.pending.set(room, ofRoom);
    ofRoom.set(id, { fingerprint, outcome, answer });
    client.publish(topics.room(room, "request"), encodePayload(requestPayload, request), { qos: 1 });
    return outcome;
  }

  /** A response from a room; one to a request this room is not waiting for (any more) is logged and dropped. */
  response(room: string, response: ResponsePayload): void {
    const pending = this.pending.get(room)?.get(response.id);
    if (!pending) {
      this.log.debug({ room, id: response.id }, "response to no pending request dropped");
      return;
    }
    pending.answer(response);
  }

  private forget(room: string, id: string): void {
    const ofRoom = this.pending.get(room);
    if (!ofRoom) return;
    ofRoom.delete(id);
    if (ofRoom.size === 0) this.pending.delete(room);
  }
}

function failure(id: string, code: ErrorCode, message: string, status: number): RequestOutcome {
  return { status, body: { id, ok: false, error: { code, message } } };
}
