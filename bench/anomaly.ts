/**
 * `npm run bench:anomaly`: readings scored per second on one core
 *  - by the detector core (`step`, the per-reading work), against a bare EWMA z-score in the same
 *    run as the baseline (what the cheapest streaming detector costs on this machine);
 *  - by the whole operator path without SQLite (series lookup, batch context from MES events,
 *    readings held back for the context lateness, derived rows), on a granulation line;
 * and the memory a sensor's state takes (heap and JSON checkpoint). Writes bench/results/anomaly.json
 * for `npm run bench`; `--quick` scores a quarter as many.
 */
import type { DerivedRow, LogRecord } from '../analytics/operator.js';
import { anomalyOperator } from '../analytics/anomaly/operator.js';
import { newAssessment, newState, step } from '../analytics/anomaly/detector.js';
import { DEFAULT_SETTINGS as S } from '../analytics/anomaly/settings.js';
import { parsePlantModel } from '../config/load.js';
import { buildPlantIndex } from '../config/plant-index.js';
import { FIXTURE_PLANT } from '../simulator/fixtures.js';
import type { SeriesRow } from '../store/series.js';
import { figure, quickMode, writeBenchFile } from './lib/figures.js';

const TARGET = 500_000;
const SENSORS = 100;
const READINGS = quickMode() ? 7_500 : 30_000;
const STEP_MS = 60_000; // three weeks of minute readings: every seasonal bucket is visited
let seed = 12345;
const rnd = () => {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed / 2 ** 32;
};
const values = new Float64Array(READINGS);
for (let i = 0; i < READINGS; i++)
  values[i] = 50 + 5 * Math.sin(i / 500) + rnd() + (rnd() < 0.001 ? 20 : 0);

function rate(n: number, ms: number): number {
  return n / (ms / 1000);
}

// Baseline: EWMA mean/variance z-score, the floor of streaming detectors.
function baseline(): number {
  const mu = new Float64Array(SENSORS);
  const va = new Float64Array(SENSORS).fill(1);
  let sum = 0;
  const t0 = performance.now();
  for (let i = 0; i < READINGS; i++) {
    const v = values[i]!;
    for (let k = 0; k < SENSORS; k++) {
      const x = v + k;
      const r = x - mu[k]!;
      const z = Math.abs(r) / Math.sqrt(va[k]!);
      mu[k]! += 0.01 * r;
      va[k]! += 0.01 * (r * r - va[k]!);
      sum += z > 4 ? 1 : 0;
    }
  }
  const ms = performance.now() - t0;
  if (sum < 0) console.log(sum);
  return rate(SENSORS * READINGS, ms);
}

function detectorCore(): { perSec: number; heap: number; json: number } {
  global.gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const states = Array.from({ length: SENSORS }, () => newState(S));
  const a = newAssessment();
  let sum = 0;
  const t0 = performance.now();
  for (let i = 0; i < READINGS; i++) {
    const ts = i * STEP_MS;
    const v = values[i]!;
    for (let k = 0; k < SENSORS; k++) {
      step(states[k]!, S, ts, v + k, a);
      sum += a.score;
    }
  }
  const ms = performance.now() - t0;
  global.gc?.();
  // After a run: the arrays have their final shape (regimes, buckets, phase profile).
  const heap = (process.memoryUsage().heapUsed - heap0) / SENSORS;
  if (!Number.isFinite(sum)) throw new Error('non-finite score');
  return {
    perSec: rate(SENSORS * READINGS, ms),
    heap,
    json: JSON.stringify(states[0]).length,
  };
}

function operatorPath(): number {
  const index = buildPlantIndex(parsePlantModel(FIXTURE_PLANT));
  const sensors = index.sensors.filter(
    (s) => s.path.includes('/granulation/') && !['energy', 'state', 'waveform'].includes(s.kind),
  );
  const series: SeriesRow[] = index.sensors.map((s, i) => ({
    id: i + 1,
    key: s.path,
    kind: s.kind,
    unit: s.canonicalUnit,
  })) as SeriesRow[];
  const phaseId = series.length + 1;
  series.push({ id: phaseId, key: 'fx/granulation/batch.phase', kind: 'batch_event' } as SeriesRow);
  const ids = sensors.map((s) => index.sensors.indexOf(s) + 1);
  const phases = ['charge', 'heat', 'hold', 'cool', 'discharge'];
  const records: LogRecord[] = [];
  const n = 200_000;
  for (let i = 0; i < n; i++) {
    const ts = i * 10_000;
    if (i % 180 === 0) {
      const phase = phases[(i / 180) % phases.length]!;
      records.push({
        pos: records.length + 1,
        series: phaseId,
        ts,
        value: null,
        quality: 0,
        body: Buffer.from(JSON.stringify({ ts, event: 'phase', batch: 'B', phase })),
      });
    }
    for (const [k, id] of ids.entries())
      records.push({
        pos: records.length + 1,
        series: id,
        ts,
        value: 1000 * (k + 1) + 100 * ((i / 180) % 5) + values[i % READINGS]!,
        quality: 0,
        body: null,
      });
  }
  const op = anomalyOperator(index);
  const ctx = { index, seriesOf: (id: number) => series[id - 1] };
  const state = op.init(ctx);
  const rows: DerivedRow[] = [];
  const out = { emit: (r: DerivedRow) => rows.push(r), write: () => {} };
  const t0 = performance.now();
  for (let i = 0; i < records.length; i += 5_000)
    op.apply(state, records.slice(i, i + 5_000), out, ctx);
  const ms = performance.now() - t0;
  return rate(n * ids.length, ms);
}

const base = baseline();
const core = detectorCore();
const opRate = operatorPath();
const k = (x: number) => `${Math.round(x / 1000).toLocaleString('en')}k`;
process.stdout.write(
  `anomaly detector core: ${k(core.perSec)} readings/s on one core (baseline EWMA z-score: ${k(base)}/s)\n` +
    `operator path (batch context, hold-back, derived rows; no SQLite): ${k(opRate)} readings/s\n` +
    `state per sensor: ${global.gc ? `~${(core.heap / 1024).toFixed(1)} KiB heap` : 'heap n/a (node --expose-gc)'}, ${(core.json / 1024).toFixed(1)} KiB JSON checkpoint\n`,
);
const fig = (
  metric: string,
  value: number,
  unit: string,
  baselineValue: number | null,
  baselineName: string | null,
  target: number | null,
) =>
  figure(metric, Math.round(value * 10) / 10, unit, {
    baseline: baselineValue === null ? null : Math.round(baselineValue),
    baselineName,
    target: target === null ? null : `≥ ${k(target)}/s`,
    met: target === null ? null : value >= target,
  });
writeBenchFile('anomaly', [
  fig(
    'detector core, readings scored per second per core',
    core.perSec,
    'readings/s',
    base,
    'EWMA z-score (same run)',
    TARGET,
  ),
  fig(
    'operator path without SQLite, readings per second per core',
    opRate,
    'readings/s',
    core.perSec,
    'detector core',
    TARGET,
  ),
  // NaN (null in the file) when node ran without --expose-gc.
  figure(
    'detector state per sensor (heap)',
    global.gc ? Math.round(core.heap / 102.4) / 10 : NaN,
    'KiB',
  ),
  fig('detector checkpoint per sensor (JSON)', core.json / 1024, 'KiB', null, null, null),
]);
