/**
 * Ingest and the analytics worker write the same SQLite file on two connections. SQLite's busy
 * handler backs off in growing sleeps (up to 100 ms), so a worker writing back to back can keep
 * ingest's group commit waiting for hundreds of milliseconds. This flag, in memory shared by
 * both threads, lets ingest say "a commit is waiting" and the worker hold its next write until
 * the commit is done: ingest then waits at most for one short worker transaction already
 * under way, never for a queue of them.
 */
export class IngestSignal {
  private readonly flag: Int32Array;

  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(4)) {
    this.flag = new Int32Array(buffer);
  }

  /** Main thread: rows are queued for the next group commit (true) or it is done (false). */
  set(pending: boolean): void {
    if (Atomics.exchange(this.flag, 0, pending ? 1 : 0) === 1 && !pending)
      Atomics.notify(this.flag, 0);
  }

  /**
   * Worker thread: blocks while ingest has a commit waiting, at most `maxWaitMs` in all, so a
   * saturated ingest cannot starve analytics forever.
   */
  waitIdle(maxWaitMs = 50): void {
    const until = performance.now() + maxWaitMs;
    for (;;) {
      const left = until - performance.now();
      if (Atomics.load(this.flag, 0) === 0 || left <= 0) return;
      Atomics.wait(this.flag, 0, 1, left);
    }
  }
}
