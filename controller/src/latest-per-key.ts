// Work that a peer may ask for at any rate, done at most once per interval for each key, with the latest value: what
// arrives sooner waits, replacing whatever was waiting. For wishes where only the last counts (a room's operator
// tapping a switch on and off), this bounds the cost of a flood without losing the final word.

export class LatestPerKey<T> {
  /** Per key: when the next run may start, and the value waiting for it (with its timer), if any. */
  private readonly keys = new Map<string, { nextAt: number; waiting?: { value: T; timer: NodeJS.Timeout } }>();

  constructor(
    private readonly intervalMs: number,
    private readonly run: (key: string, value: T) => void,
  ) {}

  offer(key: string, value: T): void {
    const entry = this.keys.get(key) ?? { nextAt: 0 };
    this.keys.set(key, entry);
    if (entry.waiting) {
      entry.waiting.value = value;
      return;
    }
    const wait = entry.nextAt - Date.now();
    if (wait <= 0) {
      this.start(entry, key, value);
      return;
    }
    const timer = setTimeout(() => {
      const waiting = entry.waiting!;
      entry.waiting = undefined;
      this.start(entry, key, waiting.value);
    }, wait);
    entry.waiting = { value, timer };
  }

  /** Drops what is waiting (on shutdown). */
  stop(): void {
    for (const entry of this.keys.values()) clearTimeout(entry.waiting?.timer);
    this.keys.clear();
  }

  private start(entry: { nextAt: number }, key: string, value: T): void {
    entry.nextAt = Date.now() + this.intervalMs;
    this.run(key, value);
  }
}
