/**
 * Group commit into the local log (DESIGN C1, C2).
 *
 * Every submission made during one turn of the event loop is written in one SQLite transaction,
 * scheduled with setImmediate so that all PUBLISH packets read from sockets in that turn share
 * one commit (and, with synchronous=FULL, one fsync). Only after COMMIT returns are the
 * submitters' callbacks called; the broker sends PUBACK from those callbacks, so an
 * acknowledged reading is on disk. If the commit fails (disk full, I/O error), every submitter
 * of that batch gets the error and no acknowledgement is sent: publishers resend later.
 *
 * A failed commit leaves nothing behind: better-sqlite3 rolls the transaction back, so the next
 * commit after space returns starts clean (tests/integration/fault-disk-full.test.ts). The writer
 * remembers the failure episode (since when, how many commits failed) for /health and the logs.
 */
import type Database from 'better-sqlite3';

export interface LogRow {
  series: number;
  ts: number;
  value: number | null;
  quality: number;
  body: Buffer | null;
}

export interface DeadLetterRow {
  topic: string;
  clientId: string | null;
  code: string;
  field: string | null;
  reason: string;
  /** Already capped by the caller. */
  payload: Buffer;
  payloadSize: number;
}

export interface CommitOutcome {
  inserted: number;
  duplicates: number;
}

export type CommitCallback = (err: Error | null, outcome: CommitOutcome) => void;

export interface CommitStats {
  rows: number;
  inserted: number;
  duplicates: number;
  deadLetters: number;
  submissions: number;
  durationMs: number;
  /** Highest log position after this commit. */
  lastPos: number;
}

interface Pending {
  rows: LogRow[];
  deadLetters: DeadLetterRow[];
  done: CommitCallback;
}

export interface LogWriterOptions {
  /** Commit at once when this many rows are pending, instead of waiting for the end of the turn. */
  maxRows: number;
  onCommit?: (stats: CommitStats) => void;
  onError?: (err: Error, stats: { rows: number; submissions: number }) => void;
  /** Told when rows are queued (true) and when the commit that took them is over (false). */
  onPending?: (pending: boolean) => void;
}

export class LogWriter {
  private pending: Pending[] = [];
  private pendingRows = 0;
  private scheduled: NodeJS.Immediate | undefined;
  private closed = false;
  private lastError: Error | undefined;
  private failingSinceMs: number | undefined;
  private failedCommits = 0;
  private readonly insertRow: Database.Statement;
  private readonly insertDeadLetter: Database.Statement;
  private readonly commitAll: (
    batch: Pending[],
    now: number,
  ) => { inserted: number; perEntry: CommitOutcome[]; deadLetters: number };
  private readonly lastPosStmt: Database.Statement<[], { pos: number | null }>;

  constructor(
    private readonly db: Database.Database,
    private readonly opts: LogWriterOptions,
  ) {
    this.insertRow = db.prepare(
      'INSERT OR IGNORE INTO log(series, ts, value, quality, body, received) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.insertDeadLetter = db.prepare(
      'INSERT INTO dead_letters(received, topic, client_id, code, field, reason, payload, payload_size) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    // MAX(pos), not sqlite_sequence: an ignored duplicate uses up a position without a row.
    this.lastPosStmt = db.prepare('SELECT MAX(pos) AS pos FROM log');
    this.commitAll = db.transaction((batch: Pending[], now: number) => {
      let inserted = 0;
      let deadLetters = 0;
      const perEntry: CommitOutcome[] = [];
      for (const entry of batch) {
        let entryInserted = 0;
        for (const r of entry.rows) {
          entryInserted += this.insertRow.run(
            r.series,
            r.ts,
            r.value,
            r.quality,
            r.body,
            now,
          ).changes;
        }
        for (const d of entry.deadLetters) {
          this.insertDeadLetter.run(
            now,
            d.topic,
            d.clientId,
            d.code,
            d.field,
            d.reason,
            d.payload,
            d.payloadSize,
          );
        }
        deadLetters += entry.deadLetters.length;
        inserted += entryInserted;
        perEntry.push({ inserted: entryInserted, duplicates: entry.rows.length - entryInserted });
      }
      return { inserted, perEntry, deadLetters };
    });
  }

  /** Queues rows and dead letters; `done` is called after they are committed (or the commit failed). */
  submit(rows: LogRow[], deadLetters: DeadLetterRow[], done: CommitCallback): void {
    if (this.closed) {
      done(new Error('the log is closed (PlantPulse is shutting down)'), {
        inserted: 0,
        duplicates: 0,
      });
      return;
    }
    if (this.pending.length === 0) this.opts.onPending?.(true);
    this.pending.push({ rows, deadLetters, done });
    this.pendingRows += rows.length + deadLetters.length;
    if (this.pendingRows >= this.opts.maxRows) {
      this.flush();
    } else if (!this.scheduled) {
      this.scheduled = setImmediate(() => this.flush());
    }
  }

  /** Commits everything pending now. */
  flush(): void {
    if (this.scheduled) {
      clearImmediate(this.scheduled);
      this.scheduled = undefined;
    }
    if (this.pending.length === 0) return;
    const batch = this.pending;
    const rows = this.pendingRows;
    this.pending = [];
    this.pendingRows = 0;

    const started = performance.now();
    let result: ReturnType<typeof this.commitAll>;
    try {
      result = this.commitAll(batch, Date.now());
    } catch (err) {
      this.opts.onPending?.(false);
      const error = err instanceof Error ? err : new Error(String(err));
      this.lastError = error;
      this.failingSinceMs ??= Date.now();
      this.failedCommits++;
      this.opts.onError?.(error, { rows, submissions: batch.length });
      for (const entry of batch) entry.done(error, { inserted: 0, duplicates: 0 });
      return;
    }
    this.opts.onPending?.(false);
    this.lastError = undefined;
    this.failingSinceMs = undefined;
    this.failedCommits = 0;
    const durationMs = performance.now() - started;
    let duplicates = 0;
    batch.forEach((entry, i) => {
      const outcome = result.perEntry[i]!;
      duplicates += outcome.duplicates;
      entry.done(null, outcome);
    });
    this.opts.onCommit?.({
      rows: rows - result.deadLetters,
      inserted: result.inserted,
      duplicates,
      deadLetters: result.deadLetters,
      submissions: batch.length,
      durationMs,
      lastPos: this.lastPosStmt.get()?.pos ?? 0,
    });
  }

  /** The error of the last failed commit, cleared by the next successful one (readiness). */
  get failing(): Error | undefined {
    return this.lastError;
  }

  /** When the current run of failed commits began, and how many failed since (undefined: healthy). */
  get failure(): { sinceMs: number; failedCommits: number; error: Error } | undefined {
    if (this.failingSinceMs === undefined || !this.lastError) return undefined;
    return {
      sinceMs: this.failingSinceMs,
      failedCommits: this.failedCommits,
      error: this.lastError,
    };
  }

  get queued(): number {
    return this.pendingRows;
  }

  close(): void {
    this.flush();
    this.closed = true;
  }
}
