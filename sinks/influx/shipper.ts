/**
 * The cursor loop (DESIGN C3): read the log after the saved position in order, format a batch
 * (bounded by lines and bytes), write it, and move the cursor only after InfluxDB confirmed.
 * One request is in flight at a time, so every series arrives in log order (a derived revision
 * never overtakes the value it replaces). Memory is one batch, whatever the backlog: an outage
 * only lets the log grow on disk, and retention keeps every row at or after the cursor.
 *
 * Delivery is at-least-once (a crash between the server's answer and the cursor update sends
 * the batch again); InfluxDB keys a point by (measurement, tag set, timestamp) and a repeat
 * overwrites it with the same value, so the effect is exactly-once.
 */
import type Database from 'better-sqlite3';
import type { Cursors } from '../../store/cursors.js';
import type { PointFormatter, ShipRow } from './points.js';
import { classify, retryDelay, type BackoffOptions, type Verdict } from './policy.js';

export interface ShipperOptions extends BackoffOptions {
  cursor: string;
  batchLines: number;
  batchBytes: number;
  flushIntervalMs: number;
}

export interface ShipperEvents {
  shipped?(lines: number): void;
  failed?(verdict: Exclude<Verdict, { kind: 'ok' }>, attempt: number, delayMs: number): void;
  deadLettered?(lines: number, verdict: Exclude<Verdict, { kind: 'ok' }>): void;
}

/** Posts one body; resolves on 2xx, rejects with the client's HttpError or a network error. */
export type Post = (body: string, signal: AbortSignal) => Promise<unknown>;

/**
 * One batch as a single flat string (each line ends with a newline) and the offset of every
 * line: far smaller than an array of line strings, and a split half is one `slice`.
 */
interface Batch {
  body: string;
  /** offsets[i] = index of line i in body; offsets[count] = body.length. */
  offsets: number[];
  count: number;
  positions: number[];
  seriesIds: number[];
  lastPos: number;
  full: boolean;
}

export class InfluxShipper {
  private stopped = false;
  private loop: Promise<void> | undefined;
  private abort = new AbortController();
  private wake: (() => void) | undefined;
  private lastSend = 0;
  private readonly read: Database.Statement<[number, number]>;
  private readonly deadLetter: Database.Statement;
  private readonly deadLetterTx: (
    line: string,
    pos: number,
    series: number,
    reason: string,
  ) => void;
  /** The last failure, cleared by the next confirmed write (readiness, metrics). */
  lastError: { message: string; at: number; status: number | 'network' | 'local' } | undefined;

  constructor(
    private readonly db: Database.Database,
    private readonly cursors: Cursors,
    private readonly formatter: PointFormatter,
    private readonly post: Post,
    private readonly opts: ShipperOptions,
    private readonly events: ShipperEvents = {},
    private readonly seriesKey: (id: number) => string = String,
  ) {
    // Bodies are read only for batch events: waveform samples never leave the log.
    this.read = db.prepare(`
      SELECT l.pos, l.series, l.ts, l.value, l.quality,
             CASE WHEN s.kind = 'batch_event' THEN l.body END AS body
      FROM log l LEFT JOIN series s ON s.id = l.series
      WHERE l.pos > ? ORDER BY l.pos LIMIT ?`);
    this.deadLetter = db.prepare(
      'INSERT INTO dead_letters(received, topic, client_id, code, field, reason, payload, payload_size) VALUES (?, ?, NULL, ?, ?, ?, ?, ?)',
    );
    this.deadLetterTx = db.transaction(
      (line: string, pos: number, series: number, reason: string) => {
        const bytes = Buffer.from(line);
        this.deadLetter.run(
          Date.now(),
          this.opts.cursor,
          'PP_ERR_SINK_REJECTED',
          this.seriesKey(series),
          `${reason} (log position ${pos})`,
          bytes.subarray(0, 8192),
          bytes.length,
        );
        this.cursors.set(this.opts.cursor, pos);
      },
    );
    // A cursor row from the first start on: retention then keeps everything not yet shipped.
    this.cursors.set(this.opts.cursor, this.cursors.get(this.opts.cursor));
  }

  get position(): number {
    return this.cursors.get(this.opts.cursor);
  }

  start(): void {
    this.loop ??= this.runUntilStopped();
  }

  /**
   * The loop outlives a failing local log (disk full: SQLITE_FULL on the cursor or dead-letter
   * write, tests/integration/fault-disk-full.test.ts): it reports the error as `lastError`
   * (status 'local'), waits, and resumes from the saved cursor, so a batch whose cursor could not
   * be saved is sent again (at-least-once, as above).
   */
  private async runUntilStopped(): Promise<void> {
    for (let attempt = 1; !this.stopped; attempt++) {
      try {
        await this.run();
        return;
      } catch (err) {
        if (this.stopped) return;
        this.lastError = {
          message: `local log: ${(err as Error).message}`,
          at: Date.now(),
          status: 'local',
        };
        await this.sleep(retryDelay(attempt, this.opts, undefined));
      }
    }
  }

