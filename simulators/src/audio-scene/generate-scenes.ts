// Makes the director's test scenes from synthesized speech rather than hand-drawn envelopes: each talker's
// sentences are spoken by espeak-ng (Vietnamese), mixed into every mic with distance attenuation (crosstalk), room
// noise, coughs and paper rustle and the far end leaking through the loudspeaker, then measured as RMS levels at
// the meter rate. The truth comes from the timeline. Run once; the JSON files are committed:
//   node --import tsx simulators/src/audio-scene/generate-scenes.ts
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AudioScene } from "./audio-scene.ts";

const SAMPLE_RATE = 22050; // espeak-ng's output rate
const METER_RATE = 20;
const FAR_END = "far-end";

interface Talker {
  seat: string;
  pitch: number;
  speed: number;
  /** Loudness at the talker's own mic, relative to a normal voice. */
  gainDb: number;
}

interface Turn {
  who: string; // a seat, or FAR_END
  at: number; // seconds
  sentences: number;
}

interface SceneSpec {
  name: string;
  seats: string[];
  talkers: Talker[];
  turns: Turn[];
  /** Level of a talker at a neighbouring mic (dB below its own mic), and at mics further away. */
  crosstalkDb: number;
  farCrosstalkDb: number;
  noiseDb: number;
  /** The far end through the loudspeaker, after echo cancellation, at every mic (dB relative to a local voice). */
  farEndLeakDb: number;
  bursts: { seat: string; at: number; kind: "cough" | "paper" }[];
  lengthS: number;
}

const SENTENCES = [
  "Kính thưa đồng chí chủ trì, tôi xin trình bày nội dung khiếu nại của gia đình.",
  "Năm hai nghìn mười tám, ủy ban xã đã thu hồi một phần diện tích đất của gia đình tôi.",
  "Đề nghị ủy ban huyện báo cáo rõ quá trình giải quyết vụ việc này.",
  "Chúng tôi đã kiểm tra hồ sơ và đã làm việc với công dân hai lần.",
  "Việc bồi thường đã thực hiện theo đúng quy định của pháp luật.",
  "Tôi không đồng ý với kết quả đó, vì giá bồi thường quá thấp.",
  "Giao sở tài nguyên và môi trường phối hợp kiểm tra lại trong ba mươi ngày.",
  "Xin cảm ơn đồng chí, tôi xin tiếp thu ý kiến chỉ đạo.",
  "Đề nghị công dân cung cấp thêm giấy tờ liên quan để cơ quan chức năng xem xét.",
  "Vâng, tôi sẽ nộp bổ sung trong tuần này.",
];

