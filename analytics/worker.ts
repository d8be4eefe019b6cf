/**
 * The analytics worker thread: runs every registered operator over the log on its own SQLite
 * connection, so operator steps and checkpoint snapshots (megabytes of state serialised every
 * 30 s) never stall the ingest event loop, and analytics gets the machine's other core.
 *
 * SQLite in WAL mode lets this connection read the log while ingest writes it; the write lock is
 * only held for a step's derived rows and a checkpoint row, each a short transaction.
 * Messages: in `{ type: 'stop' }`; out `ready`, `positions`, `stopped`, `failed`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { loadPlantModel } from '../config/load.js';
import { buildPlantIndex } from '../config/plant-index.js';
import { createLogger } from '../runtime/logger.js';
import { IngestSignal } from '../store/ingest-signal.js';
import { LogMaintenance } from '../store/maintenance.js';
import { ROLLUP_CURSOR } from '../store/rollups.js';
import { openStore, type Store } from '../store/store.js';
import { createOperators } from './registry.js';
import { OperatorRunner } from './runner.js';

export interface AnalyticsWorkerData {
  configFile: string;
  dataDir: string;
  logLevel: string;
  batchRows: number;
  checkpointIntervalMs: number;
  /** Sleep between polls of the log when caught up. */
  idleMs: number;
  /** How often positions are reported to the main thread. */
  reportMs: number;
  /** IngestSignal's shared memory: set while a group commit waits. */
  ingestSignal: SharedArrayBuffer;
  /** How often this thread checkpoints the log's WAL. */
  walCheckpointMs: number;
}

/** Operator state snapshots, beside the log (see RunnerOptions.checkpointDb). */
export const CHECKPOINT_FILE = 'analytics-checkpoints.db';

export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'positions'; positions: Record<string, number> }
  | { type: 'stopped' }
  | { type: 'failed'; message: string };

const data = workerData as AnalyticsWorkerData;
const port = parentPort!;
const log = createLogger({ level: data.logLevel }).child({ component: 'analytics' });
const post = (m: WorkerMessage) => port.postMessage(m);

let stopping = false;
port.on('message', (m: { type: string }) => {
  if (m.type === 'stop') stopping = true;
});

async function main(): Promise<void> {
  const model = loadPlantModel(data.configFile);
  const index = buildPlantIndex(model, data.configFile);
  const store = openStore({
    dataDir: data.dataDir,
    durability: model.ingest.durability,
    commitMaxRows: model.ingest.commitMaxRows,
    rawRetentionMs: model.storage.rawRetention,
    rollupRetentionMs: model.storage.rollupRetention,
  });
  const checkpoints = new Database(join(data.dataDir, CHECKPOINT_FILE));
  checkpoints.pragma('journal_mode = WAL');
  checkpoints.pragma(`synchronous = ${model.ingest.durability === 'full' ? 'FULL' : 'NORMAL'}`);
  const signal = new IngestSignal(data.ingestSignal);
  try {
    const runner = new OperatorRunner(store, index, createOperators(index), {
      batchRows: data.batchRows,
      checkpointIntervalMs: data.checkpointIntervalMs,
      log,
      checkpointDb: checkpoints,
      beforeWrite: () => signal.waitIdle(),
    });
    // WAL checkpoints run here, off the ingest thread (runtime/plantpulse.ts raises the ingest
    // connection's autocheckpoint to a safety net): copying WAL frames into the main file and
    // its fsync took tens of ms on the connection that happened to cross the threshold.
    const walTimer = setInterval(() => checkpointWal(store.db), data.walCheckpointMs);
    const maintenance = new LogMaintenance(store, {
      retentionIntervalMs: model.storage.maintenanceInterval,
      beforeWrite: () => signal.waitIdle(),
      log,
    });
    post({ type: 'ready' });
    post({ type: 'positions', positions: positionsOf(runner, store) });
    let reported = performance.now();
    while (!stopping) {
      let consumed = 0;
      try {
        consumed = runner.step();
      } catch (err) {
        // The runner already rewound the operator to its checkpoint; back off before replaying.
        log.error({ err }, 'analytics step failed; retrying from the last checkpoint');
        await sleep(1000);
      }
      if (consumed === 0) runner.checkpointDue();
      consumed += maintenance.rollupStep();
      if (maintenance.retentionStep()) consumed++;
      if (performance.now() - reported >= data.reportMs) {
        post({ type: 'positions', positions: positionsOf(runner, store) });
        reported = performance.now();
      }
      // Caught up: poll the log. Busy: still yield a turn so a stop message is seen.
      await (consumed === 0 ? sleep(data.idleMs) : new Promise((r) => setImmediate(r)));
    }
    clearInterval(walTimer);
    runner.checkpointAll();
    post({ type: 'positions', positions: positionsOf(runner, store) });
  } finally {
    store.close();
    checkpoints.close();
  }
  post({ type: 'stopped' });
  // The message listener keeps the thread alive; closing the port lets it exit.
  port.close();
}

/** The operators' positions and the rollups' (shown beside them in /api/v1/stats). */
function positionsOf(runner: OperatorRunner, store: Store): Record<string, number> {
  return { ...runner.positions(), [ROLLUP_CURSOR]: store.cursors.get(ROLLUP_CURSOR) };
}

/** PASSIVE: never waits for a lock, so ingest commits go on while frames are copied. */
function checkpointWal(db: Database.Database): void {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (err) {
    log.warn({ err }, 'WAL checkpoint failed; retrying at the next interval');
  }
}

main().catch((err: unknown) => {
  log.error({ err }, 'the analytics worker failed');
  post({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
  process.exitCode = 1;
});
