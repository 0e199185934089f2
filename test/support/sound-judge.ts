// What a peer that is not our code receives: gst-launch-1.0 as a component or a hardware decoder would be — calling
// an SRT listener, or itself listening for a caller (`?mode=listener` in the URL) — plays one sound track of the stream
// (by MPEG-TS PID, or the first one) and measures it with GStreamer's own `spectrum` element; it can also keep the
// decoded picture shrunk to 8×8. For the tests of mix-minus and of the session program sent to a guest point.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A guest point's encoder as a hardware codec's would be, gst-launch-1.0 (not our code): an SRT listener on `port`
 * sending a solid picture of `colour` (0xAARRGGBB) and a tone of `hz` at `volume`, with its own passphrase.
 */
export function guestEncoder(options: {
  port: number;
  passphrase: string;
  colour: string;
  hz: number;
  volume: number;
}): ChildProcess {
  return spawn(
    "gst-launch-1.0",
    [
      "-q",
      ..."videotestsrc is-live=true pattern=solid-color".split(" "),
      `foreground-color=${options.colour}`,
      // As SRT senders stream: parameter sets with every key frame (a caller joins late), and 7 TS packets per SRT
      // message (1,316 bytes, SRT's live payload; larger buffers are not sent).
      ..."! video/x-raw,width=320,height=180,framerate=15/1 ! x264enc tune=zerolatency key-int-max=15".split(" "),
      ..."! h264parse config-interval=-1 ! mpegtsmux name=mux alignment=7 ! srtsink".split(" "),
      `uri=srt://127.0.0.1:${options.port}?mode=listener`,
      `passphrase=${options.passphrase}`,
      "audiotestsrc",
      "is-live=true",
      `freq=${options.hz}`,
      `volume=${options.volume}`,
      ..."! audioconvert ! avenc_aac ! aacparse ! mux.".split(" "),
    ],
    { stdio: "ignore" },
  );
}

/** Width of a spectrum band: 48 kHz sound in 480 bands of 50 Hz. */
const BAND_HZ = 50;

export interface Heard {
  /** The median magnitude (dB, floor -100) at each frequency asked about. */
  tones: Record<number, number>;
  /** The last decoded picture shrunk to 8×8, row by row (RGB), when asked for. */
  cells: [number, number, number][] | null;
}

/**
 * The median magnitude (dB, floor -100) heard at each frequency over `seconds` after the first `settleS`. Tones
 * should sit in the middle of a 50 Hz band (e.g. 525, 1025, 1525 Hz) so that a band holds one tone.
 */
export async function hearTones(options: {
  url: string;
  passphrase: string;
  /** The track's PID; without it, the stream's first sound track. */
  pid?: number;
  frequencies: number[];
  seconds: number;
  settleS?: number;
  /** How long to wait for the first sound (a listener waits for its caller's next try): 30 s when not given. */
  waitS?: number;
  /** Keep the decoded picture too. */
  picture?: boolean;
}): Promise<Heard> {
  const pad = options.pid === undefined ? "demux." : `demux.audio_0_${options.pid.toString(16).padStart(4, "0")}`;
  const folder = mkdtempSync(join(tmpdir(), "rc-judge-"));
  const frames = join(folder, "frames.rgb");
  const picture = options.picture
    ? " demux. ! queue ! h264parse ! avdec_h264 ! videoconvert ! videoscale ! " +
      `video/x-raw,format=RGB,width=8,height=8 ! filesink location=${frames} buffer-mode=2 sync=false`
    : "";
  const pipeline =
    `srtsrc uri=${options.url} passphrase=${options.passphrase} latency=120 ! tsdemux name=demux ` +
    `${pad} ! queue ! aacparse ! avdec_aac ! audioconvert ! audioresample ! audio/x-raw,rate=48000,channels=1 ! ` +
    `spectrum bands=${24_000 / BAND_HZ} threshold=-100 interval=200000000 ! fakesink sync=false${picture}`;
  const child = spawn("gst-launch-1.0", ["-m", ...pipeline.split(" ")], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  let errors = "";
  child.stdout.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    errors = (errors + chunk.toString()).slice(-2000); // gst-launch's ERROR lines: why it ended early
  });
  try {
    const settleS = options.settleS ?? 2;
    // Counted from the first spectrum message: the SRT connection and the first key frame take their time.
    const deadline = Date.now() + (options.waitS ?? 30) * 1000;
    while (!/magnitude=/.test(output) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await new Promise((resolve) => setTimeout(resolve, (settleS + options.seconds) * 1000));
    child.kill("SIGKILL");
    const messages = [...output.matchAll(/magnitude=\(float\)\{([^}]*)\}/g)].map((match) =>
      match[1]!.split(",").map(Number),
    );
    const heard = messages.slice(Math.round(settleS * 5));
    if (heard.length === 0)
      throw new Error(`no sound measured from ${options.url}: ${output.slice(-500)}${errors.slice(-500)}`);
    const tones: Record<number, number> = {};
    for (const frequency of options.frequencies) {
      const band = Math.floor(frequency / BAND_HZ);
      const sorted = heard.map((magnitudes) => magnitudes[band] ?? -100).sort((a, b) => a - b);
      tones[frequency] = sorted[Math.floor(sorted.length / 2)]!;
    }
    let cells: Heard["cells"] = null;
    if (options.picture) {
      const bytes = readFileSync(frames);
      const whole = Math.floor(bytes.length / 192) * 192;
      if (whole === 0) throw new Error(`no picture decoded from ${options.url}`);
      const frame = bytes.subarray(whole - 192, whole);
      cells = Array.from({ length: 64 }, (_, i) => [frame[i * 3]!, frame[i * 3 + 1]!, frame[i * 3 + 2]!]);
    }
    return { tones, cells };
  } finally {
    child.kill("SIGKILL");
    rmSync(folder, { recursive: true, force: true });
  }
}
