import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { energyOperator } from '../../analytics/energy/operator.js';
import type { Operator } from '../../analytics/operator.js';
import { OperatorRunner } from '../../analytics/runner.js';
import { buildPlantIndex } from '../../config/plant-index.js';
import { plantSchema } from '../../config/schema.js';
import { openStore, type Store } from '../../store/store.js';
import { testPlant } from '../helpers/plant-fixture.js';
import { tempDir } from '../helpers/tmp.js';

const MIN = 60_000;
const H = 3_600_000;
const T0 = Date.parse('2026-03-10T08:00:00Z'); // a Tuesday; the test site's time zone is UTC
const index = buildPlantIndex(
  plantSchema.parse(
    testPlant({
      machines: 2,
      overrides: {
        energy: {
          maxGap: '3m',
          lateness: '10m',
          revisionWindow: '1d',
          tariff: {
            basePrice: 0.2,
            periods: [{ name: 'peak', days: ['tue'], from: 8, to: 9, price: 0.3 }],
          },
          co2: { factor: 0.128 },
        } as never,
      },
    }),
  ),
);

let tmp: ReturnType<typeof tempDir>;
let store: Store;
beforeEach(() => {
  tmp = tempDir();
  store = openStore({
    dataDir: tmp.dir,
    durability: 'normal',
    commitMaxRows: 100_000,
    rawRetentionMs: 1e13,
    rollupRetentionMs: 1e13,
  });
});
afterEach(() => {
  store.close();
  tmp.cleanup();
});

type Row = { series: string; kind: string; ts: number; value: number | null; body?: unknown };
const power = (
  m: string,
  from: number,
  to: number,
  kw: (t: number) => number,
  step = 10_000,
): Row[] => {
  const rows: Row[] = [];
  for (let t = from; t <= to; t += step)
    rows.push({ series: `t/l1/${m}/power`, kind: 'power', ts: t, value: kw(t) * 1000 });
  return rows;
};
const event = (event: string, ts: number, extra: Record<string, unknown> = {}): Row => ({
  series: `t/l1/batch.${event}`,
  kind: 'batch_event',
  ts,
  value: null,
  body: { ts, event, batch: 'B1', line: 't/l1', ...extra },
});

/** Writes rows in event-time order (as a gateway streams them). */
function ingest(s: Store, rows: Row[]): void {
  s.writer.submit(
    [...rows]
      .sort((a, b) => a.ts - b.ts)
      .map((r) => ({
        series: s.series.ensure(r.series, r.kind, r.kind === 'power' ? 'W' : '1'),
        ts: r.ts,
        value: r.value,
        quality: 0,
        body: r.body ? Buffer.from(JSON.stringify(r.body)) : null,
      })),
    [],
    (err) => {
      if (err) throw err;
    },
  );
  s.writer.flush();
}

const runner = (s: Store, batchRows = 10_000) =>
  new OperatorRunner(s, index, [energyOperator(index) as Operator<unknown>], { batchRows });
const batch = (s: Store) =>
  s.db.prepare("SELECT * FROM batches WHERE batch = 'B1'").get() as Record<string, number | string>;