/** A small seeded generator, so the same command makes the same scenes. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function speak(text: string, talker: Pick<Talker, "pitch" | "speed">, dir: string): Float32Array {
  const file = join(dir, "speech.wav");
  execFileSync("espeak-ng", ["-v", "vi", "-p", String(talker.pitch), "-s", String(talker.speed), "-w", file, text]);
  const wav = readFileSync(file);
  const dataAt = wav.indexOf("data") + 8;
  const samples = new Float32Array((wav.length - dataAt) / 2);
  for (let i = 0; i < samples.length; i++) samples[i] = wav.readInt16LE(dataAt + i * 2) / 32768;
  return samples;
}

function build(spec: SceneSpec, dir: string, seed: number): AudioScene {
  const next = random(seed);
  const total = Math.ceil(spec.lengthS * SAMPLE_RATE);
  const mics = spec.seats.map(() => new Float32Array(total));
  const speaking = new Map<string, [number, number][]>();
  const gain = (db: number) => 10 ** (db / 20);
  const farEndVoice: Talker = { seat: FAR_END, pitch: 60, speed: 165, gainDb: 0 };

  for (const turn of spec.turns) {
    const talker = turn.who === FAR_END ? farEndVoice : spec.talkers.find((t) => t.seat === turn.who)!;
    const text = Array.from({ length: turn.sentences }, () => SENTENCES[Math.floor(next() * SENTENCES.length)]).join(
      " ",
    );
    const voice = speak(text, talker, dir);
    const start = Math.round(turn.at * SAMPLE_RATE);
    const spans = speaking.get(turn.who) ?? [];
    spans.push([turn.at, turn.at + voice.length / SAMPLE_RATE]);
    speaking.set(turn.who, spans);
    const own = spec.seats.indexOf(turn.who);
    spec.seats.forEach((_, mic) => {
      const distanceDb =
        turn.who === FAR_END
          ? spec.farEndLeakDb
          : mic === own
            ? 0
            : Math.abs(mic - own) === 1
              ? -spec.crosstalkDb
              : -spec.farCrosstalkDb;
      const g = gain(talker.gainDb + distanceDb) * 0.3; // 0.3: a normal voice near −20 dBFS RMS at its own mic
      const out = mics[mic]!;
      for (let i = 0; i < voice.length && start + i < total; i++) out[start + i]! += voice[i]! * g;
    });
  }
  for (const burst of spec.bursts) {
    const own = spec.seats.indexOf(burst.seat);
    const lengthS = burst.kind === "cough" ? 0.3 : 0.9;
    const levelDb = burst.kind === "cough" ? -8 : -30;
    const start = Math.round(burst.at * SAMPLE_RATE);
    spec.seats.forEach((_, mic) => {
      const g = gain(levelDb - (mic === own ? 0 : spec.crosstalkDb)) * 0.3;
      for (let i = 0; i < lengthS * SAMPLE_RATE && start + i < total; i++) {
        const envelope = Math.sin((Math.PI * i) / (lengthS * SAMPLE_RATE));
        mics[mic]![start + i]! += (next() * 2 - 1) * g * envelope;
      }
    });
  }
  const noise = gain(spec.noiseDb) * Math.sqrt(3); // uniform noise of this RMS
  for (const mic of mics) for (let i = 0; i < total; i++) mic[i]! += (next() * 2 - 1) * noise;

  const frame = SAMPLE_RATE / METER_RATE;
  const frames = Math.floor(total / frame);
  const levels: number[][] = [];
  for (let f = 0; f < frames; f++) {
    levels.push(
      mics.map((mic) => {
        let sum = 0;
        const from = Math.floor(f * frame);
        const to = Math.floor((f + 1) * frame);
        for (let i = from; i < to; i++) sum += mic[i]! * mic[i]!;
        const rms = Math.sqrt(sum / (to - from));
        return Math.round(Math.max(-100, 20 * Math.log10(rms + 1e-12)) * 10) / 10;
      }),
    );
  }
  return { name: spec.name, rateHz: METER_RATE, channels: spec.seats, levels, truth: truthOf(speaking, spec.lengthS) };
}

/** Spans of constant truth (who of the room is speaking), from each talker's speech spans; the far end is not in the room. */
function truthOf(speaking: Map<string, [number, number][]>, lengthS: number): AudioScene["truth"] {
  const step = 1 / METER_RATE;
  const truth: AudioScene["truth"] = [];
  for (let t = 0; t < lengthS; t += step) {
    const speakers = [...speaking]
      .filter(([who, spans]) => who !== FAR_END && spans.some(([a, b]) => t >= a && t < b))
      .map(([who]) => who)
      .sort();
    const last = truth.at(-1);
    if (last && last.speakers.join() === speakers.join()) last.to = Math.round((t + step) * 100) / 100;
    else truth.push({ from: Math.round(t * 100) / 100, to: Math.round((t + step) * 100) / 100, speakers });
  }
  return truth;
}

/** Alternating turns with gaps; `overlapS` < 0 makes the next talker start before the last one ends. */
function turns(order: string[], count: number, sentences: () => number, gapS: () => number, startS = 2): Turn[] {
  const list: Turn[] = [];
  let at = startS;
  for (let i = 0; i < count; i++) {
    const n = sentences();
    list.push({ who: order[i % order.length]!, at, sentences: n });
    at += n * 4.2 + gapS();
  }
  return list;
}

