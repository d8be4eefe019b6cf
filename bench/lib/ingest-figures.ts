/**
 * The ingest benchmark's cases as suite figures (bench/lib/figures.ts): per PlantPulse case its
 * headline figure with the same case's Mosquitto figure as the baseline, the targets,
 * RSS, and the durability check (acknowledged readings missing from the log must be 0).
 */
import { figure, type Figure } from './figures.js';
import type { CaseResult } from './report.js';

const CASE_NAME = {
  single: '1 reading/msg, max rate',
  batch: '100 readings/msg, max rate',
  latency: '1 reading/msg, fixed rate',
} as const;

export function ingestFigures(results: CaseResult[], mosquittoVersion: string): Figure[] {
  const out: Figure[] = [];
  const baselineName = `Mosquitto ${mosquittoVersion}`;
  for (const r of results) {
    if (r.target !== 'plantpulse' || r.status !== 'ok') continue;
    const base = results.find(
      (b) => b.kind === r.kind && b.target === 'mosquitto' && b.status === 'ok',
    );
    const targets = r.targets ?? [];
    const target = targets.length ? targets.map((t) => t.text).join(' · ') : null;
    const met = targets.length ? targets.every((t) => t.met) : null;
    const name = CASE_NAME[r.kind];
    if (r.kind === 'latency') {
      const rate = (r.requestedRate ?? 0).toLocaleString('en-US');
      out.push(
        figure(`${name} ${rate} msg/s: p99 publish→PUBACK`, round(r.latencyMs?.p99) ?? NaN, 'ms', {
          baseline: round(base?.latencyMs?.p99),
          baselineName: base ? baselineName : null,
          target,
          met,
        }),
        figure(`${name} ${rate} msg/s: p50 publish→PUBACK`, round(r.latencyMs?.p50) ?? NaN, 'ms', {
          baseline: round(base?.latencyMs?.p50),
          baselineName: base ? baselineName : null,
        }),
      );
    } else {
      out.push(
        figure(`${name}: durable readings/s`, Math.round(r.readingsPerS ?? 0), 'readings/s', {
          baseline: base?.readingsPerS !== undefined ? Math.round(base.readingsPerS) : null,
          baselineName: base ? `${baselineName} (in memory, not durable)` : null,
          target,
          met,
        }),
      );
    }
    out.push(
      figure(`${name}: RSS peak`, round(r.rssPeakMiB) ?? NaN, 'MiB', {
        baseline: round(base?.rssPeakMiB),
        baselineName: base ? baselineName : null,
      }),
    );
    if (r.durability) {
      out.push(
        figure(
          `${name}: acknowledged readings missing from the log`,
          Math.max(0, r.durability.ackedReadings - r.durability.storedReadings),
          'readings',
          { target: '0', met: r.durability.ok },
        ),
      );
    }
  }
  return out;
}

function round(x: number | undefined): number | null {
  return x === undefined || !Number.isFinite(x) ? null : Number(x.toFixed(2));
}
