/**
 * 1-minute rollups as an exactly-once log consumer, the raw and rollup read paths agreeing,
 * retention bounded by the lowest saved cursor (C3), and schema migrations — on real SQLite
 * files in temp dirs.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Cursors } from '../../store/cursors.js';
import { LOG_FILE, openDatabase } from '../../store/db.js';
import type { LogRow } from '../../store/log-writer.js';
import { MIGRATIONS, migrate } from '../../store/migrations.js';
import { ROLLUP_CURSOR } from '../../store/rollups.js';
import { openStore, type Store } from '../../store/store.js';
import { tempDir } from '../helpers/tmp.js';

const MIN = 60_000;
const DAY = 86_400_000;
const T0 = Date.parse('2026-03-01T12:00:00.000Z');

let tmp: { dir: string; cleanup: () => void };
let store: Store;
let s1: number;
let s2: number;

beforeEach(() => {
  tmp = tempDir('plantpulse-rollups-');
  store = openStore({
    dataDir: tmp.dir,
    durability: 'normal',
    commitMaxRows: 1_000_000,
    rawRetentionMs: 30 * DAY,
    rollupRetentionMs: 365 * DAY,
  });
  s1 = store.series.ensure('t/l1/m1/power', 'power', 'W');
  s2 = store.series.ensure('t/l1/m1/temp', 'temperature', '°C');
});

afterEach(() => {
  store.close();
  tmp.cleanup();
});

/** Commits rows now (synchronously) and fails the test on a commit error. */
function insert(rows: LogRow[]): void {
  let error: Error | null | undefined;
  store.writer.submit(rows, [], (err) => (error = err));
  store.writer.flush();
  expect(error).toBeNull();
}

const r = (series: number, ts: number, value: number | null): LogRow => ({
  series,
  ts,
  value,
  quality: 0,
  body: null,
});

interface RollupRow {
  series: number;
  minute: number;
  count: number;
  sum: number;
  min: number;
  max: number;
  last: number;
  last_ts: number;
}
const rollups = (): RollupRow[] =>
  store.db.prepare('SELECT * FROM rollup_1m ORDER BY series, minute').all() as RollupRow[];
const logCount = (): number =>
  (store.db.prepare('SELECT COUNT(*) AS n FROM log').get() as { n: number }).n;
const positions = (): number[] =>
  (store.db.prepare('SELECT pos FROM log ORDER BY pos').all() as { pos: number }[]).map(
    (x) => x.pos,
  );

