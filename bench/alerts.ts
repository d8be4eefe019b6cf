/**
 * `npm run bench:alerts`: log records per second through the alert operator with the example
 * plant's default rules (eight rules, 160 sensors, a stale rule on every sensor), via the real
 * runner and SQLite, against a same-run baseline: the same runner with an operator that does
 * nothing (the cost of reading the log). The stream: 100 scalar sensors in time order, flapping
 * around thresholds, with anomaly flags, so alerts open, re-open, escalate and resolve.
 * Writes bench/results/alerts.json.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alertsOperator } from '../alerts/operator.js';
import type { Operator } from '../analytics/operator.js';
import { OperatorRunner } from '../analytics/runner.js';
import { loadPlantModel } from '../config/load.js';
import { buildPlantIndex, type PlantIndex } from '../config/plant-index.js';
import { openStore, type Store } from '../store/store.js';
import { figure, writeBenchFile } from './lib/figures.js';

const SENSORS = 100;
const STEPS = 3_000; // readings per sensor, 5 s apart: ~4 h of event time
const T0 = Date.parse('2026-03-02T00:00:00Z');

const index = buildPlantIndex(loadPlantModel('examples/plant.yaml'));
const scalar = index.sensors.filter((s) => !['energy', 'state', 'waveform'].includes(s.kind));

function fill(store: Store): number {
  const ids = scalar
    .slice(0, SENSORS)
    .map((s) => store.series.ensure(s.path, s.kind, s.canonicalUnit));
  const flags = scalar
    .slice(0, SENSORS)
    .map((s) => store.series.ensure(`${s.path}:anomaly_flag`, 'anomaly_flag', '1', true));
  const rows = [];
  for (let i = 0; i < STEPS; i++) {
    const ts = T0 + i * 5_000;
    for (let k = 0; k < ids.length; k++) {
      // A slow square wave with noise: on for ~17 min every ~50 min, per sensor out of phase.
      const on = Math.floor((i + k * 37) / 200) % 3 === 0;
      rows.push({ series: ids[k]!, ts, value: 20 + (i % 7) * 0.1, quality: 0, body: null });
      if ((i + k * 37) % 200 === 0) {
        rows.push({ series: flags[k]!, ts, value: on ? 1 : 0, quality: 0, body: null });
      }
    }
  }
  store.writer.submit(rows, [], (err) => {
    if (err) throw err;
  });
  store.writer.flush();
  return rows.length;
}

const noop: Operator<null> = {
  name: 'noop',
  version: 1,
  init: () => null,
  apply: () => undefined,
  snapshot: () => null,
  restore: () => null,
};

function run(label: string, op: (i: PlantIndex) => Operator<unknown>) {
  const dir = mkdtempSync(join(tmpdir(), 'pp-bench-alerts-'));
  const store = openStore({
    dataDir: dir,
    durability: 'normal',
    commitMaxRows: 1_000_000,
    rawRetentionMs: 1e13,
    rollupRetentionMs: 1e13,
  });
  try {
    const n = fill(store);
    const runner = new OperatorRunner(store, index, [op(index)], {
      batchRows: 2_000,
      checkpointIntervalMs: 30_000,
    });
    const t0 = performance.now();
    runner.catchUp(1e9);
    const ms = performance.now() - t0;
    const alerts = (
      store.db.prepare(`SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'alerts'`).get() as {
        n: number;
      }
    ).n
      ? (store.db.prepare('SELECT COUNT(*) AS n FROM alert_history').get() as { n: number }).n
      : 0;
    const rate = n / (ms / 1000);
    process.stdout.write(
      `${label}: ${n.toLocaleString('en')} records in ${ms.toFixed(0)} ms = ${Math.round(rate).toLocaleString('en')} records/s` +
        (alerts ? ` (${alerts} alert transitions)` : '') +
        '\n',
    );
    return { rate, transitions: alerts };
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const base = run('baseline (runner, no-op operator)', () => noop as Operator<unknown>);
const alerts = run('alert operator, example rules', (i) => alertsOperator(i) as Operator<unknown>);
process.stdout.write(
  `alert evaluation keeps ${((alerts.rate / base.rate) * 100).toFixed(0)} % of the log read rate\n`,
);

writeBenchFile('alerts', [
  figure(
    'alert operator throughput (example rules, 100 sensors)',
    Math.round(alerts.rate),
    'records/s',
    { baseline: Math.round(base.rate), baselineName: 'same runner, no-op operator' },
  ),
  figure('alert transitions in the run', alerts.transitions, 'transitions'),
]);
