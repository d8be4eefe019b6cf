/**
 * Reporting months in a site's time zone: an energy manager closes "March" from local midnight
 * of the 1st to local midnight of April 1st, across DST changes, not by UTC.
 */
import { CodedError } from '../runtime/errors.js';
import { localTime } from '../simulator/calendar.js';

export interface Month {
  /** YYYY-MM */
  id: string;
  y: number;
  m: number;
}

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** Parses `YYYY-MM`; a bad value is a PP_ERR_BAD_REQUEST that names `param`. */
export function parseMonth(value: unknown, param = 'month'): Month {
  const s = typeof value === 'string' ? value.trim() : '';
  const hit = MONTH.exec(s);
  if (!hit)
    throw new CodedError(
      'PP_ERR_BAD_REQUEST',
      `${param} must be a month written YYYY-MM (e.g. 2026-03), got ${value === undefined ? 'nothing' : JSON.stringify(value)}`,
      { param },
    );
  return { id: s, y: Number(hit[1]), m: Number(hit[2]) };
}

export function addMonths(month: Month, n: number): Month {
  const k = month.y * 12 + (month.m - 1) + n;
  const y = Math.floor(k / 12);
  const m = (k % 12) + 1;
  return { id: `${y}-${String(m).padStart(2, '0')}`, y, m };
}

/** The local calendar days of the month, YYYY-MM-DD. */
export function daysOf(month: Month): string[] {
  const n = new Date(Date.UTC(month.y, month.m, 0)).getUTCDate();
  return Array.from({ length: n }, (_, i) => `${month.id}-${String(i + 1).padStart(2, '0')}`);
}

/** UTC bounds [start, end) of the month in the zone `tz`. */
export function monthBounds(month: Month, tz: string): { start: number; end: number } {
  const next = addMonths(month, 1);
  return {
    start: localTime({ y: month.y, m: month.m, d: 1 }, 0, tz),
    end: localTime({ y: next.y, m: next.m, d: 1 }, 0, tz),
  };
}

/** UTC instant of local midnight starting the date `YYYY-MM-DD` in `tz`. */
export function dayStart(day: string, tz: string): number {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return localTime({ y, m, d }, 0, tz);
}
