// The GStreamer pipelines of a room, as gst-launch descriptions built from the media config (pure, so they are
// tested without GStreamer). Each camera, the room's sound, the program, the SRT sender, the recording, each link
// and the display is its own pipeline: one failing (a camera that does not answer, a peer that is down) never stops
// the others. Pictures and sound cross between them through inter elements (raw) and loopback UDP (MPEG-TS).
import type { MediaConfig } from "./worker-messages.ts";

/** A value for a property in a launch description, quoted so spaces, quotes and `!` stay inside it. */
export function quote(value: string): string {
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

const COLOURS: Record<string, number> = {
  red: 0xffff0000,
  green: 0xff00ff00,
  blue: 0xff0000ff,
  white: 0xffffffff,
  black: 0xff000000,
  yellow: 0xffffff00,
  cyan: 0xff00ffff,
  magenta: 0xffff00ff,
};
const PATTERNS = new Set(["smpte", "ball", "snow", "checkers-8", "circular", "pinwheel", "bar", "gamut"]);

/** Raw video as every part of the room exchanges it. */
export function rawCaps(config: MediaConfig, width = config.video.width, height = config.video.height): string {
  return `video/x-raw,format=I420,width=${width},height=${height},framerate=${config.video.fps}/1,pixel-aspect-ratio=1/1`;
}

/**
 * Every sink of a live pipeline: no clock (pictures leave as they come) and no preroll. A sink that waits for preroll
 * hangs a live demuxer that joined a running stream (it decoded one frame, then nothing).
 */
const UNSYNCED = "sync=false async=false";

const AUDIO_CAPS = "audio/x-raw,format=S16LE,layout=interleaved,rate=48000,channels=2";
/**

 * The inter audio surface keeps at most 200 ms (the reader sets it): with the default second, a reader that starts after the writer gets a second
 * of backlog at once and runs that far ahead of the pictures for good (and a peer joining late got no picture).
 */
const INTER_AUDIO = "buffer-time=200000000 latency-time=40000000 period-time=20000000";

/** Names of the inter channels and appsinks, one place so the engine and the launch lines agree. */
/** The SRT caller of a link: named by its peer, so GStreamer's log lines about it (reasons) can be told apart. */
export const srtElement = (peer: string) => `srt-${peer}`;

export const channel = {
  camera: (id: string) => `camera-${id}`,
  roomAudio: "room-audio",
  link: (peer: string) => `link-${peer}`,
  linkAudio: (peer: string) => `link-${peer}-audio`,
};

/** A test picture: `testsrc:red`, `testsrc:#ff8800`, `testsrc:smpte`… */
function testPicture(spec: string): string {
  const what = spec.slice("testsrc:".length);
  const hex = /^#([0-9a-f]{6})$/i.exec(what)?.[1];
  const colour = hex ? 0xff000000 + Number.parseInt(hex, 16) : COLOURS[what];
  if (colour !== undefined) return `videotestsrc is-live=true pattern=solid-color foreground-color=${colour >>> 0}`;
  if (PATTERNS.has(what)) return `videotestsrc is-live=true pattern=${what}`;
  throw new Error(
    `unknown test picture "${what}": a colour (${Object.keys(COLOURS).join(", ")}, #rrggbb) or a pattern`,
  );
}

/** One camera's picture into its inter channel, at the program's size and rate. */
export function cameraLine(config: MediaConfig, id: string, uri: string): string {
  let source: string;
  if (uri.startsWith("testsrc:")) source = testPicture(uri);
  else if (/^rtsps?:\/\//.test(uri))
    // rtspsrc's own jitter buffer (not uridecodebin's 2 s default) keeps the cut-to-screen time short.
    source = `rtspsrc location=${quote(uri)} protocols=tcp latency=100 ! decodebin`;
  else source = `uridecodebin uri=${quote(uri)} caps=video/x-raw expose-all-streams=false`;
  return (
    `${source} ! videoconvert ! videoscale ! videorate ! ${rawCaps(config)} ! ` +
    `intervideosink name=camera-sink channel=${channel.camera(id)} ${UNSYNCED}`
  );
}

/** The room's sound (the DSP's output into the PC) into its inter channel. */
export function audioLine(input: string): string {
  let source: string;
  if (input === "silence") source = "audiotestsrc is-live=true wave=silence";
  else if (input.startsWith("testsrc:")) {
    const hz = Number(input.slice("testsrc:".length));
    if (!Number.isFinite(hz) || hz <= 0) throw new Error(`test sound "${input}": give a frequency, e.g. testsrc:440`);
    source = `audiotestsrc is-live=true wave=sine freq=${hz} volume=0.2`;
  } else if (input === "pulse") source = "pulsesrc";
  else if (input.startsWith("alsa:")) source = `alsasrc device=${quote(input.slice("alsa:".length))}`;
  else source = `uridecodebin uri=${quote(input)} caps=audio/x-raw expose-all-streams=false`;
  return `${source} ! audioconvert ! audioresample ! ${AUDIO_CAPS} ! interaudiosink channel=${channel.roomAudio} ${UNSYNCED}`;
}

/**
 * Two appsinks on a picture: `NAME-probe` gets every frame shrunk to 8×8 RGB (its mean colour tells a cut, here
 * or at the far end, within a frame), `NAME-jpeg` a JPEG at the snapshot rate for the panel's preview.
 */
export function pictureTaps(config: MediaConfig, tee: string, name: string): string {
  const { width, height, fps } = config.snapshot;
  const leaky = "queue leaky=downstream max-size-buffers=2 max-size-bytes=0 max-size-time=0";
  return [
    `${tee}. ! ${leaky} ! videoscale ! videoconvert ! video/x-raw,format=RGB,width=8,height=8 ! ` +
      `appsink name=${name}-probe ${UNSYNCED} max-buffers=1 drop=true`,
    `${tee}. ! ${leaky} ! videorate drop-only=true max-rate=${fps} ! videoscale ! videoconvert ! ` +
      `video/x-raw,format=I420,width=${width},height=${height} ! jpegenc quality=75 ! ` +
      `appsink name=${name}-jpeg ${UNSYNCED} max-buffers=1 drop=true`,
  ].join("\n");
}

/** Loopback UDP ports the program's MPEG-TS goes to: one for the SRT sender, one for the recording. */
export interface ProgramPorts {
  sender: number;
  recording: number;
}

/**
 * The program: every camera's channel → input-selector (the cut) → H.264 + AAC → MPEG-TS on loopback UDP, plus
 * the taps. A camera with no picture gives black frames (intervideosrc's timeout), so the switcher never stalls.
 */
export function programLine(config: MediaConfig, ports: ProgramPorts): string {
  const { video, audio } = config;
  const keyInterval = Math.max(1, Math.round(video.fps * video.keyframeS));
  const inputs = config.cameras.length > 0 ? config.cameras.map((camera) => camera.id) : [];
  const lines = [
    "input-selector name=switch ! tee name=program-tee",
    "program-tee. ! queue leaky=downstream max-size-buffers=2 max-size-bytes=0 max-size-time=0 ! videoconvert ! " +
      `x264enc name=encoder tune=zerolatency speed-preset=ultrafast bitrate=${video.bitrateKbps} ` +
      `key-int-max=${keyInterval} ! video/x-h264,profile=constrained-baseline ! h264parse config-interval=-1 ! ` +
      "queue ! mux.",
    pictureTaps(config, "program-tee", "program"),
    `interaudiosrc channel=${channel.roomAudio} ${INTER_AUDIO} ! ${AUDIO_CAPS} ! audioconvert ! ` +
      `avenc_aac bitrate=${audio.bitrateKbps * 1000} ! aacparse ! queue ! mux.`,
    // alignment=0: each frame leaves at once (7-packet alignment held small frames back up to ~250 ms).
    "mpegtsmux name=mux alignment=0 ! " +
      `multiudpsink clients=127.0.0.1:${ports.sender},127.0.0.1:${ports.recording} ${UNSYNCED}`,
  ];
  if (inputs.length === 0) lines.push(`videotestsrc is-live=true pattern=black ! ${rawCaps(config)} ! switch.sink_0`);
  inputs.forEach((id, index) => {
    lines.push(
      `intervideosrc channel=${channel.camera(id)} timeout=${500_000_000} ! ${rawCaps(config)} ! ` +
        `queue leaky=downstream max-size-buffers=2 max-size-bytes=0 max-size-time=0 ! switch.sink_${index}`,
    );
  });
  return lines.join("\n");
}

const DEEP_QUEUE = "queue max-size-time=8000000000 max-size-buffers=0 max-size-bytes=0";

const TS_CAPS = "video/mpegts,systemstream=(boolean)true,packetsize=(int)188";

/** The SRT listener peers call, fed by the program's MPEG-TS; encrypted with the session's passphrase. */
export function senderLine(sender: NonNullable<MediaConfig["sender"]>, port: number): string {
  const host = sender.bind.includes(":") ? `[${sender.bind}]` : sender.bind;
  return (
    `udpsrc port=${port} address=127.0.0.1 buffer-size=4194304 caps=${quote(TS_CAPS)} ! ` +
    `srtsink name=sender-srt uri=${quote(`srt://${host}:${sender.port}?mode=listener`)} ` +
    `passphrase=${quote(sender.passphrase)} pbkeylen=32 latency=${sender.latencyMs} ` +
    `wait-for-connection=false ${UNSYNCED}`
  );
}

/** Recording: the program's MPEG-TS into Matroska segments `{start}_{n}.mkv` cut at key frames. */
export function recordingLine(folder: string, start: string, segmentS: number, port: number): string {
  // splitmuxsink formats the location with printf: a literal % in the folder must be doubled.
  const location = `${folder.replace(/%/g, "%%")}/${start}_%d.mkv`;
  return [
    `udpsrc port=${port} address=127.0.0.1 buffer-size=4194304 caps=${quote(TS_CAPS)} ! tsdemux name=demux`,
    // A queue on each branch of a demuxer, or one branch waiting starves the other; several seconds deep, as the
    // recorder holds a whole GOP of pictures back while it lines the sound up with them.
    `demux. ! ${DEEP_QUEUE} ! h264parse ! recorder.video`,
    `demux. ! ${DEEP_QUEUE} ! aacparse ! recorder.audio_0`,
    // Unbuffered: what the muxer wrote is on disk at once, so a killed worker leaves a segment that plays up to its
    // last written picture (with the default 64 KB buffer it could be left without even its header).
    `splitmuxsink name=recorder location=${quote(location)} max-size-time=${segmentS * 1_000_000_000} ` +
      `muxer-factory=matroskamux sink-properties=${quote(`properties,${UNSYNCED.replace(" ", ",")},buffer-mode=2`)}`,
  ].join("\n");
}

/** The tile each received picture gets on the screen. */
export function tileSize(config: MediaConfig): { columns: number; width: number; height: number } {
  const count = Math.max(1, config.links.length);
  const columns = config.layout === "single" ? 1 : Math.ceil(Math.sqrt(count));
  const rows = config.layout === "single" ? 1 : Math.ceil(count / columns);
  // Even sizes: I420 halves both for its colour planes.
  const even = (n: number) => Math.max(2, Math.floor(n / 2) * 2);
  return { columns, width: even(config.video.width / columns), height: even(config.video.height / rows) };
}

/** One peer's program: SRT caller → decode → its inter channels (picture at tile size, sound), plus the taps. */
export function linkLine(config: MediaConfig, link: MediaConfig["links"][number]): string {
  if (link.host === null || link.port === null) throw new Error("no address");
  const host = link.host.includes(":") ? `[${link.host}]` : link.host;
  const tile = tileSize(config);
  return [
    `srtsrc name=${srtElement(link.peer)} uri=${quote(`srt://${host}:${link.port}`)} passphrase=${quote(link.passphrase)} ` +
      `latency=${link.latencyMs} ! tsdemux name=demux`,
    // A queue on each branch of the demuxer, or one branch waiting starves the other. One decoding thread: frame threading holds a frame per thread back, which the cut-to-screen time cannot spare.
    "demux. ! queue ! h264parse ! avdec_h264 max-threads=1 ! videoconvert ! videoscale ! " +
      `${rawCaps(config, tile.width, tile.height)} ! tee name=picture`,
    `picture. ! queue leaky=downstream max-size-buffers=2 max-size-bytes=0 max-size-time=0 ! intervideosink channel=${channel.link(link.peer)} ${UNSYNCED}`,
    pictureTaps(config, "picture", "link"),
    `demux. ! queue ! aacparse ! avdec_aac ! audioconvert ! audioresample ! ${AUDIO_CAPS} ! ` +
      `interaudiosink channel=${channel.linkAudio(link.peer)} ${UNSYNCED}`,
  ].join("\n");
}

/** What the room's screen shows: the received pictures composed (grid or one), and their sound mixed. */
export function displayLine(config: MediaConfig, window: boolean): string {
  const tile = tileSize(config);
  const placement = config.links
    .map((_, index) => {
      const x = (index % tile.columns) * tile.width;
      const y = Math.floor(index / tile.columns) * tile.height;
      return `sink_${index}::xpos=${x} sink_${index}::ypos=${y}`;
    })
    .join(" ");
  const videoSink = window ? "autovideosink sync=false" : `fakesink ${UNSYNCED}`;
  const audioSink = window ? "autoaudiosink sync=false" : `fakesink ${UNSYNCED}`;
  const lines = [
    `compositor name=mix background=black ${placement} ! ${rawCaps(config)} ! tee name=display-tee`,
    `display-tee. ! queue leaky=downstream max-size-buffers=2 ! videoconvert ! ${videoSink}`,
    pictureTaps(config, "display-tee", "display"),
    `audiomixer name=sound ! audioconvert ! ${audioSink}`,
  ];
  config.links.forEach((link, index) => {
    lines.push(
      `intervideosrc channel=${channel.link(link.peer)} timeout=${1_000_000_000} ! ` +
        `${rawCaps(config, tile.width, tile.height)} ! queue max-size-buffers=2 ! mix.sink_${index}`,
      `interaudiosrc channel=${channel.linkAudio(link.peer)} ${INTER_AUDIO} ! ${AUDIO_CAPS} ! queue ! sound.`,
    );
  });
  return lines.join("\n");
}

/** A launch line safe to log: passphrases replaced. */
export function redact(line: string): string {
  return line.replace(/passphrase=("(?:[^"\\]|\\.)*"|\S+)/g, "passphrase=***");
}
