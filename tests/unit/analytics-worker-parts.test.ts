/**
 * The parts that let analytics run in a worker thread beside ingest: checkpoints in a separate
 * file, the ingest signal, and two series registries on two connections of one database.
 */
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LogRecord, Operator } from '../../analytics/operator.js';
import { OperatorRunner } from '../../analytics/runner.js';
import { buildPlantIndex } from '../../config/plant-index.js';
import { plantSchema } from '../../config/schema.js';
import { IngestSignal } from '../../store/ingest-signal.js';
import { openStore, type Store } from '../../store/store.js';
import { testPlant } from '../helpers/plant-fixture.js';
import { tempDir } from '../helpers/tmp.js';

interface Count {
  n: number;
}
const counter: Operator<Count> = {
  name: 'counter',
  version: 1,
  init: () => ({ n: 0 }),
  apply(state, records: readonly LogRecord[], out, ctx) {
    for (const r of records) {
      if (ctx.seriesOf(r.series)?.kind !== 'power') continue;
      state.n++;
      out.emit({
        series: 't/l1/m1/power:count',
        kind: 'count',
        unit: '1',
        ts: r.ts,
        value: state.n,
      });
    }
  },
  snapshot: (s) => s,
  restore: (snap) => structuredClone(snap as Count),
};

const index = buildPlantIndex(plantSchema.parse(testPlant({ machines: 1 })));
let tmp: ReturnType<typeof tempDir>;
const open = (): Store =>
  openStore({
    dataDir: tmp.dir,
    durability: 'normal',
    commitMaxRows: 1e5,
    rawRetentionMs: 1e12,
    rollupRetentionMs: 1e12,
  });

function ingest(s: Store, from: number, n: number): void {
  const id = s.series.ensure('t/l1/m1/power', 'power', 'W');
  const rows = Array.from({ length: n }, (_, i) => ({
    series: id,
    ts: (from + i) * 1000,
    value: 1,
    quality: 0,
    body: null,
  }));
  s.writer.submit(rows, [], (err) => {
    if (err) throw err;
  });
  s.writer.flush();
}

beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

describe('checkpoints in a separate file', () => {
  it('saves state there after the effects, moves the retention cursor, and resumes from it', () => {
    const store = open();
    const cpDb = new Database(join(tmp.dir, 'cp.db'));
    ingest(store, 1, 10);
    const writes: string[] = [];
    const runner = new OperatorRunner(store, index, [counter as Operator<unknown>], {
      batchRows: 4,
      checkpointDb: cpDb,
      beforeWrite: () => writes.push('write'),
    });
    runner.catchUp();
    const cp = cpDb
      .prepare("SELECT pos, state FROM operator_checkpoints WHERE name = 'counter'")
      .get() as { pos: number; state: string };
    expect(JSON.parse(cp.state)).toEqual({ n: 10 });
    expect(store.cursors.get('operator:counter')).toBe(cp.pos);
    expect(store.db.prepare('SELECT COUNT(*) AS n FROM operator_checkpoints').get()).toEqual({
      n: 0,
    });
    expect(writes.length).toBeGreaterThan(0);

    ingest(store, 11, 5);
    const again = new OperatorRunner(store, index, [counter as Operator<unknown>], {
      batchRows: 4,
      checkpointDb: cpDb,
    });
    again.catchUp();
    const last = store.db
      .prepare(
        "SELECT l.value FROM log l JOIN series s ON s.id = l.series WHERE s.key = 't/l1/m1/power:count' ORDER BY l.ts DESC LIMIT 1",
      )
      .get() as { value: number };
    expect(last.value).toBe(15);
    cpDb.close();
    store.close();
  });

  it('falls back to a checkpoint kept in the log database by an older PlantPulse', () => {
    const store = open();
    ingest(store, 1, 6);
    new OperatorRunner(store, index, [counter as Operator<unknown>], { batchRows: 4 }).catchUp();
    const cpDb = new Database(join(tmp.dir, 'cp.db'));
    const runner = new OperatorRunner(store, index, [counter as Operator<unknown>], {
      batchRows: 4,
      checkpointDb: cpDb,
    });
    expect(runner.positions().counter).toBeGreaterThan(0);
    expect(runner.catchUp()).toBe(0);
    cpDb.close();
    store.close();
  });
});

describe('series registries on two connections', () => {
  it('each finds series the other created, by key and by id', () => {
    const a = open();
    const b = open();
    const id = a.series.ensure('t/l1/m1/power:count', 'count', '1', true);
    expect(b.series.byIdOf(id)).toMatchObject({ key: 't/l1/m1/power:count', derived: true });
    expect(b.series.ensure('t/l1/m1/power:count', 'count', '1', true)).toBe(id);
    const other = b.series.ensure('t/l1/m1/power:other', 'count', '1', true);
    expect(a.series.get('t/l1/m1/power:other')?.id).toBe(other);
    a.close();
    b.close();
  });
});

describe('IngestSignal', () => {
  it('wakes a waiting thread when ingest clears the flag, and gives up at its limit', async () => {
    const signal = new IngestSignal();
    signal.set(true);
    // A real second thread waits on the shared flag while this one clears it.
    const worker = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       const flag = new Int32Array(workerData);
       parentPort.postMessage('waiting');
       while (Atomics.load(flag, 0) === 1) Atomics.wait(flag, 0, 1);
       parentPort.postMessage('released');`,
      { eval: true, workerData: signal.buffer },
    );
    const messages: string[] = [];
    const released = new Promise<void>((r) =>
      worker.on('message', (m: string) => {
        messages.push(m);
        if (m === 'waiting') signal.set(false); // wakes the waiter (Atomics.notify)
        if (m === 'released') r();
      }),
    );
    await released; // without the notify the waiter (no timeout) would block forever
    expect(messages).toEqual(['waiting', 'released']);
    await worker.terminate();

    signal.set(true);
    signal.waitIdle(5); // nobody clears it: returns after its limit instead of starving analytics
    signal.set(false);
    signal.waitIdle(1000); // clear: returns at once
  });
});