const room = ["chu-tri", "cong-dan", "can-bo"];
const talkers: Talker[] = [
  { seat: "chu-tri", pitch: 35, speed: 150, gainDb: 0 },
  { seat: "cong-dan", pitch: 55, speed: 170, gainDb: 0 },
  { seat: "can-bo", pitch: 45, speed: 160, gainDb: 0 },
];
const base = {
  seats: room,
  talkers,
  crosstalkDb: 14,
  farCrosstalkDb: 20,
  noiseDb: -62,
  farEndLeakDb: -24,
  bursts: [],
  lengthS: 120,
};
const r = random(7);

const specs: SceneSpec[] = [
  {
    ...base,
    name: "dialogue",
    turns: turns(
      ["chu-tri", "cong-dan"],
      14,
      () => 1 + Math.floor(r() * 2),
      () => 0.6 + r(),
    ),
  },
  {
    ...base,
    name: "hearing-with-interruptions",
    turns: turns(
      ["chu-tri", "cong-dan", "can-bo", "cong-dan"],
      14,
      () => 1 + Math.floor(r() * 2),
      () => (r() < 0.4 ? -1.2 : 0.5),
    ),
  },
  {
    ...base,
    name: "long-monologue",
    turns: [
      { who: "cong-dan", at: 2, sentences: 22 },
      { who: "chu-tri", at: 100, sentences: 2 },
    ],
  },
  {
    ...base,
    name: "simultaneous-talk",
    turns: [
      ...turns(
        ["chu-tri", "cong-dan"],
        6,
        () => 1,
        () => 0.8,
      ),
      { who: "can-bo", at: 60, sentences: 4 },
      { who: "cong-dan", at: 61, sentences: 4 },
      ...turns(
        ["chu-tri", "can-bo"],
        4,
        () => 1,
        () => 0.8,
        82,
      ),
    ],
  },
  {
    ...base,
    name: "noisy-room",
    noiseDb: -44,
    turns: turns(
      ["chu-tri", "cong-dan", "can-bo"],
      14,
      () => 1 + Math.floor(r() * 2),
      () => 0.8,
    ),
    bursts: Array.from({ length: 14 }, (_, i) => ({
      seat: room[i % 3]!,
      at: 5 + i * 8 + r() * 3,
      kind: i % 2 ? "cough" : "paper",
    })),
  },
  {
    ...base,
    name: "soft-beside-loud",
    crosstalkDb: 8,
    talkers: [
      { seat: "chu-tri", pitch: 35, speed: 150, gainDb: 4 },
      { seat: "cong-dan", pitch: 55, speed: 170, gainDb: -10 },
      { seat: "can-bo", pitch: 45, speed: 160, gainDb: 0 },
    ],
    turns: turns(
      ["chu-tri", "cong-dan"],
      14,
      () => 1 + Math.floor(r() * 2),
      () => 0.7,
    ),
  },
  {
    ...base,
    name: "far-end-leak",
    farEndLeakDb: -18,
    turns: [
      { who: FAR_END, at: 2, sentences: 6 },
      { who: "chu-tri", at: 30, sentences: 2 },
      { who: FAR_END, at: 40, sentences: 8 },
      { who: "cong-dan", at: 76, sentences: 3 },
      { who: FAR_END, at: 92, sentences: 5 },
    ],
  },
  {
    ...base,
    name: "far-end-with-room-talk",
    farEndLeakDb: -18,
    turns: [
      { who: FAR_END, at: 2, sentences: 26 },
      ...turns(
        ["chu-tri", "cong-dan", "can-bo"],
        10,
        () => 1 + Math.floor(r() * 2),
        () => 1.5,
        6,
      ),
    ],
  },
];

const dir = mkdtempSync(join(tmpdir(), "rc-scenes-"));
try {
  specs.forEach((spec, index) => {
    const scene = build(spec, dir, 100 + index);
    const file = join(import.meta.dirname, "scenes", `${spec.name}.json`);
    writeFileSync(file, `${JSON.stringify(scene)}\n`);
    console.log(`${file}: ${scene.levels.length} frames, ${scene.truth.length} truth spans`);
  });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
