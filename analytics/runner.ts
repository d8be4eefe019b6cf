/**
 * Feeds analytics operators from the log and checkpoints them (DESIGN C3/C4). For each operator,
 * one transaction writes the derived rows it emitted, its own records, its state snapshot and
 * its new position, and mirrors the position into `cursors` so retention waits for it.
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

interface Slot {
  op: Operator<unknown>;
  state: unknown;
  pos: number;
}

export interface RunnerOptions {
  /** Log records read per step. */
  batchRows: number;
  log?: Logger;
}

export class OperatorRunner {
  private readonly slots: Slot[];
  private readonly ctx: OperatorContext;
  private readonly read: Database.Statement<[number, number], LogRecord>;
  private readonly upsert: Database.Statement;
  private readonly saveCheckpoint: Database.Statement;

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
    this.saveCheckpoint = db.prepare(
      `INSERT INTO operator_checkpoints(name, version, pos, state, updated) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(name) DO UPDATE SET version = excluded.version, pos = excluded.pos, state = excluded.state, updated = excluded.updated`,
    );
    const load = db.prepare('SELECT version, pos, state FROM operator_checkpoints WHERE name = ?');
    this.slots = operators.map((op) => {
      const saved = load.get(op.name) as
        { version: number; pos: number; state: string } | undefined;
      if (saved && saved.version === op.version) {
        return { op, state: op.restore(JSON.parse(saved.state), this.ctx), pos: saved.pos };
      }
      if (saved)
        opts.log?.info(
          { operator: op.name, from: saved.version, to: op.version },
          'operator version changed; replaying the log from the start',
        );
      return { op, state: op.init(this.ctx), pos: 0 };
    });
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
    // Operators mutate their state in place; if the step fails, go back to the snapshot taken here.
    const before = slot.op.snapshot(slot.state);
    try {
      slot.op.apply(slot.state, records, out, this.ctx);
      const now = Date.now();
      // Series ids are created outside the transaction, so a rollback cannot leave a cached id behind.
      const ids = rows.map((r) => this.store.series.ensure(r.series, r.kind, r.unit, true));
      this.store.db.transaction(() => {
        rows.forEach((r, i) =>
          this.upsert.run(ids[i], r.ts, r.value, r.quality ?? 0, r.body ?? null, now),
        );
        for (const w of writes) w(this.store.db);
        this.saveCheckpoint.run(
          slot.op.name,
          slot.op.version,
          last,
          JSON.stringify(slot.op.snapshot(slot.state)),
          now,
        );
        this.store.cursors.set(`operator:${slot.op.name}`, last);
      })();
      slot.pos = last;
    } catch (err) {
      slot.state = slot.op.restore(before, this.ctx);
      this.opts.log?.error(
        { err, operator: slot.op.name },
        'analytics operator step failed; it will retry from its last checkpoint',
      );
      throw err;
    }
  }
}
