/**
 * Feeds analytics operators from the log and checkpoints them (DESIGN C3/C4). Each step writes
 * an operator's derived rows and its own records in one transaction. Every
 * `checkpointIntervalMs` (and at `checkpointAll`, on shutdown) that transaction also saves the
 * operator's state snapshot and position, mirrored into `cursors` so retention keeps every row
 * a replay from that checkpoint needs.
 *
 * Checkpointing on an interval rather than every step is what keeps analytics off ingest's
 * back: a snapshot is the operator's whole state (megabytes for a plant), and copying it per
 * step stalled the event loop for 100+ ms. It is safe because operator effects are keyed
 * upserts: after a crash the operator replays from its last checkpoint and writes the same
 * rows again, deterministically (C4). A failed step is recovered the same way.
 *
 * Derived rows go into the log with INSERT OR REPLACE: a revision of (series, ts) gets a new
 * position, so sinks reading by cursor ship the revised value. Operators see derived rows too
 * (they are log records); each ignores the series kinds it does not consume.
 */
import type Database from 'better-sqlite3';
import type { PlantIndex } from '../config/plant-index.js';
import type { Logger } from '../runtime/logger.js';
import type { Store } from '../store/store.js';
import type { DerivedRow, Emitter, LogRecord, Operator, OperatorContext } from './operator.js';

interface SavedCheckpoint {
  version: number;
  pos: number;
  state: string;
}

interface Slot {
  op: Operator<unknown>;
  state: unknown;
  pos: number;
  /** Wall-clock time of the last saved checkpoint (operational, not event time). */
  savedAt: number;
  dirty: boolean;
}

export interface RunnerOptions {
  /** Log records read per step. */
  batchRows: number;
  /** Save state + position at most this often (0 = after every step). */
  checkpointIntervalMs?: number;
  log?: Logger;
  /**
   * Where state snapshots go. Default: the log's own database, in the step's transaction. The
   * worker gives a separate file, so writing megabytes of snapshot never holds the log's write
   * lock; the snapshot is then saved after the step's effects commit (a crash in between
   * replays from the previous checkpoint, rewriting the same keyed effects) and the retention
   * cursor moves after the snapshot is saved.
   */
  checkpointDb?: Database.Database;
  /** Called before each write transaction on the log (the worker waits for ingest here). */
  beforeWrite?: () => void;
}

export class OperatorRunner {
  private readonly slots: Slot[];
  private readonly ctx: OperatorContext;
  private readonly read: Database.Statement<[number, number], LogRecord>;
  private readonly upsert: Database.Statement;
  private readonly saveCheckpoint: Database.Statement;
  private readonly separate: boolean;

  constructor(
    private readonly store: Store,
    index: PlantIndex,
    operators: Operator<unknown>[],
    private readonly opts: RunnerOptions,
  ) {
    const names = new Set<string>();
    for (const op of operators) {
      if (names.has(op.name)) throw new Error(`two analytics operators are named "${op.name}"`);
      names.add(op.name);
    }
    const db = store.db;
    for (const op of operators) if (op.schema) db.exec(op.schema);
    this.ctx = { index, seriesOf: (id) => store.series.byIdOf(id) };
    this.read = db.prepare(
      'SELECT pos, series, ts, value, quality, body FROM log WHERE pos > ? ORDER BY pos LIMIT ?',
    );
    this.upsert = db.prepare(
      'INSERT OR REPLACE INTO log(series, ts, value, quality, body, received) VALUES (?, ?, ?, ?, ?, ?)',
    );
    const cpDb = opts.checkpointDb ?? db;
    this.separate = cpDb !== db;
    if (this.separate) {
      cpDb.exec(
        'CREATE TABLE IF NOT EXISTS operator_checkpoints (name TEXT PRIMARY KEY, version INTEGER NOT NULL, pos INTEGER NOT NULL, state TEXT NOT NULL, updated INTEGER NOT NULL)',
      );
    }
    this.saveCheckpoint = cpDb.prepare(
      `INSERT INTO operator_checkpoints(name, version, pos, state, updated) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(name) DO UPDATE SET version = excluded.version, pos = excluded.pos, state = excluded.state, updated = excluded.updated`,
    );
    const loadSql = 'SELECT version, pos, state FROM operator_checkpoints WHERE name = ?';
    this.load = cpDb.prepare(loadSql);
    // A data dir from before the separate file: its checkpoints are still in the log database.
    this.loadLegacy = this.separate ? db.prepare(loadSql) : undefined;
    // Stagger the operators' checkpoints over the interval, so their snapshots never stall the loop together.
    const every = opts.checkpointIntervalMs ?? 0;
    this.slots = operators.map((op, i) => ({
      op,
      ...this.loadCheckpoint(op),
      savedAt: Date.now() - (every * i) / operators.length,
      dirty: false,
    }));
    // Retention is bounded by the saved cursors (DESIGN C3): an operator's must exist from its
    // first start, and drop back at once when a version change replays from the start, or
    // rows it has still to read could be deleted before its first checkpoint saves one.
    opts.beforeWrite?.();
    db.transaction(() => {
      for (const slot of this.slots) store.cursors.set(`operator:${slot.op.name}`, slot.pos);
    })();
  }

