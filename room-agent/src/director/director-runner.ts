// The director's engine put to work: mic meters in, camera moves and program cuts out, every decision an event with
// its reason; time passes for the engine also when no meters come. It knows the room only by the small interfaces
// below (the meter source and switcher are device roles; the room director finds the cameras by id).
import { EventEmitter } from "node:events";
import type { DirectorCause } from "@rc/protocol";
import type { MeterSource, ProgramSwitcher } from "../devices/device-roles.ts";
import { type Decision, type DirectorConfig, DirectorEngine, type DirectorMode, type Shot } from "./director-engine.ts";

export interface CameraMover {
  /** Recall a preset; resolves when the camera reports it arrived (or rejects). */
  recall(camera: string, preset: string): Promise<void>;
}

export interface DirectorEvent {
  kind: Decision["kind"];
  reason: string;
  /** The camera moved or cut to; on a warning, the camera it is about (none: the meters). */
  camera?: string;
  preset?: string;
  seat?: string | null;
  /** A cut's cause, as a code with parameters that a panel words (the engine's cause of the shot). */
  cause?: DirectorCause;
}

/** How often time passes for the engine when no meters arrive (to notice meters that stopped). */
const TICK_MS = 500;

export class DirectorRunner extends EventEmitter<{ decision: [DirectorEvent] }> {
  private readonly engine: DirectorEngine;
  private timer: NodeJS.Timeout | undefined;
  /** Only the channels the seat map knows go to the engine (a DSP has more inputs than the room has seats). */
  private readonly onMeters = (atMs: number, levelsDb: number[]) =>
    this.apply(this.engine.levels(atMs / 1000, levelsDb.slice(0, this.channels)));
  private readonly channels: number;

  constructor(
    config: DirectorConfig,
    private readonly meters: MeterSource,
    private readonly cameras: CameraMover,
    private readonly switcher: ProgramSwitcher,
    private readonly now: () => number = Date.now,
  ) {
    super();
    this.engine = new DirectorEngine(config);
    this.channels = config.channels.length;
  }

  get mode(): DirectorMode {
    return this.currentMode;
  }

  get lastReason(): string {
    return this.engine.reason;
  }

  get lastCause(): DirectorCause | null {
    return this.engine.lastCause;
  }

  private currentMode: DirectorMode = "auto";
  /** The newest recall sent to each camera: a recall it replaced fails, and that is no fault of the camera. */
  private readonly latestRecall = new Map<string, number>();
  private recalls = 0;

  start(): void {
    this.meters.on("meters", this.onMeters);
    this.timer = setInterval(() => this.apply(this.engine.tick(this.now() / 1000)), TICK_MS);
  }

  stop(): void {
    this.meters.off("meters", this.onMeters);
    clearInterval(this.timer);
  }

  startSession(): void {
    this.apply(this.engine.startSession(this.now() / 1000));
  }

  setMode(mode: DirectorMode): void {
    this.currentMode = mode;
    this.engine.setMode(mode, this.now() / 1000);
  }

  /** The operator moved a camera or cut by hand: automation pauses and resumes after the idle delay. */
  operatorActivity(shot?: Shot): void {
    this.engine.operatorActivity(this.now() / 1000, shot);
  }

  /** A camera's device health: one that is not answering is never chosen. */
  cameraAvailable(camera: string, available: boolean): void {
    this.engine.cameraAvailable(camera, available);
  }

  setMuted(muted: boolean): void {
    this.apply(this.engine.setMuted(muted, this.now() / 1000));
  }

  private apply(decisions: Decision[]): void {
    for (const decision of decisions) {
      if (decision.kind === "warning") {
        this.emit("decision", { kind: "warning", reason: decision.reason });
        continue;
      }
      const { kind, camera, preset, seat, reason } = decision;
      // A cut carries the cause of the shot it puts on air; a move only frames a camera off air ahead of one.
      const cause = kind === "cut" ? this.engine.lastCause : null;
      this.emit("decision", { kind, camera, preset, seat, reason, ...(cause ? { cause } : {}) });
      if (kind === "move") {
        // The engine chose an off-air camera; the cut waits for its arrival (or the engine's time-out).
        const recall = ++this.recalls;
        this.latestRecall.set(camera, recall);
        this.cameras.recall(camera, preset).then(
          () => this.apply(this.engine.cameraArrived(camera, preset, this.now() / 1000)),
          (error: Error) => {
            if (this.latestRecall.get(camera) !== recall) return; // sent elsewhere since, by the director itself
            this.engine.cameraFailed(camera, preset, this.now() / 1000);
            this.emit("decision", {
              kind: "warning",
              camera,
              preset,
              reason: `${camera}: preset ${preset} failed: ${error.message}`,
            });
          },
        );
      } else {
        this.switcher.cut(camera).catch((error: Error) => {
          this.emit("decision", { kind: "warning", camera, reason: `cut to ${camera} failed: ${error.message}` });
        });
      }
    }
  }
}
