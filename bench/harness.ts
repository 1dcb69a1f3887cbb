import { writeFile } from 'node:fs/promises';

/** One figure beside its baseline, measured in the same run. A ratio above 1 is better. */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  baseline: string;
  baselineValue: number;
  ratio: number;
}

/**
 * Runs `fn` repeatedly for at least `minMs` after a warm-up and returns the mean milliseconds
 * per call of the fastest of `rounds` rounds (the least disturbed by the rest of the machine).
 */
export async function timePerCall(
  fn: () => unknown,
  options: { minMs?: number; rounds?: number } = {},
): Promise<number> {
  const { minMs = 300, rounds = 5 } = options;
  for (let i = 0; i < 3; i += 1) await fn();
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < rounds; round += 1) {
    let calls = 0;
    const start = performance.now();
    let elapsed = 0;
    while (elapsed < minMs) {
      await fn();
      calls += 1;
      elapsed = performance.now() - start;
    }
    best = Math.min(best, elapsed / calls);
  }
  return best;
}

/** `higherIsBetter`: throughput (ratio = value / baseline); otherwise a time (ratio = baseline / value). */
export function result(
  name: string,
  value: number,
  unit: string,
  baseline: string,
  baselineValue: number,
  higherIsBetter: boolean,
): BenchResult {
  const ratio = higherIsBetter ? value / baselineValue : baselineValue / value;
  return {
    name,
    value: round(value),
    unit,
    baseline,
    baselineValue: round(baselineValue),
    ratio: round(ratio),
  };
}

function round(n: number): number {
  return Number(n.toPrecision(4));
}

export async function report(results: BenchResult[]): Promise<void> {
  const rows = results.map((r) => [
    r.name,
    `${r.value} ${r.unit}`,
    `${r.baselineValue} ${r.unit}`,
    r.baseline,
    `${r.ratio}×`,
  ]);
  const header = ['figure', 'paperboy', 'baseline', 'baseline is', 'ratio'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] as string).length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] as number)).join('  ');
  console.log(line(header));
  for (const row of rows) console.log(line(row));
  await writeFile('bench-results.json', `${JSON.stringify(results, null, 2)}\n`);
  console.log('\nwritten to bench-results.json');
}
