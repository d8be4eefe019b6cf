/**
 * 1-minute rollups (count, sum, min, max, last) of every scalar series, kept longer than raw
 * readings. A log consumer like any other: it reads rows after its cursor, merges them into
 * their minutes and saves the cursor in the same transaction, so late and out-of-order readings
 * merge correctly and nothing is counted twice.
 */
import type Database from 'better-sqlite3';
import type { Cursors } from './cursors.js';

export const ROLLUP_CURSOR = 'rollup_1m';
const MINUTE = 60_000;

interface Agg {
  series: number;
  minute: number;
  count: number;
  sum: number;
  min: number;
  max: number;
  last: number;
  lastTs: number;
}

export class Rollups {
  private readonly readStmt: Database.Statement<
    [number, number],
    { pos: number; series: number; ts: number; value: number | null }
  >;
  private readonly upsert: Database.Statement;
  private readonly apply: (aggs: Iterable<Agg>, cursor: number) => void;

  constructor(
    db: Database.Database,
    private readonly cursors: Cursors,
  ) {
    this.readStmt = db.prepare(
      'SELECT pos, series, ts, value FROM log WHERE pos > ? ORDER BY pos LIMIT ?',
    );
    this.upsert = db.prepare(`
      INSERT INTO rollup_1m(series, minute, count, sum, min, max, last, last_ts)
      VALUES (@series, @minute, @count, @sum, @min, @max, @last, @lastTs)
      ON CONFLICT(series, minute) DO UPDATE SET
        count = count + excluded.count,
        sum = sum + excluded.sum,
        min = MIN(min, excluded.min),
        max = MAX(max, excluded.max),
        last = CASE WHEN excluded.last_ts >= last_ts THEN excluded.last ELSE last END,
        last_ts = MAX(last_ts, excluded.last_ts)`);
    this.apply = db.transaction((aggs: Iterable<Agg>, cursor: number) => {
      for (const a of aggs) this.upsert.run(a);
      this.cursors.set(ROLLUP_CURSOR, cursor);
    });
  }

  /** Folds up to `maxRows` new log rows into the rollups; returns how many rows it read. */
  step(maxRows = 50_000): number {
    const from = this.cursors.get(ROLLUP_CURSOR);
    const rows = this.readStmt.all(from, maxRows);
    if (rows.length === 0) return 0;
    const aggs = new Map<string, Agg>();
    for (const r of rows) {
      if (r.value === null || !Number.isFinite(r.value)) continue;
      const minute = Math.floor(r.ts / MINUTE) * MINUTE;
      const key = `${r.series}:${minute}`;
      const a = aggs.get(key);
      if (!a) {
        aggs.set(key, {
          series: r.series,
          minute,
          count: 1,
          sum: r.value,
          min: r.value,
          max: r.value,
          last: r.value,
          lastTs: r.ts,
        });
      } else {
        a.count++;
        a.sum += r.value;
        if (r.value < a.min) a.min = r.value;
        if (r.value > a.max) a.max = r.value;
        if (r.ts >= a.lastTs) {
          a.last = r.value;
          a.lastTs = r.ts;
        }
      }
    }
    this.apply(aggs.values(), rows[rows.length - 1]!.pos);
    return rows.length;
  }

  /** Folds everything committed so far (bounded per step so the event loop is not held long). */
  catchUp(maxSteps = 100): void {
    for (let i = 0; i < maxSteps && this.step() > 0; i++);
  }
}