describe('rollups', () => {
  it('fold rows by minute with count, sum, min, max, last; per series', () => {
    insert([
      r(s1, T0 + 5_000, 1),
      r(s1, T0 + 30_000, 3),
      r(s1, T0 + 59_999, 2),
      r(s1, T0 + MIN, 10),
      r(s2, T0 + 1_000, -4.5),
    ]);
    expect(store.rollups.step()).toBe(5);
    expect(rollups()).toEqual([
      { series: s1, minute: T0, count: 3, sum: 6, min: 1, max: 3, last: 2, last_ts: T0 + 59_999 },
      {
        series: s1,
        minute: T0 + MIN,
        count: 1,
        sum: 10,
        min: 10,
        max: 10,
        last: 10,
        last_ts: T0 + MIN,
      },
      {
        series: s2,
        minute: T0,
        count: 1,
        sum: -4.5,
        min: -4.5,
        max: -4.5,
        last: -4.5,
        last_ts: T0 + 1_000,
      },
    ]);
    expect(store.cursors.get(ROLLUP_CURSOR)).toBe(5);
  });

  it('within one step, `last` is the value of the latest ts, not of the latest row', () => {
    insert([r(s1, T0 + 40_000, 4), r(s1, T0 + 10_000, 1), r(s1, T0 + 20_000, 2)]);
    store.rollups.step();
    expect(rollups()).toEqual([
      { series: s1, minute: T0, count: 3, sum: 7, min: 1, max: 4, last: 4, last_ts: T0 + 40_000 },
    ]);
  });

  it('rows without a value (batch events without quantity) are skipped, but the cursor passes them', () => {
    insert([r(s1, T0, null), r(s1, T0 + 1, 5), r(s1, T0 + 2, null)]);
    expect(store.rollups.step()).toBe(3);
    expect(rollups()).toEqual([
      { series: s1, minute: T0, count: 1, sum: 5, min: 5, max: 5, last: 5, last_ts: T0 + 1 },
    ]);
    expect(store.cursors.get(ROLLUP_CURSOR)).toBe(3);
  });

  it('late and out-of-order rows merge into existing minutes', () => {
    insert([r(s1, T0 + 10_000, 1), r(s1, T0 + 50_000, 2)]);
    store.rollups.step();
    // Later in arrival, earlier in event time: count/sum/min change, last stays the 50 s value.
    insert([r(s1, T0 + 20_000, -5), r(s1, T0 + 30_000, 7)]);
    store.rollups.step();
    expect(rollups()).toEqual([
      { series: s1, minute: T0, count: 4, sum: 5, min: -5, max: 7, last: 2, last_ts: T0 + 50_000 },
    ]);
    // A late row at the latest ts so far takes over `last`.
    insert([r(s1, T0 + 55_000, 3)]);
    store.rollups.step();
    expect(rollups()[0]).toEqual({
      series: s1,
      minute: T0,
      count: 5,
      sum: 8,
      min: -5,
      max: 7,
      last: 3,
      last_ts: T0 + 55_000,
    });
    // A late row for an older minute creates that minute.
    insert([r(s1, T0 - 1, 100)]);
    store.rollups.step();
    expect(rollups()[0]).toEqual({
      series: s1,
      minute: T0 - MIN,
      count: 1,
      sum: 100,
      min: 100,
      max: 100,
      last: 100,
      last_ts: T0 - 1,
    });
    expect(rollups()).toHaveLength(2);
  });

  it('is exactly-once: a second step (or a catch-up) with no new rows changes nothing; redelivered rows are not recounted', () => {
    insert([r(s1, T0, 1), r(s1, T0 + 1000, 2)]);
    expect(store.rollups.step()).toBe(2);
    const once = rollups();
    expect(store.rollups.step()).toBe(0);
    store.rollups.catchUp();
    expect(rollups()).toEqual(once);
    // QoS 1 redelivery: the log ignores the duplicates, so the rollups see nothing new.
    insert([r(s1, T0, 1), r(s1, T0 + 1000, 2)]);
    expect(store.rollups.step()).toBe(0);
    expect(rollups()).toEqual(once);
    expect(once[0]!.count).toBe(2);
  });

  it('many small steps give the same rollups as one big step, and the cursor is saved with each', () => {
    const rows: LogRow[] = [];
    for (let i = 0; i < 97; i++)
      rows.push(r(i % 2 ? s1 : s2, T0 + ((i * 7919) % 300) * 1000, (i * 37) % 23));
    insert(rows);
    let steps = 0;
    for (let n; (n = store.rollups.step(10)) > 0; steps++) {
      expect(n).toBeLessThanOrEqual(10);
      expect(store.cursors.get(ROLLUP_CURSOR)).toBe(Math.min((steps + 1) * 10, 97));
    }
    expect(steps).toBe(10);
    const small = rollups();

    const other = tempDir('plantpulse-rollups-b-');
    const b = openStore({
      dataDir: other.dir,
      durability: 'normal',
      commitMaxRows: 1_000_000,
      rawRetentionMs: DAY,
      rollupRetentionMs: DAY,
    });
    try {
      b.series.ensure('t/l1/m1/power', 'power', 'W');
      b.series.ensure('t/l1/m1/temp', 'temperature', '°C');
      b.writer.submit(rows, [], () => undefined);
      b.writer.flush();
      expect(b.rollups.step(1000)).toBe(97);
      const big = b.db
        .prepare('SELECT * FROM rollup_1m ORDER BY series, minute')
        .all() as RollupRow[];
      expect(big).toHaveLength(small.length);
      big.forEach((x, i) => {
        const y = small[i]!;
        expect({ ...x, sum: 0 }).toEqual({ ...y, sum: 0 });
        expect(x.sum).toBeCloseTo(y.sum, 9);
      });
      expect(small.reduce((a, x) => a + x.count, 0)).toBe(97);
    } finally {
      b.close();
      other.cleanup();
    }
  });

  it('the cursor survives a restart: reopening the store does not fold rows twice', () => {
    insert([r(s1, T0, 1), r(s1, T0 + 1, 2)]);
    store.rollups.step();
    store.close();
    store = openStore({
      dataDir: tmp.dir,
      durability: 'normal',
      commitMaxRows: 1_000_000,
      rawRetentionMs: 30 * DAY,
      rollupRetentionMs: 365 * DAY,
    });
    expect(store.rollups.step()).toBe(0);
    insert([r(s1, T0 + 2, 3)]);
    expect(store.rollups.step()).toBe(1);
    expect(rollups()).toEqual([
      { series: s1, minute: T0, count: 3, sum: 6, min: 1, max: 3, last: 3, last_ts: T0 + 2 },
    ]);
  });
});

