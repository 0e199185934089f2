// Requests (`…/request`) through one table: params checked by the action's schema, each request id applied once,
// never started past its deadline, and an id reused for another action or other params refused.
import { createHash } from "node:crypto";
import {
  type ActionName,
  actionParams,
  decodePayload,
  describeZodError,
  NOT_APPLIED_ERRORS,
  type RequestPayload,
  type ResponsePayload,
  requestFingerprint,
  requestPayload,
} from "@rc/protocol";
import type { Logger } from "pino";
import { AgentError } from "./agent-error.ts";
import type { AnswerJournal } from "./answer-journal.ts";

export type RequestHandler = (params: Record<string, unknown>, from: string) => Promise<unknown>;

export interface DispatcherOptions {
  /** How long an answered request id is remembered: a repeat within this time gets the same answer, unapplied. */
  memoryMs: number;
  memoryMaxEntries: number;
  /** The clock that deadlines are compared with (epoch milliseconds). */
  now?: () => number;
  /** Where answers are kept across restarts; without it they are remembered in memory only. */
  journal?: AnswerJournal;
}

/** Ten minutes, 2,000 ids: a client's retries come within seconds, a busy room answers far fewer. */
export const REQUEST_MEMORY: DispatcherOptions = { memoryMs: 10 * 60_000, memoryMaxEntries: 2000 };

interface Remembered {
  at: number;
  /** A hash of the request's action and params: a copy has the same, an id reused for something else has not. */
  fingerprint: string;
  /** One promise per request: copies that come while it still runs wait for the same answer. */
  response: Promise<ResponsePayload>;
  /** The answer once it came (what the journal keeps). */
  answer?: ResponsePayload;
}

export class RequestDispatcher {
  /** Keyed by request id alone: one dispatcher serves one room, and the controller matches answers by (room, id). */
  private readonly answers = new Map<string, Remembered>();

  constructor(
    private readonly handlers: ReadonlyMap<string, RequestHandler>,
    private readonly log: Logger,
    private readonly options: DispatcherOptions = REQUEST_MEMORY,
  ) {}

  /** Takes back the answers kept on disk before this start (still within the memory's time). */
  async restore(): Promise<void> {
    const oldest = this.now() - this.options.memoryMs;
    for (const entry of (await this.options.journal?.load()) ?? []) {
      if (entry.at < oldest) continue;
      this.answers.set(entry.id, { ...entry, response: Promise.resolve(entry.response), answer: entry.response });
    }
    this.forgetOld();
    if (this.answers.size > 0) this.log.info({ answers: this.answers.size }, "answered requests remembered from disk");
  }

  get actions(): string[] {
    return [...this.handlers.keys()].sort();
  }

  /** Returns the response to publish, or null for a message that cannot even be answered (no usable id). */
  async dispatch(payload: Buffer | string): Promise<ResponsePayload | null> {
    const decoded = decodePayload(requestPayload, payload);
    if (!decoded.ok) {
      const id = this.salvageId(payload);
      this.log.warn({ reason: decoded.reason, id }, "invalid request dropped");
      if (id === null) return null;
      return { id, ok: false, error: { code: "invalid_params", message: `invalid request: ${decoded.reason}` } };
    }
    const request = decoded.value;
    const { id, action } = request;
    let fingerprint: string;
    try {
      fingerprint = createHash("sha256").update(requestFingerprint(action, request.params)).digest("base64url");
    } catch (error) {
      this.log.warn({ id, action, err: String(error) }, "invalid request dropped");
      return { id, ok: false, error: { code: "invalid_params", message: "invalid request: params cannot be read" } };
    }
    this.forgetOld();
    const remembered = this.answers.get(id);
    if (remembered) {
      if (remembered.fingerprint !== fingerprint) {
        this.log.warn({ id, action }, "request id reused for another action refused");
        return { id, ok: false, error: { code: "conflict", message: "request id reused for another action" } };
      }
      this.log.info({ id, action }, "repeated request answered from memory");
      return remembered.response;
    }
    const expired = this.expired(request);
    if (expired) return expired;
    const entry: Remembered = { at: this.now(), fingerprint, response: Promise.resolve(null as never) };
    entry.response = this.apply(id, action, request.params, request.from).then((answer) =>
      this.keep(id, entry, answer),
    );
    this.answers.set(id, entry);
    return entry.response;
  }

