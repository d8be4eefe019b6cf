/**
 * Shared parts of the alert tests: a plant with alert rules, a real store in a temp dir, rows
 * written into the log as a device or an operator would, and the alert operator run by the
 * real runner.
 */
import { alertsOperator } from '../../alerts/operator.js';
import type { Operator } from '../../analytics/operator.js';
import { OperatorRunner } from '../../analytics/runner.js';
import { buildPlantIndex, type PlantIndex } from '../../config/plant-index.js';
import { plantSchema, type PlantModelInput } from '../../config/schema.js';
import { openStore, type Store } from '../../store/store.js';
import { testPlant } from '../helpers/plant-fixture.js';
import { tempDir } from '../helpers/tmp.js';

export const T0 = Date.parse('2026-03-02T08:00:00Z');

export function alertPlant(alerts: PlantModelInput['alerts']): PlantIndex {
  return buildPlantIndex(plantSchema.parse(testPlant({ machines: 2, overrides: { alerts } })));
}

export function openTempStore(dirs: ReturnType<typeof tempDir>[]): Store {
  const dir = tempDir('plantpulse-alerts-');
  dirs.push(dir);
  return openStore({
    dataDir: dir.dir,
    durability: 'normal',
    commitMaxRows: 100_000,
    rawRetentionMs: 1e13,
    rollupRetentionMs: 1e13,
  });
}

/** Writes points of one series (raw when `kind` is a sensor kind, derived otherwise). */
export function write(
  store: Store,
  key: string,
  kind: string,
  points: [number, number][],
  derived = false,
): void {
  const id = store.series.ensure(key, kind, derived ? '1' : unitOf(kind), derived);
  store.writer.submit(
    points.map(([ts, value]) => ({ series: id, ts, value, quality: 0, body: null })),
    [],
    (err) => {
      if (err) throw err;
    },
  );
  store.writer.flush();
}

/** Several series merged into one log in timestamp order (as live ingest and operators write them). */
export function writeInOrder(
  store: Store,
  streams: { key: string; kind: string; points: [number, number][]; derived?: boolean }[],
): void {
  const rows = streams.flatMap((st) => {
    const id = store.series.ensure(
      st.key,
      st.kind,
      st.derived ? '1' : unitOf(st.kind),
      st.derived ?? false,
    );
    return st.points.map(([ts, value]) => ({ series: id, ts, value, quality: 0, body: null }));
  });
  rows.sort((a, b) => a.ts - b.ts || a.series - b.series);
  store.writer.submit(rows, [], (err) => {
    if (err) throw err;
  });
  store.writer.flush();
}

const unitOf = (kind: string) => ({ temperature: '°C', power: 'W' })[kind] ?? '1';

export function runner(store: Store, index: PlantIndex, batchRows = 500): OperatorRunner {
  return new OperatorRunner(store, index, [alertsOperator(index) as Operator<unknown>], {
    batchRows,
  });
}

export interface AlertDbRow {
  id: string;
  rule: string;
  asset: string;
  state: string;
  severity: string;
  opened_at: number;
  reopens: number;
  escalation: number;
  ack_by: string | null;
  message: string;
}

export const alerts = (s: Store) =>
  s.db.prepare('SELECT * FROM alerts ORDER BY opened_at, id').all() as AlertDbRow[];

export const history = (s: Store, id: string) =>
  s.db
    .prepare(
      'SELECT seq, at, transition, state, severity, by, note FROM alert_history WHERE alert_id = ? ORDER BY seq',
    )
    .all(id) as {
    seq: number;
    at: number;
    transition: string;
    state: string;
    severity: string;
    by: string;
    note: string | null;
  }[];

export const outbox = (s: Store) =>
  s.db
    .prepare(
      'SELECT key, channel, transition, state FROM alert_outbox ORDER BY event_ts, key, channel',
    )
    .all() as {
    key: string;
    channel: string;
    transition: string;
    state: string;
  }[];

/** Readings every `stepMs` from `from` for `n` steps with values from `f(i)`. */
export function series(
  from: number,
  stepMs: number,
  n: number,
  f: (i: number) => number,
): [number, number][] {
  return Array.from({ length: n }, (_, i) => [from + i * stepMs, f(i)]);
}
