/**
 * Reading timestamps: epoch milliseconds (an integer) or RFC 3339 with an explicit offset.
 * Timestamps outside the accepted window are rejected, never rewritten (DESIGN §3).
 */
import { formatDuration } from '../config/duration.js';
import type { Reject } from './reject.js';

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})$/;

export interface TimestampWindow {
  now: number;
  maxFutureSkewMs: number;
  earliestMs: number;
}

/** Returns epoch ms, or a reject naming `field`. */
export function parseTimestamp(ts: number | string, field: string, win: TimestampWindow): number | Reject {
  let ms: number;
  if (typeof ts === 'number') {
    if (!Number.isFinite(ts)) return { code: 'PP_ERR_NOT_FINITE', field, message: `${field} is ${ts}, not a finite number` };
    if (!Number.isInteger(ts)) {
      return { code: 'PP_ERR_TIMESTAMP', field, message: `${field} ${ts} is not whole epoch milliseconds` };
    }
    ms = ts;
  } else {
    if (!RFC3339.test(ts)) {
      return {
        code: 'PP_ERR_TIMESTAMP',
        field,
        message: `${field} "${ts.slice(0, 40)}" is not RFC 3339 with an offset (e.g. 2026-11-23T14:00:00.000Z) nor epoch milliseconds`,
      };
    }
    ms = Date.parse(ts);
    if (Number.isNaN(ms)) return { code: 'PP_ERR_TIMESTAMP', field, message: `${field} "${ts}" is not a valid date` };
  }
  if (ms > win.now + win.maxFutureSkewMs) {
    return {
      code: 'PP_ERR_TIMESTAMP',
      field,
      message: `${field} ${new Date(ms).toISOString()} is ${formatDuration(ms - win.now)} in the future (limit ${formatDuration(win.maxFutureSkewMs)}); check the device clock`,
    };
  }
  if (ms < win.earliestMs) {
    const hint = ms >= 1e9 && ms < 1e10 && ms * 1000 >= win.earliestMs ? '; it looks like epoch seconds: send milliseconds' : '';
    const when = Number.isFinite(ms) && Math.abs(ms) < 8.64e15 ? new Date(ms).toISOString() : String(ms);
    return {
      code: 'PP_ERR_TIMESTAMP',
      field,
      message: `${field} ${when} is before the earliest accepted time ${new Date(win.earliestMs).toISOString()}${hint}`,
    };
  }
  return ms;
}
