// Whether a recording segment is a valid file: its first picture track and first sound track decoded to the end by
// ffprobe (Debian's FFmpeg, not our code, and what most players are built on), with each decoded frame's timestamp.
// For tests, the benchmark and anyone checking a recording by hand; the agent itself never needs it.
// Not gst-launch's -v output of a fakesink: it prints the sink's last-message when the notification is handled, and
// on a loaded machine skips or repeats frames (a file of 126 pictures read as 108 with a 1.4 s hole, or as 171).
import { execFile } from "node:child_process";

export interface RecordingReport {
  ok: boolean;
  /** Decoded pictures, and the span of their timestamps in seconds. */
  videoFrames: number;
  videoSeconds: number;
  /** The longest time between two pictures' timestamps in seconds: a hole in the recording, not a slower rate. */
  videoLargestGapS: number;
  /** Where that longest gap begins, in seconds from the first picture: what happened then tells its cause. */
  videoLargestGapAtS: number;
  /** Decoded sound in seconds (from the first frame's timestamp to the last one's end). */
  audioSeconds: number;
  error: string | null;
}

interface Frames {
  count: number;
  first: number;
  /** The last frame's end. */
  end: number;
  largestGap: number;
  largestGapAt: number;
}

/**
 * The frames of a file's first stream of a kind, decoded. A segment whose worker was killed stops mid-write: ffprobe
 * says "File ended prematurely" and decodes what is there, as a player does; that is not an error here.
 */
function decode(file: string, stream: "v:0" | "a:0", timeoutMs: number): Promise<Frames> {
  const args = ["-v", "error", "-select_streams", stream, "-show_entries", "frame=pts_time,duration_time"];
  return new Promise((resolve, reject) => {
    execFile(
      "ffprobe",
      [...args, "-of", "csv=p=0", file],
      { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const problems = stderr
          .split("\n")
          .filter((line) => line.trim() !== "" && !line.includes("File ended prematurely"));
        if (error || problems.length > 0)
          return reject(new Error(`${stream}: ${(problems[0] ?? error?.message ?? "").trim().slice(0, 200)}`));
        const frames = stdout
          .split("\n")
          .map((line) => line.split(",").map(Number.parseFloat))
          .filter(([pts]) => Number.isFinite(pts))
          .sort(([a], [b]) => a! - b!);
        let largestGap = 0;
        let largestGapAt = 0;
        for (let i = 1; i < frames.length; i++) {
          const gap = frames[i]![0]! - frames[i - 1]![0]!;
          if (gap > largestGap) [largestGap, largestGapAt] = [gap, frames[i - 1]![0]! - frames[0]![0]!];
        }
        const last = frames.at(-1);
        resolve({
          count: frames.length,
          first: frames[0]?.[0] ?? 0,
          end: last ? last[0]! + (Number.isFinite(last[1]) ? last[1]! : 0) : 0,
          largestGap,
          largestGapAt,
        });
      },
    );
  });
}

export async function inspectRecording(file: string, timeoutMs = 30_000): Promise<RecordingReport> {
  const round = (seconds: number, places: number) => Math.round(seconds * 10 ** places) / 10 ** places;
  try {
    const [video, audio] = await Promise.all([decode(file, "v:0", timeoutMs), decode(file, "a:0", timeoutMs)]);
    return {
      ok: video.count > 0 && audio.count > 0,
      videoFrames: video.count,
      videoSeconds: round(video.end - video.first, 2),
      videoLargestGapS: round(video.largestGap, 3),
      videoLargestGapAtS: round(video.largestGapAt, 2),
      audioSeconds: round(audio.end - audio.first, 2),
      error: null,
    };
  } catch (error) {
    const none = { videoFrames: 0, videoSeconds: 0, videoLargestGapS: 0, videoLargestGapAtS: 0, audioSeconds: 0 };
    return { ok: false, ...none, error: (error as Error).message };
  }
}

/** The streams of a file as ffprobe (Debian's ffmpeg, not our code) sees them: `type:codec` in the file's order. */
export function probeStreams(file: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    execFile(
      "ffprobe",
      ["-v", "error", "-show_entries", "stream=codec_type,codec_name", "-of", "json", file],
      (error, stdout) => {
        if (error) return reject(error);
        const { streams } = JSON.parse(stdout) as { streams: { codec_type: string; codec_name: string }[] };
        resolve(streams.map((stream) => `${stream.codec_type}:${stream.codec_name}`));
      },
    );
  });
}
