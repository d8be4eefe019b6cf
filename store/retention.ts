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
  private readonly deleteRollups: Database.Statement<[number]>;

  constructor(
    db: Database.Database,
    private readonly cursors: Cursors,
    private readonly opts: RetentionOptions,
  ) {
    this.deleteRaw = db.prepare(
      'DELETE FROM log WHERE pos IN (SELECT pos FROM log WHERE pos < ? AND ts < ? ORDER BY pos LIMIT ?)',
    );
    this.deleteRollups = db.prepare('DELETE FROM rollup_1m WHERE minute < ?');
  }

  /** One bounded pass; returns rows deleted. `now` is the wall clock (retention is an operational policy, not analytics). */
  run(now: number, chunk = 10_000, maxChunks = 20): { raw: number; rollups: number } {
    const safePos = this.cursors.minimum() ?? 0;
    let raw = 0;
    for (let i = 0; i < maxChunks; i++) {
      const n = this.deleteRaw.run(safePos, now - this.opts.rawRetentionMs, chunk).changes;
      raw += n;
      if (n < chunk) break;
    }
    const rollups = this.deleteRollups.run(now - this.opts.rollupRetentionMs).changes;
    return { raw, rollups };
  }
}
