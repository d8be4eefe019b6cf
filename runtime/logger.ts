import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON logs on stdout (one object per line), level from PLANTPULSE_LOG_LEVEL (default info). */
export function createLogger(opts: { level?: string; name?: string } = {}): Logger {
  return pino({
    name: opts.name ?? 'plantpulse',
    level: opts.level ?? process.env.PLANTPULSE_LOG_LEVEL ?? 'info',
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
