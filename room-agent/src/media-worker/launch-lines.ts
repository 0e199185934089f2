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

/** A queue that keeps only the latest pictures: a slow branch drops frames rather than hold the others back. */
const LEAKY = "queue leaky=downstream max-size-buffers=2 max-size-bytes=0 max-size-time=0";

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
  /** The room's sound again, for the session program (an inter audio channel has one reader: it takes the samples). */
  roomSessionAudio: "room-audio-session",
  /** The program's raw picture, for the session program's grid. */
  programPicture: "program-picture",
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
  else if (/^rtsps?:\/\//.test(uri)) {
    // The camera's login (Basic or Digest, as it asks) as rtspsrc's own properties, never inside the URI, which
    // GStreamer repeats in its messages; redact() hides the password when the line is logged.
    const login = config.cameras.find((camera) => camera.id === id)?.login;
    const credentials = login ? ` user-id=${quote(login.user)} user-pw=${quote(login.password)}` : "";
    // rtspsrc's own jitter buffer (not uridecodebin's 2 s default) keeps the cut-to-screen time short.
    source = `rtspsrc location=${quote(uri)}${credentials} protocols=tcp latency=100 ! decodebin`;
  } else source = `uridecodebin uri=${quote(uri)} caps=video/x-raw expose-all-streams=false`;
  return (
    `${source} ! videoconvert ! videoscale ! videorate ! ${rawCaps(config)} ! ` +
    `intervideosink name=camera-sink channel=${channel.camera(id)} ${UNSYNCED}`
  );
}

