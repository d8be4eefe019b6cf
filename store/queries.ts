/**
 * Read side of the local log for the API and reports: raw readings, aggregated buckets (from
 * raw rows or 1-minute rollups), dead letters, and counts.
 */
import type Database from 'better-sqlite3';
import { ROLLUP_CURSOR } from './rollups.js';

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

interface BucketParams {
  step: number;
  series: number;
  from: number;
  to: number;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export interface DeadLetterRecord {
  id: number;
  received: number;
  topic: string;
  clientId: string | null;
  code: string;
  field: string | null;
  reason: string;
  /** The kept bytes: as text when they are valid UTF-8, else base64 (binary payloads). */
  payload: string;
  payloadEncoding: 'utf8' | 'base64';
  payloadSize: number;
  truncated: boolean;
}

export class LogQueries {
  private readonly raw: Database.Statement<[number, number, number, number], RawPoint>;
  private readonly rawBuckets: Database.Statement<[BucketParams], Bucket & { bucket: number }>;
  private readonly rollupBuckets: Database.Statement<[BucketParams], Bucket & { bucket: number }>;
  private readonly deadLettersStmt: Database.Statement<[number, number], Record<string, unknown>>;
  private readonly deadLettersByCode: Database.Statement<
    [string, number, number],
    Record<string, unknown>
  >;

  constructor(private readonly db: Database.Database) {
    this.raw = db.prepare(
      'SELECT ts, value, quality FROM log WHERE series = ? AND ts >= ? AND ts < ? ORDER BY ts LIMIT ?',
    );
    // `last` is the value of the newest reading in the bucket, picked by ROW_NUMBER over event
    // time (a bare column beside several MIN/MAX aggregates would be undefined in SQLite).
    this.rawBuckets = db.prepare(`
      SELECT bucket, COUNT(*) AS count, AVG(value) AS mean, MIN(value) AS min, MAX(value) AS max,
             MAX(CASE WHEN rn = 1 THEN value END) AS last
      FROM (SELECT ts - (ts % @step) AS bucket, value,
                   ROW_NUMBER() OVER (PARTITION BY ts - (ts % @step) ORDER BY ts DESC) AS rn
            FROM log WHERE series = @series AND ts >= @from AND ts < @to AND value IS NOT NULL)
      GROUP BY bucket ORDER BY bucket`);
    // The rollups trail the log by the analytics worker's last step (store/rollups.ts runs
    // there, off the ingest thread), so the rows after the rollup cursor are folded in here, as
    // one-reading rollups: the answer is exact without a catch-up write on the request path.
    // That tail is short, so it is found through the position (the `+` keeps SQLite from
    // scanning the series' whole time range instead); one statement reads one snapshot.
    this.rollupBuckets = db.prepare(`
      SELECT bucket, SUM(count) AS count, SUM(sum) / SUM(count) AS mean, MIN(min) AS min, MAX(max) AS max,
             MAX(CASE WHEN rn = 1 THEN last END) AS last
      FROM (SELECT b AS bucket, count, sum, min, max, last,
                   ROW_NUMBER() OVER (PARTITION BY b ORDER BY last_ts DESC) AS rn
            FROM (SELECT minute - (minute % @step) AS b, count, sum, min, max, last, last_ts
                  FROM rollup_1m WHERE series = @series AND minute >= @from AND minute < @to
                  UNION ALL
                  SELECT ts - (ts % @step), 1, value, value, value, value, ts
                  FROM log
                  WHERE pos > (SELECT COALESCE(MAX(pos), 0) FROM cursors WHERE name = '${ROLLUP_CURSOR}')
                    AND +series = @series AND value IS NOT NULL
                    AND ts - (ts % 60000) >= @from AND ts - (ts % 60000) < @to))
      GROUP BY bucket ORDER BY bucket`);
    const dl =
      'SELECT id, received, topic, client_id, code, field, reason, payload, payload_size FROM dead_letters';
    this.deadLettersStmt = db.prepare(`${dl} WHERE id < ? ORDER BY id DESC LIMIT ?`);
    this.deadLettersByCode = db.prepare(`${dl} WHERE code = ? AND id < ? ORDER BY id DESC LIMIT ?`);
  }

  readings(series: number, from: number, to: number, limit: number): RawPoint[] {
    return this.raw.all(series, from, to, limit);
  }

