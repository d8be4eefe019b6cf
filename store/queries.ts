/**
 * Read side of the local log for the API and reports: raw readings, aggregated buckets (from
 * raw rows or 1-minute rollups), dead letters, and counts.
 */
import type Database from 'better-sqlite3';

export interface RawPoint {
  ts: number;
  value: number | null;
  quality: number;
}

export interface Bucket {
  ts: number;
  count: number;
  mean: number;
  min: number;
  max: number;
  last: number;
}

export interface DeadLetterRecord {
  id: number;
  received: number;
  topic: string;
  clientId: string | null;
  code: string;
  field: string | null;
  reason: string;
  payload: string;
  payloadSize: number;
  truncated: boolean;
}

export class LogQueries {
  private readonly raw: Database.Statement<[number, number, number, number], RawPoint>;
  private readonly rawBuckets: Database.Statement<[number, number, number, number, number], Bucket & { bucket: number }>;
  private readonly rollupBuckets: Database.Statement<[number, number, number, number, number], Bucket & { bucket: number }>;
  private readonly deadLettersStmt: Database.Statement<[number, number], Record<string, unknown>>;
  private readonly deadLettersByCode: Database.Statement<[string, number, number], Record<string, unknown>>;

  constructor(private readonly db: Database.Database) {
    this.raw = db.prepare(
      'SELECT ts, value, quality FROM log WHERE series = ? AND ts >= ? AND ts < ? ORDER BY ts LIMIT ?',
    );
    // SQLite returns `last` from the row holding MAX(ts) in the group (bare column with max()).
    this.rawBuckets = db.prepare(`
      SELECT ts - (ts % ?) AS bucket, COUNT(value) AS count, AVG(value) AS mean, MIN(value) AS min, MAX(value) AS max, value AS last, MAX(ts) AS _lastTs
      FROM log WHERE series = ? AND ts >= ? AND ts < ? AND value IS NOT NULL
      GROUP BY ts - (ts % ?) ORDER BY 1`);
    this.rollupBuckets = db.prepare(`
      SELECT minute - (minute % ?) AS bucket, SUM(count) AS count, SUM(sum) / SUM(count) AS mean, MIN(min) AS min, MAX(max) AS max, last AS last, MAX(last_ts) AS _lastTs
      FROM rollup_1m WHERE series = ? AND minute >= ? AND minute < ?
      GROUP BY minute - (minute % ?) ORDER BY 1`);
    const dl = 'SELECT id, received, topic, client_id, code, field, reason, payload, payload_size FROM dead_letters';
    this.deadLettersStmt = db.prepare(`${dl} WHERE id < ? ORDER BY id DESC LIMIT ?`);
    this.deadLettersByCode = db.prepare(`${dl} WHERE code = ? AND id < ? ORDER BY id DESC LIMIT ?`);
  }

  readings(series: number, from: number, to: number, limit: number): RawPoint[] {
    return this.raw.all(series, from, to, limit);
  }

  /** Buckets of `stepMs` from raw rows (any step) or from rollups (whole minutes). */
  buckets(series: number, from: number, to: number, stepMs: number, source: 'raw' | 'rollup_1m'): Bucket[] {
    const stmt = source === 'raw' ? this.rawBuckets : this.rollupBuckets;
    const rows = stmt.all(stepMs, series, from, to, stepMs);
    return rows.map(({ bucket, count, mean, min, max, last }) => ({ ts: bucket, count, mean, min, max, last }));
  }

  deadLetters(opts: { limit: number; before?: number; code?: string }): DeadLetterRecord[] {
    const before = opts.before ?? Number.MAX_SAFE_INTEGER;
    const rows = opts.code
      ? this.deadLettersByCode.all(opts.code, before, opts.limit)
      : this.deadLettersStmt.all(before, opts.limit);
    return rows.map((r) => {
      const payload = r.payload as Buffer | null;
      const size = r.payload_size as number;
      return {
        id: r.id as number,
        received: r.received as number,
        topic: r.topic as string,
        clientId: (r.client_id as string | null) ?? null,
        code: r.code as string,
        field: (r.field as string | null) ?? null,
        reason: r.reason as string,
        payload: payload ? payload.toString('utf8') : '',
        payloadSize: size,
        truncated: (payload?.length ?? 0) < size,
      };
    });
  }

  counts(): { readings: number; deadLetters: number; series: number; lastPos: number } {
    // COUNT(*) on the log scans an index; fine for stats at human request rates.
    const readings = (this.db.prepare('SELECT COUNT(*) AS n FROM log').get() as { n: number }).n;
    const deadLetters = (this.db.prepare('SELECT COUNT(*) AS n FROM dead_letters').get() as { n: number }).n;
    const series = (this.db.prepare('SELECT COUNT(*) AS n FROM series').get() as { n: number }).n;
    const lastPos = (this.db.prepare("SELECT seq AS n FROM sqlite_sequence WHERE name = 'log'").get() as { n: number } | undefined)?.n ?? 0;
    return { readings, deadLetters, series, lastPos };
  }

  deadLettersByReason(): { code: string; count: number }[] {
    return this.db.prepare('SELECT code, COUNT(*) AS count FROM dead_letters GROUP BY code ORDER BY count DESC').all() as {
      code: string;
      count: number;
    }[];
  }
}
