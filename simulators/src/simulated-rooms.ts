// Simulated devices for room profiles, per device kind: each device line of a room is pointed at a simulator started
// for it (a camera framing the room's seats, a DSP on a pty pair, a pty for a GPIO board, loopback media, a line
// device). Used by the demo (scripts/demo.ts), by integration tests and for operator training, so all of them get
// the same simulated rooms. A kind without a simulator here is disabled, so no agent ever reaches for the real
// addresses in a profile.
import { createSocket } from "node:dgram";
import { join } from "node:path";
import type { DeviceEntry, RoomProfile } from "@rc/hardware-profiles";
import type { DeviceKind } from "@rc/protocol";
import type { AudioScene } from "./audio-scene/audio-scene.ts";
import { DSP_SIMULATORS, DspHost } from "./dsp/dsp-host-client.ts";
import { LineDevice } from "./line-device.ts";
import { OnvifCamera, type OnvifCameraOptions } from "./onvif-camera/onvif-camera.ts";

/** The quirks of each camera model that can be simulated (research/onvif.md). */
const CAMERA_QUIRKS: Record<string, Partial<OnvifCameraOptions>> = {
  "hikvision-ds-2de": { hikvisionPresets: true, noMoveStatus: true },
  "axis-v5925": { getServicesFaults: true },
};

export interface SimulatedRoomsOptions {
  /** Where the serial links go: `{room}-{device}` is the end the agent opens. */
  serialDir: string;
  /** Every simulated camera's password (its username is the device line's, "admin" when it names none). */
  cameraPassword: string;
  /** More options for every camera (travel speed, no live picture…). */
  camera?: Partial<OnvifCameraOptions>;
  /** What the simulated DSPs play into their meters; silence when not given. */
  scene?: AudioScene;
  /** Where the media lines record, and whether they may open a display window. */
  media?: { recordingsDir: string; window: boolean };
  /**
   * A DSP's serial link went away (its socat died): a cable pulled. `replug` plugs it in again with the DSP's
   * settings kept (the agent's driver reconnects by itself); when to call it is the caller's (a supervisor's) choice.
   */
  onSerialLinkLost?: (link: string, why: string, replug: () => Promise<void>) => void;
}

export interface SimulatedCamera {
  camera: OnvifCamera;
  room: RoomProfile;
  /** The device line's id in the room. */
  device: string;
  /** "{room name} — {camera name}", as a discovery answer shows it. */
  name: string;
  username: string;
}

export class SimulatedRooms {
  readonly cameras: SimulatedCamera[] = [];
  /** The GPIO boards to simulate (firmata-board/cli.ts): a name for the control panel and the pty the agent opens. */
  readonly boards: { name: string; path: string }[] = [];
  /** Where each room's media listens for its peers (SRT over UDP on loopback), by room id. */
  readonly srtPorts: Record<string, number> = {};
  private readonly running: { stop(): Promise<void> }[] = [];
  private dspHost: DspHost | undefined;
  /** Each DSP link's name for the supervisor, by the path the agent opens. */
  private readonly dspNames = new Map<string, string>();

  /** Each device kind that can be simulated: start a simulator and point the device line at it. */
  private readonly simulate: Partial<
    Record<DeviceKind, (entry: DeviceEntry, room: RoomProfile) => Promise<DeviceEntry>>
  > = {
    camera: (entry, room) => this.camera(entry, room),
    mixer: (entry, room) => this.mixer(entry, room),
    gpio: async (entry, room) => {
      if (entry.kind !== "gpio") return entry;
      if (entry.board !== "uno") return { ...entry, enabled: false }; // the simulated chip is an Uno's ATmega328P
      const path = join(this.options.serialDir, `${room.id}-${entry.id}`);
      this.boards.push({ name: room.id, path });
      return { ...entry, connection: { ...entry.connection, path } };
    },
    media: async (entry, room) => {
      if (entry.kind !== "media") return entry;
      this.srtPorts[room.id] = await this.freeUdpPort();
      const { media } = this.options;
      return {
        ...entry,
        // The cameras' own RTSP pictures in, a small program out (several rooms share one machine's CPU).
        video: { ...entry.video, width: 640, height: 360, bitrateKbps: 800 },
        audio: { ...entry.audio, input: "testsrc:440" },
        srt: { ...entry.srt, bind: "127.0.0.1", port: this.srtPorts[room.id]! },
        ...(media ? { recordings: { ...entry.recordings, dir: media.recordingsDir, minFreeMb: 512 } } : {}),
        display: media?.window ? entry.display : "none",
      };
    },
    test: async (entry) => {
      const device = new LineDevice();
      await device.start();
      this.running.push(device);
      return { ...entry, connection: { host: "127.0.0.1", port: device.address.port } } as DeviceEntry;
    },
  };

