// A REST request becomes an MQTT request to the agent and waits for the response with the same (room, id).
import { randomUUID } from "node:crypto";
import {
  type ErrorCode,
  encodePayload,
  httpStatusOfError,
  NOT_APPLIED_ERRORS,
  type RequestPayload,
  type ResponsePayload,
  type RoomView,
  requestFingerprint,
  requestId,
  requestPayload,
  topics,
} from "@rc/protocol";
import type { MqttClient } from "mqtt";
import type { Logger } from "pino";
import { z } from "zod";

/**
 * Why no request can reach the room's agent now (a 503), or null. Says whose link is down: a controller that lost the
 * broker (or stalled and was dropped by it) shows every room `unknown`, and blaming the rooms' agents would send
 * people to the wrong end.
 */
export function unreachableReason(room: RoomView, brokerConnected: boolean): string | null {
  if (!brokerConnected) return "the controller is not connected to the broker: it cannot reach any room";
  if (room.availability.state === "unknown")
    return `room ${room.id} is unknown: the controller has not heard from it since connecting to the broker`;
  if (room.availability.state !== "online")
    return `room ${room.id} is ${room.availability.state}: its agent is not connected`;
  return null;
}

/** What `POST /api/rooms/:id/requests` takes: an action of the contract and its params (checked by the action's schema). */
export const roomRequestBody = z.strictObject({
  action: z.string().min(1),
  params: z.record(z.string(), z.unknown()).default({}),
  /** A client retrying after a lost answer sends the same id again: the agent applies it once. */
  id: requestId.optional(),
});

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

export interface SentMemory {
  /** How long a sent request's fingerprint is kept, to refuse its id reused for something else (as the agent does). */
  ms: number;
  maxEntries: number;
}

/** Answers up to this size are kept for repeats (10,000 of them at most: a few tens of MB in the worst case). */
const KEPT_ANSWER_BYTES = 2048;

export class RoomRequests {
  /** Per room, per request id: two rooms may be sent the same id at once, each answer goes to its own request. */
  private readonly pending = new Map<string, Map<string, Pending>>();
  /**
   * Requests sent lately, by "room\nid" (a room id has no line break), oldest first: their fingerprint, and the
   * room's answer once it came (a small one: a snapshot is read again rather than kept).
   */
  private readonly sent = new Map<string, { at: number; fingerprint: string; answer?: RequestOutcome }>();

  constructor(
    private readonly client: () => MqttClient | undefined,
    private readonly timeoutMs: number,
    private readonly log: Logger,
    private readonly memory: SentMemory = { ms: 10 * 60_000, maxEntries: 10_000 },
  ) {}

  /**
   * The refusal of a request whose id this room was sent lately for another action or other params (409), or null.
   * Asked before anything acts on a request (a wanted fact changed in the store), and again by `send`.
   */
  refusal(room: string, id: string, action: string, params: Record<string, unknown>): RequestOutcome | null {
    return this.refusalOf(room, id, action, requestFingerprint(action, params));
  }

  private refusalOf(room: string, id: string, action: string, fingerprint: string): RequestOutcome | null {
    const known = this.pending.get(room)?.get(id)?.fingerprint ?? this.sentFingerprint(room, id);
    if (known === undefined || known === fingerprint) return null;
    this.log.warn({ room, id, action }, "request id reused for another action refused");
    return failure(id, "conflict", "request id reused for another action", 409);
  }

  /**
   * Sends a request and waits for its answer until its deadline (now + the time-out), which the agent respects: a
   * request not started by then is never applied. Copies of the same (room, id, action, params) sent while one is
   * waiting share its outcome; the agent answers a later copy from its memory, applied once. The same id with
   * another action or params is refused (409): here while the controller remembers the first, and by the agent.
   */
  send(
    room: string,
    action: string,
    params: Record<string, unknown>,
    from: string,
    id: string = randomUUID(),
  ): Promise<RequestOutcome> {
    const fingerprint = requestFingerprint(action, params);
    const refused = this.refusalOf(room, id, action, fingerprint);
    if (refused) return Promise.resolve(refused);
    const waiting = this.pending.get(room)?.get(id);
    if (waiting) return waiting.outcome;
    // A client retrying after a lost answer gets the room's answer again, not a second application: also when the
    // room's agent restarted since and no longer remembers the id.
    const answered = this.sent.get(`${room}\n${id}`)?.answer;
    if (answered) {
      this.log.info({ room, id, action }, "repeated request answered from the controller's memory");
      return Promise.resolve(answered);
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
        const answered: RequestOutcome = response.ok
          ? { status: 200, body: { id, ok: true, result: response.result } }
          : { status: httpStatusOfError[response.error.code], body: response };
        const sent = this.sent.get(`${room}\n${id}`);
        const kept = response.ok || !NOT_APPLIED_ERRORS.has(response.error.code);
        if (kept && sent?.fingerprint === fingerprint && JSON.stringify(answered.body).length <= KEPT_ANSWER_BYTES) {
          sent.answer = answered;
        }
        resolve(answered);
      };
    });
    const ofRoom = this.pending.get(room) ?? new Map<string, Pending>();
    this.pending.set(room, ofRoom);
    ofRoom.set(id, { fingerprint, outcome, answer });
    this.remember(room, id, fingerprint);
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

  private sentFingerprint(room: string, id: string): string | undefined {
    this.forgetOldSent();
    return this.sent.get(`${room}\n${id}`)?.fingerprint;
  }

  private remember(room: string, id: string, fingerprint: string): void {
    const key = `${room}\n${id}`;
    this.sent.delete(key); // re-inserted last: the map stays oldest first
    this.sent.set(key, { at: Date.now(), fingerprint });
    this.forgetOldSent();
  }

  private forgetOldSent(): void {
    const oldest = Date.now() - this.memory.ms;
    for (const [key, entry] of this.sent) {
      if (entry.at >= oldest && this.sent.size <= this.memory.maxEntries) break;
      this.sent.delete(key);
    }
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
