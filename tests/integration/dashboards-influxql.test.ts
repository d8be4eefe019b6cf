/**
 * Every panel query and template-variable query of every generated dashboard, with Grafana's
 * macros and variables substituted as Grafana does (dashboards/testkit/grafana-macros.ts),
 * runs on Debian's `influxd` (1.x) loaded with a simulated day of PlantPulse data and returns
 * rows. The data comes from the real pipeline: simulator → ingest decoder → SQLite log →
 * the analytics operators of analytics/registry.ts → the sink's shipper and PointFormatter,
 * posting line protocol to influxd's /write. PlantPulse's own metrics (Ingest health) are
 * snapshots of a real metrics registry, fed as the runtime feeds it, in self-metrics.ts's
 * line format.
 *
 * Panels whose measurements come from operators not on this branch yet are listed in AWAITED:
 * they must still parse and run, and the test fails once they return rows, so the list is
 * emptied as those operators land and their panels are then checked like the others.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HttpError } from '@influxdata/influxdb-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OperatorRunner } from '../../analytics/runner.js';
import { createOperators } from '../../analytics/registry.js';
import { parsePlantModel } from '../../config/load.js';
import { buildPlantIndex } from '../../config/plant-index.js';
import { Influxd } from '../../sinks/influx/testkit/influxd.js';
import {
  interpolate,
  intervalFor,
  panelRange,
  type Range,
} from '../../dashboards/testkit/grafana-macros.js';
import { Ingestor } from '../../ingest/ingestor.js';
import { createMetrics } from '../../runtime/metrics.js';
import { PointFormatter } from '../../sinks/influx/points.js';
import { metricLines } from '../../sinks/influx/self-metrics.js';
import { InfluxShipper } from '../../sinks/influx/shipper.js';
import { Simulation } from '../../simulator/engine.js';
import { FIXTURE_PLANT } from '../../simulator/fixtures.js';
import { openStore, type Store } from '../../store/store.js';
import { tempDir } from '../helpers/tmp.js';

/**
 * Measurements one simulated day cannot produce (the test fails if they ever do, so the panel
 * is then checked like the others), and where they are tested instead.
 */
const AWAITED: Record<string, string> = {
  // An estimate needs ≥ 24 running hours of rising wear (tests/integration/maintenance-truth.test.ts).
  rul_days: 'maintenance operator, a degrading machine over days',
  // The energy operator writes it for batches after the EnPI baseline period; this test's one
  // simulated day has no baseline period before it (tests/unit/energy-enpi-stream.test.ts).
  kwh_per_unit_baseline: 'energy operator EnPI, batches after the baseline period',
};

const DB = 'plantpulse';
const FROM = Date.parse('2026-03-10T00:00:00Z');
const TO = FROM + 86_400_000;
/** Grafana's "now" for the test: late in the simulated day, so "last 5 minutes" has data. */
const NOW = TO - 30 * 60_000;
const RANGE: Range = { from: FROM, to: NOW };
const MAX_DATA_POINTS = 1000;
const DATASOURCE_MIN_INTERVAL = '10s';

const PLANT =
  FIXTURE_PLANT.replace(
    '          - id: g-1\n',
    '          - id: g-1\n            maintenance:\n              bearing: { balls: 9, ballDiameterMm: 7.94, pitchDiameterMm: 39.04, contactAngleDeg: 0 }\n              shaftSpeed: { rpm: 1485 }\n',
  ).replace(
    '{ id: product-temp, kind: temperature, unit: °C, interval: 5s, range: [5, 70] }',
    '{ id: product-temp, kind: temperature, unit: °C, interval: 5s, range: [5, 70], critical: true }',
  ) +
  `energy:
  maxGap: 3m
  lateness: 10m
  tariff: { currency: CHF, basePrice: 0.19 }
  co2: { factor: 0.128 }
maintenance:
  learning: 4h
anomaly:
  # SPC limits from the first 500 readings (default: a day), so the one simulated day has violations.
  defaults: { spcBaseline: 500 }
alerts:
  rules:
    - { id: running, signal: power, condition: { type: above, threshold: 5, clear: 2 }, severity: info }
`;

interface Panel {
  type: string;
  title: string;
  interval?: string;
  timeFrom?: string;
  maxDataPoints?: number;
  targets?: { refId: string; query: string }[];
}
interface Variable {
  name: string;
  query: string;
}
interface Dashboard {
  title: string;
  panels: Panel[];
  templating: { list: Variable[] };
}

const dir = join(import.meta.dirname, '../../dashboards/generated');
const dashboards = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Dashboard);

const tmp = tempDir('plantpulse-dash-');
let influxd: Influxd;
let store: Store;
const figures: Record<string, number> = {};

