/**
 * No line-protocol injection, read back from InfluxDB's own parser (Debian's influxd 1.x).
 *
 * What can reach a line at all: tag values come from plant-model ids (restricted to letters,
 * digits, "_", "." and "-": tests/unit/tag-sources.test.ts) and from derived series keys (the
 * `series` tag); free text from devices reaches only string fields (batch id, product, phase,
 * unit of batch events). Both paths are driven here through the sink's own formatter
 * (PointFormatter, what the shipper sends) into influxd's /write, then read back with InfluxQL:
 * every value arrives literally (CR/LF as the visible `\n`/`\r`, which line protocol cannot
 * carry) and no extra measurement, tag, field or point appears.
 */
import fc from 'fast-check';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PointFormatter, type ShipRow } from '../../sinks/influx/points.js';
import { testPlant } from '../helpers/plant-fixture.js';
import { tempDir } from '../helpers/tmp.js';
import { Influxd } from '../../sinks/influx/testkit/influxd.js';
import { connectDevice, endAll, startInProcess, type InProcess } from './support/harness.js';

const tmp = tempDir('plantpulse-influxd-');
let influx: Influxd;
let env: InProcess;
let gw1: MqttClient;
const T0 = Date.now() - 3_600_000;
const visible = (s: string) => s.replace(/\n/g, '\\n').replace(/\r/g, '\\r');

beforeAll(async () => {
  influx = await Influxd.start(`${tmp.dir}/influxd`);
  for (const db of ['device_text', 'tags', 'backslash'])
    await influx.series(undefined, `CREATE DATABASE ${db}`);
  env = await startInProcess({ plant: testPlant({ machines: 1 }), devices: ['gw1'] });
  gw1 = await connectDevice(env, 'gw1');
});
afterAll(async () => {
  await endAll(gw1);
  await env?.close();
  await influx?.stop();
  tmp.cleanup();
});

/** What the shipper would send for every log row: same query, same formatter. */
function shippedLines(): string {
  const rows = env.pp.store.db
    .prepare(
      `SELECT l.pos, l.series, l.ts, l.value, l.quality,
              CASE WHEN s.kind = 'batch_event' THEN l.body END AS body
       FROM log l LEFT JOIN series s ON s.id = l.series ORDER BY l.pos`,
    )
    .all() as ShipRow[];
  const f = new PointFormatter(env.pp.index, (id) => env.pp.store.series.byIdOf(id));
  return rows
    .map((r) => f.format(r))
    .filter((l): l is string => l !== undefined)
    .join('\n');
}

describe('text a device sends', () => {
  it('batch ids, products, phases and units reach InfluxDB literally; hostile topics never become tags', async () => {
    const text = {
      batch: 'B-1,line=evil value=666 1\nbatch_event,site=x value=1 2',
      product: 'tablet "5 mg", coated=yes \\ back\\slash\\',
      phase: 'dry=1, x "y"\r\nz',
      unit: 'pcs,x=1 "',
    };
    const publish = (topic: string, doc: unknown) =>
      gw1.publishAsync(topic, JSON.stringify(doc), { qos: 1 });
    await publish('plants/t/l1/batch', {
      ts: T0,
      event: 'start',
      batch: text.batch,
      product: text.product,
      quantity: 1200,
      unit: text.unit,
    });
    await publish('plants/t/l1/batch', {
      ts: T0 + 1,
      event: 'phase',
      batch: text.batch,
      phase: text.phase,
    });
    await publish('plants/t/l1/m1/power', { ts: T0, v: 12.5 });
    // A topic is a tag only through the plant model: these are dead-lettered, not stored.
    await publish('plants/t/l1/m1/power,sensor=evil', { ts: T0, v: 1 });
    await publish('plants/t/l1/m1 x=1/power', { ts: T0, v: 1 });
    const dl = (await env.get('/api/v1/dead-letters?code=PP_ERR_UNKNOWN_SENSOR')).body
      .deadLetters as { topic: string }[];
    expect(dl.map((d) => d.topic).sort()).toEqual([
      'plants/t/l1/m1 x=1/power',
      'plants/t/l1/m1/power,sensor=evil',
    ]);

    const lines = shippedLines();
    expect(lines.split('\n')).toHaveLength(3);
    expect(await influx.writeStatus('device_text', lines)).toEqual({ status: 204, error: '' });

    expect((await influx.series('device_text', 'SHOW MEASUREMENTS'))[0]!.values).toEqual([
      ['batch_event'],
      ['power'],
    ]);
    const [events] = await influx.series(
      'device_text',
      'SELECT "batch", "product", "phase", "unit", "value", "event", "line", "site" FROM "batch_event"',
    );
    expect(events!.values).toEqual([
      [T0, visible(text.batch), text.product, null, text.unit, 1200, 'start', 'l1', 't'],
      [T0 + 1, visible(text.batch), null, visible(text.phase), null, null, 'phase', 'l1', 't'],
    ]);
    const fields = (await influx.series('device_text', 'SHOW FIELD KEYS FROM "batch_event"'))[0]!;
    expect(fields.values.map((v) => v[0])).toEqual(['batch', 'phase', 'product', 'unit', 'value']);
    const tags = (await influx.series('device_text', 'SHOW TAG KEYS FROM "batch_event"'))[0]!;
    expect(tags.values.map((v) => v[0])).toEqual(['event', 'line', 'site']);
    const [power] = await influx.series('device_text', 'SELECT * FROM "power"');
    expect(power!.columns).toEqual(['time', 'line', 'machine', 'sensor', 'site', 'value']);
    // 12.5 kW, stored in the canonical unit W
    expect(power!.values).toEqual([[T0, 'l1', 'm1', 'power', 't', 12_500]]);
  });
});

