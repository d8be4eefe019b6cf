/**
 * Read side of the local log: counts, dead-letter paging (newest first, `before` cursor, code
 * filter, truncated flag) and dead letters by reason — on a real SQLite file.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DeadLetterRow, LogRow } from '../../store/log-writer.js';
import { openStore, type Store } from '../../store/store.js';
import { tempDir } from '../helpers/tmp.js';

const DAY = 86_400_000;
let tmp: { dir: string; cleanup: () => void };
let store: Store;
let s1: number;

beforeEach(() => {
  tmp = tempDir('plantpulse-queries-');
  store = openStore({ dataDir: tmp.dir, durability: 'normal', commitMaxRows: 1_000_000, rawRetentionMs: DAY, rollupRetentionMs: DAY });
  s1 = store.series.ensure('t/l1/m1/power', 'power', 'W');
  store.series.ensure('t/l1/m1/temp', 'temperature', '°C');
});

afterEach(() => {
  store.close();
  tmp.cleanup();
});

function commit(rows: LogRow[], dls: DeadLetterRow[] = []): void {
  let error: Error | null | undefined;
  store.writer.submit(rows, dls, (err) => (error = err));
  store.writer.flush();
  expect(error).toBeNull();
}

const r = (ts: number): LogRow => ({ series: s1, ts, value: ts, quality: 0, body: null });

function dl(i: number, code: string, over: Partial<DeadLetterRow> = {}): DeadLetterRow {
  const payload = Buffer.from(`{"n":${i}}`);
  return { topic: `plants/t/l1/m${i}/power`, clientId: `c${i}`, code, field: `f${i}`, reason: `reason ${i}`, payload, payloadSize: payload.length, ...over };
}

describe('counts()', () => {
  it('a fresh store: no readings, no dead letters, the registered series, position 0', () => {
    expect(store.queries.counts()).toEqual({ readings: 0, derivedRows: 0, actionRows: 0, deadLetters: 0, series: 2, lastPos: 0 });
  });

  it('counts rows (duplicates ignored), dead letters and the last position; deletes lower counts but not the position', () => {
    commit([r(1), r(2), r(3)], [dl(1, 'PP_ERR_SCHEMA')]);
    commit([r(4)], [dl(2, 'PP_ERR_UNIT'), dl(3, 'PP_ERR_UNIT')]);
    expect(store.queries.counts()).toEqual({ readings: 4, derivedRows: 0, actionRows: 0, deadLetters: 3, series: 2, lastPos: 4 });
    store.db.exec('DELETE FROM log WHERE pos <= 2');
    expect(store.queries.counts()).toEqual({ readings: 2, derivedRows: 0, actionRows: 0, deadLetters: 3, series: 2, lastPos: 4 });
    store.series.ensure('t/l1/batch.start', 'batch_event', '1');
    expect(store.queries.counts().series).toBe(3);
  });

  // BUG (same root cause as LogWriter's CommitStats.lastPos): an ignored duplicate still burns an
  // AUTOINCREMENT value and counts() reads sqlite_sequence, so after a redelivery lastPos names a
  // position no row has (the log_position metric runs ahead of every caught-up consumer).
  it('lastPos is not advanced by ignored duplicates (QoS 1 redeliveries)', () => {
    commit([r(1), r(2)]);
    commit([r(1), r(2)]);
    const maxPos = (store.db.prepare('SELECT MAX(pos) AS m FROM log').get() as { m: number }).m;
    expect(maxPos).toBe(2);
    expect(store.queries.counts()).toEqual({ readings: 2, derivedRows: 0, actionRows: 0, deadLetters: 0, series: 2, lastPos: 2 });
  });

  it('counts rows of derived series (written by analytics) apart from what devices sent', () => {
    commit([r(1), r(2), r(3)]);
    const derived = store.series.ensure('t/l1/m1/power:anomaly_score', 'anomaly_score', '1', true);
    commit([{ series: derived, ts: 1, value: 0.9, quality: 0, body: null }]);
    expect(store.series.derivedIds()).toEqual([derived]);
    expect(store.queries.counts()).toMatchObject({ readings: 3, derivedRows: 1, series: 3, lastPos: 4 });
  });

  it('counts alert acknowledgements people recorded apart from readings and derived rows', () => {
    commit([r(1), r(2)]);
    const action = store.series.ensure('t/l1/m1:alert_action:stale', 'alert_action', '1');
    commit([{ series: action, ts: 5, value: 1, quality: 0, body: null }]);
    expect(store.queries.counts()).toMatchObject({ readings: 2, derivedRows: 0, actionRows: 1 });
  });
});

describe('deadLetters()', () => {
  beforeEach(() => {
    // ids 1..7, codes: S U S N S U S
    const codes = ['PP_ERR_SCHEMA', 'PP_ERR_UNIT', 'PP_ERR_SCHEMA', 'PP_ERR_NOT_FINITE', 'PP_ERR_SCHEMA', 'PP_ERR_UNIT', 'PP_ERR_SCHEMA'];
    commit([], codes.map((c, i) => dl(i + 1, c)));
  });

  const ids = (xs: { id: number }[]) => xs.map((x) => x.id);

  it('returns newest first, up to limit, with every field', () => {
    const page = store.queries.deadLetters({ limit: 3 });
    expect(ids(page)).toEqual([7, 6, 5]);
    const first = page[0]!;
    expect(first).toEqual({
      id: 7,
      received: expect.any(Number) as number,
      topic: 'plants/t/l1/m7/power',
      clientId: 'c7',
      code: 'PP_ERR_SCHEMA',
      field: 'f7',
      reason: 'reason 7',
      payload: '{"n":7}',
      payloadEncoding: 'utf8',
      payloadSize: 7,
      truncated: false,
    });
    expect(first.received).toBeGreaterThan(0);
  });

  it('pages with `before` (exclusive) until the end', () => {
    const p1 = store.queries.deadLetters({ limit: 3 });
    const p2 = store.queries.deadLetters({ limit: 3, before: p1.at(-1)!.id });
    const p3 = store.queries.deadLetters({ limit: 3, before: p2.at(-1)!.id });
    const p4 = store.queries.deadLetters({ limit: 3, before: p3.at(-1)!.id });
    expect([ids(p1), ids(p2), ids(p3), ids(p4)]).toEqual([[7, 6, 5], [4, 3, 2], [1], []]);
  });

  it('filters by code, with paging', () => {
    expect(ids(store.queries.deadLetters({ limit: 10, code: 'PP_ERR_SCHEMA' }))).toEqual([7, 5, 3, 1]);
    expect(ids(store.queries.deadLetters({ limit: 2, code: 'PP_ERR_SCHEMA' }))).toEqual([7, 5]);
    expect(ids(store.queries.deadLetters({ limit: 2, code: 'PP_ERR_SCHEMA', before: 5 }))).toEqual([3, 1]);
    expect(ids(store.queries.deadLetters({ limit: 10, code: 'PP_ERR_UNIT', before: 6 }))).toEqual([2]);
    expect(store.queries.deadLetters({ limit: 10, code: 'PP_ERR_ACL_DENIED' })).toEqual([]);
  });

  it('limit 0 returns nothing', () => {
    expect(store.queries.deadLetters({ limit: 0 })).toEqual([]);
  });
});

describe('deadLetters(): payload and truncated flag', () => {
  it('truncated is true when the stored bytes are fewer than payloadSize; null client and field stay null', () => {
    commit(
      [],
      [
        dl(1, 'PP_ERR_PAYLOAD_TOO_LARGE', { payload: Buffer.from('{"ts":1,'), payloadSize: 5_000_000, clientId: null, field: null }),
        dl(2, 'PP_ERR_MALFORMED_JSON', { payload: Buffer.from('{"ts"'), payloadSize: 5 }),
        dl(3, 'PP_ERR_MALFORMED_JSON', { payload: Buffer.alloc(0), payloadSize: 0 }),
        dl(4, 'PP_ERR_MALFORMED_JSON', { payload: Buffer.from('°C'), payloadSize: 3 }),
      ],
    );
    const [d4, d3, d2, d1] = store.queries.deadLetters({ limit: 10 });
    expect(d1).toMatchObject({ id: 1, clientId: null, field: null, payload: '{"ts":1,', payloadSize: 5_000_000, truncated: true });
    expect(d2).toMatchObject({ id: 2, payload: '{"ts"', payloadSize: 5, truncated: false });
    expect(d3).toMatchObject({ id: 3, payload: '', payloadSize: 0, truncated: false });
    // Byte lengths, not string lengths: "°C" is 3 bytes in UTF-8.
    expect(d4).toMatchObject({ id: 4, payload: '°C', payloadSize: 3, truncated: false });
  });
});

describe('deadLetters(): payload encoding', () => {
  it('returns binary payloads as base64 and text cut inside a multi-byte character as text', () => {
    const binary = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x10]);
    const cut = Buffer.from('{"unit":"°C"}').subarray(0, 10); // ends inside the two bytes of "°"
    commit([], [dl(1, 'PP_ERR_MALFORMED_JSON', { payload: binary, payloadSize: 5 }), dl(2, 'PP_ERR_MALFORMED_JSON', { payload: cut, payloadSize: 14 })]);
    const [textRow, binaryRow] = store.queries.deadLetters({ limit: 10 });
    expect(binaryRow).toMatchObject({ payload: binary.toString('base64'), payloadEncoding: 'base64', payloadSize: 5, truncated: false });
    expect(textRow).toMatchObject({ payload: '{"unit":"', payloadEncoding: 'utf8', payloadSize: 14, truncated: true });
  });
});

describe('deadLettersByReason()', () => {
  it('counts per code, most frequent first', () => {
    expect(store.queries.deadLettersByReason()).toEqual([]);
    const codes = ['PP_ERR_UNIT', 'PP_ERR_SCHEMA', 'PP_ERR_SCHEMA', 'PP_ERR_TIMESTAMP', 'PP_ERR_SCHEMA', 'PP_ERR_TIMESTAMP'];
    commit([], codes.map((c, i) => dl(i, c)));
    expect(store.queries.deadLettersByReason()).toEqual([
      { code: 'PP_ERR_SCHEMA', count: 3 },
      { code: 'PP_ERR_TIMESTAMP', count: 2 },
      { code: 'PP_ERR_UNIT', count: 1 },
    ]);
  });
});
