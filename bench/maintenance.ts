/**
 * `npm run bench:maintenance`: how much one core does of the maintenance operator's work.
 *
 * - waveform path: blocks per second through the feature extraction (RMS, crest, kurtosis,
 *   velocity by FFT, band energies, envelope spectrum at bearing defect frequencies), for a
 *   1,024-sample block (the simulator's) and an 8,192-sample block (a typical 25.6 kHz
 *   capture); baseline: the plain time-domain RMS pass ingest already makes on every block;
 * - scalar path: readings per second through the operator's `apply` (power + vibration of 20
 *   machines, hourly wear and RUL included), without SQLite; baseline: the anomaly operator
 *   on the same records.
 *
 * Target for the waveform path: 1,000 sensors at one 8,192-sample block a minute each
 * (≈ 17 blocks/s) on one core. Writes bench/results/maintenance.json.
 */

import { anomalyOperator } from '../analytics/anomaly/operator.js';
import { defectFrequencies } from '../analytics/maintenance/bearing.js';
import { waveformFeatures } from '../analytics/maintenance/features.js';
import { maintenanceOperator } from '../analytics/maintenance/operator.js';
import type { DerivedRow, LogRecord, Operator, OperatorContext } from '../analytics/operator.js';
import { parsePlantModel } from '../config/load.js';
import { buildPlantIndex } from '../config/plant-index.js';
import type { SeriesRow } from '../store/series.js';
import { writeBenchFile, type Figure } from './lib/figures.js';

const RATE = 25_600;
const bearing = { balls: 9, ballDiameterMm: 7.94, pitchDiameterMm: 39.04, contactAngleDeg: 0 };
const defects = defectFrequencies(bearing, 24.75);

function block(n: number): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const t = i / RATE;
    x[i] =
      3 * Math.sin(2 * Math.PI * 24.75 * t) +
      (0.5 + 0.5 * Math.cos(2 * Math.PI * defects.bpfo * t)) ** 4 *
        Math.sin(2 * Math.PI * 3000 * t) +
      0.1 * Math.sin(i * 12.9898);
  }
  return x;
}

/** Runs `fn` for about `ms` and returns calls per second. */
function rate(fn: () => void, ms = 3000): number {
  for (let i = 0; i < 20; i++) fn(); // warm up
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    fn();
    n++;
  }
  return n / ((performance.now() - t0) / 1000);
}

function timeRms(x: Float32Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * x[i]!;
  return Math.sqrt(s / x.length);
}

const figures: Figure[] = [];
let sink = 0;
for (const n of [1024, 8192]) {
  const x = block(n);
  const base = rate(() => (sink += timeRms(x)));
  const full = rate(() => (sink += waveformFeatures(x, RATE, { defects }).velocityRms));
  const noEnv = rate(() => (sink += waveformFeatures(x, RATE).velocityRms));
  const target = n === 8192 ? 17 : null;
  figures.push({
    metric: `waveform blocks/s per core, ${n} samples, with bearing envelope`,
    value: Math.round(full),
    unit: 'blocks/s',
    baseline: Math.round(base),
    baselineName: 'time-domain RMS only (ingest)',
    target: target ? `≥ ${target} blocks/s` : null,
    met: target ? full >= target : null,
  });
  figures.push({
    metric: `waveform blocks/s per core, ${n} samples, no bearing geometry`,
    value: Math.round(noEnv),
    unit: 'blocks/s',
    baseline: Math.round(base),
    baselineName: 'time-domain RMS only (ingest)',
    target: null,
    met: null,
  });
}

// Scalar path: 20 machines with power (1 s) and vibration (10 s), ten days of records.
const MACHINES = 20;
const yaml = `plant: { name: bench }
sites:
  - id: s
    lines:
      - id: l
        machines:
${Array.from(
  { length: MACHINES },
  (_, i) => `          - id: m${i}
            vibrationClass: II
            sensors:
              - { id: power, kind: power, unit: kW, interval: 1s, range: [0, 100] }
              - { id: vib, kind: vibration, unit: mm/s, interval: 10s, range: [0, 45] }`,
).join('\n')}
`;
const index = buildPlantIndex(parsePlantModel(yaml, 'bench'));
const series: SeriesRow[] = index.sensors.map((s, i) => ({
  id: i + 1,
  key: s.path,
  kind: s.kind,
  unit: s.canonicalUnit,
  derived: false,
}));
const ctx: OperatorContext = { index, seriesOf: (id) => series[id - 1] };
const records: LogRecord[] = [];
const T0 = Date.parse('2026-03-02T00:00:00Z');
const DAYS = 10;
for (let t = 0; t < DAYS * 86_400; t += 10) {
  const load = (t / 3600) % 24 < 16 ? 0.3 + 0.5 * ((t / 600) % 1) : 0.02;
  for (let m = 0; m < MACHINES; m++) {
    const ts = T0 + t * 1000;
    const p = load * 70_000 * (1 + 0.01 * Math.sin(t + m));
    // Power every 10 s here (the vibration cadence): the scalar cost per reading is the same.
    records.push({ pos: 0, series: 2 * m + 1, ts, value: p, quality: 0, body: null });
    const wear = 1 + (m === 0 ? (t / 86_400) * 0.1 : 0);
    const v = (load < 0.1 ? 0.12 : 0.8 + 1.6 * load) * wear * (1 + 0.03 * Math.sin(7 * t + m));
    records.push({ pos: 0, series: 2 * m + 2, ts, value: v, quality: 0, body: null });
  }
}
records.forEach((r, i) => (r.pos = i + 1));

function runOp(op: Operator<unknown>): number {
  const st = op.init(ctx);
  const rows: DerivedRow[] = [];
  const out = { emit: (r: DerivedRow) => rows.push(r), write: () => {} };
  const t0 = performance.now();
  for (let i = 0; i < records.length; i += 5000) op.apply(st, records.slice(i, i + 5000), out, ctx);
  const s = (performance.now() - t0) / 1000;
  sink += rows.length;
  return records.length / s;
}
const maint = Math.max(...[0, 1].map(() => runOp(maintenanceOperator(index) as Operator<unknown>)));
const anomaly = Math.max(...[0, 1].map(() => runOp(anomalyOperator(index) as Operator<unknown>)));
figures.push({
  metric: `scalar readings/s per core through the maintenance operator (${MACHINES} machines, ${DAYS} days)`,
  value: Math.round(maint),
  unit: 'readings/s',
  baseline: Math.round(anomaly),
  baselineName: 'anomaly operator, same records',
  target: null,
  met: null,
});

for (const f of figures)
  console.log(
    `${f.metric}: ${f.value.toLocaleString('en')} ${f.unit}` +
      (f.baseline !== null
        ? ` (baseline ${f.baselineName}: ${f.baseline.toLocaleString('en')})`
        : '') +
      (f.target ? ` — target ${f.target}: ${f.met ? 'met' : 'short'}` : ''),
  );
console.log(`(checksum ${sink.toFixed(1)})`);
writeBenchFile('maintenance', figures);