  constructor(private readonly options: SimulatedRoomsOptions) {}

  /** The room with every device line pointed at its simulator, started now; kinds without one disabled. */
  async room(room: RoomProfile): Promise<RoomProfile> {
    const devices: DeviceEntry[] = [];
    for (const entry of room.devices) devices.push(await this.device(entry, room));
    return { ...room, devices };
  }

  /** One device line of the room pointed at a simulator started for it (disabled when its kind has none). */
  async device(entry: DeviceEntry, room: RoomProfile): Promise<DeviceEntry> {
    const start = this.simulate[entry.kind];
    return start ? await start(entry, room) : { ...entry, enabled: false };
  }

  /** Stops every simulator started (the GPIO boards run elsewhere: see `boards`). */
  async stop(): Promise<void> {
    await Promise.all(this.running.splice(0).map((simulator) => simulator.stop()));
  }

  /**
   * A UDP port on loopback nobody uses now, and none given to another room here: asked one after another, the system
   * may hand back the port it just released, and two rooms' SRT listeners would then share one.
   */
  private async freeUdpPort(): Promise<number> {
    const taken = new Set(Object.values(this.srtPorts));
    for (;;) {
      const socket = createSocket("udp4");
      await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
      const { port } = socket.address();
      await new Promise<void>((resolve) => socket.close(() => resolve()));
      if (!taken.has(port)) return port;
    }
  }

  private async camera(entry: DeviceEntry, room: RoomProfile): Promise<DeviceEntry> {
    if (entry.kind !== "camera") return entry;
    const name = `${room.name} — ${entry.name ?? entry.id}`;
    // Seats side by side across the room, as the installer stored them; the wide shot in the middle, zoomed out.
    const seats = room.seats.map((seat, i) => ({
      label: seat.label,
      preset: seat.preset ?? seat.id,
      pan: room.seats.length === 1 ? 0 : -0.6 + (1.2 * i) / (room.seats.length - 1),
      tilt: -0.1,
    }));
    const username = entry.connection.username ?? "admin";
    const camera = new OnvifCamera({
      name,
      username,
      password: this.options.cameraPassword,
      seats: seats.map(({ label, pan, tilt }) => ({ label, pan, tilt })),
      ...this.options.camera,
      ...CAMERA_QUIRKS[entry.model],
    });
    await camera.start();
    for (const seat of seats) camera.storePreset(seat.preset, { x: seat.pan, y: seat.tilt, zoom: 0.6 });
    camera.storePreset(room.director?.wideShot.preset ?? "toan-canh", { x: 0, y: 0, zoom: 0 });
    this.running.push(camera);
    this.cameras.push({ camera, room, device: entry.id, name, username });
    return { ...entry, connection: { ...entry.connection, host: "127.0.0.1", port: camera.port } };
  }

  private async mixer(entry: DeviceEntry, room: RoomProfile): Promise<DeviceEntry> {
    if (entry.kind !== "mixer") return entry;
    if (!DSP_SIMULATORS.has(entry.model)) return { ...entry, enabled: false };
    const { serialDir, scene } = this.options;
    const hostPath = join(serialDir, `${room.id}-${entry.id}`);
    await this.dsps().start({ link: hostPath, model: entry.model, devicePath: `${hostPath}-dsp`, hostPath, scene });
    this.dspNames.set(hostPath, `the serial link to ${room.id}/${entry.id}`);
    return { ...entry, connection: { ...entry.connection, path: hostPath } };
  }

  /** The DSPs' own process, started with the first one. */
  private dsps(): DspHost {
    if (this.dspHost) return this.dspHost;
    const host = new DspHost((link, why) =>
      this.options.onSerialLinkLost?.(this.dspNames.get(link) ?? link, why, () => host.replug(link)),
    );
    this.dspHost = host;
    this.running.push(host);
    return host;
  }
}
