/**
 * Local civil time of a site (IANA zone) without a date library: shifts start at 06:00 local
 * and machine-days are local calendar days, as an energy manager reads them, across DST.
 */
import { localParts as parts } from '../config/local-time.js';

export interface LocalDate {
  y: number;
  m: number;
  d: number;
}

/** Offset of local time from UTC at `ts`, in ms (e.g. +3 600 000 for CET). */
export function tzOffset(ts: number, tz: string): number {
  const p = parts(ts, tz);
  return Date.UTC(p.y, p.m - 1, p.d, p.h, p.mi, p.s) - Math.floor(ts / 1000) * 1000;
}

export function localDate(ts: number, tz: string): LocalDate {
  const p = parts(ts, tz);
  return { y: p.y, m: p.m, d: p.d };
}

/** UTC instant of local `hour`:00 on a local date (the first one when DST makes it ambiguous). */
export function localTime(date: LocalDate, hour: number, tz: string): number {
  const guess = Date.UTC(date.y, date.m - 1, date.d, hour);
  const first = guess - tzOffset(guess, tz);
  return guess - tzOffset(first, tz);
}

export function addDays(date: LocalDate, n: number): LocalDate {
  const t = new Date(Date.UTC(date.y, date.m - 1, date.d + n));
  return { y: t.getUTCFullYear(), m: t.getUTCMonth() + 1, d: t.getUTCDate() };
}

/** 0 = Sunday … 6 = Saturday. */
export function weekday(date: LocalDate): number {
  return new Date(Date.UTC(date.y, date.m - 1, date.d)).getUTCDay();
}

export function isoDate(date: LocalDate): string {
  return `${date.y}-${String(date.m).padStart(2, '0')}-${String(date.d).padStart(2, '0')}`;
}

/** Local days overlapping [from, to): each with its UTC bounds clipped to the interval. */
export function localDays(
  from: number,
  to: number,
  tz: string,
): { day: string; start: number; end: number }[] {
  const out: { day: string; start: number; end: number }[] = [];
  let date = localDate(from, tz);
  for (;;) {
    const start = localTime(date, 0, tz);
    const next = addDays(date, 1);
    const end = localTime(next, 0, tz);
    if (start >= to) break;
    if (end > from)
      out.push({ day: isoDate(date), start: Math.max(start, from), end: Math.min(end, to) });
    date = next;
  }
  return out;
}

/** Planned events fall on whole minutes, as on a planner's or an operator's clock. */
export function floorMin(t: number): number {
  return Math.floor(t / 60_000) * 60_000;
}