describe('LogQueries.buckets: raw and rollups agree', () => {
  /** 20 minutes of readings every 7 s with deterministic pseudo-random values, inserted out of order. */
  function data(): LogRow[] {
    const rows: LogRow[] = [];
    let x = 12345;
    for (let ts = T0; ts < T0 + 20 * MIN; ts += 7_000) {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      rows.push(r(s1, ts, Math.round((x / 2 ** 31) * 1e6) / 1000 - 300));
    }
    // Shuffle deterministically: late data everywhere.
    for (let i = rows.length - 1; i > 0; i--) {
      const j = (i * 7 + 3) % (i + 1);
      [rows[i], rows[j]] = [rows[j]!, rows[i]!];
    }
    return rows;
  }

  it.each([
    ['1m', MIN],
    ['5m', 5 * MIN],
  ])('step %s: same count, mean, min, max, last per bucket', (_name, step) => {
    const rows = data();
    // Commit in three parts with rollup steps between, so rollups merge across steps.
    insert(rows.slice(0, 60));
    store.rollups.step();
    insert(rows.slice(60, 120));
    store.rollups.step(7);
    store.rollups.catchUp();
    insert(rows.slice(120));
    store.rollups.catchUp();

    const from = T0;
    const to = T0 + 20 * MIN;
    const raw = store.queries.buckets(s1, from, to, step, 'raw');
    const roll = store.queries.buckets(s1, from, to, step, 'rollup_1m');
    expect(raw).toHaveLength((20 * MIN) / step);
    expect(roll).toHaveLength(raw.length);
    raw.forEach((b, i) => {
      const c = roll[i]!;
      expect(c.ts).toBe(b.ts);
      expect(c.count).toBe(b.count);
      expect(c.min).toBe(b.min);
      expect(c.max).toBe(b.max);
      expect(c.last).toBe(b.last);
      expect(c.mean).toBeCloseTo(b.mean, 9);
    });

    // And both match a direct computation.
    const inWindow = rows.filter((x) => x.ts >= from && x.ts < to);
    const expected = new Map<number, LogRow[]>();
    for (const x of inWindow) {
      const k = x.ts - (x.ts % step);
      expected.set(k, [...(expected.get(k) ?? []), x]);
    }
    for (const b of raw) {
      const group = expected.get(b.ts)!;
      const values = group.map((x) => x.value!);
      const latest = group.reduce((a, x) => (x.ts > a.ts ? x : a));
      expect(b.count).toBe(group.length);
      expect(b.min).toBe(Math.min(...values));
      expect(b.max).toBe(Math.max(...values));
      expect(b.last).toBe(latest.value);
      expect(b.mean).toBeCloseTo(values.reduce((a, v) => a + v, 0) / values.length, 9);
    }
  });

  it('rows the rollups have not reached yet are folded in from the log (exact while they trail)', () => {
    const rows = data();
    insert(rows.slice(0, 100));
    store.rollups.step(60); // 40 rows behind, and every later row too: late data for rolled minutes
    insert(rows.slice(100));
    insert([r(s2, T0 + 30_000, 1e6)]); // another series in the tail stays out
    for (const step of [MIN, 5 * MIN]) {
      const raw = store.queries.buckets(s1, T0 - 90_000, T0 + 20 * MIN, step, 'raw');
      const roll = store.queries.buckets(s1, T0 - 90_000, T0 + 20 * MIN, step, 'rollup_1m');
      expect(roll.map((b) => [b.ts, b.count, b.min, b.max, b.last])).toEqual(
        raw.map((b) => [b.ts, b.count, b.min, b.max, b.last]),
      );
      roll.forEach((b, i) => expect(b.mean).toBeCloseTo(raw[i]!.mean, 9));
    }
  });

  it('raw buckets ignore rows without a value and other series', () => {
    insert([r(s1, T0, 1), r(s1, T0 + 1, null), r(s2, T0 + 2, 1000), r(s1, T0 + 3, 3)]);
    expect(store.queries.buckets(s1, T0, T0 + MIN, MIN, 'raw')).toEqual([
      { ts: T0, count: 2, mean: 2, min: 1, max: 3, last: 3 },
    ]);
  });
});