function rowsOf(results: Awaited<ReturnType<Influxd['query']>>): { rows: number; error?: string } {
  let rows = 0;
  for (const r of results) {
    if (r.error) return { rows, error: r.error };
    for (const s of r.series ?? []) rows += s.values.length;
  }
  return { rows };
}

/** Simulated day → log → operators; metrics snapshots as event time passes. */
async function loadDay(): Promise<string[]> {
  const index = buildPlantIndex(parsePlantModel(PLANT, 'dashboards test plant'));
  store = openStore({
    dataDir: join(tmp.dir, 'store'),
    durability: 'normal',
    commitMaxRows: 100_000,
    rawRetentionMs: 1e13,
    rollupRetentionMs: 1e13,
  });
  const runner = new OperatorRunner(store, index, createOperators(index), { batchRows: 20_000 });
  const ingest = new Ingestor(
    index,
    store.series,
    { maxPayloadBytes: 1 << 20, maxFutureSkewMs: 300_000, deadLetterPayloadCap: 1024 },
    () => TO + 3_600_000,
  );
  const metrics = createMetrics();
  const sim = new Simulation(index, {
    from: FROM,
    to: TO,
    seed: 5,
    resolutionMs: 10_000,
    batch: 30,
    waveformSamples: 64,
    malformed: 40,
    anomalies: 6,
  });
  const snapshots: string[] = [];
  let n = 0;
  let nextSnapshot = FROM;
  for (const e of sim.events()) {
    if (e.type !== 'message') continue;
    metrics.messagesIn.inc();
    const o = ingest.handle(e.topic, Buffer.from(e.payload), e.device ?? null);
    for (const code of o.rejectCodes) metrics.rejects.inc({ code });
    store.writer.submit(o.rows, o.deadLetter ? [o.deadLetter] : [], (err, out) => {
      if (err) throw err;
      metrics.readingsStored.inc(out.inserted);
    });
    if (++n % 500 === 0) {
      store.writer.flush();
      runner.catchUp();
    }
    if (e.at >= nextSnapshot) {
      // The sink has not shipped yet: the whole log is its backlog.
      store.writer.flush();
      metrics.influxBacklogLines.set(store.queries.counts().lastPos);
      metrics.influxBacklogAge.set((e.at - FROM) / 1000);
      snapshots.push(...(await metricLines(metrics.registry, 'test', e.at)));
      nextSnapshot = e.at + 10 * 60_000;
    }
  }
  store.writer.flush();
  runner.catchUp();
  figures.messages = n;

  // Ship the log with the sink's own cursor loop and formatter, to influxd's 1.x /write.
  const formatter = new PointFormatter(index, (id) => store.series.byIdOf(id));
  const shipper = new InfluxShipper(
    store.db,
    store.cursors,
    formatter,
    async (body) => {
      const r = await fetch(`${influxd.url}/write?db=${DB}&precision=ms`, {
        method: 'POST',
        body,
      });
      if (r.status !== 204) throw new HttpError(r.status, r.statusText, await r.text());
    },
    {
      cursor: 'sink:influx',
      batchLines: 20_000,
      batchBytes: 4 << 20,
      flushIntervalMs: 10,
      initialMs: 50,
      maxMs: 500,
      retryAfterMaxMs: 1000,
    },
    { shipped: (k) => metrics.influxShippedLines.inc(k) },
  );
  const last = store.queries.counts().lastPos;
  figures.logRows = last;
  shipper.start();
  const deadline = Date.now() + 120_000;
  while (shipper.position < last) {
    if (shipper.lastError) throw new Error(`shipping failed: ${shipper.lastError.message}`);
    if (Date.now() > deadline) throw new Error('shipping to influxd did not finish');
    await new Promise((r) => setTimeout(r, 20));
  }
  await shipper.stop();
  metrics.influxBacklogLines.set(0);
  metrics.influxBacklogAge.set(0);
  for (const ts of [NOW - 60_000, NOW])
    snapshots.push(...(await metricLines(metrics.registry, 'test', ts)));
  return snapshots;
}

beforeAll(async () => {
  influxd = await Influxd.start(join(tmp.dir, 'influxd'));
  await influxd.query(DB, `CREATE DATABASE ${DB}`);
  const t0 = performance.now();
  const snapshots = await loadDay();
  await influxd.write(DB, snapshots.join('\n'));
  figures.loadSeconds = (performance.now() - t0) / 1000;
  figures.metricPoints = snapshots.length;
}, 240_000);

afterAll(async () => {
  store?.close();
  await influxd?.stop();
  tmp.cleanup();
});

