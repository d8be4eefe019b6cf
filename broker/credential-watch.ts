/**
 * Notices that device credentials changed, whichever process changed them. `plantpulse devices
 * remove|rotate|add` is a separate process writing the data dir directly, so the broker cannot be
 * told; it asks. Triggers on the devices table bump one counter row (store migration 6) on every
 * insert, update or delete, from any connection or tool, and reading that row is one indexed
 * lookup (about 1 µs here), cheap enough to do on every event-loop turn that carries device traffic.
 *
 * `PRAGMA data_version` was the other candidate: it costs the same per call, but it changes on
 * every commit of any other connection (the analytics worker commits all the time) and never on
 * this process's own writes, so it could only have been a pre-filter in front of this counter.
 */
import type Database from 'better-sqlite3';

export class CredentialWatch {
  private readonly read: Database.Statement<[], number>;
  private seen: number;

  constructor(db: Database.Database) {
    this.read = db.prepare<[], number>('SELECT version FROM devices_version WHERE id = 1').pluck();
    this.seen = this.read.get() ?? 0;
  }

  /** True when credentials changed since the previous call that returned true (or since construction). */
  changed(): boolean {
    const v = this.read.get() ?? 0;
    if (v === this.seen) return false;
    this.seen = v;
    return true;
  }
}
