// A strict reader of Prometheus's text exposition format 0.0.4 (prometheus.io/docs/instrumenting/exposition_formats),
// written from the format's description and not from our metrics code, so /metrics is checked against the format and
// not against itself. Throws naming the line on anything a Prometheus server would refuse or misread: a malformed
// line, a sample before or outside its family's TYPE, a duplicate series, a histogram whose buckets do not add up.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  type: "counter" | "gauge" | "histogram" | "summary" | "untyped";
  help: string;
}

export interface Scrape {
  families: Map<string, Family>;
  samples: Sample[];
  /** The value of the one series with exactly these labels; undefined when there is none. */
  value(name: string, labels?: Record<string, string>): number | undefined;
  /** Every series of a name whose labels include these. */
  select(name: string, labels?: Record<string, string>): Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

function seriesKey(name: string, labels: Record<string, string>): string {
  const pairs = Object.keys(labels)
    .sort()
    .map((key) => `${key}=${JSON.stringify(labels[key])}`);
  return `${name}{${pairs.join(",")}}`;
}

function parseValue(text: string, where: string): number {
  if (text === "+Inf" || text === "Inf") return Number.POSITIVE_INFINITY;
  if (text === "-Inf") return Number.NEGATIVE_INFINITY;
  if (text === "NaN") return Number.NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) throw new Error(`${where}: "${text}" is not a number`);
  return Number(text);
}

/** Reads `{a="x",b="y"}` from position `start` (at the brace); returns the labels and the position after the brace. */
function parseLabels(line: string, start: number, where: string): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  let at = start + 1;
  while (line[at] !== "}") {
    const name = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(line.slice(at))?.[0];
    if (!name || !LABEL_NAME.test(name)) throw new Error(`${where}: bad label name at column ${at + 1}`);
    at += name.length;
    if (line.slice(at, at + 2) !== '="') throw new Error(`${where}: expected ="…" after label ${name}`);
    at += 2;
    let value = "";
    for (;;) {
      const char = line[at];
      if (char === undefined) throw new Error(`${where}: label ${name}'s value is not closed`);
      at++;
      if (char === '"') break;
      if (char !== "\\") {
        value += char;
        continue;
      }
      const escaped = line[at++];
      if (escaped === "\\" || escaped === '"') value += escaped;
      else if (escaped === "n") value += "\n";
      else throw new Error(`${where}: bad escape \\${escaped ?? ""} in label ${name}`);
    }
    if (Object.hasOwn(labels, name)) throw new Error(`${where}: label ${name} given twice`);
    labels[name] = value;
    if (line[at] === ",") at++;
    else if (line[at] !== "}") throw new Error(`${where}: expected , or } at column ${at + 1}`);
  }
  return { labels, end: at + 1 };
}

/** The family a sample belongs to: a histogram's _bucket/_sum/_count and a summary's _sum/_count are its own. */
function familyOf(name: string, families: Map<string, Family>): string {
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    if (!name.endsWith(suffix)) continue;
    const base = name.slice(0, -suffix.length);
    const type = families.get(base)?.type;
    if (type === "histogram" || (type === "summary" && suffix !== "_bucket")) return base;
  }
  return name;
}

