/**
 * Reads a PlantPulse log file with better-sqlite3 and compares it with the publishers' ledgers.
 */
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Ledger } from './publisher.js';

export const LOG_FILE = 'plantpulse.db';

export interface StoredSeries {
  key: string;
  /** ts → value */
  rows: Map<number, number | null>;
}

export interface LogContents {
  series: Map<string, StoredSeries>;
  /** (series, ts) pairs stored more than once: must be empty. */
  duplicates: { series: number; ts: number; n: number }[];
  deadLetters: number;
}

/** Reads the rows of the given series keys. `readonly` for the live data dir; snapshots are opened read-write so SQLite can recover their WAL. */
export function readLog(file: string, keys: string[], readonly: boolean): LogContents {
  const db = new Database(file, { readonly, fileMustExist: true });
  try {
    const series = new Map<string, StoredSeries>();
    const idOf = db.prepare<[string], { id: number }>('SELECT id FROM series WHERE key = ?');
    const rowsOf = db.prepare<[number], { ts: number; value: number | null }>(
      'SELECT ts, value FROM log WHERE series = ?',
    );
    for (const key of keys) {
      const id = idOf.get(key)?.id;
      const rows = new Map<number, number | null>();
      if (id !== undefined) for (const r of rowsOf.iterate(id)) rows.set(r.ts, r.value);
      series.set(key, { key, rows });
    }
    const duplicates = db
      .prepare<[], { series: number; ts: number; n: number }>(
        'SELECT series, ts, COUNT(*) AS n FROM log GROUP BY series, ts HAVING COUNT(*) > 1',
      )
      .all();
    const deadLetters = db
      .prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM dead_letters')
      .get()!.n;
    return { series, duplicates, deadLetters };
  } finally {
    db.close();
  }
}

/**
 * Copies the log of a dead PlantPulse (main file and WAL, not the shared-memory index, which
 * SQLite rebuilds from the WAL) so it can be checked later exactly as the crash left it.
 */
export function snapshotLog(dataDir: string, into: string): string {
  mkdirSync(into, { recursive: true });
  const target = join(into, LOG_FILE);
  copyFileSync(join(dataDir, LOG_FILE), target);
  const wal = join(dataDir, `${LOG_FILE}-wal`);
  if (existsSync(wal)) copyFileSync(wal, `${target}-wal`);
  return target;
}

export interface Comparison {
  /** Acknowledged readings absent from the log (C1 violations). */
  lostAcknowledged: string[];
  /** Stored rows whose value differs from the value published for that ts. */
  wrongValues: string[];
  /** Stored rows of these series whose ts was never published. */
  unexpected: string[];
  /** Distinct readings published (each ledger entry was published at least once). */
  published: number;
  acknowledged: number;
  stored: number;
}

/**
 * Compares a log with the ledgers. `ackedBy` (crash epoch) limits the "must be present" check to
 * readings whose first PUBACK was seen before that kill; undefined means every acknowledged reading.
 */
export function compare(log: LogContents, ledgers: Ledger[], ackedBy?: number): Comparison {
  const out: Comparison = {
    lostAcknowledged: [],
    wrongValues: [],
    unexpected: [],
    published: 0,
    acknowledged: 0,
    stored: 0,
  };
  for (const ledger of ledgers) {
    const { key } = ledger.spec;
    const rows = log.series.get(key)?.rows ?? new Map<number, number | null>();
    out.stored += rows.size;
    out.published += ledger.readings.length;
    for (const r of ledger.readings) {
      const mustBeThere =
        r.firstAckEpoch !== undefined && (ackedBy === undefined || r.firstAckEpoch <= ackedBy);
      if (mustBeThere) out.acknowledged++;
      if (!rows.has(r.ts)) {
        if (mustBeThere)
          out.lostAcknowledged.push(
            `${key} seq ${r.seq} ts ${r.ts} (acknowledged in epoch ${r.firstAckEpoch})`,
          );
        continue;
      }
      const expected = ledger.spec.storedValue(r.seq);
      const stored = rows.get(r.ts)!;
      if (stored !== expected)
        out.wrongValues.push(`${key} seq ${r.seq}: stored ${stored}, expected ${expected}`);
    }
    for (const ts of rows.keys()) {
      const seq = ts - ledger.base;
      if (seq < 0 || seq >= ledger.readings.length) out.unexpected.push(`${key} ts ${ts}`);
    }
  }
  return out;
}
