/**
 * The contract every analytics operator follows (DESIGN C3, C4).
 *
 * An operator is a deterministic function of the log: it sees log records in log order, keeps
 * its own state, and emits derived rows (new series in the log) on event time only — never the
 * wall clock. The runner (analytics/runner.ts) feeds it records after its saved position and,
 * periodically saves its state snapshot and position with its outputs in one transaction.
 * Effects must therefore be idempotent (derived rows are keyed by (series, ts); operator tables
 * use keyed upserts): after a crash the operator replays from its last checkpoint and writes
 * the same rows again. Replaying the same readings from position 0 gives the same outputs.
 */
import type Database from 'better-sqlite3';
import type { PlantIndex } from '../config/plant-index.js';
import type { SeriesRow } from '../store/series.js';

/** One row of the log as operators see it. */
export interface LogRecord {
  pos: number;
  series: number;
  ts: number;
  value: number | null;
  quality: number;
  body: Buffer | null;
}

/**
 * A derived point. Keyed like readings by (series, ts): emitting the same key again replaces
 * the earlier value (a revision) and gives it a new log position, so sinks ship the revision.
 */
export interface DerivedRow {
  /** Series key, e.g. "basel/granulation/g-201/power:anomaly_score". */
  series: string;
  kind: string;
  unit: string;
  ts: number;
  value: number | null;
  quality?: number;
  body?: Buffer | null;
}

export interface OperatorContext {
  index: PlantIndex;
  /** Series row of a log record (its key tells which sensor or stream it belongs to). */
  seriesOf(id: number): SeriesRow | undefined;
}

export interface Emitter {
  emit(row: DerivedRow): void;
  /**
   * Runs inside the runner's transaction, after the derived rows: for operators that keep
   * records in tables of their own (batches, alerts). Called in order of registration.
   */
  write(fn: (db: Database.Database) => void): void;
}

export interface Operator<State> {
  /** Stable name; the checkpoint is stored under it. */
  readonly name: string;
  /** Bump when the state or the outputs change meaning: the operator then replays from position 0. */
  readonly version: number;
  /**
   * SQL for the tables the operator keeps its records in (CREATE TABLE IF NOT EXISTS …), run
   * by the runner at start. Operator tables live beside the log, owned by their operator, so
   * operators do not contend for the store's migration list.
   */
  readonly schema?: string;
  init(ctx: OperatorContext): State;
  /** Consumes records in log order. Must depend only on the records and the state. */
  apply(state: State, records: readonly LogRecord[], out: Emitter, ctx: OperatorContext): void;
  /** JSON-safe snapshot of the state, and its inverse. */
  snapshot(state: State): unknown;
  restore(snapshot: unknown, ctx: OperatorContext): State;
}
