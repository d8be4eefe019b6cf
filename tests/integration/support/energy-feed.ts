/**
 * Feeds a simulation through the real ingest decoder and log writer into a real SQLite log,
 * with the energy operator's runner stepping as the data arrives (as the live runtime does
 * between group commits). Used by the energy report tests.
 */
import { OperatorRunner } from '../../../analytics/runner.js';
import { energyOperator } from '../../../analytics/energy/operator.js';
import type { Operator } from '../../../analytics/operator.js';
import type { PlantIndex } from '../../../config/plant-index.js';
import { Ingestor } from '../../../ingest/ingestor.js';
import type { Simulation } from '../../../simulator/engine.js';
import { openStore, type Store } from '../../../store/store.js';

export function openLog(dir: string): Store {
  return openStore({
    dataDir: dir,
    durability: 'normal',
    commitMaxRows: 100_000,
    rawRetentionMs: 1e13,
    rollupRetentionMs: 1e13,
  });
}

/** `every`: messages between runner steps (fewer steps, fewer checkpoints: faster). */
export function feedEnergy(
  dir: string,
  index: PlantIndex,
  sim: Simulation,
  now: number,
  every = 200,
): Store {
  const store = openLog(dir);
  const runner = new OperatorRunner(store, index, [energyOperator(index) as Operator<unknown>], {
    batchRows: 5000,
  });
  const ingest = new Ingestor(
    index,
    store.series,
    { maxPayloadBytes: 1 << 20, maxFutureSkewMs: 300_000, deadLetterPayloadCap: 1024 },
    () => now,
  );
  let n = 0;
  for (const e of sim.events()) {
    if (e.type !== 'message') continue;
    const o = ingest.handle(e.topic, Buffer.from(e.payload), e.device ?? null);
    store.writer.submit(o.rows, o.deadLetter ? [o.deadLetter] : [], (err) => {
      if (err) throw err;
    });
    if (++n % every === 0) {
      store.writer.flush();
      runner.catchUp();
    }
  }
  store.writer.flush();
  runner.catchUp();
  return store;
}
