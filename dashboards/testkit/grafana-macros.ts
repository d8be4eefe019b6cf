/**
 * What Grafana does to an InfluxQL query before sending it, for the tests that run the
 * dashboards' queries on a real InfluxDB: `$timeFilter`, `$__interval`/`$interval` (from the
 * time range, the panel's max data points and its min interval, rounded as Grafana rounds),
 * and multi-value variables expanded the way Grafana's InfluxDB datasource does it
 * (regex-escaped values in `(a|b)`). Not used by PlantPulse itself.
 */

export interface Range {
  from: number;
  to: number;
}

/** Grafana's interval rounding table (rangeutil.roundInterval), in ms. */
const ROUND: [upTo: number, interval: number][] = [
  [15, 10],
  [35, 20],
  [75, 50],
  [150, 100],
  [350, 200],
  [750, 500],
  [1500, 1000],
  [3500, 2000],
  [7500, 5000],
  [12500, 10000],
  [17500, 15000],
  [25000, 20000],
  [45000, 30000],
  [90000, 60000],
  [210000, 120000],
  [450000, 300000],
  [750000, 600000],
  [1050000, 900000],
  [1500000, 1200000],
  [2700000, 1800000],
  [5400000, 3600000],
  [9000000, 7200000],
  [16200000, 10800000],
  [32400000, 21600000],
  [86400000, 43200000],
  [604800000, 86400000],
];

export function roundInterval(ms: number): number {
  for (const [upTo, interval] of ROUND) if (ms <= upTo) return interval;
  return 604800000;
}

const UNITS: [string, number][] = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
];

export function parseInterval(text: string): number {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(text);
  if (!m) throw new Error(`not an interval: ${text}`);
  const unit = m[2] === 'ms' ? 1 : UNITS.find(([u]) => u === m[2])![1];
  return Number(m[1]) * unit;
}

export function formatInterval(ms: number): string {
  for (const [u, size] of UNITS) if (ms % size === 0) return `${ms / size}${u}`;
  return `${ms}ms`;
}

/** `$__interval` for a range: range / max data points, rounded, never below the minimum. */
export function intervalFor(range: Range, maxDataPoints: number, minInterval?: string): string {
  const auto = roundInterval((range.to - range.from) / maxDataPoints);
  return formatInterval(Math.max(auto, minInterval ? parseInterval(minInterval) : 0));
}

/** A panel's relative time override (`5m`, `now/d`) applied at `now`. */
export function panelRange(now: number, timeFrom: string | undefined, dashboard: Range): Range {
  if (!timeFrom) return dashboard;
  if (timeFrom === 'now/d') return { from: Math.floor(now / 86_400_000) * 86_400_000, to: now };
  return { from: now - parseInterval(timeFrom), to: now };
}

const escapeRegex = (s: string) => s.replace(/[\\^$*+?.()|[\]{}/]/g, '\\$&');

/** A multi-value variable's text inside an InfluxQL regex, as Grafana's datasource writes it. */
export function regexValue(values: readonly string[]): string {
  const esc = values.map(escapeRegex);
  return esc.length === 1 ? esc[0]! : `(${esc.join('|')})`;
}

export function interpolate(
  query: string,
  o: { range?: Range; interval?: string; variables: Record<string, readonly string[]> },
): string {
  let q = query;
  if (o.range)
    q = q.replaceAll('$timeFilter', `time >= ${o.range.from}ms and time <= ${o.range.to}ms`);
  if (o.interval) {
    q = q.replaceAll('$__interval_ms', String(parseInterval(o.interval)));
    q = q.replaceAll('$__interval', o.interval).replaceAll('$interval', o.interval);
  }
  // Longest names first, so $line never eats the start of $lineage.
  const names = Object.keys(o.variables).sort((a, b) => b.length - a.length);
  for (const name of names) {
    const text = regexValue(o.variables[name]!);
    q = q
      .replaceAll(`\${${name}}`, text)
      .replaceAll(`[[${name}]]`, text)
      .replaceAll(`$${name}`, text);
  }
  return q;
}