  /** Buckets of `stepMs` from raw rows (any step) or from rollups (whole minutes). */
  buckets(
    series: number,
    from: number,
    to: number,
    stepMs: number,
    source: 'raw' | 'rollup_1m',
  ): Bucket[] {
    const stmt = source === 'raw' ? this.rawBuckets : this.rollupBuckets;
    const rows = stmt.all({ step: stepMs, series, from, to });
    return rows.map(({ bucket, count, mean, min, max, last }) => ({
      ts: bucket,
      count,
      mean,
      min,
      max,
      last,
    }));
  }

  deadLetters(opts: { limit: number; before?: number; code?: string }): DeadLetterRecord[] {
    const before = opts.before ?? Number.MAX_SAFE_INTEGER;
    const rows = opts.code
      ? this.deadLettersByCode.all(opts.code, before, opts.limit)
      : this.deadLettersStmt.all(before, opts.limit);
    return rows.map((r) => {
      const payload = (r.payload as Buffer | null) ?? Buffer.alloc(0);
      const size = r.payload_size as number;
      let text: string;
      let payloadEncoding: 'utf8' | 'base64' = 'utf8';
      try {
        text = strictUtf8.decode(payload);
      } catch {
        // A cap may cut a multi-byte character; only a payload that is not text at all goes base64.
        try {
          text = strictUtf8.decode(trimPartialUtf8(payload));
        } catch {
          text = payload.toString('base64');
          payloadEncoding = 'base64';
        }
      }
      return {
        id: r.id as number,
        received: r.received as number,
        topic: r.topic as string,
        clientId: (r.client_id as string | null) ?? null,
        code: r.code as string,
        field: (r.field as string | null) ?? null,
        reason: r.reason as string,
        payload: text,
        payloadEncoding,
        payloadSize: size,
        truncated: payload.length < size,
      };
    });
  }

  /**
   * `readings` counts what devices sent (readings, waveform blocks, batch events), not the rows
   * analytics operators derived from them; `derivedRows` counts those, and `actionRows` the
   * acknowledgements and resolutions people recorded through the API (alerts/actions.ts).
   */
  counts(): {
    readings: number;
    derivedRows: number;
    actionRows: number;
    deadLetters: number;
    series: number;
    lastPos: number;
  } {
    // One read transaction: the analytics worker inserts derived rows on its own connection,
    // and counts taken at two moments would not add up. COUNT(*) on the log scans an index;
    // fine for stats at human request rates.
    return this.db.transaction(() => this.countsNow()).deferred();
  }

  private countsNow(): {
    readings: number;
    derivedRows: number;
    actionRows: number;
    deadLetters: number;
    series: number;
    lastPos: number;
  } {
    const rows = (this.db.prepare('SELECT COUNT(*) AS n FROM log').get() as { n: number }).n;
    const derivedRows = (
      this.db
        .prepare(
          'SELECT COUNT(*) AS n FROM log WHERE series IN (SELECT id FROM series WHERE derived = 1)',
        )
        .get() as { n: number }
    ).n;
    // The kind is spelled here rather than imported: store/ sits below alerts/.
    const actionRows = (
      this.db
        .prepare(
          "SELECT COUNT(*) AS n FROM log WHERE series IN (SELECT id FROM series WHERE kind = 'alert_action')",
        )
        .get() as { n: number }
    ).n;
    const readings = rows - derivedRows - actionRows;
    const deadLetters = (
      this.db.prepare('SELECT COUNT(*) AS n FROM dead_letters').get() as { n: number }
    ).n;
    const series = (this.db.prepare('SELECT COUNT(*) AS n FROM series').get() as { n: number }).n;
    // Positions may have gaps (an ignored duplicate uses one up); the last row's position is what consumers reach.
    const lastPos =
      (this.db.prepare('SELECT MAX(pos) AS n FROM log').get() as { n: number | null }).n ?? 0;
    return { readings, derivedRows, actionRows, deadLetters, series, lastPos };
  }

  deadLettersByReason(): { code: string; count: number }[] {
    return this.db
      .prepare('SELECT code, COUNT(*) AS count FROM dead_letters GROUP BY code ORDER BY count DESC')
      .all() as {
      code: string;
      count: number;
    }[];
  }
}

/** Drops an incomplete UTF-8 sequence at the end (a size cap can cut one in half). */
function trimPartialUtf8(buf: Buffer): Buffer {
  const end = buf.length;
  for (let back = 1; back <= 3 && end - back >= 0; back++) {
    const b = buf[end - back]!;
    if ((b & 0xc0) === 0x80) continue; // continuation byte
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > back ? buf.subarray(0, end - back) : buf;
  }
  return buf;
}