function checkHistograms(families: Map<string, Family>, samples: Sample[]): void {
  for (const [name, family] of families) {
    if (family.type !== "histogram") continue;
    const series = new Map<string, { buckets: [number, number][]; count?: number; sum?: number }>();
    const of = (labels: Record<string, string>) => {
      const { le: _le, ...rest } = labels;
      const key = seriesKey(name, rest);
      if (!series.has(key)) series.set(key, { buckets: [] });
      return series.get(key)!;
    };
    for (const sample of samples) {
      if (sample.name === `${name}_bucket`) {
        if (sample.labels.le === undefined) throw new Error(`${name}_bucket without le`);
        of(sample.labels).buckets.push([parseValue(sample.labels.le, `${name} le`), sample.value]);
      } else if (sample.name === `${name}_count`) of(sample.labels).count = sample.value;
      else if (sample.name === `${name}_sum`) of(sample.labels).sum = sample.value;
    }
    for (const [key, { buckets, count, sum }] of series) {
      if (count === undefined || sum === undefined) throw new Error(`${key}: histogram without _count or _sum`);
      const last = buckets.at(-1);
      if (!last || last[0] !== Number.POSITIVE_INFINITY) throw new Error(`${key}: no +Inf bucket last`);
      if (last[1] !== count) throw new Error(`${key}: +Inf bucket ${last[1]} is not _count ${count}`);
      for (let i = 1; i < buckets.length; i++) {
        if (buckets[i]![0] <= buckets[i - 1]![0] || buckets[i]![1] < buckets[i - 1]![1]) {
          throw new Error(`${key}: buckets not in increasing le with cumulative counts`);
        }
      }
    }
  }
}

export function parsePrometheusText(text: string): Scrape {
  if (text !== "" && !text.endsWith("\n")) throw new Error("the exposition does not end with a line feed");
  const families = new Map<string, Family>();
  const samples: Sample[] = [];
  const keys = new Set<string>();
  const finished = new Set<string>();
  let current: string | undefined;
  const enter = (family: string, where: string) => {
    if (family === current) return;
    if (finished.has(family)) throw new Error(`${where}: family ${family} is split by another`);
    if (current !== undefined) finished.add(current);
    current = family;
  };
  text
    .slice(0, -1)
    .split("\n")
    .forEach((line, index) => {
      const where = `line ${index + 1}`;
      if (line === "") return;
      if (line.startsWith("#")) {
        const match = /^# (HELP|TYPE) ([^ ]+)(?: (.*))?$/.exec(line);
        if (!match) return; // a plain comment
        const [, keyword, name, rest = ""] = match;
        if (!METRIC_NAME.test(name!)) throw new Error(`${where}: bad metric name ${name}`);
        enter(name!, where);
        const family = families.get(name!) ?? { type: "untyped", help: "" };
        if (keyword === "TYPE") {
          if (!TYPES.has(rest)) throw new Error(`${where}: unknown type "${rest}"`);
          if (samples.some((sample) => familyOf(sample.name, families) === name)) {
            throw new Error(`${where}: TYPE of ${name} after its samples`);
          }
          family.type = rest as Family["type"];
        } else family.help = rest.replace(/\\n/g, "\n").replace(/\\\\/g, "\\");
        families.set(name!, family);
        return;
      }
      const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0];
      if (!name) throw new Error(`${where}: not a sample: ${line.slice(0, 80)}`);
      let at = name.length;
      let labels: Record<string, string> = {};
      if (line[at] === "{") ({ labels, end: at } = parseLabels(line, at, where));
      const fields = line.slice(at).split(" ");
      if (fields[0] !== "" || fields.length < 2 || fields.length > 3) {
        throw new Error(`${where}: expected " value [timestamp]" after the series`);
      }
      const value = parseValue(fields[1]!, where);
      if (fields[2] !== undefined && !/^-?\d+$/.test(fields[2])) throw new Error(`${where}: bad timestamp`);
      const family = familyOf(name, families);
      enter(family, where);
      const type = families.get(family)?.type;
      if (type === "counter" && !(value >= 0)) throw new Error(`${where}: a counter of ${value}`);
      if (type === "histogram" && name === family) throw new Error(`${where}: histogram sample without a suffix`);
      const key = seriesKey(name, labels);
      if (keys.has(key)) throw new Error(`${where}: series ${key} given twice`);
      keys.add(key);
      samples.push({ name, labels, value });
    });
  checkHistograms(families, samples);
  const select = (name: string, labels: Record<string, string> = {}) =>
    samples.filter(
      (sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
    );
  return {
    families,
    samples,
    select,
    value(name, labels = {}) {
      const key = seriesKey(name, labels);
      return samples.find((sample) => seriesKey(sample.name, sample.labels) === key)?.value;
    },
  };
}