/** The template variables of a dashboard, resolved in order as Grafana does ("All" selected). */
async function resolveVariables(d: Dashboard): Promise<Record<string, string[]>> {
  const vars: Record<string, string[]> = {};
  for (const v of d.templating.list) {
    const q = interpolate(v.query, { variables: vars });
    const res = await influxd.query(DB, q);
    const values = res.flatMap((r) =>
      (r.series ?? []).flatMap((s) => s.values.map((x) => String(x[1]))),
    );
    const err = res.find((r) => r.error)?.error;
    expect(err, `${d.title} variable $${v.name}: ${q}`).toBeUndefined();
    expect(values.length, `${d.title} variable $${v.name} has no values: ${q}`).toBeGreaterThan(0);
    vars[v.name] = [...new Set(values)].sort();
  }
  return vars;
}

const measurementsOf = (q: string) =>
  [...q.matchAll(/FROM "([^"]+)"/g)].map((m) => m[1]!).filter((m) => m !== '');

describe('dashboard queries on InfluxDB 1.x with a simulated day of PlantPulse data', () => {
  it('loaded the day through the real pipeline', () => {
    console.log(
      `dashboards-influxql: ${figures.messages} messages → ${figures.logRows} log rows (readings + derived) shipped, ${figures.metricPoints} metric points, in ${figures.loadSeconds!.toFixed(1)} s`,
    );
    expect(figures.logRows).toBeGreaterThan(50_000);
  });

  it("carries the energy operator's settled batch figures and the batch events intact", async () => {
    const settled = store.db
      .prepare(
        "SELECT batch, product, quantity, start_ts AS ts, kwh FROM batches WHERE status = 'settled' ORDER BY start_ts",
      )
      .all() as { batch: string; product: string; quantity: number; ts: number; kwh: number }[];
    expect(settled.length).toBeGreaterThan(0);
    const [energy] = await influxd.query(
      DB,
      `SELECT "value" FROM "batch_energy" WHERE time >= ${FROM}ms GROUP BY "series"`,
    );
    const got = (energy!.series ?? []).flatMap((s) => s.values.map(([ts, v]) => ({ ts, v })));
    const [starts] = await influxd.query(
      DB,
      `SELECT "batch", "product", "value" FROM "batch_event" WHERE "event" = 'start' AND time >= ${FROM}ms`,
    );
    const events = new Map(
      (starts!.series?.[0]?.values ?? []).map(([ts, batch, product, qty]) => [
        ts,
        { batch, product, qty },
      ]),
    );
    for (const b of settled) {
      expect(got.find((x) => x.ts === b.ts)?.v, b.batch).toBeCloseTo(b.kwh, 9);
      expect(events.get(b.ts), b.batch).toEqual({
        batch: b.batch,
        product: b.product,
        qty: b.quantity,
      });
    }
  });

  it('every variable query has values and every panel query returns rows', async () => {
    const table: { dashboard: string; panel: string; rows: number; note: string }[] = [];
    // Panel time ranges, $__interval and variables as Grafana computes them; then each target.
    const failures: string[] = [];
    for (const d of dashboards) {
      const vars = await resolveVariables(d);
      for (const p of d.panels) {
        if (!p.targets?.length) continue;
        const range = panelRange(NOW, p.timeFrom, RANGE);
        const interval = intervalFor(
          range,
          p.maxDataPoints ?? MAX_DATA_POINTS,
          p.interval ?? DATASOURCE_MIN_INTERVAL,
        );
        let rows = 0;
        let awaitedRows = 0;
        const errors: string[] = [];
        const awaited = new Set<string>();
        let checked = 0;
        for (const t of p.targets) {
          const q = interpolate(t.query, { range, interval, variables: vars });
          const measurements = measurementsOf(t.query);
          const r = rowsOf(await influxd.query(DB, q));
          if (r.error) errors.push(`${t.refId}: ${r.error} in ${q}`);
          // a target waits for another branch when every measurement it reads does
          if (measurements.length > 0 && measurements.every((m) => AWAITED[m])) {
            for (const m of measurements) awaited.add(m);
            awaitedRows += r.rows;
          } else {
            checked++;
            rows += r.rows;
          }
        }
        const note = errors.length
          ? 'ERROR'
          : awaited.size
            ? `${checked ? 'partly ' : ''}awaits ${[...new Set([...awaited].map((m) => AWAITED[m]))].join(', ')}`
            : '';
        table.push({ dashboard: d.title, panel: p.title, rows: rows + awaitedRows, note });
        const where = `${d.title} / ${p.title}`;
        if (errors.length) failures.push(`${where}: ${errors.join('; ')}`);
        if (awaitedRows > 0)
          failures.push(
            `${where}: ${[...awaited].join(', ')} now have data: remove them from AWAITED so the panel is checked`,
          );
        if (checked > 0 && rows === 0 && !errors.length) failures.push(`${where}: no rows`);
      }
    }
    console.table(table);
    expect(failures).toEqual([]);
    expect(table.filter((r) => !r.note).length).toBeGreaterThan(15);
  });
});
