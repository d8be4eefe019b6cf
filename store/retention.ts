/**
 * Deletes raw readings older than the raw retention and rollups older than theirs, in small
 * chunks. Never deletes a row that some consumer has not yet read past (DESIGN C3): the bound
 * is the lowest saved cursor.
 */
import type Database from 'better-sqlite3';
import type { Cursors } from './cursors.js';

export interface RetentionOptions {
  rawRetentionMs: number;
  rollupRetentionMs: number;
}

export class Retention {
  private readonly deleteRaw: Database.Statement<[number, number, number]>;
  private readonly deleteRollups: Database.Statement<[number, number]>;

  constructor(
    db: Database.Database,
    private readonly cursors: Cursors,
    private readonly opts: RetentionOptions,
  ) {
    this.deleteRaw = db.prepare(
      'DELETE FROM log WHERE pos IN (SELECT pos FROM log WHERE pos < ? AND ts < ? ORDER BY pos LIMIT ?)',
    );
    // Chunked like the raw rows: a day of minutes for every sensor is a long write otherwise.
    this.deleteRollups = db.prepare(
      'DELETE FROM rollup_1m WHERE (series, minute) IN (SELECT series, minute FROM rollup_1m WHERE minute < ? LIMIT ?)',
    );
  }

  /** One bounded pass; returns rows deleted. `now` is the wall clock (retention is an operational policy, not analytics). */
  run(now: number, chunk = 10_000, maxChunks = 20): { raw: number; rollups: number } {
    const total = { raw: 0, rollups: 0 };
    for (let i = 0; i < maxChunks; i++) {
      const n = this.step(now, chunk);
      total.raw += n.raw;
      total.rollups += n.rollups;
      if (n.raw < chunk && n.rollups < chunk) break;
    }
    return total;
  }

  /** Deletes at most `chunk` expired raw rows and `chunk` expired rollups (one short write each). */
  step(now: number, chunk: number): { raw: number; rollups: number } {
    const safePos = this.cursors.minimum() ?? 0;
    return {
      raw: this.deleteRaw.run(safePos, now - this.opts.rawRetentionMs, chunk).changes,
      rollups: this.deleteRollups.run(now - this.opts.rollupRetentionMs, chunk).changes,
    };
  }
}
