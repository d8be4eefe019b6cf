/** The InfluxQL builder, Grafana's macro substitution as the tests reproduce it, and own-metrics lines. */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ident, literal, pattern, render, tagValues, v } from '../../dashboards/lib/influxql.js';
import {
  interpolate,
  intervalFor,
  panelRange,
  regexValue,
} from '../../dashboards/testkit/grafana-macros.js';
import { metricLines } from '../../sinks/influx/self-metrics.js';

describe('InfluxQL builder', () => {
  it('quotes identifiers and escapes literals', () => {
    expect(ident('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(literal("it's")).toBe("'it\\'s'");
  });

  it('escapes literal text in tag patterns and keeps variables for Grafana', () => {
    expect(pattern([v('site'), '/', v('line'), ':energy_kwh'])).toBe(
      '/^$site\\/$line:energy_kwh$/',
    );
    expect(pattern(['a.b(c)'])).toBe('/^a\\.b\\(c\\)$/');
  });

  it('renders an aggregated query with asset filters, time grouping and fill', () => {
    expect(
      render({
        select: [{ field: 'value', fn: 'mean', as: 'power', scale: 0.001 }],
        from: { measurement: 'power' },
        where: [
          { tag: 'site', variable: 'site' },
          { tag: 'event', equals: 'start' },
          { field: 'value', op: '>', value: 0 },
        ],
        groupByTime: '$__interval',
        groupByTags: ['machine'],
        fill: 'none',
      }),
    ).toBe(
      `SELECT mean("value") * 0.001 AS "power" FROM "power" WHERE "site" =~ /^$site$/ AND "event" = 'start' AND "value" > 0 AND $timeFilter GROUP BY time($__interval), "machine" fill(none)`,
    );
  });

  it('renders counter rates, measurement lists and subqueries', () => {
    expect(
      render({
        select: [{ field: 'value', fn: 'last', ratePer: '1s' }],
        from: { measurements: ['a', 'b.c'] },
        groupByTime: '1h',
      }),
    ).toBe(
      'SELECT non_negative_derivative(last("value"), 1s) FROM /^(a|b\\.c)$/ WHERE $timeFilter GROUP BY time(1h)',
    );
    expect(
      render({
        select: [{ field: 'last', fn: 'sum' }],
        from: {
          subquery: { select: [{ field: 'value', fn: 'last' }], from: { measurement: 'p' } },
        },
        timeFilter: false,
      }),
    ).toBe('SELECT sum("last") FROM (SELECT last("value") FROM "p" WHERE $timeFilter)');
  });

  it('refuses queries InfluxDB would reject', () => {
    expect(() => render({ select: [], from: { measurement: 'p' } })).toThrow(/at least one/);
    expect(() =>
      render({ select: [{ field: 'value' }], from: { measurement: 'p' }, groupByTime: '1h' }),
    ).toThrow(/aggregation/);
    expect(() =>
      render({ select: [{ field: 'value', fn: 'max' }], from: { measurement: 'p' }, fill: 0 }),
    ).toThrow(/fill/);
  });

  it('builds SHOW TAG VALUES for variables', () => {
    expect(tagValues('line', { from: ['power'], where: [{ tag: 'site', variable: 'site' }] })).toBe(
      'SHOW TAG VALUES FROM /^(power)$/ WITH KEY = "line" WHERE "site" =~ /^$site$/',
    );
  });
});

describe('Grafana macro substitution (as the InfluxDB datasource does it)', () => {
  it('expands multi-value variables to escaped alternatives', () => {
    expect(regexValue(['a'])).toBe('a');
    expect(regexValue(['fx', 'b/c.d'])).toBe('(fx|b\\/c\\.d)');
    expect(
      interpolate(
        '"site" =~ /^$site$/ AND "s" =~ /^$site\\/${line}:x$/ AND $timeFilter GROUP BY time($__interval)',
        {
          range: { from: 1000, to: 2000 },
          interval: '1m',
          variables: { site: ['a', 'b'], line: ['l'] },
        },
      ),
    ).toBe(
      '"site" =~ /^(a|b)$/ AND "s" =~ /^(a|b)\\/l:x$/ AND time >= 1000ms and time <= 2000ms GROUP BY time(1m)',
    );
  });

  it('rounds $__interval like Grafana and honours the panel minimum', () => {
    const day = { from: 0, to: 86_400_000 };
    expect(intervalFor(day, 1000, '10s')).toBe('1m');
    expect(intervalFor(day, 1000, '1h')).toBe('1h');
    expect(intervalFor({ from: 0, to: 3_600_000 }, 1000, '1s')).toBe('5s');
  });

  it('applies relative panel time', () => {
    const now = Date.parse('2026-03-10T23:30:00Z');
    expect(panelRange(now, 'now/d', { from: 0, to: now }).from).toBe(
      Date.parse('2026-03-10T00:00:00Z'),
    );
    expect(panelRange(now, '5m', { from: 0, to: now }).from).toBe(now - 300_000);
  });
});

describe('own metrics as line protocol', () => {
  it('writes PlantPulse counters and gauges with their labels, not histograms or foreign metrics', async () => {
    const registry = new Registry();
    const rejects = new Counter({
      name: 'plantpulse_rejects_total',
      help: 'x',
      labelNames: ['code'],
      registers: [registry],
    });
    rejects.inc({ code: 'PP_ERR_NOT_FINITE' }, 3);
    new Gauge({ name: 'plantpulse_influx_backlog_lines', help: 'x', registers: [registry] }).set(7);
    new Histogram({ name: 'plantpulse_commit_rows', help: 'x', registers: [registry] }).observe(1);
    new Gauge({ name: 'other_gauge', help: 'x', registers: [registry] }).set(1);
    expect((await metricLines(registry, 'host a', 1000)).sort()).toEqual([
      'plantpulse_influx_backlog_lines,instance=host\\ a value=7 1000',
      'plantpulse_rejects_total,code=PP_ERR_NOT_FINITE,instance=host\\ a value=3 1000',
    ]);
  });
});
