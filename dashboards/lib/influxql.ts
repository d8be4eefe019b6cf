/**
 * A small typed InfluxQL builder: every panel and variable query of the dashboards is built
 * from these terms, so identifiers are always quoted, literals always escaped, and the
 * template-variable filters read the same in every panel. The SDK ships no InfluxDB query
 * builder (DESIGN §3), hence this one.
 *
 * Grafana substitutes `$timeFilter`, `$__interval` and `$site`… before the query reaches
 * InfluxDB; dashboards/lib/grafana-macros.ts does the same for the tests.
 */

/** An identifier (measurement, field, tag) in double quotes. */
export function ident(name: string): string {
  return `"${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** A string literal in single quotes. */
export function literal(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** Regex-escapes literal text for an InfluxQL /regex/ (slashes included). */
export function regexText(s: string): string {
  return s.replace(/[\\^$*+?.()|[\]{}/]/g, '\\$&');
}

/**
 * A piece of a tag pattern: literal text, a template variable Grafana expands to `(a|b)`, or
 * a raw regex fragment.
 */
export type PatternPart = string | { variable: string } | { regex: string };
export const v = (variable: string): PatternPart => ({ variable });

/** `/^…$/` from literal parts and variables. */
export function pattern(parts: readonly PatternPart[]): string {
  const body = parts.map((p) =>
    typeof p === 'string' ? regexText(p) : 'regex' in p ? p.regex : `$${p.variable}`,
  );
  return `/^${body.join('')}$/`;
}

export type Condition =
  /** tag matches the values selected in a template variable (`"site" =~ /^$site$/`) */
  | { tag: string; variable: string }
  /** tag matches a pattern built from literal text and variables */
  | { tag: string; matches: readonly PatternPart[] }
  | { tag: string; equals: string }
  | { tag: string; notIn: readonly string[] }
  | { field: string; op: '=' | '!=' | '>' | '>=' | '<' | '<='; value: number };

export function condition(c: Condition): string {
  if ('field' in c) return `${ident(c.field)} ${c.op} ${c.value}`;
  if ('variable' in c) return `${ident(c.tag)} =~ /^$${c.variable}$/`;
  if ('matches' in c) return `${ident(c.tag)} =~ ${pattern(c.matches)}`;
  if ('equals' in c) return `${ident(c.tag)} = ${literal(c.equals)}`;
  return `${ident(c.tag)} !~ /^(${c.notIn.map(regexText).join('|')})$/`;
}

export type Aggregation =
  'mean' | 'median' | 'max' | 'min' | 'sum' | 'count' | 'last' | 'first' | 'spread' | 'stddev';

/** One column of the SELECT list. */
export interface Selector {
  field: string;
  /** Aggregate or selector; absent = the raw field (no GROUP BY time then). */
  fn?: Aggregation;
  /** Wrap in a rate: `non_negative_derivative(fn(field), per)` (counters). */
  ratePer?: '1s' | '1m' | '1h';
  /** Arithmetic applied to the result, e.g. 1/1000 for W → kW. */
  scale?: number;
  as?: string;
}

export function selector(s: Selector): string {
  let expr = ident(s.field);
  if (s.fn) expr = `${s.fn}(${expr})`;
  if (s.ratePer) expr = `non_negative_derivative(${expr}, ${s.ratePer})`;
  if (s.scale !== undefined && s.scale !== 1) expr = `${expr} * ${s.scale}`;
  return s.as ? `${expr} AS ${ident(s.as)}` : expr;
}

export type Source =
  | { measurement: string }
  /** Several measurements at once, e.g. every raw sensor kind. */
  | { measurements: readonly string[] }
  | { subquery: InfluxQuery };

export type Fill = 'null' | 'none' | 'previous' | 'linear' | number;

export interface InfluxQuery {
  select: readonly Selector[];
  from: Source;
  where?: readonly Condition[];
  /**
   * Add Grafana's `$timeFilter` (default true; a subquery's outer query usually needs none), or
   * a fixed lookback from now for a current-state panel whatever the dashboard's range.
   */
  timeFilter?: boolean | { lookback: `${number}d` };
  /** `GROUP BY time(…)`: `$__interval` follows the zoom; a fixed window (`1h`) for hourly records. */
  groupByTime?: '$__interval' | `${number}${'m' | 'h' | 'd'}`;
  groupByTags?: readonly string[];
  fill?: Fill;
  limit?: number;
}

function source(s: Source): string {
  if ('measurement' in s) return ident(s.measurement);
  if ('measurements' in s) return `/^(${s.measurements.map(regexText).join('|')})$/`;
  return `(${render(s.subquery)})`;
}

/** The InfluxQL text of a query. */
export function render(q: InfluxQuery): string {
  if (q.select.length === 0) throw new Error('an InfluxQL query needs at least one selector');
  const aggregated = q.select.some((s) => s.fn !== undefined);
  if (q.groupByTime && !aggregated)
    throw new Error('GROUP BY time() needs an aggregation in every selector');
  const where = (q.where ?? []).map(condition);
  const tf = q.timeFilter ?? true;
  if (tf === true) where.push('$timeFilter');
  else if (tf) where.push(`time > now() - ${tf.lookback}`);
  let text = `SELECT ${q.select.map(selector).join(', ')} FROM ${source(q.from)}`;
  if (where.length) text += ` WHERE ${where.join(' AND ')}`;
  const groups = [
    ...(q.groupByTime ? [`time(${q.groupByTime})`] : []),
    ...(q.groupByTags ?? []).map(ident),
  ];
  if (groups.length) text += ` GROUP BY ${groups.join(', ')}`;
  if (q.fill !== undefined) {
    if (!q.groupByTime) throw new Error('fill() applies only with GROUP BY time()');
    text += ` fill(${q.fill})`;
  }
  if (q.limit !== undefined) text += ` LIMIT ${q.limit}`;
  return text;
}

/** `SHOW TAG VALUES` for a template variable, narrowed by the variables before it. */
export function tagValues(
  key: string,
  opts: { from?: readonly string[]; where?: readonly Condition[] } = {},
): string {
  let text = 'SHOW TAG VALUES';
  if (opts.from?.length) text += ` FROM ${source({ measurements: opts.from })}`;
  text += ` WITH KEY = ${ident(key)}`;
  if (opts.where?.length) text += ` WHERE ${opts.where.map(condition).join(' AND ')}`;
  return text;
}
