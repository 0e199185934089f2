// Requests sent all through the run, and the proof read back from the logs that none was applied twice or after the
// controller had answered it 504. Some requests give up early on the client side (the controller still times them
// out: its log says when, as it does for every time-out); some are sent again with the same id, either at once
// (concurrent copies) or after their answer (a client retrying after a lost answer). An id that got a 504 is never
// sent again, so any application after the 504 is the agent's doing.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type DemoUnderTest, postRequest } from "./demo-under-test.ts";

/** Between the agent's work and its log line, and between the controller's 504 and our clock: a little slack. */
const CLOCK_SLACK_MS = 100;
const SEND_EVERY_MS = 400;
const SHORT_PATIENCE_MS = 30;
const PATIENCE_MS = 20_000;

interface Send {
  /** HTTP status, or null when we stopped waiting (on purpose or not). */
  status: number | null;
  answeredAt: number | null;
}

interface Ledger {
  room: string;
  sends: Send[];
}

export class RequestLedger {
  private readonly ids = new Map<string, Ledger>();
  private timer: NodeJS.Timeout | undefined;
  private count = 0;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly demo: DemoUnderTest) {}

  get sent(): number {
    return [...this.ids.values()].reduce((sum, ledger) => sum + ledger.sends.length, 0);
  }

  start(): void {
    this.timer = setInterval(() => this.tick(), SEND_EVERY_MS);
  }

  /** Stops sending and waits for the answers still coming. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all(this.inFlight);
  }

  private tick(): void {
    const n = this.count++;
    const rooms = this.demo.rooms.filter((room) => room.test !== null);
    const room = rooms[n % rooms.length];
    if (!room) return;
    const id = `chaos-${n}`;
    const params = { device: room.test!, value: n };
    this.ids.set(id, { room: room.id, sends: [] });
    const patience = n % 5 === 4 ? SHORT_PATIENCE_MS : PATIENCE_MS;
    this.send(id, room.id, params, patience);
    if (n % 7 === 3) this.send(id, room.id, params, PATIENCE_MS); // a concurrent copy
    // A retry after the answer: only of an id that was answered without a 504.
    const retry = `chaos-${n - 11}`;
    const earlier = this.ids.get(retry);
    if (n % 11 === 0 && earlier?.sends.every((send) => send.status !== null && send.status !== 504)) {
      const earlierRoom = this.demo.rooms.find((r) => r.id === earlier.room)!;
      this.send(retry, earlier.room, { device: earlierRoom.test!, value: n - 11 }, PATIENCE_MS);
    }
  }

  private send(id: string, room: string, params: Record<string, unknown>, patienceMs: number): void {
    const entry: Send = { status: null, answeredAt: null };
    this.ids.get(id)!.sends.push(entry);
    const done = postRequest(this.demo, room, { action: "test.set", params, id }, patienceMs)
      .then(
        ({ status }) => {
          entry.status = status;
          entry.answeredAt = Date.now();
        },
        () => {}, // we stopped waiting: counted as "gave up"
      )
      .finally(() => this.inFlight.delete(done));
    this.inFlight.add(done);
  }

  /**
   * Reads every "request applied" line of the agents' logs and checks each id of ours: applied at most once, never
   * after a 504, whether we saw that 504 or had stopped waiting (the controller's "request timed out" lines: its timer
   * starts when it takes the request, which on a busy machine is later than we sent it). Returns the violations, and
   * counts for the report.
   */
  verify(): { violations: string[]; summary: string } {
    const logs = join(this.demo.dir, "logs");
    const applied = new Map<string, { room: string; at: number }[]>();
    for (const file of readdirSync(logs).filter((name) => /^agent-.*\.log$/.test(name))) {
      const room = file.slice("agent-".length, -".log".length);
      for (const entry of ourLogLines(join(logs, file), "request applied"))
        applied.set(entry.id, [...(applied.get(entry.id) ?? []), { room, at: entry.time }]);
    }
    const timedOut = new Map<string, number>();
    for (const entry of ourLogLines(join(logs, "controller.log"), "request timed out"))
      timedOut.set(entry.id, Math.min(entry.time, timedOut.get(entry.id) ?? Infinity));
    const violations: string[] = [];
    const outcomes = new Map<string, number>();
    for (const [id, ledger] of this.ids) {
      for (const send of ledger.sends) {
        const outcome = send.status === null ? "gave up" : String(send.status);
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      }
      const applications = applied.get(id) ?? [];
      if (applications.length > 1)
        violations.push(
          `request ${id} applied ${applications.length} times (${applications.map((a) => `${a.room} at ${iso(a.at)}`).join(", ")})`,
        );
      const timeouts = ledger.sends
        .map((send) => (send.status === 504 ? send.answeredAt : null))
        .concat(timedOut.get(id) ?? null)
        .filter((at): at is number => at !== null);
      if (timeouts.length === 0) continue;
      const first504 = Math.min(...timeouts);
      for (const application of applications)
        if (application.at > first504 + CLOCK_SLACK_MS)
          violations.push(
            `request ${id} applied at ${iso(application.at)}, ${((application.at - first504) / 1000).toFixed(1)} s after its 504${ledger.sends.some((s) => s.status === 504) ? "" : " (the controller's, after we stopped waiting)"}`,
          );
    }
    const appliedOurs = [...applied.values()].reduce((sum, list) => sum + list.length, 0);
    const summary = `${this.ids.size} request ids, ${this.sent} sends (${[...outcomes]
      .map(([outcome, count]) => `${outcome}: ${count}`)
      .join(", ")}), ${appliedOurs} applications in the agents' logs`;
    return { violations, summary };
  }
}

const iso = (ms: number) => new Date(ms).toISOString().slice(11, 23);

/** The lines with this message about one of our requests (id "chaos-…") in a pino log; a line cut by a SIGKILL is skipped. */
function ourLogLines(file: string, msg: string): { id: string; time: number }[] {
  const found: { id: string; time: number }[] = [];
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (!line.includes(`"${msg}"`)) continue;
    try {
      const entry = JSON.parse(line) as { id?: string; time?: number; msg?: string };
      if (entry.msg === msg && entry.id?.startsWith("chaos-") && typeof entry.time === "number")
        found.push({ id: entry.id, time: entry.time });
    } catch {}
  }
  return found;
}
