// Requests (`…/request`) through one table: params checked by the action's schema, each request id applied once.
import {
  type ActionName,
  actionParams,
  decodePayload,
  describeZodError,
  type ResponsePayload,
  requestPayload,
} from "@rc/protocol";
import type { Logger } from "pino";
import { AgentError } from "./agent-error.ts";

export type RequestHandler = (params: Record<string, unknown>, from: string) => Promise<unknown>;

export interface DispatcherOptions {
  /** How long an answered request id is remembered: a repeat within this time gets the same answer, unapplied. */
  memoryMs: number;
  memoryMaxEntries: number;
}

export class RequestDispatcher {
  private readonly answers = new Map<string, { at: number; response: Promise<ResponsePayload> }>();

  constructor(
    private readonly handlers: ReadonlyMap<string, RequestHandler>,
    private readonly log: Logger,
    private readonly options: DispatcherOptions = { memoryMs: 10 * 60_000, memoryMaxEntries: 2000 },
  ) {}

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
    this.forgetOld();
    const remembered = this.answers.get(request.id);
    if (remembered) {
      this.log.info({ id: request.id, action: request.action }, "repeated request answered from memory");
      return remembered.response;
    }
    const response = this.apply(request.id, request.action, request.params, request.from);
    this.answers.set(request.id, { at: Date.now(), response });
    return response;
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
    const oldest = Date.now() - this.options.memoryMs;
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