describe('LogQueries.readings', () => {
  it('returns [from, to) in ts order, up to limit', () => {
    insert([
      r(s1, T0 + 3000, 3),
      r(s1, T0, 0),
      r(s1, T0 + 2000, 2),
      r(s1, T0 + 1000, 1),
      r(s2, T0 + 1000, 99),
      r(s1, T0 - 1, -1),
    ]);
    expect(store.queries.readings(s1, T0, T0 + 3000, 100)).toEqual([
      { ts: T0, value: 0, quality: 0 },
      { ts: T0 + 1000, value: 1, quality: 0 },
      { ts: T0 + 2000, value: 2, quality: 0 },
    ]);
    expect(store.queries.readings(s1, T0, T0 + 3001, 100).map((p) => p.ts)).toEqual([
      T0,
      T0 + 1000,
      T0 + 2000,
      T0 + 3000,
    ]);
    expect(store.queries.readings(s1, T0, T0 + 3001, 2).map((p) => p.ts)).toEqual([T0, T0 + 1000]);
    expect(store.queries.readings(s1, T0 + 1, T0 + 1000, 100)).toEqual([]);
    expect(store.queries.readings(s2, T0, T0 + 3001, 100)).toEqual([
      { ts: T0 + 1000, value: 99, quality: 0 },
    ]);
  });
});

describe('retention', () => {
  const NOW = T0 + 40 * DAY;
  const OLD = NOW - 31 * DAY; // older than the 30 d raw retention
  const NEW = NOW - 29 * DAY;

  function seed(): void {
    // pos 1..4 old, pos 5..6 new, pos 7..8 old again (late backfill).
    insert([
      r(s1, OLD, 1),
      r(s1, OLD + 1, 2),
      r(s1, OLD + 2, 3),
      r(s1, OLD + 3, 4),
      r(s1, NEW, 5),
      r(s1, NEW + 1, 6),
      r(s1, OLD + 4, 7),
      r(s1, OLD + 5, 8),
    ]);
  }

  it('with no saved cursor at all, deletes nothing', () => {
    seed();
    expect(store.cursors.minimum()).toBeUndefined();
    expect(store.retention.run(NOW)).toEqual({ raw: 0, rollups: 0 });
    expect(logCount()).toBe(8);
  });

  it('deletes only rows older than the cutoff AND below the lowest saved cursor', () => {
    seed();
    store.rollups.catchUp(); // rollup cursor at 8
    store.cursors.set('influx', 3);
    expect(store.cursors.minimum()).toBe(3);
    expect(store.retention.run(NOW).raw).toBe(2);
    expect(positions()).toEqual([3, 4, 5, 6, 7, 8]);

    store.cursors.set('influx', 8);
    expect(store.retention.run(NOW).raw).toBe(3);
    // 5, 6 are new; 3, 4, 7 are old and below 8; 8 itself (the cursor's row) is kept.
    expect(positions()).toEqual([5, 6, 8]);
  });

  it('a consumer whose cursor has not advanced holds retention back completely', () => {
    seed();
    store.rollups.catchUp();
    store.cursors.set('influx', 0);
    expect(store.retention.run(NOW).raw).toBe(0);
    expect(logCount()).toBe(8);
  });

  it('new rows below the cursor are kept', () => {
    seed();
    store.cursors.set(ROLLUP_CURSOR, 100);
    expect(store.retention.run(NOW).raw).toBe(6);
    expect(
      (store.db.prepare('SELECT ts FROM log ORDER BY pos').all() as { ts: number }[]).map(
        (x) => x.ts,
      ),
    ).toEqual([NEW, NEW + 1]);
  });

  it('works in bounded chunks', () => {
    seed();
    store.cursors.set(ROLLUP_CURSOR, 100);
    expect(store.retention.run(NOW, 2, 2).raw).toBe(4);
    expect(positions()).toEqual([5, 6, 7, 8]);
    expect(store.retention.run(NOW, 2, 2).raw).toBe(2);
    expect(store.retention.run(NOW, 2, 2).raw).toBe(0);
  });

  it('deletes rollups older than the rollup retention, whatever the cursors say', () => {
    const cutoff = NOW - 365 * DAY; // minute-aligned
    expect(cutoff % MIN).toBe(0);
    insert([r(s1, cutoff - MIN + 59_999, 1), r(s1, cutoff, 2), r(s1, NOW - MIN, 3)]);
    store.rollups.catchUp();
    store.cursors.set('influx', 0); // holds raw retention, not rollup retention
    expect(rollups().map((x) => x.minute)).toEqual([cutoff - MIN, cutoff, NOW - MIN]);
    expect(store.retention.run(NOW)).toEqual({ raw: 0, rollups: 1 });
    expect(rollups().map((x) => x.minute)).toEqual([cutoff, NOW - MIN]);
  });

  it('positions are not reused after retention empties the log', () => {
    seed();
    store.cursors.set(ROLLUP_CURSOR, 100);
    store.retention.run(NOW + 365 * DAY);
    expect(logCount()).toBe(0);
    insert([r(s1, NOW, 1)]);
    expect(positions()).toEqual([9]);
    expect(store.queries.counts().lastPos).toBe(9);
  });
});