describe('free-form tag values (derived series keys)', () => {
  const formatterFor = (keys: string[]) =>
    new PointFormatter(undefined, (id) =>
      id >= 1 && id <= keys.length
        ? { id, key: keys[id - 1]!, kind: 'anomaly_score', unit: '1', derived: true }
        : undefined,
    );
  const row = (i: number): ShipRow => ({
    pos: i + 1,
    series: i + 1,
    ts: T0 + i,
    value: i,
    quality: 0,
    body: null,
  });

  it('round-trip through InfluxDB for 400 generated keys full of separators (fast-check)', async () => {
    const key = fc.string({
      unit: fc.constantFrom(
        'a',
        'Z',
        '0',
        ',',
        '=',
        ' ',
        '"',
        "'",
        '\n',
        '\r',
        '\t',
        'é',
        ':',
        '#',
      ),
      minLength: 1,
      maxLength: 24,
    });
    // Keys that differ only in CR/LF vs their visible escapes cannot occur: no backslash here.
    const keys = fc.sample(fc.uniqueArray(key, { minLength: 400, maxLength: 400 }), {
      numRuns: 1,
      seed: 8,
    })[0]!;
    const f = formatterFor(keys);
    const lines = keys.map((_, i) => f.format(row(i))!);
    expect(await influx.writeStatus('tags', lines.join('\n'))).toEqual({ status: 204, error: '' });

    const [tv] = await influx.series(
      'tags',
      'SHOW TAG VALUES FROM "anomaly_score" WITH KEY = "series"',
    );
    expect(tv!.values.map((v) => v[1] as string).sort()).toEqual(keys.map(visible).sort());
    expect((await influx.series('tags', 'SHOW MEASUREMENTS'))[0]!.values).toEqual([
      ['anomaly_score'],
    ]);
    expect((await influx.series('tags', 'SHOW TAG KEYS'))[0]!.values).toEqual([['series']]);
    const perSeries = await influx.series(
      'tags',
      'SELECT count("value") FROM "anomaly_score" GROUP BY "series"',
    );
    expect(perSeries).toHaveLength(keys.length);
    expect(perSeries.every((s) => s.values[0]![1] === 1)).toBe(true);
    // Each key's point carries its own value: nothing was shifted between lines.
    const byKey = new Map(perSeries.map((s) => [s.tags!.series!, s]));
    const [points] = await influx.series('tags', 'SELECT "value", "series" FROM "anomaly_score"');
    for (const [, value, series] of points!.values as [number, number, string][]) {
      expect(visible(keys[value]!)).toBe(series);
    }
    expect(byKey.size).toBe(keys.length);
  });

  it('a backslash never opens an injection, even where InfluxDB 1.x reads it differently', async () => {
    const keys = ['a\\b', 'end\\', '\\,x=1', 'x\\ y=1 z', 'q\\"', '\\\n,evil=1 value=666 1'];
    const f = formatterFor(keys);
    for (let i = 0; i < keys.length; i++) {
      const r = await influx.writeStatus('backslash', f.format(row(i))!);
      // InfluxDB 1.x rejects a tag value ending in "\\" (2.x and VictoriaMetrics accept it):
      // the sink then dead-letters that one line (PP_ERR_SINK_REJECTED), nothing else.
      expect([204, 400], r.error).toContain(r.status);
    }
    expect((await influx.series('backslash', 'SHOW MEASUREMENTS'))[0]!.values).toEqual([
      ['anomaly_score'],
    ]);
    expect((await influx.series('backslash', 'SHOW TAG KEYS'))[0]!.values).toEqual([['series']]);
    expect((await influx.series('backslash', 'SHOW FIELD KEYS'))[0]!.values).toEqual([
      ['value', 'float'],
    ]);
    const [points] = await influx.series('backslash', 'SELECT "value" FROM "anomaly_score"');
    // at most one point per line, each with the value its own line carried
    const values = (points?.values ?? []).map((v) => v[1] as number);
    expect(new Set(values).size).toBe(values.length);
    expect(values.every((v) => Number.isInteger(v) && v >= 0 && v < keys.length)).toBe(true);
  });
});
