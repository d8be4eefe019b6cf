/**
 * Local civil time of a site (IANA zone, from the plant model) without a date library: shifts,
 * tariff periods and reporting days are read in the site's time, across DST changes.
 */
export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';

export interface LocalParts {
  y: number;
  m: number;
  d: number;
  h: number;
  mi: number;
  s: number;
  weekday: Weekday;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      weekday: 'short',
    });
    formatters.set(tz, f);
  }
  return f;
}

/** Calendar fields of the instant `ts` (epoch ms) in the zone `tz`. */
export function localParts(ts: number, tz: string): LocalParts {
  const p: Record<string, string> = {};
  for (const x of formatter(tz).formatToParts(ts)) if (x.type !== 'literal') p[x.type] = x.value;
  return {
    y: Number(p.year),
    m: Number(p.month),
    d: Number(p.day),
    h: Number(p.hour),
    mi: Number(p.minute),
    s: Number(p.second),
    weekday: p.weekday!.toLowerCase().slice(0, 3) as Weekday,
  };
}

/** The zone's offset from UTC at `ts`, in ms (east positive). */
export function utcOffsetMs(ts: number, tz: string): number {
  const t = Math.floor(ts / 1000) * 1000;
  const p = localParts(t, tz);
  return Date.UTC(p.y, p.m - 1, p.d, p.h, p.mi, p.s) - t;
}

const HOUR_MS = 3_600_000;

/**
 * Where the zone's local hours start within a UTC hour, in ms: 0 for whole-hour zones, 30 min
 * for Asia/Kolkata (+5:30) or Australia/Adelaide (+9:30/+10:30), 45 min for Asia/Kathmandu.
 * Hourly energy records start at local hours, so a local day is a whole number of records in
 * every zone. Undefined when the minutes of the offset change during the year (Australia/
 * Lord_Howe, +10:30/+11): no single phase fits, and records stay on UTC hours.
 */
export function localHourPhase(
  tz: string,
  from = Date.UTC(2000, 0, 1),
  to = Date.UTC(2040, 0, 1),
): number | undefined {
  const phaseAt = (t: number) => ((utcOffsetMs(t, tz) % HOUR_MS) + HOUR_MS) % HOUR_MS;
  const phase = phaseAt(from);
  // Offsets change at most a few times a year; sampling twice a month finds a changed phase.
  for (let t = from; t < to; t += 15 * 86_400_000) if (phaseAt(t) !== phase) return undefined;
  return phase;
}
