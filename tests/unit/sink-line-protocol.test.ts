/**
 * Line-protocol escaping, proven by property: whatever a measurement, tag value or string field
 * holds, a parser that follows the line-protocol rules (InfluxDB 2.x, VictoriaMetrics) reads
 * back exactly the input — except CR/LF, which line protocol cannot carry and which arrive as
 * the visible escapes `\n` / `\r` — and the line never splits into two.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  escapeMeasurement,
  escapeStringField,
  escapeTag,
  formatFields,
  formatFloat,
  seriesPrefix,
} from '../../sinks/influx/line-protocol.js';

/** A reference parser for one line: measurement, tags, fields, timestamp. */
function parseLine(line: string): {
  measurement: string;
  tags: [string, string][];
  fields: [string, string][];
  ts: string;
} {
  let i = 0;
  const read = (stops: string, quotedOk = false): string => {
    let out = '';
    while (i < line.length && !stops.includes(line[i]!)) {
      const c = line[i]!;
      if (quotedOk && c === '"') {
        out += c;
        i++;
        while (line[i] !== '"') {
          if (line[i] === '\\' && (line[i + 1] === '"' || line[i + 1] === '\\')) i++;
          out += line[i]!;
          i++;
        }
        out += '"';
        i++;
        continue;
      }
      if (c === '\\' && i + 1 < line.length && ',= \\'.includes(line[i + 1]!)) {
        out += line[i + 1]!;
        i += 2;
        continue;
      }
      out += c;
      i++;
    }
    return out;
  };
  const measurement = read(', ');
  const tags: [string, string][] = [];
  while (line[i] === ',') {
    i++;
    const k = read('=');
    i++;
    tags.push([k, read(', ')]);
  }
  expect(line[i]).toBe(' ');
  i++;
  const fields: [string, string][] = [];
  for (;;) {
    const k = read('=');
    i++;
    fields.push([k, read(', ', true)]);
    if (line[i] !== ',') break;
    i++;
  }
  expect(line[i]).toBe(' ');
  i++;
  const ts = line.slice(i);
  expect(ts).toMatch(/^\d+$/);
  return { measurement, tags, fields, ts };
}

const visible = (s: string) => s.replace(/\n/g, '\\n').replace(/\r/g, '\\r');
const anyText = fc.string({
  unit: fc.constantFrom('a', 'Z', '0', ',', '=', ' ', '"', '\\', '\n', '\r', '\t', 'é', '/', ':'),
  minLength: 1,
  maxLength: 24,
});

describe('line protocol escaping', () => {
  it('round-trips measurements, tag values and string fields through a conforming parser', () => {
    fc.assert(
      fc.property(
        anyText,
        anyText,
        anyText,
        anyText,
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        (m, site, series, text, v) => {
          const prefix = seriesPrefix(m, [
            ['site', site],
            ['series', series],
          ]);
          const fields = formatFields([
            ['value', { type: 'float', value: v }],
            ['note', { type: 'string', value: text }],
          ])!;
          const line = `${prefix} ${fields} 1700000000000`;
          expect(line).not.toMatch(/[\n\r]/);
          const p = parseLine(line);
          expect(p.measurement).toBe(visible(m));
          expect(p.tags).toEqual([
            ['series', visible(series)],
            ['site', visible(site)],
          ]);
          expect(p.fields[0]).toEqual(['value', String(v)]);
          expect(Number(p.fields[0]![1]) === v).toBe(true); // -0 is written as 0, equal in InfluxDB
          expect(p.fields[1]).toEqual(['note', `"${visible(text)}"`]);
          expect(p.ts).toBe('1700000000000');
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('escapes the documented characters', () => {
    expect(escapeMeasurement('a b,c=d')).toBe('a\\ b\\,c=d');
    expect(escapeTag('a b,c=d"e\\')).toBe('a\\ b\\,c\\=d"e\\\\');
    expect(escapeTag('x\ny\rz')).toBe('x\\ny\\rz');
    expect(escapeStringField('say "hi" \\ \n')).toBe('say \\"hi\\" \\\\ \\n');
  });

  it('leaves out empty tag values and sorts tags by key', () => {
    expect(
      seriesPrefix('power', [
        ['sensor', 'p'],
        ['site', ''],
        ['line', 'l1'],
      ]),
    ).toBe('power,line=l1,sensor=p');
  });

  it('refuses what line protocol cannot carry', () => {
    expect(formatFloat(Number.NaN)).toBeUndefined();
    expect(formatFloat(Number.POSITIVE_INFINITY)).toBeUndefined();
    expect(formatFloat(1e21)).toBe('1e+21');
    expect(formatFields([['value', { type: 'float', value: Number.NaN }]])).toBeUndefined();
    expect(formatFields([['n', { type: 'int', value: 3 }]])).toBe('n=3i');
  });
});
