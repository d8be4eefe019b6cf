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
