// The auto director as a room feature: the mixer's meters in (its `meters` role), presets framed on off-air cameras
// (their `framer` role, waiting for arrival), cuts through the program switcher when one is answering, otherwise
// straight into the room's program-camera fact (tally lamps and the panel follow it). It answers `director.mode`,
// pauses when an operator aims a camera or cuts by hand, and reports its mode and reason in the room's state. Each
// decision is a room event.
import type { RoomProfile } from "@rc/hardware-profiles";
import type { EventPayload, StatePayload } from "@rc/protocol";
import type { Logger } from "pino";
import { AgentError } from "../agent-error.ts";
import type { MeterSource } from "../devices/device-roles.ts";
import type { RequestHandler } from "../request-dispatcher.ts";
import type { RoomDevices } from "../room-devices.ts";
import type { RoomFacts } from "../room-facts.ts";
import type { RoomFeature } from "../room-feature.ts";
import { directorConfigFromRoom } from "./director-config.ts";
import type { DirectorConfig, DirectorMode } from "./director-engine.ts";
import { type DirectorEvent, DirectorRunner } from "./director-runner.ts";

export interface RoomDirectorParts {
  devices: RoomDevices;
  facts: RoomFacts;
  log: Logger;
  emitEvent: (event: Omit<EventPayload, "at">) => void;
  /** The director's part of the reported state changed. */
  changed: () => void;
}

/** Requests by which an operator aims a camera or cuts by hand: automation pauses for them. */
const OPERATOR_SHOT_ACTIONS = new Set([
  "ptz.move",
  "ptz.relative",
  "ptz.absolute",
  "ptz.home",
  "ptz.goto",
  "media.cut",
]);

/** The room's director feature; in a room without one (no director section, no seat with mic and camera), a
 * feature that says so when asked for a mode. */
export function directorFeature(room: RoomProfile, parts: RoomDirectorParts): RoomFeature {
  const mixer = room.seats.find((seat) => seat.mic && seat.camera)?.mic?.device;
  const meters = mixer === undefined ? undefined : parts.devices.roleOf(mixer, "meters");
  const config = mixer !== undefined && meters ? directorConfigFromRoom(room, mixer) : undefined;
  if (mixer === undefined || !meters || !config) return new NoDirector(room.id);
  return new RoomDirector(config, meters.role, mixer, parts);
}

class NoDirector implements RoomFeature {
  readonly name = "director";
  readonly actions: ReadonlyMap<string, RequestHandler>;

  constructor(room: string) {
    this.actions = new Map([
      [
        "director.mode",
        async () => {
          throw new AgentError("conflict", `room ${room} has no auto director configured`);
        },
      ],
    ]);
  }

  start(): void {}
  stop(): void {}
  state(): Partial<StatePayload> {
    return { director: null };
  }
}

export class RoomDirector implements RoomFeature {
  readonly name = "director";
  readonly actions: ReadonlyMap<string, RequestHandler>;
  private readonly runner: DirectorRunner;
  private readonly onFacts: (values: unknown, changed: Record<string, unknown>) => void;
  /** Each camera's health listener: a camera that is not answering is never chosen. */
  private readonly cameraWatches: (() => void)[] = [];

  constructor(
    config: DirectorConfig,
    meters: MeterSource,
    private readonly mixer: string,
    private readonly parts: RoomDirectorParts,
  ) {
    this.runner = new DirectorRunner(
      config,
      meters,
      { recall: (camera, preset) => this.recall(camera, preset) },
      { cut: (camera) => this.cut(camera) },
    );
    this.runner.on("decision", (decision) => this.report(decision));
    this.onFacts = (_values, changed) => {
      if ("privacy" in changed) this.runner.setMuted(Boolean(changed.privacy));
      if ("session" in changed && changed.session) this.runner.startSession();
    };
    this.actions = new Map([["director.mode", async (params) => this.setMode(params.mode as DirectorMode)]]);
  }

  start(): void {
    this.parts.facts.on("change", this.onFacts);
    for (const { supervisor } of this.parts.devices.withRole("framer")) {
      const follow = () => this.runner.cameraAvailable(supervisor.id, supervisor.answering);
      follow();
      supervisor.on("health", follow);
      this.cameraWatches.push(() => supervisor.off("health", follow));
    }
    this.runner.start();
  }

  stop(): void {
    this.parts.facts.off("change", this.onFacts);
    for (const unwatch of this.cameraWatches.splice(0)) unwatch();
    this.runner.stop();
  }

  /** An operator moved a camera or cut by hand: automation pauses and resumes after the idle delay. */
  beforeRequest(action: string): void {
    if (OPERATOR_SHOT_ACTIONS.has(action)) this.runner.operatorActivity();
  }

  state(): Partial<StatePayload> {
    const cause = this.runner.lastCause;
    return { director: { mode: this.runner.mode, reason: this.runner.lastReason, ...(cause ? { cause } : {}) } };
  }

  private setMode(mode: DirectorMode): { mode: DirectorMode } {
    this.runner.setMode(mode);
    this.parts.changed();
    return { mode };
  }

  private async recall(camera: string, preset: string): Promise<void> {
    const framer = this.parts.devices.roleOf(camera, "framer");
    if (!framer) throw new AgentError("not_found", `no camera "${camera}"`);
    await framer.supervisor.command("ptz.goto", () => framer.role.framePreset(preset));
  }

  private async cut(camera: string): Promise<void> {
    const [switcher] = this.parts.devices.answering("switcher");
    if (switcher) {
      await switcher.supervisor.command("media.cut", () => switcher.role.cut(camera));
      return;
    }
    // No picture to switch (media off or absent): the program camera is still what tally lamps and panels show.
    this.parts.facts.set({ programCamera: camera });
  }

  private report(decision: DirectorEvent): void {
    this.parts.changed();
    if (decision.kind === "warning") {
      // About a camera that failed a preset or a cut, or about the mixer's meters.
      const device = decision.camera ?? this.mixer;
      const supervisor = this.parts.devices.find(device);
      if (!supervisor?.answering) {
        // A device that is connecting or offline already says so on its health topic: no second alarm.
        this.parts.log.info(
          { reason: decision.reason, status: supervisor?.health().status },
          "director: not answering",
        );
        return;
      }
      this.parts.log.warn({ reason: decision.reason }, "director warning");
      this.parts.emitEvent({ type: "device_error", device, reason: decision.reason, data: { by: "director" } });
      return;
    }
    this.parts.log.info(decision, "director decision");
    this.parts.emitEvent({
      type: decision.kind === "cut" ? "cut" : "speaker_changed",
      device: decision.camera,
      reason: decision.reason,
      data: {
        by: "director",
        camera: decision.camera,
        preset: decision.preset,
        seat: decision.seat ?? null,
        // The dashboard's list of decisions words it, as the panel words the state's cause.
        ...(decision.cause ? { cause: decision.cause } : {}),
      },
    });
  }
}