  /**
   * Remembers an answer before it is sent: on disk too, so not even a restart of the agent and the controller
   * together can make a retry apply it twice. A refusal of a request never applied (its device not answering yet)
   * is no answer to keep: a retry may apply it.
   */
  private async keep(id: string, entry: Remembered, answer: ResponsePayload): Promise<ResponsePayload> {
    if (!answer.ok && NOT_APPLIED_ERRORS.has(answer.error.code)) {
      if (this.answers.get(id) === entry) this.answers.delete(id);
      return answer;
    }
    entry.answer = answer;
    const journal = this.options.journal;
    if (!journal) return answer;
    try {
      await journal.append({ id, at: entry.at, fingerprint: entry.fingerprint, response: answer });
      if (journal.length > 2 * this.options.memoryMaxEntries) {
        const kept = [...this.answers].flatMap(([keptId, { at, fingerprint, answer: response }]) =>
          response ? [{ id: keptId, at, fingerprint, response }] : [],
        );
        await journal.rewrite(kept);
      }
    } catch (error) {
      this.log.error(
        { id, err: (error as Error).message },
        "answer not kept on disk: a retry after a restart may apply it again",
      );
    }
    return answer;
  }

  /**
   * A request that arrives past its deadline (the agent was frozen, or its queue to the broker was long) was already
   * answered 504 by the controller: it is not started. Requests start the moment they arrive, so checking at arrival
   * is checking at start. Not remembered: a retry with the same id and a fresh deadline may still be applied, once.
   * No grace for clock skew: controller and agent are NTP-synced on a site (milliseconds against a time-out of
   * seconds) and share one clock in tests; an agent clock far ahead would refuse everything, and the message says by
   * how much, which points at the clock.
   */
  private expired(request: RequestPayload): ResponsePayload | null {
    const lateMs = this.now() - request.deadline;
    if (lateMs < 0) return null;
    this.log.warn({ id: request.id, action: request.action, lateMs }, "request past its deadline not started");
    return {
      id: request.id,
      ok: false,
      error: { code: "timeout", message: `request arrived ${lateMs} ms after its deadline: not applied` },
    };
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  private async apply(
    id: string,
    action: string,
    params: Record<string, unknown>,
    from: string,
  ): Promise<ResponsePayload> {
    const handler = this.handlers.get(action);
    const schema = actionParams[action as ActionName];
    if (!handler || !schema) {
      return { id, ok: false, error: { code: "unknown_action", message: `unknown action "${action}"` } };
    }
    const checked = schema.safeParse(params);
    if (!checked.success) {
      return { id, ok: false, error: { code: "invalid_params", message: describeZodError(checked.error) } };
    }
    try {
      const result = await handler(checked.data as Record<string, unknown>, from);
      this.log.info({ id, action, from }, "request applied");
      return { id, ok: true, result: result ?? null };
    } catch (error) {
      const known = error instanceof AgentError;
      if (!known) this.log.error({ id, action, err: error }, "request failed unexpectedly");
      else this.log.warn({ id, action, code: error.code, message: error.message }, "request refused");
      return {
        id,
        ok: false,
        error: known ? { code: error.code, message: error.message } : { code: "internal", message: String(error) },
      };
    }
  }

  private forgetOld(): void {
    const oldest = this.now() - this.options.memoryMs;
    for (const [id, entry] of this.answers) {
      if (entry.at >= oldest && this.answers.size < this.options.memoryMaxEntries) break;
      this.answers.delete(id);
    }
  }

  /** A request that fails its schema still deserves an answer when its id can be read. */
  private salvageId(payload: Buffer | string): string | null {
    try {
      const value = JSON.parse(payload.toString()) as { id?: unknown };
      return typeof value.id === "string" && value.id.length > 0 && value.id.length <= 128 ? value.id : null;
    } catch {
      return null;
    }
  }
}
