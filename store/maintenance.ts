/**
 * Rollups and retention in small steps, for the analytics worker's loop (analytics/worker.ts).
 * They used to run on the ingest thread once a minute: folding a minute of a 10k readings/s
 * plant into the rollups held the event loop, and with it every PUBACK, for over a second.
 * In the worker each step is one short write transaction, taken only when no group commit is
 * waiting (`beforeWrite`), so the ingest connection is never kept waiting on the lock for long.
 */
import type { Logger } from '../runtime/logger.js';
import type { Store } from './store.js';

/** Rows folded into the rollups per step: a few milliseconds of write lock. */
export const ROLLUP_STEP_ROWS = 2_000;
/** Expired rows deleted per retention step. */
export const RETENTION_STEP_ROWS = 2_000;

/** How often live rows are folded in when there is no backlog. */
export const ROLLUP_INTERVAL_MS = 1_000;

export class LogMaintenance {
  private nextRetention = 0;
  private lastRollup = -Infinity;
  private rollupBacklog = false;

  constructor(
    private readonly store: Store,
    private readonly opts: {
      retentionIntervalMs: number;
      beforeWrite: () => void;
      log: Logger;
      /** Wall clock (retention is an operational policy, not analytics). */
      now?: () => number;
    },
  ) {}

  /**
   * Folds the next rows of the log into the rollups; returns how many it read (0: caught up or
   * not due). A backlog goes on at once in full steps; live, the few new rows wait for the next
   * interval, so the worker does not take the write lock for a handful of rows every turn (that
   * tripled the ingest p50 at 20k msg/s; queries fold the unrolled tail in anyway).
   */
  rollupStep(): number {
    const now = (this.opts.now ?? Date.now)();
    if (!this.rollupBacklog && now - this.lastRollup < ROLLUP_INTERVAL_MS) return 0;
    this.lastRollup = now;
    try {
      this.opts.beforeWrite();
      const n = this.store.rollups.step(ROLLUP_STEP_ROWS);
      this.rollupBacklog = n === ROLLUP_STEP_ROWS;
      return n;
    } catch (err) {
      this.opts.log.error({ err }, 'rollup step failed; will retry');
      this.rollupBacklog = false;
      return 0;
    }
  }

  /**
   * When a retention pass is due, deletes one chunk of expired rows; true while more remain,
   * so the caller yields between chunks and comes back.
   */
  retentionStep(): boolean {
    const now = (this.opts.now ?? Date.now)();
    if (now < this.nextRetention) return false;
    try {
      this.opts.beforeWrite();
      const n = this.store.retention.step(now, RETENTION_STEP_ROWS);
      if (n.raw || n.rollups) this.opts.log.debug(n, 'retention removed expired rows');
      if (n.raw < RETENTION_STEP_ROWS && n.rollups < RETENTION_STEP_ROWS) {
        this.nextRetention = now + this.opts.retentionIntervalMs;
        return false;
      }
      return true;
    } catch (err) {
      this.opts.log.error({ err }, 'retention failed; will retry');
      this.nextRetention = now + this.opts.retentionIntervalMs;
      return false;
    }
  }
}
