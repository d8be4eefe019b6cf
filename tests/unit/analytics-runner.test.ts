import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LogRecord, Operator } from '../../analytics/operator.js';
import { OperatorRunner } from '../../analytics/runner.js';
import { buildPlantIndex } from '../../config/plant-index.js';
import { plantSchema } from '../../config/schema.js';
import { openStore, type Store } from '../../store/store.js';
import { testPlant } from '../helpers/plant-fixture.js';
import { tempDir } from '../helpers/tmp.js';

/** A toy operator: running sum of each power sensor, emitted per reading as "<path>:cumsum". */
interface SumState {
  sums: Record<string, number>;
}
const cumsum = (version = 1): Operator<SumState> => ({
  name: 'cumsum',
  version,
  init: () => ({ sums: {} }),
  apply(state, records: readonly LogRecord[], out, ctx) {
    for (const r of records) {
      const s = ctx.seriesOf(r.series);
      if (!s || s.kind !== 'power' || r.value === null) continue;
      state.sums[s.key] = (state.sums[s.key] ?? 0) + r.value;
      out.emit({
        series: `${s.key}:cumsum`,
        kind: 'cumsum',
        unit: 'W',
        ts: r.ts,
        value: state.sums[s.key]!,
      });
    }
  },
  snapshot: (state) => state,
  restore: (snap) => structuredClone(snap as SumState),
});

const index = buildPlantIndex(plantSchema.parse(testPlant({ machines: 2 })));
let tmp: ReturnType<typeof tempDir>;
let store: Store;

function open(): Store {
  return openStore({
    dataDir: tmp.dir,
    durability: 'normal',
    commitMaxRows: 100_000,
    rawRetentionMs: 1e12,
    rollupRetentionMs: 1e12,
  });
}

function ingest(s: Store, path: string, points: [number, number][]): void {
  const id = s.series.ensure(path, 'power', 'W');
  s.writer.submit(
    points.map(([ts, value]) => ({ series: id, ts, value, quality: 0, body: null })),
    [],
    (err) => {
      if (err) throw err;
    },
  );
  s.writer.flush();
}

function derived(s: Store): { key: string; ts: number; value: number; pos: number }[] {
  return s.db
    .prepare(
      "SELECT s.key, l.ts, l.value, l.pos FROM log l JOIN series s ON s.id = l.series WHERE s.kind = 'cumsum' ORDER BY s.key, l.ts",
    )
    .all() as { key: string; ts: number; value: number; pos: number }[];
}

beforeEach(() => {
  tmp = tempDir();
  store = open();
});
afterEach(() => {
  store.close();
  tmp.cleanup();
});

