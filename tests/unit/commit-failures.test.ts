/**
 * While commits fail (disk full), the broker logs one line when refusals start, at most one
 * summary per interval, and one line when commits work again — not one line per refused publish.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { CommitFailureLog } from '../../broker/hooks/commit-failures.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      cb();
    },
  });
  return { log: pino({ level: 'info' }, stream), lines };
}

describe('CommitFailureLog', () => {
  it('logs the start, a summary per interval and the end of a failure episode', () => {
    const { log, lines } = capture();
    let now = 1_000;
    const f = new CommitFailureLog(log, 10_000, () => now);
    const full = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    for (let i = 0; i < 500; i++) {
      f.refuse(full, 'plants/a', 'dev');
      now += 50; // 25 s in all
    }
    f.committed();
    f.committed(); // no episode: nothing logged
    expect(lines.map((l) => l.msg)).toEqual([
      expect.stringMatching(/disk of the data dir is full/),
      'commits still failing; publishes not acknowledged',
      'commits still failing; publishes not acknowledged',
      'commits work again; acknowledging publishes',
    ]);
    expect(lines[0]).toMatchObject({ code: 'SQLITE_FULL', level: 50 });
    expect(lines[1]).toMatchObject({ refusedSinceLastLine: 200, failingForS: 10 });
    expect(lines[3]).toMatchObject({ refused: 500, failedForS: 25, level: 40 });
  });

  it('names other commit failures without blaming the disk', () => {
    const { log, lines } = capture();
    const f = new CommitFailureLog(log);
    f.refuse(Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' }), 't', 'c');
    expect(lines[0]!.msg).toMatch(/^commit failed: publishes are NOT acknowledged/);
  });
});