/** The room's sound (the DSP's output into the PC) into its inter channels: the program's and the session's. */
export function audioLine(input: string): string {
  let source: string;
  if (input === "silence") source = "audiotestsrc is-live=true wave=silence";
  else if (input.startsWith("testsrc:")) {
    // testsrc:HZ or testsrc:HZ:VOLUME (0…1; a quiet point and a loud one tell the active point apart in tests).
    const [hz, volume = 0.2] = input.slice("testsrc:".length).split(":").map(Number);
    if (!Number.isFinite(hz) || hz! <= 0 || !Number.isFinite(volume) || volume < 0 || volume > 1)
      throw new Error(
        `test sound "${input}": give a frequency and maybe a volume, e.g. testsrc:440 or testsrc:440:0.05`,
      );
    source = `audiotestsrc is-live=true wave=sine freq=${hz} volume=${volume}`;
  } else if (input === "pulse") source = "pulsesrc";
  else if (input.startsWith("alsa:")) source = `alsasrc device=${quote(input.slice("alsa:".length))}`;
  else source = `uridecodebin uri=${quote(input)} caps=audio/x-raw expose-all-streams=false`;
  return [
    `${source} ! audioconvert ! audioresample ! ${AUDIO_CAPS} ! tee name=room-sound`,
    `room-sound. ! queue ! interaudiosink channel=${channel.roomAudio} ${UNSYNCED}`,
    `room-sound. ! queue ! interaudiosink channel=${channel.roomSessionAudio} ${UNSYNCED}`,
  ].join("\n");
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

/**
 * Loopback UDP ports the MPEG-TS streams go to: the program's for the SRT sender and for the recording; at a relay
 * host, the session program's for the sender (instead of the program's) and for its own recording.
 */
export interface ProgramPorts {
  sender: number;
  recording: number;
  session: number;
  sessionRecording: number;
  /** One per guest point the session program is sent to (`GUEST_SENDS` of them). */
  guests: number[];
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
    `program-tee. ! ${LEAKY} ! intervideosink channel=${channel.programPicture} ${UNSYNCED}`,
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

/** tsdemux's pad for a PID of the first program. */
const demuxPad = (kind: "video" | "audio", pid: number) => `${kind}_0_${pid.toString(16).padStart(4, "0")}`;
const demuxAudioPad = (pid: number) => demuxPad("audio", pid);

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

/** Guest points a relay host can send its session program to, each its own stream. */
export const GUEST_SENDS = 4;

/** The peers a relay host sends its session program to by calling them (guest points' decoders), with their ports. */
export function guestSends(
  config: MediaConfig,
  ports: ProgramPorts,
): { link: MediaConfig["links"][number]; index: number; port: number }[] {
  const sends = config.links.flatMap((link, index) => (link.send ? [{ link, index }] : []));
  if (sends.length > ports.guests.length)
    throw new Error(`the session program goes to at most ${ports.guests.length} guest points, not ${sends.length}`);
  return sends.map((send, slot) => ({ ...send, port: ports.guests[slot]! }));
}

/**
 * The session program to a guest point's decoder: the host calls it (as it calls the guest's encoder), since a
 * hardware codec's decoder input is an SRT listener behind the guest's firewall like its encoder output; the stream
 * has the guest's mix-minus as its only sound track, which any decoder plays.
 */
export function guestSenderLine(link: MediaConfig["links"][number], port: number): string {
  if (!link.send) throw new Error("no address to send to");
  const host = link.send.host.includes(":") ? `[${link.send.host}]` : link.send.host;
  return (
    `udpsrc port=${port} address=127.0.0.1 buffer-size=4194304 caps=${quote(TS_CAPS)} ! ` +
    `srtsink name=${srtElement(`send-${link.peer}`)} uri=${quote(`srt://${host}:${link.send.port}`)} ` +
    `passphrase=${quote(link.passphrase)} pbkeylen=32 latency=${link.latencyMs} ${UNSYNCED}`
  );
}

/** File names of the session program's segments (beside the room's own, in the same folder): this, then `_{start}_{n}`. */
export const SESSION_PROGRAM_FILE = "session-program";
/** The session program's recording stream: its picture, the mix of all points, then each point's own sound. */
const RECORD_VIDEO_PID = 0x41;
const RECORD_MIX_PID = 0x60;
const recordPointPid = (index: number) => 0x61 + index;

/**
 * Recording: the program's MPEG-TS into Matroska segments `{start}_{n}.mkv` cut at key frames. At a relay host also
 * the session program's, into `session-program_{start}_{n}.mkv` with its sound tracks: the mix, then one per point
 * (in `sessionPoints` order), so a review can hear each party alone.
 */
export function recordingLine(
  folder: string,
  start: string,
  segmentS: number,
  port: number,
  session: { port: number; points: number } | null = null,
): string {
  // splitmuxsink formats the location with printf: a literal % in the folder must be doubled.
  const location = (name: string) => quote(`${folder.replace(/%/g, "%%")}/${name}_%d.mkv`);
  // Unbuffered: what the muxer wrote is on disk at once, so a killed worker leaves a segment that plays up to its
  // last written picture (with the default 64 KB buffer it could be left without even its header).
  const recorder = (name: string, file: string) =>
    `splitmuxsink name=${name} location=${location(file)} max-size-time=${segmentS * 1_000_000_000} ` +
    `muxer-factory=matroskamux sink-properties=${quote(`properties,${UNSYNCED.replace(" ", ",")},buffer-mode=2`)}`;
  const input = (udpPort: number, demux: string) =>
    `udpsrc port=${udpPort} address=127.0.0.1 buffer-size=4194304 caps=${quote(TS_CAPS)} ! tsdemux name=${demux}`;
  const lines = [
    input(port, "demux"),
    // A queue on each branch of a demuxer, or one branch waiting starves the other; several seconds deep, as the
    // recorder holds a whole GOP of pictures back while it lines the sound up with them.
    `demux. ! ${DEEP_QUEUE} ! h264parse ! recorder.video`,
    `demux. ! ${DEEP_QUEUE} ! aacparse ! recorder.audio_0`,
    recorder("recorder", start),
  ];
  if (session) {
    lines.push(
      input(session.port, "session-demux"),
      `session-demux.${demuxPad("video", RECORD_VIDEO_PID)} ! ${DEEP_QUEUE} ! h264parse ! session-recorder.video`,
      `session-demux.${demuxAudioPad(RECORD_MIX_PID)} ! ${DEEP_QUEUE} ! aacparse ! session-recorder.audio_0`,
      recorder("session-recorder", `${SESSION_PROGRAM_FILE}_${start}`),
    );
    for (let index = 0; index < session.points; index++) {
      lines.push(
        `session-demux.${demuxAudioPad(recordPointPid(index))} ! ${DEEP_QUEUE} ! aacparse ! session-recorder.audio_${index + 1}`,
      );
    }
  }
  return lines.join("\n");
}

/** The tile each received picture gets on a component point's screen (a grid when it pulls several: a mesh). */
export function tileSize(config: MediaConfig): { columns: number; width: number; height: number } {
  const count = Math.max(1, config.links.length);
  const columns = config.layout === "single" ? 1 : Math.ceil(Math.sqrt(count));
  const rows = config.layout === "single" ? 1 : Math.ceil(count / columns);
  return { columns, width: even(config.video.width / columns), height: even(config.video.height / rows) };
}

/** Even sizes: I420 halves both for its colour planes. */
const even = (n: number) => Math.max(2, Math.floor(n / 2) * 2);

/** The MPEG-TS PID of a relay host's mix-minus sound for its peer at `index` (what that peer plays). */
export const mixMinusPid = (index: number) => 0x50 + index;

/**
 * One peer's program: SRT caller → decode → its inter channels (picture at full size, sound), plus the taps. From a
 * relay host, the sound is the track made for this room (everyone but itself); from anyone else, the only one.
 */
export function linkLine(config: MediaConfig, link: MediaConfig["links"][number]): string {
  if (link.host === null || link.port === null) throw new Error("no address");
  const host = link.host.includes(":") ? `[${link.host}]` : link.host;
  const sound = link.soundTrack === null ? "demux." : `demux.${demuxAudioPad(mixMinusPid(link.soundTrack))}`;
  return [
    `srtsrc name=${srtElement(link.peer)} uri=${quote(`srt://${host}:${link.port}`)} passphrase=${quote(link.passphrase)} ` +
      `latency=${link.latencyMs} ! tsdemux name=demux`,
    // A queue on each branch of the demuxer, or one branch waiting starves the other. One decoding thread: frame threading holds a frame per thread back, which the cut-to-screen time cannot spare.
    "demux. ! queue ! h264parse ! avdec_h264 max-threads=1 ! videoconvert ! videoscale ! " +
      `${rawCaps(config)} ! tee name=picture`,
    `picture. ! ${LEAKY} ! intervideosink channel=${channel.link(link.peer)} ${UNSYNCED}`,
    pictureTaps(config, "picture", "link"),
    `${sound} ! queue ! aacparse ! avdec_aac ! audioconvert ! audioresample ! ${AUDIO_CAPS} ! ` +
      `interaudiosink channel=${channel.linkAudio(link.peer)} ${UNSYNCED}`,
  ].join("\n");
}

/** The room's screen and loudspeakers, as a window or (tests, a room without a screen) nowhere. */
function localSinks(window: boolean): { video: string; audio: string } {
  return window
    ? { video: "autovideosink sync=false", audio: "autoaudiosink sync=false" }
    : { video: `fakesink ${UNSYNCED}`, audio: `fakesink ${UNSYNCED}` };
}

/** What a component point's screen shows: the received picture (several in a grid), and their sound mixed. */
export function displayLine(config: MediaConfig, window: boolean): string {
  const tile = tileSize(config);
  const placement = config.links
    .map((_, index) => {
      const x = (index % tile.columns) * tile.width;
      const y = Math.floor(index / tile.columns) * tile.height;
      return `sink_${index}::xpos=${x} sink_${index}::ypos=${y} sink_${index}::width=${tile.width} sink_${index}::height=${tile.height}`;
    })
    .join(" ");
  const sinks = localSinks(window);
  const lines = [
    `compositor name=mix background=black ${placement} ! ${rawCaps(config)} ! tee name=display-tee`,
    `display-tee. ! ${LEAKY} ! videoconvert ! ${sinks.video}`,
    pictureTaps(config, "display-tee", "display"),
    `audiomixer name=sound ! audioconvert ! ${sinks.audio}`,
  ];
  config.links.forEach((link, index) => {
    lines.push(
      `intervideosrc channel=${channel.link(link.peer)} timeout=${1_000_000_000} ! ` +
        `${rawCaps(config)} ! queue max-size-buffers=2 ! mix.sink_${index}`,
      `interaudiosrc channel=${channel.linkAudio(link.peer)} ${INTER_AUDIO} ! ${AUDIO_CAPS} ! queue ! sound.`,
    );
  });
  return lines.join("\n");
}

/** Where the session program puts each point's small picture: a row along the bottom, then up the right side. */
export function gridTile(config: MediaConfig, index: number): { x: number; y: number; width: number; height: number } {
  // Quarter-size tiles on the quarters of the frame (so an 8×8 probe sees each one whole): 4 along the bottom, 3 up
  // the right side; the active point's picture fills the frame behind them.
  const width = even(config.video.width / 4);
  const height = even(config.video.height / 4);
  const column = index < 4 ? index : 3;
  const row = index < 4 ? 3 : 3 - (index - 3);
  return { x: column * width, y: row * height, width, height };
}
/** The points of a relay host's session program, in their order there: the host itself, then its peers. */
export const sessionPoints = (config: MediaConfig): string[] => [config.room, ...config.links.map((link) => link.peer)];

/** Points a session program shows: the host and six others. */
export const GRID_POINTS = 7;

/** The level element of the session program's point at `index` (its messages choose the active point). */
export const levelElement = (index: number) => `level-${index}`;
/** The session program's selector of the large picture; its pad `sink_{index}` is the point at `index`. */
export const SPEAKER_SELECTOR = "speaker";

/**
 * The session program of a relay host (DESIGN §3.6): every point — this room's own program first, then each peer
 * in the config's order — in a small tile, the active point large behind them, and the sound of all. It is encoded
 * once and sent to every peer through the SRT listener, the picture with one sound track per peer (PID
 * `mixMinusPid(index)`): everyone but that peer (mix-minus: nobody hears their own voice come back). The room's own
 * loudspeakers get everyone but the room, the same way.
 */
export function sessionLine(config: MediaConfig, window: boolean, ports: ProgramPorts): string {
  const { video, audio } = config;
  const keyInterval = Math.max(1, Math.round(video.fps * video.keyframeS));
  const points = sessionPoints(config).map((point, index) =>
    index === 0
      ? { video: channel.programPicture, audio: channel.roomSessionAudio }
      : { video: channel.link(point), audio: channel.linkAudio(point) },
  );
  if (points.length > GRID_POINTS)
    throw new Error(`a session program shows at most ${GRID_POINTS} points, not ${points.length}`);
  const placement = points
    .map((_, index) => {
      const tile = gridTile(config, index);
      const pad = `sink_${index + 1}`;
      return `${pad}::xpos=${tile.x} ${pad}::ypos=${tile.y} ${pad}::width=${tile.width} ${pad}::height=${tile.height} ${pad}::zorder=${index + 1}`;
    })
    .join(" ");
  const sinks = localSinks(window);
  const aac = `audioconvert ! avenc_aac bitrate=${audio.bitrateKbps * 1000} ! aacparse ! queue`;
  const lines = [
    `compositor name=grid background=black sink_0::zorder=0 ${placement} ! ${rawCaps(config)} ! tee name=display-tee`,
    `display-tee. ! ${LEAKY} ! videoconvert ! ${sinks.video}`,
    pictureTaps(config, "display-tee", "display"),
    `display-tee. ! ${LEAKY} ! videoconvert ! x264enc name=session-encoder tune=zerolatency speed-preset=ultrafast ` +
      `bitrate=${video.bitrateKbps} key-int-max=${keyInterval} ! video/x-h264,profile=constrained-baseline ! ` +
      "h264parse config-interval=-1 ! tee name=session-h264",
    "session-h264. ! queue ! send.",
    // The host's record of the session: the same picture, the mix of all points and each point's own sound.
    `session-h264. ! queue ! record.sink_${RECORD_VIDEO_PID}`,
    `audiomixer name=mix ! ${aac} ! record.sink_${RECORD_MIX_PID}`,
    `mpegtsmux name=record alignment=0 ! udpsink host=127.0.0.1 port=${ports.sessionRecording} ${UNSYNCED}`,
    `input-selector name=${SPEAKER_SELECTOR} ! queue max-size-buffers=2 ! grid.sink_0`,
    // The room's own loudspeakers: everyone but the room (the first mix-minus).
    `audiomixer name=minus-0 ! audioconvert ! ${sinks.audio}`,
    `mpegtsmux name=send alignment=0 ! udpsink host=127.0.0.1 port=${ports.session} ${UNSYNCED}`,
  ];
  config.links.forEach((_, index) => {
    lines.push(
      `audiomixer name=minus-${index + 1} ! ${aac} ! tee name=minus-aac-${index + 1}`,
      `minus-aac-${index + 1}. ! queue ! send.sink_${mixMinusPid(index)}`,
    );
  });
  // Each guest point's own stream: the picture and its mix-minus alone, in SRT-sized messages (7 TS packets).
  for (const { index, port } of guestSends(config, ports)) {
    lines.push(
      `mpegtsmux name=guest-${index} alignment=7 ! udpsink host=127.0.0.1 port=${port} ${UNSYNCED}`,
      `session-h264. ! queue ! guest-${index}.`,
      `minus-aac-${index + 1}. ! queue ! guest-${index}.`,
    );
  }
  points.forEach((point, index) => {
    lines.push(
      `intervideosrc channel=${point.video} timeout=${1_000_000_000} ! ${rawCaps(config)} ! tee name=picture-${index}`,
      `picture-${index}. ! ${LEAKY} ! ${SPEAKER_SELECTOR}.sink_${index}`,
      `picture-${index}. ! ${LEAKY} ! grid.sink_${index + 1}`,
      `interaudiosrc channel=${point.audio} ${INTER_AUDIO} ! ${AUDIO_CAPS} ! ` +
        `level name=${levelElement(index)} interval=${100_000_000} ! tee name=sound-${index}`,
    );
    // This point's sound into every mix-minus but its own, into the mix of all, and alone into the record.
    points.forEach((_, listener) => {
      if (listener !== index) lines.push(`sound-${index}. ! queue ! minus-${listener}.`);
    });
    lines.push(
      `sound-${index}. ! queue ! mix.`,
      `sound-${index}. ! queue ! ${aac} ! record.sink_${recordPointPid(index)}`,
    );
  });
  return lines.join("\n");
}

/** A launch line safe to log: passphrases and cameras' passwords replaced. */
export function redact(line: string): string {
  return line.replace(/(passphrase|user-pw)=("(?:[^"\\]|\\.)*"|\S+)/g, "$1=***");
}
