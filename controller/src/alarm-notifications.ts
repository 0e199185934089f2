// Telling people about alarms (issue 14 part 3): a webhook (JSON, signed with HMAC-SHA256 of the body in the
// X-RC-Signature header) and e-mail through an SMTP server (nodemailer). One notification per alarm raised, or in
// digest mode one per period listing the alarms raised in it. Nothing waits for a delivery: each channel has its own
// bounded queue, sends one at a time with a time limit per attempt, and retries a failure with exponential backoff
// and jitter; a channel that stays down is logged and given up on after the last attempt. Secrets (the webhook's key,
// the SMTP password inside its URL) are never logged: a channel is named by its host.
import { createHmac } from "node:crypto";
import nodemailer, { type Transporter } from "nodemailer";
import type { Logger } from "pino";
import type { Alarm } from "./alarms.ts";

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  attempts: number;
  firstDelayMs: number;
  maxDelayMs: number;
  /** An attempt that takes longer fails (a webhook that hangs). */
  attemptTimeoutMs: number;
}

export interface NotificationSettings {
  webhook: { url: string; secret: string } | null;
  email: { smtpUrl: string; from: string; to: string[] } | null;
  /** 0: one notification per alarm; else one digest per this many ms, of the alarms raised in it. */
  digestMs: number;
  retry: RetryPolicy;
  /** Deliveries waiting per channel beyond this drop the oldest (logged). */
  maxQueued: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  attempts: 8,
  firstDelayMs: 5000,
  maxDelayMs: 10 * 60_000,
  attemptTimeoutMs: 10_000,
};

export type AlarmNotice =
  | { type: "alarm"; alarm: Alarm }
  | { type: "digest"; from: string; to: string; alarms: Alarm[]; more: number };

/** The webhook's signature header: `sha256=` and the hex HMAC-SHA256 of the exact body bytes with the secret. */
export const SIGNATURE_HEADER = "x-rc-signature";

export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

interface Delivery {
  notice: AlarmNotice;
  attempt: number;
  due: number;
}

/** One channel's deliveries: one at a time, each attempt time-limited, failures retried later. */
class DeliveryQueue {
  private readonly items: Delivery[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private stopped = false;
  private inFlight: AbortController | undefined;

  constructor(
    readonly name: string,
    private readonly send: (notice: AlarmNotice, signal: AbortSignal) => Promise<void>,
    private readonly retry: RetryPolicy,
    private readonly maxQueued: number,
    private readonly log: Logger,
  ) {}

  push(notice: AlarmNotice): void {
    if (this.stopped) return;
    if (this.items.length >= this.maxQueued) {
      this.items.shift();
      this.log.error({ channel: this.name, maxQueued: this.maxQueued }, "notification queue full: oldest dropped");
    }
    this.items.push({ notice, attempt: 0, due: Date.now() });
    this.schedule();
  }

  /** How many deliveries wait (for tests and the logs). */
  get waiting(): number {
    return this.items.length + (this.running ? 1 : 0);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.inFlight?.abort();
    if (this.items.length > 0)
      this.log.warn({ channel: this.name, undelivered: this.items.length }, "stopping with notifications undelivered");
  }

  private schedule(): void {
    if (this.running || this.stopped || this.items.length === 0) return;
    clearTimeout(this.timer);
    const due = Math.min(...this.items.map((item) => item.due));
    this.timer = setTimeout(() => void this.runOne(), Math.max(0, due - Date.now()));
  }

  private async runOne(): Promise<void> {
    const now = Date.now();
    const index = this.items.findIndex((item) => item.due <= now);
    if (index < 0) return this.schedule();
    const [item] = this.items.splice(index, 1);
    this.running = true;
    try {
      await this.attempt(item!);
    } finally {
      this.running = false;
      this.schedule();
    }
  }

  private async attempt(item: Delivery): Promise<void> {
    const abort = new AbortController();
    this.inFlight = abort;
    const timer = setTimeout(
      () => abort.abort(new Error(`no answer within ${this.retry.attemptTimeoutMs} ms`)),
      this.retry.attemptTimeoutMs,
    );
    item.attempt++;
    try {
      await Promise.race([
        this.send(item.notice, abort.signal),
        new Promise<never>((_resolve, reject) => {
          abort.signal.addEventListener("abort", () => reject(abort.signal.reason), { once: true });
        }),
      ]);
      this.log.info({ channel: this.name, notice: item.notice.type, attempt: item.attempt }, "notification delivered");
    } catch (error) {
      const reason = (error as Error)?.message ?? String(error);
      if (this.stopped) return;
      if (item.attempt >= this.retry.attempts) {
        this.log.error(
          { channel: this.name, err: reason, attempts: item.attempt },
          "notification not delivered: gave up",
        );
        return;
      }
      const backoff = Math.min(this.retry.firstDelayMs * 2 ** (item.attempt - 1), this.retry.maxDelayMs);
      const delay = Math.round(backoff * (0.8 + Math.random() * 0.4));
      item.due = Date.now() + delay;
      this.items.push(item);
      this.log.warn(
        { channel: this.name, err: reason, attempt: item.attempt, retryInMs: delay },
        "notification failed",
      );
    } finally {
      clearTimeout(timer);
      this.inFlight = undefined;
    }
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "?";
  }
}

const MAX_DIGEST_ALARMS = 200;

function describeAlarm(alarm: Alarm): string {
  const what =
    alarm.kind === "link"
      ? `session ${alarm.session}: link to ${alarm.point}`
      : alarm.kind === "room"
        ? "room"
        : alarm.kind === "disk"
          ? `recording disk (${alarm.device})`
          : `device ${alarm.device}`;
  return `[${alarm.severity}] ${alarm.room}: ${what} ${alarm.status} since ${alarm.raisedAt} — ${alarm.detail}`;
}

/** The e-mail of a notice: subject and plain text. */
export function emailOf(notice: AlarmNotice): { subject: string; text: string } {
  if (notice.type === "alarm") {
    const { alarm } = notice;
    return {
      subject:
        `[RC alarm] ${alarm.severity.toUpperCase()} ${alarm.room}: ${alarm.kind} ${alarm.device ?? alarm.point ?? ""} ${alarm.status}`.replace(
          /\s+/g,
          " ",
        ),
      text: `${describeAlarm(alarm)}\n\nAlarm ${alarm.id}.\n`,
    };
  }
  const lines = notice.alarms.map(describeAlarm);
  if (notice.more > 0) lines.push(`… and ${notice.more} more`);
  return {
    subject: `[RC alarms] ${notice.alarms.length + notice.more} raised between ${notice.from} and ${notice.to}`,
    text: `${lines.join("\n")}\n`,
  };
}

export class AlarmNotifications {
  private readonly queues: DeliveryQueue[] = [];
  private transport: Transporter | undefined;
  private digest: Alarm[] = [];
  private digestMore = 0;
  private digestFrom = new Date();
  private digestTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly settings: NotificationSettings,
    private readonly log: Logger,
  ) {}