describe('energy operator: batches and idle energy', () => {
  const start = T0 + 10 * MIN;
  const end = T0 + 40 * MIN;
  // m1: 6 kW all the time; m2: 12 kW only inside the batch (switching exactly at its bounds).
  const scenario = (): Row[] => [
    event('start', start, { product: 'P', quantity: 300, unit: 'kg' }),
    ...power('m1', T0, T0 + 2 * H, () => 6),
    ...power('m2', T0, T0 + 2 * H, (t) => (t >= start && t < end ? 12 : 0)),
    event('end', end, { quantity: 300, unit: 'kg' }),
  ];

  it('attributes energy at the batch bounds; outside energy is idle; cost and CO2 by tariff', () => {
    ingest(store, scenario());
    runner(store).catchUp();
    const b = batch(store);
    // m1 6 kW × 0.5 h; m2 is read every 10 s, so the trapezoid ramps 0 → 12 kW over the 10 s
    // before the start (outside the batch) and 12 → 0 kW over the 10 s before the end (inside).
    const ramp = (6 * 10) / 3600;
    expect(b.kwh).toBeCloseTo(3 + (12 * (1800 - 10)) / 3600 + ramp, 9);
    expect(b).toMatchObject({
      status: 'settled',
      coverage: 1,
      revision: 0,
      product: 'P',
      currency: 'CHF',
      duration_ms: 30 * MIN,
    });
    expect(b.kwh_per_unit).toBeCloseTo((b.kwh as number) / 300, 12);
    expect(b.cost).toBeCloseTo((b.kwh as number) * 0.3, 9); // 08:10–08:40 local: peak
    expect(b.co2_kg).toBeCloseTo((b.kwh as number) * 0.128, 9);
    const hour = store.db
      .prepare("SELECT * FROM energy_hourly WHERE scope = 'line' AND key = 't/l1' AND hour = ?")
      .get(T0) as Record<string, number>;
    expect(hour.kwh).toBeCloseTo(6 + 6, 9);
    expect(hour.batch_kwh).toBeCloseTo(b.kwh as number, 9);
    expect(hour.idle_kwh).toBeCloseTo(hour.kwh! - (b.kwh as number), 9);
    expect(hour.coverage).toBe(1);
    const day = store.db
      .prepare(
        "SELECT * FROM energy_daily WHERE scope = 'machine' AND key = 't/l1/m1' AND day = '2026-03-10'",
      )
      .get() as Record<string, number>;
    // one complete hour of 6 kW; the second waits until the watermark passes its end + 3 min
    expect(day.kwh).toBeCloseTo(6, 9);
    expect(day.coverage).toBeCloseTo(1 / 24, 12);
    const emitted = store.db
      .prepare(
        "SELECT l.value FROM log l JOIN series s ON s.id = l.series WHERE s.key = 't/l1:batch_energy_kwh'",
      )
      .all() as { value: number }[];
    expect(emitted.map((e) => e.value)).toEqual([b.kwh]);
  });

  it('a bound inside a minute is split pro rata within that minute', () => {
    ingest(store, [
      event('start', start + 30_000),
      ...power('m1', T0, T0 + 2 * H, () => 6),
      event('end', end + 30_000),
    ]);
    runner(store).catchUp();
    expect(batch(store).kwh).toBeCloseTo(3, 9);
  });

  it('shows a running figure before the end, and settles only after end + lateness', () => {
    const rows = scenario();
    const upto = (t: number) => rows.filter((r) => r.ts <= t);
    ingest(store, upto(start + 20 * MIN));
    const r = runner(store);
    r.catchUp();
    expect(batch(store)).toMatchObject({ status: 'running', end_ts: null });
    // watermark = newest − 10 min: the first 10 min of the batch are integrated (18 kW)
    expect(batch(store).kwh).toBeCloseTo((18 * 10 * MIN) / H, 9);
    ingest(
      store,
      rows.filter((r2) => r2.ts > start + 20 * MIN && r2.ts <= end + 12 * MIN),
    );
    r.catchUp();
    expect(batch(store).status).toBe('running'); // ended, but end + lateness + 3 min not yet passed
    ingest(
      store,
      rows.filter((r2) => r2.ts > end + 12 * MIN),
    );
    r.catchUp();
    expect(batch(store).status).toBe('settled');
  });

  it('late data inside a gap revises the settled batch and its hours, once per tick', () => {
    const gap = (r: Row) =>
      r.series === 't/l1/m1/power' && r.ts > start + 5 * MIN && r.ts < start + 15 * MIN;
    const rows = scenario();
    ingest(
      store,
      rows.filter((r) => !gap(r)),
    );
    const r = runner(store);
    r.catchUp();
    const before = batch(store);
    expect(before.coverage).toBeCloseTo(1 - (10 * MIN) / (30 * MIN * 2), 9); // 10 min of 2 × 30 min
    expect(before.revision).toBe(0);
    // the gateway's backlog arrives, then newer data moves the watermark on
    ingest(store, rows.filter(gap));
    ingest(
      store,
      power('m1', T0 + 2 * H + 10_000, T0 + 2 * H + 5 * MIN, () => 6),
    );
    r.catchUp();
    const after = batch(store);
    expect(after).toMatchObject({ status: 'settled', coverage: 1, revision: 1 });
    expect(after.kwh as number).toBeCloseTo(3 + (12 * (1800 - 10) + 6 * 10) / 3600, 9);
    const hour = store.db
      .prepare(
        "SELECT revision FROM energy_hourly WHERE scope = 'line' AND key = 't/l1' AND hour = ?",
      )
      .get(T0) as { revision: number };
    expect(hour.revision).toBe(1);
  });

  it('the same records cut into different steps give identical records (determinism)', () => {
    const rows = scenario();
    const gapped = rows.filter(
      (r) => !(r.series.endsWith('m1/power') && r.ts > start && r.ts < start + 10 * MIN),
    );
    ingest(store, gapped);
    ingest(
      store,
      rows.filter((r) => !gapped.includes(r)),
    );
    const other = tempDir();
    const s2 = openStore({
      dataDir: other.dir,
      durability: 'normal',
      commitMaxRows: 100_000,
      rawRetentionMs: 1e13,
      rollupRetentionMs: 1e13,
    });
    ingest(s2, gapped);
    ingest(
      s2,
      rows.filter((r) => !gapped.includes(r)),
    );
    runner(store, 100_000).catchUp();
    runner(s2, 7).catchUp(100_000);
    const dump = (s: Store) =>
      ['batches', 'energy_hourly', 'energy_daily'].map((t) =>
        s.db.prepare(`SELECT * FROM ${t} ORDER BY 1, 2, 3`).all(),
      );
    expect(dump(s2)).toEqual(dump(store));
    s2.close();
    other.cleanup();
  });

  it('ignores data older than the revision window (counted), and an aborted batch settles as aborted', () => {
    ingest(store, [
      event('start', start),
      ...power('m1', T0, T0 + 2 * H, () => 6),
      event('abort', end),
    ]);
    const r = runner(store);
    r.catchUp();
    expect(batch(store).status).toBe('aborted');
    ingest(
      store,
      power('m1', T0 + 30 * H, T0 + 30 * H + 20 * MIN, () => 6),
    ); // watermark moves a day on
    r.catchUp();
    ingest(
      store,
      power('m1', T0 - H, T0 - 10_000, () => 100),
    ); // two days late
    r.catchUp();
    const state = JSON.parse(
      (
        store.db.prepare("SELECT state FROM operator_checkpoints WHERE name = 'energy'").get() as {
          state: string;
        }
      ).state,
    ) as { meters: Record<string, { tooLate: number }> };
    expect(state.meters['t/l1/m1/power']!.tooLate).toBe(360);
    expect(batch(store).revision).toBe(0);
  });
});
