/**
 * What to do with the answer to one write request (DESIGN §6, influxdb-client-js writer notes):
 *
 * - 2xx: confirmed; the cursor may move past the batch.
 * - 413 (body too large): split the batch in two and send the halves in order; a single line
 *   that is still too large can never be accepted, so it is dead-lettered.
 * - 400 / 422 (the server names bad data): bisect the batch until the bad lines are isolated;
 *   each is dead-lettered with the server's message, the good lines are shipped. InfluxDB may
 *   already have written the good lines of a partial write; sending them again is harmless
 *   (same measurement, tag set and timestamp overwrite themselves).
 * - 429, 5xx, 401/403/404 (auth or a missing bucket: the operator must act, the data is fine)
 *   and network errors: retry forever with exponential backoff and full jitter, waiting at
 *   least Retry-After when the server sends one. Nothing is dropped: the log holds the backlog.
 */
import { HttpError } from '@influxdata/influxdb-client';

export type Verdict =
  | { kind: 'ok' }
  | { kind: 'split'; status: number; message: string }
  | { kind: 'poison'; status: number; message: string }
  | { kind: 'retry'; status: number | 'network'; message: string; retryAfterMs?: number };

const POISON = new Set([400, 422]);

export function classify(err: unknown): Verdict {
  if (err === undefined) return { kind: 'ok' };
  if (err instanceof HttpError) {
    const message = `${err.statusCode} ${cap(err.body || err.message, 500)}`;
    if (err.statusCode === 413) return { kind: 'split', status: 413, message };
    if (POISON.has(err.statusCode)) return { kind: 'poison', status: err.statusCode, message };
    return {
      kind: 'retry',
      status: err.statusCode,
      message,
      retryAfterMs: parseRetryAfter(headerOf(err, 'retry-after'), Date.now()),
    };
  }
  const e = err as { code?: string; message?: string };
  return {
    kind: 'retry',
    status: 'network',
    message: cap(`${e.code ? `${e.code} ` : ''}${e.message ?? String(err)}`, 500),
  };
}

/** Retry-After as delta-seconds or an HTTP-date (RFC 9110 §10.2.3), in ms from `now`. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  retryAfterMaxMs: number;
}

/**
 * Delay before attempt `attempt` (1 = first retry): full jitter over an exponential ceiling
 * (AWS architecture blog, "Exponential Backoff And Jitter"), never below Retry-After.
 */
export function retryDelay(
  attempt: number,
  opts: BackoffOptions,
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(opts.maxMs, opts.initialMs * 2 ** Math.min(attempt - 1, 30));
  const jittered = opts.initialMs / 2 + random() * (ceiling - opts.initialMs / 2);
  const floor = retryAfterMs === undefined ? 0 : Math.min(retryAfterMs, opts.retryAfterMaxMs);
  return Math.round(Math.max(jittered, floor));
}

function headerOf(err: HttpError, name: string): string | undefined {
  const h = err.headers?.[name];
  if (Array.isArray(h)) return h[0];
  if (typeof h === 'string') return h;
  const s = err.retryAfter();
  return s > 0 ? String(s) : undefined;
}

function cap(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}
