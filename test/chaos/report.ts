// The chaos run's results: one row per round, rolled up into a table by kind, then every violation and every
// check that could not run.
import type { Kind } from "./perturbations.ts";

export interface RoundResult {
  kind: Kind;
  round: number;
  target: string;
  /** From the perturbation until every invariant held; null if that never happened within the wait. */
  recoveryMs: number | null;
  violations: string[];
}

export interface KindSummary {
  kind: Kind;
  budgetMs: number;
  rounds: RoundResult[];
}

function percentile(sorted: number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

const seconds = (ms: number | undefined) => (ms === undefined ? "–" : `${(ms / 1000).toFixed(1)} s`);

export function renderTable(kinds: KindSummary[]): string {
  const header = ["kind", "rounds", "recovery p50", "max", "budget", "violations"];
  const rows = kinds.map(({ kind, budgetMs, rounds }) => {
    const recovered = rounds
      .flatMap((round) => (round.recoveryMs === null ? [] : [round.recoveryMs]))
      .sort((a, b) => a - b);
    const never = rounds.length - recovered.length;
    const max = never > 0 ? `never (${never})` : seconds(percentile(recovered, 100));
    const violations = rounds.reduce((sum, round) => sum + round.violations.length, 0);
    return [
      kind,
      String(rounds.length),
      seconds(percentile(recovered, 50)),
      max,
      seconds(budgetMs),
      String(violations),
    ];
  });
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join("  ")
      .trimEnd();
  return [line(header), line(widths.map((width) => "-".repeat(width))), ...rows.map(line)].join("\n");
}
