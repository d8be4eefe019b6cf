/**
 * The local log as one object: database, series ids, group-commit writer, rollups, retention,
 * cursors and queries. Whatever `openStore` opens, `close` closes (flushes pending commits first).
 */
import type Database from 'better-sqlite3';
import { AuditTrail } from '../audit/trail.js';
import { Cursors } from './cursors.js';
import { openDatabase, type Durability } from './db.js';
import type { IngestSignal } from './ingest-signal.js';
import { LogWriter, type CommitStats } from './log-writer.js';
import { LogQueries } from './queries.js';
import { Retention } from './retention.js';
import { Rollups } from './rollups.js';
import { SeriesRegistry } from './series.js';

export interface StoreOptions {
  dataDir: string;
  durability: Durability;
  commitMaxRows: number;
  rawRetentionMs: number;
  rollupRetentionMs: number;
  onCommit?: (stats: CommitStats) => void;
  onCommitError?: (err: Error, stats: { rows: number; submissions: number }) => void;
  /** Shared with the analytics worker so it holds its writes while a group commit waits. */
  ingestSignal?: IngestSignal;
}

export interface Store {
  db: Database.Database;
  series: SeriesRegistry;
  writer: LogWriter;
  cursors: Cursors;
  rollups: Rollups;
  retention: Retention;
  queries: LogQueries;
  /** Hash-chained record of who changed what (devices, tokens, alerts, exports). */
  audit: AuditTrail;
  close(): void;
}

export function openStore(opts: StoreOptions): Store {
  const db = openDatabase(opts.dataDir, { durability: opts.durability });
  const cursors = new Cursors(db);
  const writer = new LogWriter(db, {
    maxRows: opts.commitMaxRows,
    onCommit: opts.onCommit,
    onError: opts.onCommitError,
    onPending: opts.ingestSignal && ((p) => opts.ingestSignal!.set(p)),
  });
  let closed = false;
  return {
    db,
    series: new SeriesRegistry(db),
    writer,
    cursors,
    rollups: new Rollups(db, cursors),
    retention: new Retention(db, cursors, {
      rawRetentionMs: opts.rawRetentionMs,
      rollupRetentionMs: opts.rollupRetentionMs,
    }),
    queries: new LogQueries(db),
    audit: new AuditTrail(db),
    close() {
      if (closed) return;
      closed = true;
      writer.close();
      db.close();
    },
  };
}
