/**
 * Turning command-line words into a simulated time window: dates (RFC 3339, a date, or epoch
 * ms), durations ("7d"), and the defaults that keep timestamps out of the future.
 */
import { parseDuration } from '../config/duration.js';

export function parseInstant(text: string, what: string): number {
  const t = /^\d{12,}$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(t))
    throw new Error(
      `${what} "${text}" is not a date; write e.g. 2026-01-05, 2026-01-05T06:00:00Z or epoch milliseconds`,
    );
  return t;
}

export function parseDurationArg(text: string, what: string): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0)
    throw new Error(`${what} "${text}" is not a duration; write e.g. 10s, 30m, 12h, 7d`);
  return ms;
}

export interface Window {
  from: number;
  to: number;
  realTime: boolean;
}

/**
 * Accelerated runs end at `to` (default now) and start `duration` before; real time (speed 1
 * without --from) starts now. An accelerated run must not end in the future: PlantPulse rejects
 * readings beyond its future-skew limit, and rightly so.
 */
export function resolveWindow(
  o: { from?: string; to?: string; duration?: string; speed?: number },
  now = Date.now(),
  defaultDuration = 86_400_000,
): Window {
  const duration = o.duration ? parseDurationArg(o.duration, '--duration') : undefined;
  if (o.to && duration && o.from) throw new Error('give --to or --duration with --from, not both');
  const realTime = o.speed === 1 && !o.from;
  const floorSec = (t: number) => Math.floor(t / 1000) * 1000;
  if (realTime) {
    const from = floorSec(now);
    const to = o.to ? parseInstant(o.to, '--to') : from + (duration ?? defaultDuration);
    return { from, to, realTime };
  }
  let from = o.from ? parseInstant(o.from, '--from') : undefined;
  let to = o.to ? parseInstant(o.to, '--to') : undefined;
  if (from === undefined && to === undefined) to = Math.floor(now / 60_000) * 60_000;
  if (from === undefined) from = to! - (duration ?? defaultDuration);
  if (to === undefined) to = from + (duration ?? defaultDuration);
  if (to <= from)
    throw new Error(
      `--to (${new Date(to).toISOString()}) must be after --from (${new Date(from).toISOString()})`,
    );
  if (to > now + 60_000 && o.speed !== 1) {
    throw new Error(
      `the run would end ${new Date(to).toISOString()}, in the future; PlantPulse rejects future timestamps. End it by now (omit --to) or use --speed 1 for real time`,
    );
  }
  return { from, to, realTime };
}