  /** Stops after the request in flight is abandoned; the cursor stays at the last confirmed batch. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    let next: Batch | undefined;
    while (!this.stopped) {
      const batch = next ?? this.readBatch(this.position);
      next = undefined;
      if (batch.positions.length === 0 && batch.lastPos === this.position) {
        await this.sleep(this.opts.flushIntervalMs);
        continue;
      }
      const waited = Date.now() - this.lastSend;
      if (!batch.full && waited < this.opts.flushIntervalMs) {
        await this.sleep(this.opts.flushIntervalMs - waited);
        continue;
      }
      this.lastSend = Date.now();
      if (batch.count > 0) {
        const sending = this.sendRange(batch, 0, batch.count);
        // While the request is on the wire, format the next batch of a backlog (at most two
        // batches in memory). It stays valid whatever the answer: sendRange returns only once
        // every line of this batch is confirmed or dead-lettered.
        if (batch.full) next = this.readBatch(batch.lastPos);
        if (!(await sending)) return;
      }
      this.cursors.set(this.opts.cursor, batch.lastPos);
    }
  }

  private readBatch(after: number): Batch {
    const batch: Batch = {
      body: '',
      offsets: [0],
      count: 0,
      positions: [],
      seriesIds: [],
      lastPos: after,
      full: false,
    };
    const lines: string[] = [];
    let bytes = 0;
    let rows = 0;
    for (const row of this.read.iterate(after, this.opts.batchLines) as IterableIterator<ShipRow>) {
      rows++;
      const line = this.formatter.format(row);
      if (line !== undefined) {
        if (bytes + line.length + 1 > this.opts.batchBytes && lines.length > 0) {
          batch.full = true;
          break;
        }
        bytes += line.length + 1; // UTF-16 length: the UTF-8 size for ASCII lines, cheap to get
        lines.push(line);
        batch.offsets.push(bytes);
        batch.positions.push(row.pos);
        batch.seriesIds.push(row.series);
      }
      batch.lastPos = row.pos;
    }
    if (rows >= this.opts.batchLines) batch.full = true;
    batch.count = lines.length;
    if (lines.length > 0) batch.body = lines.join('\n') + '\n';
    return batch;
  }

  /** Ships lines [from, to) until each is confirmed or dead-lettered; false when stopped first. */
  private async sendRange(batch: Batch, from: number, to: number): Promise<boolean> {
    let attempt = 0;
    for (;;) {
      if (this.stopped) return false;
      const whole = from === 0 && to === batch.count;
      const body = whole ? batch.body : batch.body.slice(batch.offsets[from], batch.offsets[to]);
      let err: unknown;
      try {
        await this.postOnce(body);
      } catch (e) {
        err = e ?? new Error('write failed');
      }
      if (this.stopped) return false;
      const verdict = classify(err);
      if (verdict.kind === 'ok') {
        this.lastError = undefined;
        this.cursors.set(this.opts.cursor, batch.positions[to - 1]!);
        this.events.shipped?.(to - from);
        return true;
      }
      this.lastError = { message: verdict.message, at: Date.now(), status: verdict.status };
      if (verdict.kind === 'retry') {
        attempt++;
        const delay = retryDelay(attempt, this.opts, verdict.retryAfterMs);
        this.events.failed?.(verdict, attempt, delay);
        await this.sleep(delay);
        continue;
      }
      this.events.failed?.(verdict, 0, 0);
      if (to - from === 1) {
        this.deadLetterTx(
          batch.body.slice(batch.offsets[from], batch.offsets[to]! - 1),
          batch.positions[from]!,
          batch.seriesIds[from]!,
          verdict.message,
        );
        this.events.deadLettered?.(1, verdict);
        return true;
      }
      const mid = from + Math.ceil((to - from) / 2);
      return (await this.sendRange(batch, from, mid)) && this.sendRange(batch, mid, to);
    }
  }

  /**
   * The InfluxDB client adds an abort listener to a request's signal and never removes it: with
   * the shipper's long-lived stop signal every request ever sent would stay reachable (a leak of
   * one closure per request, and Node's MaxListenersExceededWarning during an outage). Each
   * request gets its own signal instead, linked to the stop signal only while it is in flight.
   */
  private async postOnce(body: string): Promise<void> {
    const request = new AbortController();
    const stop = () => request.abort();
    this.abort.signal.addEventListener('abort', stop, { once: true });
    try {
      await this.post(body, request.signal);
    } finally {
      this.abort.signal.removeEventListener('abort', stop);
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
