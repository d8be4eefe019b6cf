/**
 * The InfluxDB sink against a real server: Debian's VictoriaMetrics, which accepts
 * /api/v2/write. Every log row arrives exactly once with the DESIGN §3 schema (measurement =
 * kind, tags site/line/machine/sensor, field value, ms timestamps), derived series and batch
 * events included, and hostile series keys reach the server literally (no line-protocol
 * injection). Read back through VictoriaMetrics's /api/v1/export.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parsePlantModel } from '../../config/load.js';
import { buildPlantIndex } from '../../config/plant-index.js';
import { InfluxSink } from '../../sinks/influx/sink.js';
import {
  commitRows,
  lastPos,
  openTestStore,
  sinkConfig,
  until,
} from '../../sinks/influx/testkit/log-fixture.js';
import { VictoriaMetrics } from '../../sinks/influx/testkit/victoria-metrics.js';
import type { LogRow } from '../../store/log-writer.js';
import type { Store } from '../../store/store.js';
import { silentLog } from './support/harness.js';
import { testPlant } from '../helpers/plant-fixture.js';
import { tempDir } from '../helpers/tmp.js';

const T0 = Date.parse('2026-01-05T00:00:00.000Z');
const N = 60_000; // rows per sensor series
const HOSTILE = 'a,b c=d "quoted" back\\slash\\ tab\tend\nsecond line,x=1 value=666.125 1\rcr';

const tmp = tempDir('plantpulse-sink-vm-');
let vm: VictoriaMetrics;
let store: Store;
let sink: InfluxSink;
const ids: Record<string, number> = {};

beforeAll(async () => {
  vm = await VictoriaMetrics.start(`${tmp.dir}/vm`);
  store = openTestStore(`${tmp.dir}/data`);
  const index = buildPlantIndex(parsePlantModel(stringify(testPlant({ machines: 2 }))));
  ids.power = store.series.ensure('t/l1/m1/power', 'power', 'W');
  ids.temp = store.series.ensure('t/l1/m2/temp', 'temperature', '°C');
  ids.score = store.series.ensure('t/l1/m1/power:anomaly_score', 'anomaly_score', '1');
  ids.batch = store.series.ensure('t/l1/batch.start', 'batch_event', '1');
  ids.hostile = store.series.ensure(HOSTILE, 'power', 'W');
  const rows: LogRow[] = [];
  for (let i = 0; i < N; i++) {
    // interleaved, as ingest writes them
    rows.push({ series: ids.power, ts: T0 + i * 10, value: i * 0.5, quality: 0, body: null });
    rows.push({
      series: ids.temp,
      ts: T0 + i * 10,
      value: 20 + (i % 100) / 4,
      quality: i % 1000 === 0 ? 1 : 0,
      body: null,
    });
    if (i % 10 === 0)
      rows.push({ series: ids.score, ts: T0 + i * 10, value: i / N, quality: 0, body: null });
  }
  const event = {
    event: 'start',
    batch: 'B-1, "x" y=z',
    product: 'tablet 5mg',
    quantity: 1200,
    line: 't/l1',
  };
  rows.push({
    series: ids.batch,
    ts: T0 + 5,
    value: 1200,
    quality: 0,
    body: Buffer.from(JSON.stringify(event)),
  });
  rows.push({ series: ids.hostile, ts: T0 + 7, value: 42, quality: 0, body: null });
  rows.push({ series: ids.power, ts: T0 + N * 10, value: null, quality: 2, body: null }); // nothing to ship
  commitRows(store, rows);
  sink = new InfluxSink(
    sinkConfig({
      url: vm.url,
      batchLines: 7_000,
      batchBytes: 256 * 1024,
      flushInterval: '50ms',
      retryInitial: '50ms',
      retryMax: '500ms',
    }),
    { store, index, log: silentLog() },
  );
  sink.start();
  await until(
    () => store.cursors.get('sink:influx') === lastPos(store),
    'the sink to catch up',
    60_000,
  );
}, 90_000);

afterAll(async () => {
  await sink?.stop();
  store?.close();
  await vm?.stop();
  tmp.cleanup();
});

describe('InfluxDB sink → VictoriaMetrics', () => {
  it('delivers every shippable row exactly once: no line lost, none duplicated', async () => {
    // VictoriaMetrics counts one sample per field: value + quality (1 in 1000 temperature rows),
    // the batch event's value, batch and product fields, the hostile row; the NULL row is skipped.
    const expected = N * 2 + N / 10 + N / 1000 + 3 + 1;
    expect(await vm.rowsInserted()).toBe(expected);
    expect(sink.readiness().ready).toBe(true);
  });

  it('writes measurement = kind with asset-path tags and field value, per series in order', async () => {
    const [power] = await vm.export('{__name__="power_value",sensor="power"}');
    expect(power!.metric).toEqual({
      __name__: 'power_value',
      site: 't',
      line: 'l1',
      machine: 'm1',
      sensor: 'power',
    });
    expect(power!.timestamps).toEqual(Array.from({ length: N }, (_, i) => T0 + i * 10));
    expect(power!.values).toEqual(Array.from({ length: N }, (_, i) => i * 0.5));

    const [temp] = await vm.export('{__name__="temperature_value"}');
    expect(temp!.metric).toMatchObject({ site: 't', line: 'l1', machine: 'm2', sensor: 'temp' });
    expect(temp!.values).toEqual(Array.from({ length: N }, (_, i) => 20 + (i % 100) / 4));
    const [quality] = await vm.export('{__name__="temperature_quality"}');
    expect(quality!.timestamps).toEqual(
      Array.from({ length: N / 1000 }, (_, k) => T0 + k * 10_000),
    );
    expect(new Set(quality!.values)).toEqual(new Set([1]));
  });

  it('ships derived series under their kind, tagged with their key', async () => {
    const [score] = await vm.export('{__name__="anomaly_score_value"}');
    expect(score!.metric).toEqual({
      __name__: 'anomaly_score_value',
      site: 't',
      line: 'l1',
      machine: 'm1',
      sensor: 'power',
      series: 't/l1/m1/power:anomaly_score',
    });
    expect(score!.values).toHaveLength(N / 10);
  });

  it('ships batch events as measurement batch_event tagged by site, line and event', async () => {
    const [ev] = await vm.export('{__name__="batch_event_value"}');
    expect(ev!.metric).toEqual({
      __name__: 'batch_event_value',
      site: 't',
      line: 'l1',
      event: 'start',
    });
    expect(ev!.values).toEqual([1200]);
    expect(ev!.timestamps).toEqual([T0 + 5]);
  });

  it('carries commas, spaces, quotes, backslashes and tabs in tag values literally; a newline cannot start a new line', async () => {
    const all = await vm.export('{__name__=~".+"}');
    const names = new Set(all.map((s) => s.metric.__name__));
    // nothing but the expected metrics: the hostile key injected no line, tag or field
    expect([...names].sort()).toEqual(
      [
        'anomaly_score_value',
        'batch_event_batch', // string fields: VictoriaMetrics keeps the series, not the text
        'batch_event_product',
        'batch_event_value',
        'power_value',
        'temperature_quality',
        'temperature_value',
      ].sort(),
    );
    const hostile = all.filter(
      (s) => s.metric.series !== undefined && s.metric.series !== 't/l1/m1/power:anomaly_score',
    );
    expect(hostile).toHaveLength(1);
    // Line protocol cannot carry CR/LF inside a tag: they arrive as the visible escapes \n and \r.
    expect(hostile[0]!.metric.series).toBe(HOSTILE.replace('\n', '\\n').replace('\r', '\\r'));
    expect(hostile[0]!.values).toEqual([42]);
    expect(all.flatMap((s) => s.values)).not.toContain(666.125);
  });
});
