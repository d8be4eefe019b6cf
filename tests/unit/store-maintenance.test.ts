/**
 * LogMaintenance: the rollups and retention the analytics worker runs between its steps, each
 * step one short write taken after `beforeWrite` (which waits while a group commit is queued).
 */
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  LogMaintenance,
  RETENTION_STEP_ROWS,
  ROLLUP_INTERVAL_MS,
  ROLLUP_STEP_ROWS,
} from '../../store/maintenance.js';
import { ROLLUP_CURSOR } from '../../store/rollups.js';
import { openStore, type Store } from '../../store/store.js';
import { tempDir } from '../helpers/tmp.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-06-01T00:00:00Z');
let tmp: ReturnType<typeof tempDir>;
let store: Store;
let series: number;

beforeEach(() => {
  tmp = tempDir('plantpulse-maintenance-');
  store = openStore({
    dataDir: tmp.dir,
    durability: 'normal',
    commitMaxRows: 1_000_000,
    rawRetentionMs: DAY,
    rollupRetentionMs: 10 * DAY,
  });
  series = store.series.ensure('t/l1/m1/power', 'power', 'W');
});
afterEach(() => {
  store.close();
  tmp.cleanup();
});

function insert(n: number, from: number, step: number): void {
  const rows = Array.from({ length: n }, (_, i) => ({
    series,
    ts: from + i * step,
    value: i,
    quality: 0,
    body: null,
  }));
  store.writer.submit(rows, [], (err) => expect(err).toBeNull());
  store.writer.flush();
}

function maintenance(now: () => number) {
  let writes = 0;
  const m = new LogMaintenance(store, {
    retentionIntervalMs: 60_000,
    beforeWrite: () => void writes++,
    log: pino({ level: 'silent' }),
    now,
  });
  return { m, writes: () => writes };
}

describe('LogMaintenance', () => {
  it('folds a backlog in bounded steps at once, each after beforeWrite; live rows once an interval', () => {
    insert(ROLLUP_STEP_ROWS * 2 + 10, NOW - 3600_000, 1000);
    let now = NOW;
    const { m, writes } = maintenance(() => now);
    expect(m.rollupStep()).toBe(ROLLUP_STEP_ROWS);
    expect(m.rollupStep()).toBe(ROLLUP_STEP_ROWS);
    expect(m.rollupStep()).toBe(10);
    expect(writes()).toBe(3);
    expect(store.cursors.get(ROLLUP_CURSOR)).toBe(ROLLUP_STEP_ROWS * 2 + 10);
    insert(5, NOW + DAY, 1000); // live: a few new rows wait for the interval (no write lock per turn)
    expect(m.rollupStep()).toBe(0);
    now += ROLLUP_INTERVAL_MS;
    expect(m.rollupStep()).toBe(5);
    expect(writes()).toBe(4);
  });

  it('deletes expired rows in chunks while more remain, then waits for the next interval', () => {
    insert(RETENTION_STEP_ROWS + 500, NOW - 2 * DAY, 1000); // all older than the 1-day retention
    insert(1, NOW, 1000);
    store.rollups.catchUp(); // the only consumer, past every row
    let now = NOW;
    const { m } = maintenance(() => now);
    expect(m.retentionStep()).toBe(true); // a full chunk: come back for more
    expect(m.retentionStep()).toBe(false); // the rest: done until the interval has passed
    const count = () =>
      (store.db.prepare('SELECT COUNT(*) AS n FROM log').get() as { n: number }).n;
    expect(count()).toBe(1);
    insert(1, NOW - 2 * DAY - 1, 1000); // a late reading, already expired
    insert(1, NOW + 1000, 1000); // (retention always keeps the newest row of the log)
    store.rollups.catchUp();
    now += 59_000;
    expect(m.retentionStep()).toBe(false); // not due yet
    expect(count()).toBe(3);
    now += 1_000;
    m.retentionStep();
    expect(count()).toBe(2);
  });
});