  private readonly load: Database.Statement<[string], SavedCheckpoint>;
  private readonly loadLegacy: Database.Statement<[string], SavedCheckpoint> | undefined;

  /** The operator's last saved state and position, or a fresh start (also after a version change). */
  private loadCheckpoint(op: Operator<unknown>): { state: unknown; pos: number } {
    const saved = this.load.get(op.name) ?? this.loadLegacy?.get(op.name);
    if (saved && saved.version === op.version) {
      return { state: op.restore(JSON.parse(saved.state), this.ctx), pos: saved.pos };
    }
    if (saved) {
      this.opts.log?.info(
        { operator: op.name, from: saved.version, to: op.version },
        'operator version changed; replaying the log from the start',
      );
    }
    return { state: op.init(this.ctx), pos: 0 };
  }

  /** Saves every operator's state and position now (shutdown, tests). */
  checkpointAll(): void {
    this.saveDirty(() => true, Date.now());
  }

  /** Saves the dirty slots `pick` chooses, each on its own (outside any step transaction). */
  private saveDirty(pick: (slot: Slot) => boolean, now: number): void {
    for (const slot of this.slots) {
      if (!slot.dirty || !pick(slot)) continue;
      if (this.separate) this.saveSlot(slot, now);
      else this.store.db.transaction(() => this.saveSlot(slot, now))();
    }
  }

  /** In the step's transaction (same database), or after it (separate checkpoint file). */
  private saveSlot(slot: Slot, now: number): void {
    const state = JSON.stringify(slot.op.snapshot(slot.state));
    this.saveCheckpoint.run(slot.op.name, slot.op.version, slot.pos, state, now);
    if (this.separate) this.opts.beforeWrite?.();
    this.store.cursors.set(`operator:${slot.op.name}`, slot.pos);
    slot.savedAt = now;
    slot.dirty = false;
  }

  /**
   * Saves the operators whose checkpoint is due but that have had nothing to read since (a
   * quiet plant): their position would otherwise stay at the last save and hold retention back,
   * and a crash would replay more than the interval.
   */
  checkpointDue(now = Date.now()): void {
    const every = this.opts.checkpointIntervalMs ?? 0;
    this.saveDirty((slot) => now - slot.savedAt >= every, now);
  }

  /** Position each operator has consumed up to. */
  positions(): Record<string, number> {
    return Object.fromEntries(this.slots.map((s) => [s.op.name, s.pos]));
  }

  /**
   * Reads one batch of records after the slowest operator and gives every operator the part it
   * has not seen. Returns the number of records consumed (0 when all are caught up).
   */
  step(): number {
    if (this.slots.length === 0) return 0;
    const from = Math.min(...this.slots.map((s) => s.pos));
    const records = this.read.all(from, this.opts.batchRows);
    if (records.length === 0) return 0;
    const last = records[records.length - 1]!.pos;
    for (const slot of this.slots) {
      const mine = slot.pos === from ? records : records.filter((r) => r.pos > slot.pos);
      if (mine.length === 0) continue;
      this.commit(slot, mine, last);
    }
    return records.length;
  }

  /** Steps until caught up or `maxSteps` is reached. */
  catchUp(maxSteps = 1000): number {
    let total = 0;
    for (let i = 0; i < maxSteps; i++) {
      const n = this.step();
      if (n === 0) break;
      total += n;
    }
    return total;
  }

  private commit(slot: Slot, records: LogRecord[], last: number): void {
    const rows: DerivedRow[] = [];
    const writes: ((db: Database.Database) => void)[] = [];
    const out: Emitter = { emit: (row) => rows.push(row), write: (fn) => writes.push(fn) };
    try {
      slot.op.apply(slot.state, records, out, this.ctx);
      const now = Date.now();
      // Series ids are created outside the transaction, so a rollback cannot leave a cached id behind.
      const ids = rows.map((r) => this.store.series.ensure(r.series, r.kind, r.unit, true));
      const due = now - slot.savedAt >= (this.opts.checkpointIntervalMs ?? 0);
      this.opts.beforeWrite?.();
      this.store.db.transaction(() => {
        rows.forEach((r, i) =>
          this.upsert.run(ids[i], r.ts, r.value, r.quality ?? 0, r.body ?? null, now),
        );
        for (const w of writes) w(this.store.db);
        slot.pos = last;
        slot.dirty = true;
        if (due && !this.separate) this.saveSlot(slot, now);
      })();
      if (due && this.separate) this.saveSlot(slot, now);
    } catch (err) {
      // The in-memory state may be half-applied: go back to the last checkpoint and replay from there.
      Object.assign(slot, this.loadCheckpoint(slot.op), { dirty: false });
      this.opts.log?.error(
        { err, operator: slot.op.name },
        'analytics operator step failed; it will replay from its last checkpoint',
      );
      throw err;
    }
  }
}