  start(): void {
    const { webhook, email, retry, maxQueued } = this.settings;
    if (webhook) {
      const name = `webhook ${hostOf(webhook.url)}`;
      this.queues.push(
        new DeliveryQueue(name, (notice, signal) => this.post(notice, signal), retry, maxQueued, this.log),
      );
    }
    if (email) {
      const seconds = retry.attemptTimeoutMs;
      this.transport = nodemailer.createTransport({
        url: email.smtpUrl,
        connectionTimeout: seconds,
        greetingTimeout: seconds,
        socketTimeout: seconds,
      });
      const name = `e-mail ${hostOf(email.smtpUrl)}`;
      this.queues.push(new DeliveryQueue(name, (notice) => this.mail(notice), retry, maxQueued, this.log));
    }
    if (this.settings.digestMs > 0 && this.queues.length > 0) {
      this.digestFrom = new Date();
      this.digestTimer = setInterval(() => this.sendDigest(), this.settings.digestMs);
    }
    if (this.queues.length > 0)
      this.log.info(
        { channels: this.queues.map((queue) => queue.name), digestMs: this.settings.digestMs },
        "alarm notifications on",
      );
  }

  stop(): void {
    clearInterval(this.digestTimer);
    for (const queue of this.queues) queue.stop();
    this.transport?.close();
  }

  /** A raised alarm: told at once, or in the next digest. Never waits. */
  raised(alarm: Alarm): void {
    if (this.queues.length === 0) return;
    if (this.settings.digestMs > 0) {
      if (this.digest.length < MAX_DIGEST_ALARMS) this.digest.push(alarm);
      else this.digestMore++;
      return;
    }
    for (const queue of this.queues) queue.push({ type: "alarm", alarm });
  }

  /** Deliveries not yet done, on every channel. */
  get waiting(): number {
    return this.queues.reduce((sum, queue) => sum + queue.waiting, 0);
  }

  private sendDigest(): void {
    const to = new Date();
    if (this.digest.length > 0) {
      const notice: AlarmNotice = {
        type: "digest",
        from: this.digestFrom.toISOString(),
        to: to.toISOString(),
        alarms: this.digest,
        more: this.digestMore,
      };
      for (const queue of this.queues) queue.push(notice);
    }
    this.digest = [];
    this.digestMore = 0;
    this.digestFrom = to;
  }

  private async post(notice: AlarmNotice, signal: AbortSignal): Promise<void> {
    const webhook = this.settings.webhook!;
    const body = JSON.stringify({ ...notice, sentAt: new Date().toISOString() });
    const response = await fetch(webhook.url, {
      method: "POST",
      headers: { "content-type": "application/json", [SIGNATURE_HEADER]: signBody(webhook.secret, body) },
      body,
      signal,
      redirect: "error",
    });
    await response.body?.cancel().catch(() => {});
    if (!response.ok) throw new Error(`the webhook answered ${response.status}`);
  }

  private async mail(notice: AlarmNotice): Promise<void> {
    const email = this.settings.email!;
    const { subject, text } = emailOf(notice);
    await this.transport!.sendMail({ from: email.from, to: email.to, subject, text });
  }
}
