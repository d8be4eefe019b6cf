/**
 * InfluxDB line protocol, written by hand for the hot path (one string concatenation per row)
 * and proven by a property test (tests/unit/sink-line-protocol.test.ts).
 *
 *   measurement,tag=value,tag=value field=1.5,other="text" 1700000000000
 *
 * Escaping (https://docs.influxdata.com/influxdb/v2/reference/syntax/line-protocol/#special-characters):
 * - measurement: comma and space;
 * - tag keys and values, field keys: comma, equals sign, space, and backslash (2.x and
 *   VictoriaMetrics read `\\` as one backslash, so a value ending in `\` cannot escape the
 *   separator after it);
 * - string field values: double quote and backslash.
 * Line protocol has no way to carry a newline or carriage return inside a tag or field: a
 * parser ends the line there, which is exactly how line-protocol injection happens. They are
 * written as the two visible characters `\n` / `\r` (as influxdb-client-js does), so a hostile
 * key can never start a second line. Empty tag values are not allowed by InfluxDB: such a tag
 * is left out.
 */

const TAG_RE = /[\\,= \n\r]/g;
const MEASUREMENT_RE = /[\\, \n\r]/g;
const STRING_RE = /[\\"\n\r]/g;

const TAG_MAP: Record<string, string> = {
  '\\': '\\\\',
  ',': '\\,',
  '=': '\\=',
  ' ': '\\ ',
  '\n': '\\n',
  '\r': '\\r',
  '"': '\\"',
};
const replace = (c: string) => TAG_MAP[c]!;

export function escapeMeasurement(s: string): string {
  return s.replace(MEASUREMENT_RE, replace);
}

/** Tag keys, tag values and field keys. */
export function escapeTag(s: string): string {
  return s.replace(TAG_RE, replace);
}

/** The inside of a double-quoted string field value. */
export function escapeStringField(s: string): string {
  return s.replace(STRING_RE, replace);
}

export type Tags = readonly (readonly [key: string, value: string])[];

/** `measurement,k=v,...` with tags sorted by key (InfluxDB's preferred order) and empty values left out. */
export function seriesPrefix(measurement: string, tags: Tags): string {
  let out = escapeMeasurement(measurement);
  const sorted = [...tags]
    .filter(([, v]) => v !== '')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [k, v] of sorted) out += `,${escapeTag(k)}=${escapeTag(v)}`;
  return out;
}

/**
 * A float field value; undefined for NaN and infinities, which line protocol cannot carry.
 * `String(n)` yields the shortest round-trip form (`1.5`, `2`, `1e+21`), all valid floats.
 */
export function formatFloat(v: number): string | undefined {
  return Number.isFinite(v) ? String(v) : undefined;
}

export type FieldValue =
  | { type: 'float'; value: number }
  | { type: 'int'; value: number }
  | { type: 'string'; value: string };

/** `k=v,...`; undefined when no field is representable (a line needs at least one). */
export function formatFields(
  fields: readonly (readonly [string, FieldValue])[],
): string | undefined {
  const parts: string[] = [];
  for (const [k, f] of fields) {
    if (f.type === 'float') {
      const s = formatFloat(f.value);
      if (s !== undefined) parts.push(`${escapeTag(k)}=${s}`);
    } else if (f.type === 'int') {
      if (Number.isSafeInteger(f.value)) parts.push(`${escapeTag(k)}=${f.value}i`);
    } else {
      parts.push(`${escapeTag(k)}="${escapeStringField(f.value)}"`);
    }
  }
  return parts.length ? parts.join(',') : undefined;
}
