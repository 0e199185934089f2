// One GStreamer pipeline in the worker, with its own life: start, bus errors become a failed state with the reason
// and a retry with capped backoff, appsinks pulled in loops, stop. Runs only inside the media worker process.
import { backoffDelay } from "../devices/device-supervisor.ts";
import type { PartStatus } from "./worker-messages.ts";

/** The part of gstreamer-superficial 1.7 this worker uses (the package ships no types). */
export interface GstBusMessage {
  type: string;
  _src_element_name: string;
  [field: string]: unknown;
}
export interface GstElement {
  [property: string]: unknown;
  pull?(callback: (buffer: Buffer | null, caps: Record<string, unknown>) => void): void;
}
export interface GstPipeline {
  play(): void;
  stop(): void;
  sendEOS(): void;
  findChild(name: string): GstElement | undefined;
  setPad(element: string, property: string, pad: string): void;
  forceKeyUnit(element: string, count: number): boolean;
  pollBus(callback: (message: GstBusMessage) => void): void;
  "auto-flush-bus": boolean;
}
export interface Gstreamer {
  Pipeline: new (launch: string) => GstPipeline;
}

export interface PartHooks {
  /** Every frame of an appsink, by appsink name. */
  taps?: Record<string, (buffer: Buffer, caps: Record<string, unknown>) => void>;
  /** Element messages (splitmuxsink fragments…) and end of stream. */
  message?: (message: GstBusMessage) => void;
  /** The state or its detail changed. */
  changed?: () => void;
  /** A warning or error text for one of this pipeline's elements, as GStreamer's log gave it. */
  problem?: (element: string, level: "error" | "warning", text: string) => boolean;
}

const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 30_000;

export class PipelinePart {
  private pipeline: GstPipeline | undefined;
  private state: PartStatus["state"] = "stopped";
  private detail = "not started";
  private running = false;
  /** Whether we last told the pipeline to play (true) or stop (false). */
  private active = false;
  /**
   * The pipeline whose pollBus chain is still queued. The binding re-queues the next poll after each message unless
   * the pipeline is NULL by then, so a chain ends exactly when a message is handled while we have the pipeline
   * stopped (auto-flush-bus is off, so stopping always posts such a message).
   */
  private polled: GstPipeline | undefined;
  /** Bumped by every play(): pull loops of an earlier run end instead of doubling up. */
  private generation = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private attempt = 0;
  private playingSince = 0;
  /** Wall-clock ms when the pipeline was last told to play: about running time 0 of its live sources. */
  startedAt = 0;

  constructor(
    private readonly gst: Gstreamer,
    readonly name: string,
    readonly launch: string,
    private readonly hooks: PartHooks = {},
    private readonly log: (level: "info" | "warn", message: string, data?: object) => void = () => {},
  ) {}

  status(): PartStatus {
    return { state: this.state, detail: this.detail };
  }

  get element(): (name: string) => GstElement | undefined {
    return (name) => this.pipeline?.findChild(name);
  }

  get live(): GstPipeline | undefined {
    return this.running ? this.pipeline : undefined;
  }

  start(): void {
    this.running = true;
    this.attempt = 0;
    this.play();
  }

  /** Stops now (the retry included). Safe to call twice. */
  stop(): void {
    this.running = false;
    clearTimeout(this.retryTimer);
    this.halt();
    this.set("stopped", "stopped");
  }

