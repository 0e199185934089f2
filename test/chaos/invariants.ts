// What must hold after every perturbation, read from the controller's REST API as an operator's dashboard sees it:
// every room online, every room converged to the controller's desired revision, the central room still recording.
// A check whose inputs are missing is "unknown" — reported as such, never counted as passed.
import type { RoomView } from "@rc/protocol";
import type { DemoUnderTest } from "./demo-under-test.ts";

export interface InvariantCheck {
  /** What does not hold; empty when everything checkable holds. */
  failures: string[];
  /** Checks that could not run, and why. */
  unknown: string[];
}

export async function checkInvariants(demo: DemoUnderTest): Promise<InvariantCheck> {
  let views: RoomView[];
  try {
    views = await demo.roomViews();
  } catch (error) {
    return { failures: [`GET /api/rooms: ${(error as Error).message}`], unknown: [] };
  }
  const failures: string[] = [];
  const unknown: string[] = [];
  for (const expected of demo.rooms) {
    const room = views.find((view) => view.id === expected.id);
    if (!room) {
      failures.push(`${expected.id} is missing from GET /api/rooms`);
      continue;
    }
    if (room.availability.state !== "online") failures.push(`${room.id} is ${room.availability.state}`);
    const desired = (room as Partial<RoomView>).desired;
    if (desired === undefined) unknown.push("desired revision: GET /api/rooms has no `desired` field");
    else if (desired === null) unknown.push(`desired revision: the controller holds no desired state for ${room.id}`);
    else if (room.state?.desiredRev !== desired.rev)
      failures.push(
        `${room.id} applied desired rev ${room.state?.desiredRev ?? "none"}, the controller's is ${desired.rev}`,
      );
    if (room.id === demo.central.id) failures.push(...recordingFailures(room, expected.media));
  }
  return { failures, unknown };
}

/** The central room records: the controller wants it, the agent says so, and its media device really does. */
function recordingFailures(room: RoomView, media: string | null): string[] {
  const failures: string[] = [];
  if (room.desired?.recording === false) failures.push(`${room.id}: the controller's desired state says recording off`);
  if (room.state?.recording !== true) failures.push(`${room.id}: state.recording is ${room.state?.recording}`);
  const reading = media ? room.state?.devices[media]?.["recording.on"] : undefined;
  if (reading !== true) failures.push(`${room.id}: ${media ?? "media"} recording.on reads ${reading}`);
  return failures;
}
