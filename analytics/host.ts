/**
 * The main thread's handle on the analytics worker (analytics/worker.ts): starts it, keeps the
 * last positions it reported (for /api/v1/stats), restarts it if it dies, and stops it so its
 * checkpoints are saved before the log closes.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../runtime/logger.js';
import type { IngestSignal } from '../store/ingest-signal.js';
import type { AnalyticsWorkerData, WorkerMessage } from './worker.js';

export interface AnalyticsHostOptions {
  configFile: string;
  dataDir: string;
  log: Logger;
  /** The same signal the store's log writer sets. */
  ingestSignal: IngestSignal;
  batchRows?: number;
  checkpointIntervalMs?: number;
  /** Delay before restarting a worker that died. */
  restartDelayMs?: number;
}

/**
 * The compiled worker. Run from TypeScript sources (in-process tests), there is no worker.js
 * beside this file; the build in dist/ is used instead (the test setup builds it).
 */
function workerFile(): string {
  const beside = fileURLToPath(new URL('./worker.js', import.meta.url));
  if (existsSync(beside)) return beside;
  const built = resolve('dist/analytics/worker.js');
  if (existsSync(built)) return built;
  throw new Error(
    `the analytics worker is not built: neither ${beside} nor ${built} exists (run npm run build)`,
  );
}

export class AnalyticsHost {
  private worker: Worker | undefined;
  private latest: Record<string, number> = {};
  private stopping = false;
  private restartTimer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: AnalyticsHostOptions) {}

  /** Starts the worker; resolves once its operators are restored from their checkpoints. */
  start(): Promise<void> {
    const data: AnalyticsWorkerData = {
      configFile: this.opts.configFile,
      dataDir: this.opts.dataDir,
      logLevel: this.opts.log.level,
      batchRows: this.opts.batchRows ?? 2_000,
      // A crash replays at most this much log; the snapshot is taken off the ingest thread.
      checkpointIntervalMs: this.opts.checkpointIntervalMs ?? 30_000,
      idleMs: 20,
      reportMs: 250,
      ingestSignal: this.opts.ingestSignal.buffer,
      walCheckpointMs: 1_000,
    };
    const worker = new Worker(workerFile(), { workerData: data });
    this.worker = worker;
    return new Promise((resolveReady, rejectReady) => {
      let ready = false;
      worker.on('message', (m: WorkerMessage) => {
        if (m.type === 'positions') this.latest = m.positions;
        else if (m.type === 'ready') {
          ready = true;
          resolveReady();
        }
      });
      worker.on('error', (err) => this.opts.log.error({ err }, 'analytics worker error'));
      worker.on('exit', (code) => {
        if (this.worker === worker) this.worker = undefined;
        if (!ready) {
          rejectReady(
            new Error(
              `the analytics worker exited (code ${code}) before it was ready; see the log above`,
            ),
          );
          return;
        }
        if (this.stopping) return;
        this.opts.log.error(
          { code },
          'analytics worker exited; restarting it from the last checkpoints',
        );
        this.restartTimer = setTimeout(() => {
          this.start().catch((err: unknown) =>
            this.opts.log.error({ err }, 'restarting the analytics worker failed'),
          );
        }, this.opts.restartDelayMs ?? 1000);
        this.restartTimer.unref();
      });
    });
  }

  /** Log position each operator has consumed up to, as last reported (≤ 250 ms old). */
  positions(): Record<string, number> {
    return this.latest;
  }

  /** Asks the worker to checkpoint and close; terminates it after `timeoutMs`. */
  async stop(timeoutMs = 30_000): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const worker = this.worker;
    if (!worker) return;
    const exited = new Promise<void>((r) => worker.once('exit', () => r()));
    worker.postMessage({ type: 'stop' });
    const timer = setTimeout(() => {
      this.opts.log.error(
        { timeoutMs },
        'the analytics worker did not stop in time; terminating it (the next start replays from the last checkpoint)',
      );
      void worker.terminate();
    }, timeoutMs);
    await exited;
    clearTimeout(timer);
  }
}
