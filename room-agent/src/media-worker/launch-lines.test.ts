// The room's pipelines as launch lines: what each must carry (inputs, encryption, sizes, names the engine finds),
// checked without GStreamer; the media driver's tests run them for real.
import { describe, expect, it } from "vitest";
import {
  audioLine,
  cameraLine,
  displayLine,
  gridTile,
  guestSenderLine,
  linkLine,
  mixMinusPid,
  programLine,
  quote,
  recordingLine,
  redact,
  senderLine,
  sessionLine,
  tileSize,
} from "./launch-lines.ts";
import type { MediaConfig } from "./worker-messages.ts";

const config: MediaConfig = {
  room: "xa-an-phu",
  video: { width: 640, height: 360, fps: 15, bitrateKbps: 800, keyframeS: 2 },
  audio: { input: "testsrc:440", bitrateKbps: 96 },
  cameras: [
    { id: "cam-a", uri: "testsrc:red" },
    { id: "cam-b", uri: null },
  ],
  programCamera: "cam-a",
  sender: { bind: "127.0.0.1", port: 9000, latencyMs: 120, passphrase: 'mat "khau" phien!' },
  links: [
    {
      peer: "p1",
      host: "10.0.0.1",
      port: 9000,
      passphrase: "phien-tiep-cong-dan",
      latencyMs: 120,
      soundTrack: null,
      send: null,
    },
    {
      peer: "p2",
      host: "10.0.0.2",
      port: 9001,
      passphrase: "phien-tiep-cong-dan",
      latencyMs: 120,
      soundTrack: null,
      send: null,
    },
    {
      peer: "p3",
      host: "10.0.0.3",
      port: 9002,
      passphrase: "phien-tiep-cong-dan",
      latencyMs: 120,
      soundTrack: null,
      send: null,
    },
  ],
  layout: "grid",
  display: "none",
  recording: null,
  snapshot: { width: 320, height: 180, fps: 1 },
};

const PORTS = { sender: 5001, recording: 5002, session: 5003, sessionRecording: 5004, guests: [5005, 5006] };

