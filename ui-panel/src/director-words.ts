// The auto director's cause (a code with its parameters) in the page's language, with seats and cameras by name.
import type { DirectorCause } from "@rc/protocol";
import { messages } from "./i18n/index.ts";

export function directorCauseWords(
  cause: DirectorCause,
  seatLabel: (seat: string) => string,
  deviceName: (device: string) => string,
): string {
  return messages().directorCause[cause.code]({
    seats: cause.seats?.map(seatLabel).join(", "),
    camera: cause.camera === undefined ? undefined : deviceName(cause.camera),
    seconds: cause.seconds,
  });
}
