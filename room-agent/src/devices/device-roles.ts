// What room features may ask of a device without knowing its class (STYLE "Glue that knows classes"): each driver
// says which roles it plays, and features find devices by role through RoomDevices. A new device kind that plays a
// role (a second meter source, another switcher) works with the director and privacy without a line changed there.

/** Full-rate mic levels: a mixer's meters. */
export interface MeterSource {
  /** A time in ms (Date.now clock) and one dB value per input channel, in the DSP's channel order. */
  on(event: "meters", listener: (atMs: number, levelsDb: number[]) => void): unknown;
  off(event: "meters", listener: (atMs: number, levelsDb: number[]) => void): unknown;
}

/** Something that frames a stored preset and says when it got there: a PTZ camera. */
export interface PresetFramer {
  /** Resolves once the camera reports it arrived (or its move time-out passed); rejects when it cannot. */
  framePreset(preset: string): Promise<unknown>;
}

/** What switches the room's outgoing picture: the media worker's program. */
export interface ProgramSwitcher {
  cut(camera: string): Promise<unknown>;
}

/** Something that holds some of the room's microphones and mutes them all for privacy: a mixer. */
export interface PrivacyMutes {
  /** Whether the room's mics here are muted as privacy mutes them; undefined when this device has none. */
  privacyHeld(): boolean | undefined;
  /** Mutes or opens the room's mics here. */
  privacy(on: boolean): Promise<unknown>;
}

/** The roles a driver plays; a driver leaves out those it does not. */
export interface DeviceRoles {
  meters?: MeterSource;
  framer?: PresetFramer;
  switcher?: ProgramSwitcher;
  privacy?: PrivacyMutes;
}

export type DeviceRole = keyof DeviceRoles;
