/**
 * What the monthly report reads from the energy operator's tables (analytics/energy/tables.ts):
 * daily rows per line and machine labelled with the site's local day, batches by start, and
 * the month's peak demand. Read-only; one short read transaction so the figures agree.
 */
import type Database from 'better-sqlite3';
import { CodedError } from '../runtime/errors.js';
import { ENERGY_SCHEMA, type BatchRow, type PeakRow } from '../analytics/energy/tables.js';

export interface DailyRow {
  scope: 'line' | 'machine';
  key: string;
  day: string;
  kwh: number;
  coverage: number;
  batch_kwh: number;
  idle_kwh: number;
  cost: number;
  co2_kg: number;
}

export interface MonthData {
  daily: DailyRow[];
  /** Batches that started in [from, to) (UTC), before the per-site month filter. */
  batches: BatchRow[];
  peaks: PeakRow[];
}

export class EnergyTables {
  private readonly dailyQ: Database.Statement;
  private readonly batchesQ: Database.Statement;
  private readonly peaksQ: Database.Statement;

  constructor(private readonly db: Database.Database) {
    // The operator creates its tables on its first step; before that a report is just empty.
    if (!db.readonly) db.exec(ENERGY_SCHEMA);
    else if (!db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'energy_daily'").get())
      throw new CodedError(
        'PP_ERR_NOT_FOUND',
        'this data directory has no energy records: the energy operator has not run on it yet',
      );
    this.dailyQ = db.prepare(
      `SELECT scope, key, day, kwh, coverage, batch_kwh, idle_kwh, cost, co2_kg FROM energy_daily
       WHERE scope IN ('line', 'machine') AND day >= @first AND day <= @last`,
    );
    this.batchesQ = db.prepare(
      'SELECT * FROM batches WHERE start_ts >= @from AND start_ts < @to ORDER BY start_ts, id',
    );
    this.peaksQ = db.prepare('SELECT * FROM energy_peaks WHERE month = ?');
  }

  /** Daily rows of local days [first, last], batches started in [from, to), peaks of `month`. */
  month(first: string, last: string, from: number, to: number, month: string): MonthData {
    return this.db.transaction(() => ({
      daily: this.dailyQ.all({ first, last }) as DailyRow[],
      batches: this.batchesQ.all({ from, to }) as BatchRow[],
      peaks: this.peaksQ.all(month) as PeakRow[],
    }))();
  }

  batches(from: number, to: number): BatchRow[] {
    return this.batchesQ.all({ from, to }) as BatchRow[];
  }
}