describe('OperatorRunner', () => {
  const A = 't/l1/m1/power';
  const B = 't/l1/m2/power';

  it('emits derived rows and checkpoints state, position and the retention cursor in one go', () => {
    ingest(store, A, [
      [1000, 1],
      [2000, 2],
      [3000, 3],
    ]);
    ingest(store, B, [[1000, 10]]);
    const runner = new OperatorRunner(store, index, [cumsum() as Operator<unknown>], {
      batchRows: 2,
    });
    // 4 readings, then the 4 derived rows the operator wrote (log records too, which it ignores).
    expect(runner.catchUp()).toBe(8);
    expect(derived(store).map((d) => [d.key, d.ts, d.value])).toEqual([
      [`${A}:cumsum`, 1000, 1],
      [`${A}:cumsum`, 2000, 3],
      [`${A}:cumsum`, 3000, 6],
      [`${B}:cumsum`, 1000, 10],
    ]);
    const cp = store.db
      .prepare("SELECT version, pos, state FROM operator_checkpoints WHERE name = 'cumsum'")
      .get() as { version: number; pos: number; state: string };
    expect(cp.version).toBe(1);
    expect(JSON.parse(cp.state)).toEqual({ sums: { [A]: 6, [B]: 10 } });
    expect(store.cursors.get('operator:cumsum')).toBe(cp.pos);
    expect(runner.positions().cumsum).toBe(cp.pos);
  });

  it('a restart from the checkpoint gives the same outputs as an uninterrupted run', () => {
    const points: [number, number][] = Array.from({ length: 50 }, (_, i) => [
      1000 * (i + 1),
      i % 7,
    ]);
    ingest(store, A, points.slice(0, 20));
    new OperatorRunner(store, index, [cumsum() as Operator<unknown>], { batchRows: 8 }).catchUp();
    store.close();
    store = open(); // "crash" and restart: a new runner restores the checkpoint
    ingest(store, A, points.slice(20));
    new OperatorRunner(store, index, [cumsum() as Operator<unknown>], { batchRows: 8 }).catchUp();
    const interrupted = derived(store).map((d) => [d.ts, d.value]);

    const other = tempDir();
    const s2 = openStore({
      dataDir: other.dir,
      durability: 'normal',
      commitMaxRows: 100_000,
      rawRetentionMs: 1e12,
      rollupRetentionMs: 1e12,
    });
    ingest(s2, A, points);
    new OperatorRunner(s2, index, [cumsum() as Operator<unknown>], { batchRows: 1000 }).catchUp();
    expect(derived(s2).map((d) => [d.ts, d.value])).toEqual(interrupted);
    expect(interrupted).toHaveLength(50);
    s2.close();
    other.cleanup();
  });

  it('a new operator version replays from position 0; a re-emitted key replaces the old row with a new position', () => {
    ingest(store, A, [
      [1000, 1],
      [2000, 2],
    ]);
    new OperatorRunner(store, index, [cumsum(1) as Operator<unknown>], {
      batchRows: 100,
    }).catchUp();
    const first = derived(store);
    new OperatorRunner(store, index, [cumsum(2) as Operator<unknown>], {
      batchRows: 100,
    }).catchUp();
    const second = derived(store);
    expect(second.map((d) => [d.ts, d.value])).toEqual(first.map((d) => [d.ts, d.value]));
    expect(second.length).toBe(2);
    expect(Math.min(...second.map((d) => d.pos))).toBeGreaterThan(
      Math.max(...first.map((d) => d.pos)),
    );
  });

  it('holds retention back from its first start, and again at once after a version change', () => {
    ingest(store, A, [
      [1000, 1],
      [2000, 2],
    ]);
    const opts = { batchRows: 100, checkpointIntervalMs: 60_000 };
    const first = new OperatorRunner(store, index, [cumsum(1) as Operator<unknown>], opts);
    expect(store.cursors.get('operator:cumsum')).toBe(0); // before any step or checkpoint
    first.catchUp(); // no checkpoint is due yet: the saved cursor stays where it was
    store.rollups.catchUp(); // another consumer that is done with every row
    expect(store.retention.run(1e13).raw).toBe(0);
    first.checkpointDue(Date.now() + 60_000); // due, and nothing more to read: saved anyway
    const pos = first.positions().cumsum!;
    expect(store.cursors.get('operator:cumsum')).toBe(pos);
    new OperatorRunner(store, index, [cumsum(2) as Operator<unknown>], opts);
    expect(store.cursors.get('operator:cumsum')).toBe(0); // the replay still needs every row
  });

  it('a failing operator step leaves state and checkpoint as they were', () => {
    ingest(store, A, [[1000, 1]]);
    const boom: Operator<SumState> = {
      ...cumsum(),
      apply: () => {
        throw new Error('boom');
      },
    };
    const runner = new OperatorRunner(store, index, [boom as Operator<unknown>], { batchRows: 10 });
    expect(() => runner.step()).toThrow('boom');
    expect(runner.positions().cumsum).toBe(0);
    expect(store.db.prepare('SELECT COUNT(*) AS n FROM operator_checkpoints').get()).toEqual({
      n: 0,
    });
  });

  it('refuses two operators with the same name', () => {
    expect(
      () =>
        new OperatorRunner(
          store,
          index,
          [cumsum() as Operator<unknown>, cumsum() as Operator<unknown>],
          { batchRows: 10 },
        ),
    ).toThrow(/named "cumsum"/);
  });
});
