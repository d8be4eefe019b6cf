/**
 * The log writer through a full database (SQLITE_FULL, here from PRAGMA max_page_count, the same
 * error a full disk gives): every submitter gets the error, nothing of the failed batch is in the
 * log, `failure` describes the episode for /health, and the first commit after space returns
 * succeeds and clears it. tests/integration/fault-disk-full.test.ts does the same on a real full
 * filesystem.
 */
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../store/db.js';
import { LogWriter, type LogRow } from '../../store/log-writer.js';
import { SeriesRegistry } from '../../store/series.js';
import { tempDir } from '../helpers/tmp.js';

describe('LogWriter when the database is full', () => {
  it('fails the whole batch, reports the episode, and recovers when space returns', () => {
    const tmp = tempDir('plantpulse-writer-full-');
    const db = openDatabase(tmp.dir, { durability: 'normal' });
    try {
      const series = new SeriesRegistry(db).ensure('t/l1/m1/power', 'power', 'W');
      const writer = new LogWriter(db, { maxRows: 1_000_000 });
      const body = Buffer.alloc(512, 7);
      let ts = 1_700_000_000_000;
      const batch = (n: number): LogRow[] =>
        Array.from({ length: n }, () => ({ series, ts: ts++, value: 1, quality: 0, body }));
      const count = () => db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM log').get()!.n;
      const submit = (rows: LogRow[]) => {
        const results: (Error | null)[] = [];
        writer.submit(rows.slice(0, 10), [], (err) => results.push(err));
        writer.submit(rows.slice(10), [], (err) => results.push(err));
        writer.flush();
        return results;
      };

      expect(submit(batch(20))).toEqual([null, null]);
      const pages = db.pragma('page_count', { simple: true }) as number;
      db.pragma(`max_page_count = ${pages + 2}`);
      const before = count();
      const failed = submit(batch(200));
      expect(failed.map((e) => (e as { code?: string } | null)?.code)).toEqual([
        'SQLITE_FULL',
        'SQLITE_FULL',
      ]);
      expect(count(), 'nothing of a failed batch is in the log').toBe(before);
      expect(writer.failing?.message).toMatch(/full/);
      const f1 = writer.failure!;
      expect(f1.failedCommits).toBe(1);
      submit(batch(200));
      expect(writer.failure).toMatchObject({ sinceMs: f1.sinceMs, failedCommits: 2 });

      db.pragma('max_page_count = 1073741823');
      expect(submit(batch(200))).toEqual([null, null]);
      expect(count()).toBe(before + 200);
      expect(writer.failure).toBeUndefined();
      expect(writer.failing).toBeUndefined();
      writer.close();
    } finally {
      db.close();
      tmp.cleanup();
    }
  });
});
