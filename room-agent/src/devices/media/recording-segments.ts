// The JSON sidecar beside each recording segment (DESIGN §3.4): session, room, start, end, the camera at the start
// and every cut with its time. Written by the agent: a segment the worker could not close (it crashed) is still
// closed here, marked interrupted. A worker also outlives an agent that died: the next agent picks up the sidecars
// the last one left open from disk. Each write replaces the file whole (write, then rename).
import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";

export interface SegmentSidecar {
  version: 1;
  session: string;
  room: string;
  /** The segment's file name (the sidecar sits beside it). */
  file: string;
  start: string;
  end: string | null;
  /** The program camera when the segment started. */
  camera: string | null;
  cuts: { at: string; offsetS: number; camera: string }[];
  /** How it ended: split (the segment length), stop, or interrupted (the worker died; its last seconds may be lost). */
  closed: "split" | "stop" | "interrupted" | null;
  /** What each track holds, in the file's order (absent in sidecars written before it was kept). */
  tracks?: SegmentTrack[];
}

/**
 * One track of a segment: the room's own program picture or a relay host's session program (every point), the
 * sound of all points mixed, or one point's own sound (`room` says whose).
 */
export type SegmentTrack =
  | { type: "video"; content: "program" | "session-program" }
  | { type: "audio"; content: "mix" }
  | { type: "audio"; content: "point"; room: string };

/** The sidecar's path: the segment's, with .json for .mkv. */
export const sidecarPath = (segment: string) => `${segment.replace(/\.mkv$/, "")}.json`;

/** A session id as a folder name: nothing that climbs out of the recordings folder or breaks a file system. */
export function folderName(text: string): string {
  const safe = text.replace(/[^\w.-]+/g, "_").replace(/^\.+/, "_");
  return safe.slice(0, 100) || "_";
}

function write(path: string, sidecar: SegmentSidecar): void {
  const temporary = `${path}.tmp`;
  // Owner-only like the segment it describes; a temporary file left by a crash is replaced, not reused with its mode.
  rmSync(temporary, { force: true });
  writeFileSync(temporary, `${JSON.stringify(sidecar, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, path);
}

/** A segment's sidecar that says it is still open, or null (none, unreadable, or closed already). */
function readOpenSidecar(segment: string): SegmentSidecar | null {
  try {
    const sidecar = JSON.parse(readFileSync(sidecarPath(segment), "utf8")) as SegmentSidecar;
    return sidecar.version === 1 && sidecar.closed === null && Array.isArray(sidecar.cuts) ? sidecar : null;
  } catch {
    return null;
  }
}

/** The open segment's sidecar, kept current as the worker reports segments and cuts. */
export class SegmentLog {
  private open: { path: string; sidecar: SegmentSidecar } | undefined;

  constructor(
    private readonly context: () => { session: string; room: string; camera: string | null; tracks?: SegmentTrack[] },
  ) {}

  get current(): string | null {
    return this.open ? this.open.sidecar.file : null;
  }

  opened(segment: string, at: number): void {
    if (this.open?.path === segment) return;
    if (this.open) this.closed(this.open.path, at, "split");
    // Opened under an agent that died (this one adopted the worker): its sidecar goes on, cuts and all.
    const earlier = readOpenSidecar(segment);
    if (earlier) {
      this.open = { path: segment, sidecar: earlier };
      return;
    }
    const { session, room, camera, tracks } = this.context();
    const sidecar: SegmentSidecar = {
      version: 1,
      session,
      room,
      file: segment.slice(segment.lastIndexOf("/") + 1),
      start: new Date(at).toISOString(),
      end: null,
      camera,
      cuts: [],
      closed: null,
      ...(tracks ? { tracks } : {}),
    };
    this.open = { path: segment, sidecar };
    write(sidecarPath(segment), sidecar);
  }

  cut(camera: string, at: number): void {
    const open = this.open;
    if (!open) return;
    const offsetS = Math.max(0, Math.round((at - Date.parse(open.sidecar.start)) / 10) / 100);
    open.sidecar.cuts.push({ at: new Date(at).toISOString(), offsetS, camera });
    write(sidecarPath(open.path), open.sidecar);
  }

  /** Closes the segment if it is the open one; returns its sidecar (for the segment-closed event). */
  closed(segment: string, at: number, how: SegmentSidecar["closed"]): SegmentSidecar | null {
    let open = this.open;
    if (open?.path === segment) this.open = undefined;
    else {
      // Opened under an agent that died, closed before this one adopted the worker.
      const earlier = readOpenSidecar(segment);
      if (!earlier) return null;
      open = { path: segment, sidecar: earlier };
    }
    open.sidecar.end = new Date(at).toISOString();
    open.sidecar.closed = how;
    write(sidecarPath(segment), open.sidecar);
    return open.sidecar;
  }

  /** The worker is gone with a segment open: close the sidecar now, as interrupted. */
  interrupt(at: number): { path: string; sidecar: SegmentSidecar } | null {
    const open = this.open;
    if (!open) return null;
    const sidecar = this.closed(open.path, at, "interrupted");
    return sidecar ? { path: open.path, sidecar } : null;
  }
}