describe('cursors', () => {
  it('get (0 when unknown), set (upsert), minimum, list', () => {
    const c = new Cursors(store.db);
    expect(c.get('nope')).toBe(0);
    expect(c.minimum()).toBeUndefined();
    c.set('b', 10);
    c.set('a', 20);
    c.set('b', 5);
    expect(c.get('b')).toBe(5);
    expect(c.minimum()).toBe(5);
    expect(c.list().map(({ name, pos }) => ({ name, pos }))).toEqual([
      { name: 'a', pos: 20 },
      { name: 'b', pos: 5 },
    ]);
  });
});

describe('migrations', () => {
  const latest = MIGRATIONS[MIGRATIONS.length - 1]!.version;

  it('versions are 1..n in order', () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
  });

  it('a fresh database gets user_version = latest and every table', () => {
    const t = tempDir('plantpulse-migrate-');
    try {
      const db = openDatabase(t.dir, { durability: 'normal' });
      expect(db.pragma('user_version', { simple: true })).toBe(latest);
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      const tables = (
        db
          .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
          )
          .all() as { name: string }[]
      ).map((x) => x.name);
      expect(tables).toEqual([
        'api_tokens',
        'audit_head',
        'audit_log',
        'cursors',
        'dead_letters',
        'devices',
        'devices_version',
        'log',
        'operator_checkpoints',
        'rollup_1m',
        'series',
      ]);
      db.close();
    } finally {
      t.cleanup();
    }
  });

  it('migrate() on a fresh connection reports from 0; on a migrated one it is a no-op', () => {
    const mem = new Database(':memory:');
    expect(migrate(mem)).toEqual({ from: 0, to: latest });
    expect(migrate(mem)).toEqual({ from: latest, to: latest });
    mem.close();
  });

  it('reopening an existing data directory keeps its data and does not migrate again', () => {
    insert([r(s1, T0, 42)]);
    store.close();
    const db = openDatabase(tmp.dir, { durability: 'normal' });
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(latest);
      expect(migrate(db)).toEqual({ from: latest, to: latest });
      expect(db.prepare('SELECT ts, value FROM log').all()).toEqual([{ ts: T0, value: 42 }]);
      expect(
        (db.prepare('SELECT key FROM series ORDER BY id').all() as { key: string }[]).map(
          (x) => x.key,
        ),
      ).toEqual(['t/l1/m1/power', 't/l1/m1/temp']);
    } finally {
      db.close();
      store = openStore({
        dataDir: tmp.dir,
        durability: 'normal',
        commitMaxRows: 10,
        rawRetentionMs: DAY,
        rollupRetentionMs: DAY,
      });
    }
  });

  it('a database written by a newer PlantPulse fails with a message saying to upgrade', () => {
    const t = tempDir('plantpulse-migrate-');
    try {
      openDatabase(t.dir, { durability: 'normal' }).close();
      const raw = new Database(join(t.dir, LOG_FILE));
      raw.pragma(`user_version = ${latest + 1}`);
      raw.close();
      expect(() => openDatabase(t.dir, { durability: 'normal' })).toThrow(
        `the data directory was written by a newer PlantPulse (schema version ${latest + 1}, this build knows ${latest}); upgrade PlantPulse or use another --data-dir`,
      );
      // The refused open changed nothing.
      const check = new Database(join(t.dir, LOG_FILE), { readonly: true });
      expect(check.pragma('user_version', { simple: true })).toBe(latest + 1);
      check.close();
    } finally {
      t.cleanup();
    }
  });
});
