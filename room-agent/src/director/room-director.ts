// The director inside the agent: the room's mixer meters in; presets recalled on off-air cameras through the camera
// driver (waiting for arrival); cuts through the media switcher when the room has one running, otherwise straight
// into the room's program-camera fact (tally lamps and the panel follow it). Each decision is a room event.
import { EventEmitter } from "node:events";
import type { RoomProfile } from "@rc/hardware-profiles";
import type { EventPayload } from "@rc/protocol";
import type { Logger } from "pino";
import { AgentError } from "../agent-error.ts";
import { CameraDriver } from "../devices/camera/camera-driver.ts";
import type { DeviceSupervisor } from "../devices/device-supervisor.ts";
import { MediaDriver } from "../devices/media/media-driver.ts";
import { MixerDriver } from "../devices/mixer/mixer-driver.ts";
import type { RoomFacts } from "../room-facts.ts";
import { directorConfigFromRoom } from "./director-config.ts";
import type { DirectorConfig, DirectorMode } from "./director-engine.ts";
import { type DirectorEvent, DirectorRunner, type MeterSource } from "./director-runner.ts";

export interface RoomDirectorLinks {
  devices: Map<string, DeviceSupervisor>;
  facts: RoomFacts;
  log: Logger;
  emitEvent: (event: Omit<EventPayload, "at">) => void;
  /** The director's part of the reported state changed. */
  changed: () => void;
}

export class RoomDirector {
  private readonly runner: DirectorRunner;
  private readonly onFacts: (values: unknown, changed: Record<string, unknown>) => void;
  /** Each camera's health listener: a camera that is not answering is never chosen. */
  private readonly cameraWatches: (() => void)[] = [];

  private constructor(
    config: DirectorConfig,
    meterDriver: MixerDriver,
    private readonly mixer: string,
    private readonly links: RoomDirectorLinks,
  ) {
    // Only the channels the seat map knows go to the engine (a DSP has more inputs than the room has seats).
    const meters = new EventEmitter<{ meters: [number, number[]] }>();
    meterDriver.on("meters", (atMs, levels) => meters.emit("meters", atMs, levels.slice(0, config.channels.length)));
    this.runner = new DirectorRunner(
      config,
      meters as MeterSource,
      { recall: (camera, preset) => this.recall(camera, preset) },
      { cut: (camera) => this.cut(camera) },
    );
    this.runner.on("decision", (decision) => this.report(decision));
    this.onFacts = (_values, changed) => {
      if ("privacy" in changed) this.runner.setMuted(Boolean(changed.privacy));
      if ("session" in changed && changed.session) this.runner.startSession();
    };
  }

  /** The room's director, or undefined when the profile has none (no director section, no mic-and-camera seats). */
  static forRoom(room: RoomProfile, links: RoomDirectorLinks): RoomDirector | undefined {
    const mixer = room.seats.find((seat) => seat.mic && seat.camera)?.mic?.device;
    const driver = mixer === undefined ? undefined : links.devices.get(mixer)?.driver;
    if (!mixer || !(driver instanceof MixerDriver)) return undefined;
    const config = directorConfigFromRoom(room, mixer);
    return config ? new RoomDirector(config, driver, mixer, links) : undefined;
  }

  start(): void {
    this.links.facts.on("change", this.onFacts);
    for (const supervisor of this.links.devices.values()) {
      if (!(supervisor.driver instanceof CameraDriver)) continue;
      const follow = () => this.runner.cameraAvailable(supervisor.id, supervisor.answering);
      follow();
      supervisor.on("health", follow);
      this.cameraWatches.push(() => supervisor.off("health", follow));
    }
    this.runner.start();
  }

  stop(): void {
    this.links.facts.off("change", this.onFacts);
    for (const unwatch of this.cameraWatches.splice(0)) unwatch();
    this.runner.stop();
  }

  setMode(mode: DirectorMode): { mode: DirectorMode } {
    this.runner.setMode(mode);
    this.links.changed();
    return { mode };
  }

  /** An operator moved a camera or cut by hand: automation pauses and resumes after the idle delay. */
  operatorActivity(): void {
    this.runner.operatorActivity();
  }

  view(): { mode: DirectorMode; reason: string } {
    return { mode: this.runner.mode, reason: this.runner.lastReason };
  }

  private camera(id: string): { supervisor: DeviceSupervisor; driver: CameraDriver } {
    const supervisor = this.links.devices.get(id);
    if (!supervisor || !(supervisor.driver instanceof CameraDriver))
      throw new AgentError("not_found", `no camera "${id}"`);
    return { supervisor, driver: supervisor.driver };
  }

  private async recall(camera: string, preset: string): Promise<void> {
    const { supervisor, driver } = this.camera(camera);
    await supervisor.command("ptz.goto", () => driver.goto(preset, true));
  }

  private async cut(camera: string): Promise<void> {
    const media = [...this.links.devices.values()].find((s) => s.driver instanceof MediaDriver);
    const switcher = media?.driver;
    if (media?.health().status === "ok" && switcher instanceof MediaDriver) {
      await media.command("media.cut", () => switcher.cut(camera));
      return;
    }
    // No picture to switch (media off or absent): the program camera is still what tally lamps and panels show.
    this.links.facts.set({ programCamera: camera });
  }

  private report(decision: DirectorEvent): void {
    this.links.changed();
    if (decision.kind === "warning") {
      // About a camera that failed a preset or a cut, or about the mixer's meters.
      const device = decision.camera ?? this.mixer;
      const supervisor = this.links.devices.get(device);
      if (!supervisor?.answering) {
        // A device that is connecting or offline already says so on its health topic: no second alarm.
        this.links.log.info(
          { reason: decision.reason, status: supervisor?.health().status },
          "director: not answering",
        );
        return;
      }
      this.links.log.warn({ reason: decision.reason }, "director warning");
      this.links.emitEvent({ type: "device_error", device, reason: decision.reason, data: { by: "director" } });
      return;
    }
    this.links.log.info(decision, "director decision");
    this.links.emitEvent({
      type: decision.kind === "cut" ? "cut" : "speaker_changed",
      device: decision.camera,
      reason: decision.reason,
      data: { by: "director", camera: decision.camera, preset: decision.preset, seat: decision.seat ?? null },
    });
  }
}
