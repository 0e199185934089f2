// The hearing's record after the run: every segment of the central room plays, and the segments of each recording
// follow each other with no gap over 3 s, from one's last picture to the next one's first, each placed in time by its
// sidecar's start and the picture's timestamp. What plays, not what the sidecar says: a killed worker's segment ends
// at the last picture it wrote, which may be seconds before the end its successor wrote. The central room keeps two
// recordings side by side, its own picture and the session's program ("session-program_…"): each is checked on its
// own, as one could hide a hole in the other. Segments are looked for in the room's recordings folder and in the
// controller's archive (a finished segment is uploaded there and then deleted at the room).
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";

const MAX_GAP_S = 3;

interface Segment {
  file: string;
  /** Which recording it belongs to: its file name without the start time and number (`…20261204T134243Z_0.mkv`). */
  series: string;
  /** The wall-clock times of its first and last picture (its sidecar's start + their timestamps), if readable. */
  firstPicture: number | null;
  lastPicture: number | null;
  closed: string | null;
}

const probe = (args: string[]) => promisify(execFile)("ffprobe", ["-v", "error", ...args], { timeout: 30_000 });

/**
 * The timestamps of a segment's first and last picture, read packet by packet: a segment whose worker was killed
 * has no duration in its header (the muxer writes it when it closes the file) but plays up to its last picture.
 */
async function picturesOf(file: string): Promise<{ firstS: number; lastS: number } | { problem: string }> {
  try {
    const packets = await probe(["-select_streams", "v:0", "-show_entries", "packet=pts_time", "-of", "csv=p=0", file]);
    const times = packets.stdout.split("\n").map(Number.parseFloat).filter(Number.isFinite);
    if (times.length === 0) return { problem: "ffprobe reads no picture in it" };
    return { firstS: Math.min(...times), lastS: Math.max(...times) };
  } catch (error) {
    const failure = error as { code?: number | string; stderr?: string; message: string };
    return { problem: `ffprobe failed (${failure.code}): ${(failure.stderr || failure.message).trim().slice(0, 200)}` };
  }
}

export async function checkRecordings(
  folders: string[],
  room: string,
): Promise<{ violations: string[]; summary: string }> {
  const segments: Segment[] = [];
  const violations: string[] = [];
  const seen = new Set<string>();
  for (const recordings of folders.filter((folder) => existsSync(folder))) {
    for (const session of readdirSync(recordings)) {
      const folder = join(recordings, session, room);
      if (!existsSync(folder)) continue;
      for (const name of readdirSync(folder).filter((file) => file.endsWith(".mkv"))) {
        // Archived and not yet deleted at the room: the same segment twice.
        if (seen.has(`${session}/${name}`)) continue;
        seen.add(`${session}/${name}`);
        const file = join(folder, name);
        const sidecarFile = file.replace(/\.mkv$/, ".json");
        let sidecar: { start?: string; end?: string | null; closed?: string | null } = {};
        try {
          sidecar = JSON.parse(readFileSync(sidecarFile, "utf8"));
        } catch (error) {
          violations.push(`${session}/${name}: no readable sidecar (${(error as Error).message.slice(0, 100)})`);
        }
        const pictures = await picturesOf(file);
        if ("problem" in pictures) violations.push(`${session}/${name} does not play: ${pictures.problem}`);
        const start = sidecar.start ? Date.parse(sidecar.start) : null;
        const at = (key: "firstS" | "lastS") =>
          start !== null && !("problem" in pictures) ? start + pictures[key] * 1000 : null;
        const series = name.replace(/_?\d{8}T\d{6}Z_\d+\.mkv$/, "") || "room";
        segments.push({
          file: `${session}/${name}`,
          series,
          firstPicture: at("firstS"),
          lastPicture: at("lastS"),
          closed: sidecar.closed ?? null,
        });
      }
    }
  }
  if (segments.length === 0)
    return { violations: [...violations, `no segment of ${room} was recorded`], summary: "0 segments" };
  segments.sort((a, b) => (a.firstPicture ?? 0) - (b.firstPicture ?? 0));
  let largestGapS = 0;
  const series = [...new Set(segments.map((segment) => segment.series))];
  for (const name of series) {
    const ofSeries = segments.filter((segment) => segment.series === name);
    for (let i = 1; i < ofSeries.length; i++) {
      const previous = ofSeries[i - 1]!;
      const next = ofSeries[i]!;
      if (previous.lastPicture === null || next.firstPicture === null) {
        violations.push(`gap between ${previous.file} and ${next.file} unknown (a start or a picture is missing)`);
        continue;
      }
      const gapS = (next.firstPicture - previous.lastPicture) / 1000;
      largestGapS = Math.max(largestGapS, gapS);
      if (gapS > MAX_GAP_S)
        violations.push(
          `${gapS.toFixed(1)} s unrecorded between ${previous.file} (${previous.closed ?? "not closed"}) and ${next.file}`,
        );
    }
  }
  const interrupted = segments.filter((segment) => segment.closed === "interrupted").length;
  const totalS = segments.reduce(
    (sum, { firstPicture, lastPicture }) =>
      sum + (firstPicture !== null && lastPicture !== null ? (lastPicture - firstPicture) / 1000 : 0),
    0,
  );
  return {
    violations,
    summary: `${segments.length} segments of ${room} in ${series.length} recordings (${series.join(", ")}; ${interrupted} interrupted), ${Math.round(totalS)} s in all, largest gap ${largestGapS.toFixed(1)} s`,
  };
}
