/**
 * Reading timestamps: epoch milliseconds (an integer) or RFC 3339 with an explicit offset.
 * Timestamps outside the accepted window are rejected, never rewritten (DESIGN §3).
 */
import { formatDuration } from '../config/duration.js';
import type { SensorInfo } from '../config/plant-index.js';
import { NON_FINITE_MARK, type Reject } from './reject.js';

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})$/;

export interface TimestampWindow {
  now: number;
  maxFutureSkewMs: number;
  earliestMs: number;
}

/** The window for one sensor: readings before its `since` date are rejected too. */
export function sensorWindow(sensor: SensorInfo, win: TimestampWindow): TimestampWindow {
  return sensor.sinceMs !== undefined && sensor.sinceMs > win.earliestMs
    ? { ...win, earliestMs: sensor.sinceMs }
    : win;
}

const iso = (ms: number) => (Math.abs(ms) < 8.64e15 ? new Date(ms).toISOString() : String(ms));

/** Date.parse rolls "2025-02-30" over to March 2; a timestamp must name a real calendar time. */
function realCalendarTime(text: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})/.exec(text)!;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const daysInMonth = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  return mo >= 1 && mo <= 12 && d >= 1 && d <= daysInMonth && h <= 23 && mi <= 59 && s <= 59;
}

/** Returns epoch ms, or a reject naming `field`. */
export function parseTimestamp(
  ts: number | string,
  field: string,
  win: TimestampWindow,
): number | Reject {
  let ms: number;
  if (typeof ts === 'number') {
    if (!Number.isFinite(ts))
      return {
        code: 'PP_ERR_NOT_FINITE',
        field,
        message: `${field} is ${ts}, not a finite number`,
      };
    if (!Number.isInteger(ts)) {
      return {
        code: 'PP_ERR_TIMESTAMP',
        field,
        message: `${field} ${ts} is not whole epoch milliseconds`,
      };
    }
    ms = ts;
  } else {
    if (ts.startsWith(NON_FINITE_MARK)) {
      return {
        code: 'PP_ERR_NOT_FINITE',
        field,
        message: `${field} is ${ts.slice(NON_FINITE_MARK.length)}, not a finite number`,
      };
    }
    if (!RFC3339.test(ts)) {
      return {
        code: 'PP_ERR_TIMESTAMP',
        field,
        message: `${field} "${ts.slice(0, 40)}" is not RFC 3339 with an offset (e.g. 2026-11-23T14:00:00.000Z) nor epoch milliseconds`,
      };
    }
    ms = Date.parse(ts);
    if (Number.isNaN(ms) || !realCalendarTime(ts))
      return { code: 'PP_ERR_TIMESTAMP', field, message: `${field} "${ts}" is not a valid date` };
  }
  if (ms > win.now + win.maxFutureSkewMs) {
    return {
      code: 'PP_ERR_TIMESTAMP',
      field,
      message: `${field} ${iso(ms)} is ${formatDuration(ms - win.now)} in the future (limit ${formatDuration(win.maxFutureSkewMs)}); check the device clock`,
    };
  }
  if (ms < win.earliestMs) {
    const hint =
      ms >= 1e9 && ms < 1e10 && ms * 1000 >= win.earliestMs
        ? '; it looks like epoch seconds: send milliseconds'
        : '';
    const when = iso(ms);
    return {
      code: 'PP_ERR_TIMESTAMP',
      field,
      message: `${field} ${when} is before the earliest accepted time ${new Date(win.earliestMs).toISOString()}${hint}`,
    };
  }
  return ms;
}
