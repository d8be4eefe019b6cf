/**
 * The one result shape every benchmark writes to bench/results/<name>.json, which `npm run bench`
 * (bench/suite.ts) collects into bench/results/SUITE.md:
 *   { "bench": "<name>", "figures": [ { metric, value, unit, baseline, baselineName, target, met } ] }
 * A benchmark may add its own details next to `figures` (other keys are ignored by the suite).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Figure {
  metric: string;
  value: number;
  unit: string;
  /** The same figure for the baseline measured in the same run (e.g. Mosquitto), or null. */
  baseline: number | null;
  baselineName: string | null;
  /** The target as text, e.g. "≥ 40,000/s", or null when there is none. */
  target: string | null;
  met: boolean | null;
}

export interface BenchFile {
  bench: string;
  figures: Figure[];
  [detail: string]: unknown;
}

export function figure(
  metric: string,
  value: number,
  unit: string,
  more: Partial<Omit<Figure, 'metric' | 'value' | 'unit'>> = {},
): Figure {
  return {
    metric,
    value,
    unit,
    baseline: more.baseline ?? null,
    baselineName: more.baselineName ?? null,
    target: more.target ?? null,
    met: more.met ?? null,
  };
}

export const RESULTS_DIR = 'bench/results';

/** Writes bench/results/<bench>.json (relative to the working directory, the repository root). */
export function writeBenchFile(
  bench: string,
  figures: Figure[],
  details: Record<string, unknown> = {},
  dir = RESULTS_DIR,
): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${bench}.json`);
  const body: BenchFile = { bench, figures, ...details };
  writeFileSync(file, JSON.stringify(body, null, 2) + '\n');
  return file;
}

/** `--quick` on the command line or PLANTPULSE_BENCH_QUICK=1 (set by `npm run bench -- --quick`). */
export function quickMode(argv: string[] = process.argv): boolean {
  return argv.includes('--quick') || process.env.PLANTPULSE_BENCH_QUICK === '1';
}

export function isBenchFile(x: unknown): x is BenchFile {
  const o = x as BenchFile;
  return (
    typeof o === 'object' &&
    o !== null &&
    typeof o.bench === 'string' &&
    Array.isArray(o.figures) &&
    o.figures.every(
      (f) =>
        typeof f.metric === 'string' &&
        (typeof f.value === 'number' || f.value === null) &&
        typeof f.unit === 'string',
    )
  );
}
