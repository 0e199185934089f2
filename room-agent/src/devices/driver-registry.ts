// Which driver serves which device kind. A kind registers here once; what a kind is lives in driver-contract.ts.

import type { DeviceEntry } from "@rc/hardware-profiles";
import type { DeviceKind } from "@rc/protocol";
import { cameraKind } from "./camera/camera-driver.ts";
import type { DeviceKindModule } from "./driver-contract.ts";
import { gpioKind } from "./gpio/gpio-driver.ts";
import { mediaKind } from "./media/media-driver.ts";
import { mixerKind } from "./mixer/mixer-driver.ts";
import { testDeviceKind } from "./test-device.ts";

// biome-ignore lint/suspicious/noExplicitAny: each kind's module knows its own driver class; the agent only routes.
type ModuleOf<K extends DeviceKind> = DeviceKindModule<Extract<DeviceEntry, { kind: K }>, any>;

/** Kinds without a module yet are reported `disabled` with the reason, so the rest of the room still runs. */
export const deviceKinds: { [K in DeviceKind]?: ModuleOf<K> } = {
  camera: cameraKind,
  mixer: mixerKind,
  gpio: gpioKind,
  media: mediaKind,
  test: testDeviceKind,
};
