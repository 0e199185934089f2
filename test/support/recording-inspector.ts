// Whether a recording segment is a valid file: decoded to the end by GStreamer's own tools (gst-launch-1.0, which
// the setup installs), counting the pictures and the sound it holds. For tests, the benchmark and anyone checking a
// recording by hand; the agent itself never needs it.
import { execFile } from "node:child_process";

export interface RecordingReport {
  ok: boolean;
  /** Decoded pictures, and the span of their timestamps in seconds. */
  videoFrames: number;
  videoSeconds: number;
  /** The longest time between two pictures' timestamps in seconds: a hole in the recording, not a slower rate. */
  videoLargestGapS: number;
  /** Decoded sound in seconds (from the first sample's timestamp to the last one's end). */
  audioSeconds: number;
  error: string | null;
}

/** PTS and duration of each buffer a `fakesink silent=false` named `sink` received, from gst-launch's -v output. */
function spans(output: string, sink: string): { first: number; last: number; count: number; largestGap: number } {
  const seconds = (text: string) => {
    const [h, m, s] = text.split(":").map(Number);
    return h! * 3600 + m! * 60 + s!;
  };
  let last = 0;
  const starts: number[] = [];
  const pattern = new RegExp(
    `\\(${sink}:sink\\) \\(\\d+ bytes, dts: [^,]*, pts: ([\\d:.]+), duration: ([\\d:.]+)`,
    "g",
  );
  for (const match of output.matchAll(pattern)) {
    const pts = seconds(match[1]!);
    starts.push(pts);
    last = Math.max(last, pts + seconds(match[2]!));
  }
  starts.sort((a, b) => a - b);
  const largestGap = starts.reduce((gap, pts, i) => (i === 0 ? 0 : Math.max(gap, pts - starts[i - 1]!)), 0);
  return { first: starts[0] ?? 0, last, count: starts.length, largestGap };
}

export function inspectRecording(file: string, timeoutMs = 30_000): Promise<RecordingReport> {
  const pipeline = [
    "filesrc",
    `location=${file}`,
    "!",
    "matroskademux",
    "name=demux",
    // Unbounded queues: reading a file, one branch may run far ahead of the other.
    ..."demux.video_0 ! queue max-size-time=0 max-size-buffers=0 max-size-bytes=0 ! h264parse ! avdec_h264".split(" "),
    ..."! fakesink name=video silent=false sync=false".split(" "),
    ..."demux.audio_0 ! queue max-size-time=0 max-size-buffers=0 max-size-bytes=0 ! aacparse ! avdec_aac".split(" "),
    ..."! fakesink name=audio silent=false sync=false".split(" "),
  ];
  return new Promise((resolve) => {
    execFile(
      "gst-launch-1.0",
      ["-v", ...pipeline],
      { timeout: timeoutMs, maxBuffer: 256 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const output = `${stdout}\n${stderr}`;
        const video = spans(output, "video");
        const audio = spans(output, "audio");
        const failure = /ERROR: (.*)/.exec(output)?.[1] ?? (error ? error.message.split("\n")[0]! : null);
        resolve({
          ok: failure === null && video.count > 0 && audio.count > 0,
          videoFrames: video.count,
          videoSeconds: Math.round((video.last - video.first) * 100) / 100,
          videoLargestGapS: Math.round(video.largestGap * 1000) / 1000,
          audioSeconds: Math.round((audio.last - audio.first) * 100) / 100,
          error: failure,
        });
      },
    );
  });
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