  /** Ends the stream cleanly (files finalised) and stops; resolves when done or after the time-out. */
  async finish(timeoutMs: number): Promise<void> {
    const pipeline = this.pipeline;
    if (!this.running || !pipeline || this.state !== "playing") return this.stop();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.eosWaiter = () => {
        clearTimeout(timer);
        resolve();
      };
      pipeline.sendEOS();
    });
    this.eosWaiter = undefined;
    this.stop();
  }

  private eosWaiter: (() => void) | undefined;

  /** A failure seen from outside the bus (a link's caller refused, a stream that stopped): retry later. */
  fail(reason: string, retryMs?: number): void {
    if (!this.running) return;
    this.halt();
    // Built anew from the launch line for the retry: gst-launch links a demuxer's sometimes pads (tsdemux, rtspsrc)
    // only once, so a pipeline played again after its pads came and went (a peer that restarted, a stream whose
    // tracks changed when a point joined) kept its new pads unlinked and failed "not-linked" for good.
    this.pipeline = undefined;
    const delay = retryMs ?? backoffDelay(this.attempt++, RETRY_MIN_MS, RETRY_MAX_MS, Math.random);
    this.set("failed", `${reason}; retrying in ${(delay / 1000).toFixed(1)} s`);
    this.log("warn", "pipeline failed", { part: this.name, reason, retryMs: delay });
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.play(), delay);
  }

  private play(): void {
    if (!this.running) return;
    this.set("starting", "starting");
    try {
      this.pipeline ??= new this.gst.Pipeline(this.launch);
    } catch (error) {
      this.fail(`cannot build the pipeline: ${(error as Error).message}`);
      return;
    }
    const pipeline = this.pipeline;
    pipeline["auto-flush-bus"] = false;
    if (this.polled !== pipeline) {
      this.polled = pipeline;
      pipeline.pollBus((message) => {
        // A replaced pipeline's last messages are not this part's any more.
        if (this.pipeline === pipeline) this.onBus(message);
        if ((!this.active || this.pipeline !== pipeline) && this.polled === pipeline) this.polled = undefined;
      });
    }
    this.active = true;
    // A live pipeline's running time starts about now: segment times are reckoned from here.
    this.startedAt = Date.now();
    const generation = ++this.generation;
    pipeline.play();
    for (const [sink, handle] of Object.entries(this.hooks.taps ?? {}))
      this.pullLoop(pipeline, sink, handle, generation);
  }

  private halt(): void {
    this.active = false;
    this.pipeline?.stop();
  }

  private pullLoop(
    pipeline: GstPipeline,
    sink: string,
    handle: (buffer: Buffer, caps: Record<string, unknown>) => void,
    generation: number,
  ): void {
    const appsink = pipeline.findChild(sink);
    if (!appsink?.pull) throw new Error(`${this.name}: no appsink ${sink}`);
    const next = (buffer: Buffer | null, caps: Record<string, unknown>) => {
      if (!this.active || generation !== this.generation) return; // stopped: the next play() starts a new loop
      // null: the appsink is not playing yet (play() is asynchronous) or at the end of the stream: ask again soon.
      if (!buffer) {
        setTimeout(() => {
          if (this.active && generation === this.generation) appsink.pull!(next);
        }, 200);
        return;
      }
      handle(buffer, caps);
      appsink.pull!(next);
    };
    appsink.pull(next);
  }

  private onBus(message: GstBusMessage): void {
    if (!this.active) return;
    switch (message.type) {
      case "state-changed":
        if (message._src_element_name.startsWith("pipeline") && message["new-state"] === "GST_STATE_PLAYING") {
          this.playingSince = performance.now();
          // How long a start takes, part by part, is what a slow recovery is read from (issue 11).
          this.log("info", "pipeline playing", { part: this.name, afterMs: Date.now() - this.startedAt });
          this.set("playing", "playing");
        }
        return;
      case "error": {
        const debug = String(message.debug ?? "");
        // The binding's own message text is short ("Resource not found."); the debug's last line says which.
        const why = debug.includes(":\n") ? debug.slice(debug.lastIndexOf(":\n") + 2) : "";
        const element = message._src_element_name;
        const text = [String(message.message ?? "error"), why].filter(Boolean).join(" ");
        if (this.hooks.problem?.(element, "error", text)) return;
        this.fail(`${element}: ${text}`);
        return;
      }
      case "eos":
        this.eosWaiter?.();
        this.hooks.message?.(message);
        return;
      case "element":
        this.hooks.message?.(message);
        return;
      default:
    }
  }

  /** Seconds the pipeline has been playing without a failure (0 when not playing). */
  playingForS(): number {
    return this.state === "playing" ? (performance.now() - this.playingSince) / 1000 : 0;
  }

  /** A detail for a part that plays but has something to say (a link waiting for its peer). */
  describe(detail: string): void {
    if (this.state === "playing") this.set("playing", detail);
  }

  resetBackoff(): void {
    this.attempt = 0;
  }

  private set(state: PartStatus["state"], detail: string): void {
    if (state === this.state && detail === this.detail) return;
    this.state = state;
    this.detail = detail;
    this.hooks.changed?.();
  }
}
