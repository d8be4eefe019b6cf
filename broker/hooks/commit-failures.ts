/**
 * Logging for publishes the log could not commit (disk full, I/O error). While the disk is full
 * every device's resend fails again, several times a second; one error line per refused publish
 * would flood the log (and the disk it may share). So: one error line when refusals start, a
 * summary at most every `everyMs` while they go on, and one line when commits work again.
 */
import type { Logger } from '../../runtime/logger.js';

export class CommitFailureLog {
  private since: number | undefined;
  private refused = 0;
  private lastLogged = 0;
  private refusedSinceLog = 0;

  constructor(
    private readonly log: Logger,
    private readonly everyMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  refuse(err: Error, topic: string, clientId: string): void {
    const t = this.now();
    this.refused++;
    this.refusedSinceLog++;
    const code = (err as { code?: string }).code;
    if (this.since === undefined) {
      this.since = t;
      this.lastLogged = t;
      this.refusedSinceLog = 0;
      this.log.error(
        { err: err.message, code, topic, clientId },
        code === 'SQLITE_FULL'
          ? 'the disk of the data dir is full: publishes are NOT acknowledged until space returns (devices keep resending; nothing acknowledged is lost)'
          : 'commit failed: publishes are NOT acknowledged until commits work again (devices keep resending)',
      );
      return;
    }
    if (t - this.lastLogged >= this.everyMs) {
      this.log.error(
        {
          err: err.message,
          code,
          refusedSinceLastLine: this.refusedSinceLog,
          failingForS: Math.round((t - this.since) / 1000),
        },
        'commits still failing; publishes not acknowledged',
      );
      this.lastLogged = t;
      this.refusedSinceLog = 0;
    }
  }

  committed(): void {
    if (this.since === undefined) return;
    this.log.warn(
      { refused: this.refused, failedForS: Math.round((this.now() - this.since) / 1000) },
      'commits work again; acknowledging publishes',
    );
    this.since = undefined;
    this.refused = 0;
  }
}
