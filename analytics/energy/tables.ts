/**
 * The energy operator's own tables (beside the log, created by the runner from `schema`), and
 * the statements that write them. Rows are replaced whole: a revision rewrites the row with
 * its revision count raised.
 */
import type Database from 'better-sqlite3';

export const ENERGY_SCHEMA = `
CREATE TABLE IF NOT EXISTS batches (
  id TEXT PRIMARY KEY,
  line TEXT NOT NULL,
  batch TEXT NOT NULL,
  product TEXT,
  quantity REAL,
  unit TEXT,
  start_ts INTEGER,
  end_ts INTEGER,
  status TEXT NOT NULL CHECK (status IN ('running', 'settled', 'aborted')),
  kwh REAL NOT NULL,
  duration_ms INTEGER,
  coverage REAL NOT NULL,
  kwh_per_unit REAL,
  cost REAL NOT NULL,
  currency TEXT NOT NULL,
  co2_kg REAL NOT NULL,
  revision INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS batches_start ON batches(start_ts);
CREATE TABLE IF NOT EXISTS energy_hourly (
  scope TEXT NOT NULL CHECK (scope IN ('meter', 'machine', 'line')),
  key TEXT NOT NULL,
  hour INTEGER NOT NULL,
  day TEXT NOT NULL,
  kwh REAL NOT NULL,
  coverage REAL NOT NULL,
  batch_kwh REAL NOT NULL,
  idle_kwh REAL NOT NULL,
  cost REAL NOT NULL,
  co2_kg REAL NOT NULL,
  revision INTEGER NOT NULL,
  PRIMARY KEY (scope, key, hour)
);
CREATE INDEX IF NOT EXISTS energy_hourly_day ON energy_hourly(scope, key, day);
CREATE TABLE IF NOT EXISTS energy_daily (
  scope TEXT NOT NULL,
  key TEXT NOT NULL,
  day TEXT NOT NULL,
  kwh REAL NOT NULL,
  coverage REAL NOT NULL,
  batch_kwh REAL NOT NULL,
  idle_kwh REAL NOT NULL,
  cost REAL NOT NULL,
  co2_kg REAL NOT NULL,
  revision INTEGER NOT NULL,
  PRIMARY KEY (scope, key, day)
);
CREATE TABLE IF NOT EXISTS energy_peaks (
  site TEXT NOT NULL,
  month TEXT NOT NULL,
  window_ms INTEGER NOT NULL,
  kw REAL NOT NULL,
  at INTEGER NOT NULL,
  charge REAL NOT NULL,
  currency TEXT NOT NULL,
  PRIMARY KEY (site, month)
);
`;

export interface BatchRow {
  id: string;
  line: string;
  batch: string;
  product: string | null;
  quantity: number | null;
  unit: string | null;
  start_ts: number | null;
  end_ts: number | null;
  status: 'running' | 'settled' | 'aborted';
  kwh: number;
  duration_ms: number | null;
  coverage: number;
  kwh_per_unit: number | null;
  cost: number;
  currency: string;
  co2_kg: number;
  revision: number;
}

export interface HourRow {
  scope: 'meter' | 'machine' | 'line';
  key: string;
  hour: number;
  day: string;
  kwh: number;
  coverage: number;
  batch_kwh: number;
  idle_kwh: number;
  cost: number;
  co2_kg: number;
  revision: number;
}

export interface PeakRow {
  site: string;
  month: string;
  window_ms: number;
  kw: number;
  at: number;
  charge: number;
  currency: string;
}

export interface DayKey {
  scope: string;
  key: string;
  day: string;
  hours: number;
}

const cols = <T extends object>(row: T) => Object.keys(row);

function upsert(db: Database.Database, table: string, rows: object[]): void {
  if (rows.length === 0) return;
  const names = cols(rows[0]!);
  const st = db.prepare(
    `INSERT OR REPLACE INTO ${table}(${names.join(', ')}) VALUES (${names.map((n) => `@${n}`).join(', ')})`,
  );
  for (const r of rows) st.run(r);
}

/** Writes one step's records; daily rows are re-summed from the hourly rows of the days touched. */
export function writeEnergy(
  db: Database.Database,
  batches: BatchRow[],
  hours: HourRow[],
  days: DayKey[],
  peaks: PeakRow[],
): void {
  upsert(db, 'batches', batches);
  if (hours.length > 0) {
    // An hour overlapping this one under another alignment (written before the site's records
    // moved to its local hours, operator v3) would count the same energy twice.
    const overlap = db.prepare(
      'DELETE FROM energy_hourly WHERE scope = @scope AND key = @key AND hour > @hour - 3600000 AND hour < @hour + 3600000 AND hour != @hour',
    );
    for (const h of hours) overlap.run({ scope: h.scope, key: h.key, hour: h.hour });
  }
  upsert(db, 'energy_hourly', hours);
  upsert(db, 'energy_peaks', peaks);
  if (days.length === 0) return;
  const st = db.prepare(
    `INSERT OR REPLACE INTO energy_daily(scope, key, day, kwh, coverage, batch_kwh, idle_kwh, cost, co2_kg, revision)
     SELECT scope, key, day, sum(kwh), sum(coverage) / @hours, sum(batch_kwh), sum(idle_kwh), sum(cost), sum(co2_kg), max(revision)
     FROM energy_hourly WHERE scope = @scope AND key = @key AND day = @day GROUP BY scope, key, day`,
  );
  for (const d of days) st.run(d);
}