describe("launch lines", () => {
  it("makes a solid colour, a pattern or a stream of each camera input, and refuses an unknown test picture", () => {
    expect(cameraLine(config, "cam-a", "testsrc:red")).toContain("pattern=solid-color foreground-color=4294901760");
    expect(cameraLine(config, "cam-a", "testsrc:#00ff00")).toContain("foreground-color=4278255360");
    expect(cameraLine(config, "cam-a", "testsrc:smpte")).toContain("pattern=smpte");
    const rtsp = cameraLine(config, "cam-a", "rtsp://10.0.0.5:554/stream1");
    expect(rtsp).toContain('rtspsrc location="rtsp://10.0.0.5:554/stream1" protocols=tcp latency=100');
    expect(rtsp).toContain("intervideosink name=camera-sink channel=camera-cam-a");
    expect(rtsp).toContain("width=640,height=360,framerate=15/1");
    expect(() => cameraLine(config, "cam-a", "testsrc:purple-ish")).toThrow(/unknown test picture "purple-ish"/);
  });

  it("gives rtspsrc the camera's login as user-id/user-pw, never in the URI, and keeps the password out of logs", () => {
    const password = 'mat "khau" ! \\ camera';
    const withLogin: MediaConfig = {
      ...config,
      cameras: [{ id: "cam-a", uri: "rtsp://10.0.0.5:554/stream1", login: { user: "admin", password } }],
    };
    const line = cameraLine(withLogin, "cam-a", "rtsp://10.0.0.5:554/stream1");
    expect(line).toContain(
      `rtspsrc location="rtsp://10.0.0.5:554/stream1" user-id="admin" user-pw=${quote(password)} protocols=tcp`,
    );
    expect(redact(line)).not.toContain("khau");
    expect(redact(line)).toContain('user-id="admin" user-pw=*** protocols=tcp');
    // A camera without a login, or a test picture, gets none.
    expect(cameraLine(config, "cam-b", "rtsp://10.0.0.6/stream")).not.toContain("user-");
    expect(cameraLine(withLogin, "cam-a", "testsrc:red")).not.toContain("user-");
  });

  it("takes the room's sound from a tone, silence, ALSA or Pulse", () => {
    expect(audioLine("testsrc:440")).toContain("audiotestsrc is-live=true wave=sine freq=440");
    expect(audioLine("silence")).toContain("wave=silence");
    expect(audioLine("alsa:hw:1,0")).toContain('alsasrc device="hw:1,0"');
    expect(audioLine("pulse")).toMatch(/^pulsesrc /);
    expect(() => audioLine("testsrc:loud")).toThrow(/give a frequency/);
  });

  it("switches every camera (one selector pad each, in order) into one H.264 + AAC transport stream", () => {
    const line = programLine(config, PORTS);
    expect(line).toContain("intervideosrc channel=camera-cam-a");
    expect(line).toMatch(/camera-cam-a[^\n]*switch\.sink_0/);
    expect(line).toMatch(/camera-cam-b[^\n]*switch\.sink_1/);
    expect(line).toContain("x264enc name=encoder tune=zerolatency speed-preset=ultrafast bitrate=800 key-int-max=30");
    expect(line).toContain("avenc_aac bitrate=96000");
    expect(line).toContain("multiudpsink clients=127.0.0.1:5001,127.0.0.1:5002");
    expect(line).toContain("appsink name=program-probe");
    expect(line).toContain("appsink name=program-jpeg");
  });

  it("encrypts the sender with the session's passphrase, quoted, and keeps it out of logs", () => {
    const line = senderLine(config.sender!, 5001);
    expect(line).toContain('uri="srt://127.0.0.1:9000?mode=listener"');
    expect(line).toContain(`passphrase=${quote('mat "khau" phien!')}`);
    expect(line).toContain("pbkeylen=32");
    expect(redact(line)).not.toContain("khau");
    expect(redact(line)).toContain("passphrase=***");
  });

  it("calls each peer by address with the passphrase, names its SRT element after the peer, at full size", () => {
    const line = linkLine(config, config.links[1]!);
    expect(line).toContain('srtsrc name=srt-p2 uri="srt://10.0.0.2:9001"');
    expect(line).toContain('passphrase="phien-tiep-cong-dan"');
    expect(line).toContain("width=640,height=360");
    expect(line).toContain("intervideosink channel=link-p2");
    expect(() => linkLine(config, { ...config.links[0]!, host: null })).toThrow(/no address/);
  });

  it("gives a component point one full picture, and a grid when it pulls several (a mesh)", () => {
    expect(tileSize(config)).toEqual({ columns: 2, width: 320, height: 180 });
    expect(tileSize({ ...config, layout: "single", links: config.links.slice(0, 1) })).toEqual({
      columns: 1,
      width: 640,
      height: 360,
    });
    const display = displayLine(config, false);
    expect(display).toContain(
      "sink_0::xpos=0 sink_0::ypos=0 sink_0::width=320 sink_0::height=180 sink_1::xpos=320 sink_1::ypos=0",
    );
    expect(display).toContain("fakesink");
    expect(displayLine(config, true)).toContain("autovideosink");
  });

  it("plays the sound track a relay host made for this room, or a peer's only one", () => {
    expect(linkLine(config, config.links[0]!)).toMatch(/\ndemux\. ! queue ! aacparse/);
    const line = linkLine(config, { ...config.links[0]!, soundTrack: 2 });
    expect(mixMinusPid(2)).toBe(0x52);
    expect(line).toContain("demux.audio_0_0052 ! queue ! aacparse");
  });

  it("composes the session program: every point in a tile, the active one large, one mix-minus track per peer", () => {
    const line = sessionLine(config, false, PORTS);
    // The host's own program and each peer, in order, in quarter tiles along the bottom; the speaker behind them.
    expect(line).toContain("intervideosrc channel=program-picture");
    expect(line).toMatch(/channel=program-picture[^\n]*tee name=picture-0/);
    expect(line).toMatch(/channel=link-p3 [^\n]*tee name=picture-3/);
    expect(line).toContain("sink_1::xpos=0 sink_1::ypos=270 sink_1::width=160 sink_1::height=90");
    expect(line).toContain("sink_4::xpos=480 sink_4::ypos=270");
    expect(gridTile(config, 4)).toEqual({ x: 480, y: 180, width: 160, height: 90 });
    expect(line).toContain(
      "picture-2. ! queue leaky=downstream max-size-buffers=2 max-size-bytes=0 max-size-time=0 ! speaker.sink_2",
    );
    // Mix-minus: each point's sound reaches every mix but its own; peer i's goes out as PID 0x50 + i.
    for (let point = 0; point < 4; point++) {
      const listeners = [...line.matchAll(new RegExp(`sound-${point}\\. ! queue ! minus-(\\d)\\.`, "g"))].map(
        (m) => m[1],
      );
      expect(listeners.sort()).toEqual(["0", "1", "2", "3"].filter((listener) => listener !== String(point)));
    }
    expect(line).toContain(
      "minus-2 ! audioconvert ! avenc_aac bitrate=96000 ! aacparse ! queue ! tee name=minus-aac-2",
    );
    expect(line).toContain(`minus-aac-2. ! queue ! send.sink_${0x51}`);
    expect(line).toMatch(/audiomixer name=minus-0 ! audioconvert ! fakesink/); // the host's loudspeakers
    expect(line).toContain("level name=level-0");
    expect(line).toContain("udpsink host=127.0.0.1 port=5003");
    const seven = Array.from({ length: 7 }, (_, i) => ({ ...config.links[0]!, peer: `p${i}` }));
    expect(() => sessionLine({ ...config, links: seven }, false, PORTS)).toThrow(/at most 7 points, not 8/);
  });

  it("sends a guest point's decoder the session program with its own mix-minus alone, calling its address", () => {
    const guest = { ...config.links[2]!, send: { host: "203.0.113.5", port: 7001 }, passphrase: "khach-moi-0001" };
    const line = sessionLine({ ...config, links: [config.links[0]!, config.links[1]!, guest] }, false, PORTS);
    expect(line).toContain("mpegtsmux name=guest-2 alignment=7 ! udpsink host=127.0.0.1 port=5005");
    expect(line).toContain("session-h264. ! queue ! guest-2.");
    expect(line).toContain("minus-aac-3. ! queue ! guest-2."); // the mix of everyone but the guest (point 3)
    expect(line).not.toContain("minus-aac-1. ! queue ! guest-");
    const sender = guestSenderLine(guest, 5005);
    expect(sender).toContain('srtsink name=srt-send-p3 uri="srt://203.0.113.5:7001"');
    expect(sender).toContain('passphrase="khach-moi-0001"');
    const five = [0, 1, 2, 3, 4].map((i) => ({ ...guest, peer: `g${i}` }));
    expect(() => sessionLine({ ...config, links: five }, false, PORTS)).toThrow(/at most 2 guest points, not 5/);
  });

  it("records the session program beside the program: the picture, the mix, then each point's sound", () => {
    const line = recordingLine("/rec/phien-1/tinh", "20240501T080000Z", 600, 5002, { port: 5004, points: 3 });
    expect(line).toContain('location="/rec/phien-1/tinh/20240501T080000Z_%d.mkv"');
    expect(line).toContain('location="/rec/phien-1/tinh/session-program_20240501T080000Z_%d.mkv"');
    expect(line).toContain("udpsrc port=5004");
    expect(line).toMatch(/session-demux\.video_0_0041 [^\n]*session-recorder\.video/);
    expect(line).toMatch(/session-demux\.audio_0_0060 [^\n]*session-recorder\.audio_0\n/);
    expect(line).toMatch(/session-demux\.audio_0_0063 [^\n]*session-recorder\.audio_3$/);
    expect(recordingLine("/rec", "x", 600, 5002)).not.toContain("session");
  });

  it("records segments named by their start, with a literal % kept out of the file pattern", () => {
    const line = recordingLine("/rec/50%/phien-1/xa-an-phu", "20240501T080000Z", 600, 5002);
    expect(line).toContain('location="/rec/50%%/phien-1/xa-an-phu/20240501T080000Z_%d.mkv"');
    expect(line).toContain("max-size-time=600000000000");
    expect(line).toContain("muxer-factory=matroskamux");
  });
});
