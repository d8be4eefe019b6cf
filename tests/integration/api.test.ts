/**
 * The HTTP API of a PlantPulse running the example plant, fed over MQTT with known readings:
 * health, metrics, stats, the sensor inventory, raw readings, raw buckets (step=10s) and
 * 1-minute rollups (step=1m) with exact count/mean/min/max/last, coded errors, OpenAPI docs.
 * Mostly through Fastify's inject; /health and /metrics also over real HTTP.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { MqttClient } from 'mqtt';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectDevice,
  endAll,
  metricValue,
  publishAll,
  startInProcess,
  type InProcess,
} from './support/harness.js';
import { apiFetch } from '../helpers/plantpulse-process.js';

const EXAMPLE = resolve('examples/plant.yaml');
const SENSOR = 'basel/granulation/g-201/power'; // kW in, W out, range [0, 90] kW
const TOPIC = `plants/${SENSOR}`;

/** Two minutes of known readings (kW), aligned to a 2-minute boundary ten minutes ago. */
const M0 = Math.floor(Date.now() / 120_000) * 120_000 - 10 * 60_000;
// prettier-ignore
const KNOWN: [offsetS: number, kW: number][] = [
  // minute A — 10 s buckets: [0s: 20 50 10 30] [10s: 40 45 42] [20s: 5] [50s: 60 35 55]
  [0, 20], [3, 50], [6, 10], [9, 30],
  [12, 40], [15, 45], [18, 42],
  [25, 5],
  [50, 60], [55, 35], [58, 55],
  // minute B — [60s: 1] [70s: 8] [100s: 2] [110s: 4]
  [60, 1], [75, 8], [100, 2], [119, 4],
];
const at = (s: number) => M0 + s * 1000;
const W = (kW: number) => kW * 1000;

/** The expected bucket of the readings with offsets in [fromS, toS), by plain arithmetic. */
function bucket(rows: [number, number][], fromS: number, toS: number) {
  const inside = rows.filter(([s]) => s >= fromS && s < toS).sort((a, b) => a[0] - b[0]);
  const values = inside.map(([, v]) => W(v));
  return {
    ts: at(fromS),
    count: values.length,
    mean: values.reduce((a, b) => a + b, 0) / values.length,
    min: Math.min(...values),
    max: Math.max(...values),
    last: values[values.length - 1]!,
  };
}

function expectBuckets(actual: Record<string, number>[], expected: ReturnType<typeof bucket>[]) {
  expect(actual.map((b) => ({ ...b, mean: Math.round(b.mean! * 1e6) / 1e6 }))).toEqual(
    expected.map((b) => ({ ...b, mean: Math.round(b.mean * 1e6) / 1e6 })),
  );
}

let env: InProcess;
let gw: MqttClient;

beforeAll(async () => {
  env = await startInProcess({ configFile: EXAMPLE, devices: ['gw-granulation'] });
  gw = await connectDevice(env, 'gw-granulation');
  // Out of order on purpose: `last` must follow the timestamps, not the arrival order.
  const order = [...KNOWN].sort((a, b) => ((a[0] * 7919) % 31) - ((b[0] * 7919) % 31));
  await publishAll(
    gw,
    order.map(([s, v]) => ({ topic: TOPIC, payload: JSON.stringify({ ts: at(s), v }) })),
  );
});

afterAll(async () => {
  await endAll(gw);
  await env?.close();
});

const model = parse(readFileSync(EXAMPLE, 'utf8')) as {
  sites: {
    id: string;
    lines: { id: string; machines: { id: string; sensors: { id: string; kind: string }[] }[] }[];
  }[];
  devices: { id: string; prefix: string }[];
};
const allSensors = model.sites.flatMap((s) =>
  s.lines.flatMap((l) =>
    l.machines.flatMap((m) =>
      m.sensors.map((x) => ({
        path: `${s.id}/${l.id}/${m.id}/${x.id}`,
        kind: x.kind,
        line: l.id,
        machine: m.id,
      })),
    ),
  ),
);
const lineCount = model.sites.reduce((n, s) => n + s.lines.length, 0);

describe('health and metrics', () => {
  it('/health answers 200 with per-component readiness (real HTTP)', async () => {
    const res = await fetch(`${env.httpUrl}/health`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; uptimeS: number; components: unknown };
    expect(body.status).toBe('ok');
    expect(typeof body.uptimeS).toBe('number');
    expect(body.components).toEqual({
      log: { ready: true },
      broker: { ready: true, detail: '1 clients' },
    });
  });

  it('/metrics is Prometheus text with the ingest counters (real HTTP)', async () => {
    const res = await apiFetch(`${env.httpUrl}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    for (const name of [
      'plantpulse_readings_stored_total',
      'plantpulse_mqtt_messages_in_total',
      'plantpulse_dead_letters_total',
      'plantpulse_mqtt_connections',
      'plantpulse_log_size_bytes',
      'plantpulse_log_position',
    ]) {
      expect(text).toContain(`# TYPE ${name} `);
    }
    expect(text).toContain('# TYPE plantpulse_commit_duration_seconds histogram');
    expect(metricValue(text, 'plantpulse_readings_stored_total')).toBe(KNOWN.length);
    expect(metricValue(text, 'plantpulse_mqtt_messages_in_total')).toBe(KNOWN.length);
    expect(metricValue(text, 'plantpulse_mqtt_connections')).toBe(1);
    expect(metricValue(text, 'plantpulse_log_position')).toBe(KNOWN.length);
    expect(metricValue(text, 'plantpulse_log_size_bytes')).toBeGreaterThan(0);
  });
});

describe('inventory', () => {
  it('/api/v1/stats counts what the log holds and what the model declares', async () => {
    const r = await env.get('/api/v1/stats');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      readings: KNOWN.length,
      deadLetters: 0,
      sensors: allSensors.length,
      devices: model.devices.length,
      rejectsByCode: {},
    });
    // Analytics operators run alongside and may already have derived rows (anomaly, energy):
    // they are counted apart and add series and log positions on top of what devices sent.
    const derivedRows = r.body.derivedRows as number;
    expect(derivedRows).toBeGreaterThanOrEqual(0);
    // One series per sensor, and four batch-event series (start, phase, end, abort) per line.
    expect(r.body.series).toBeGreaterThanOrEqual(allSensors.length + 4 * lineCount);
    expect(r.body.logPosition).toBeGreaterThanOrEqual(KNOWN.length + derivedRows);
  });

  it('/api/v1/sensors lists every sensor with its topic and owning device', async () => {
    const r = await env.get('/api/v1/sensors');
    expect(r.status).toBe(200);
    const sensors = r.body.sensors as { path: string; topic: string; device: string | null }[];
    expect(sensors.map((s) => s.path)).toEqual(allSensors.map((s) => s.path));
    for (const s of sensors) expect(s.topic).toBe(`plants/${s.path}`);
    const expectedDevice = (path: string) =>
      path === 'basel/utilities/ac-702/drive-end-waveform'
        ? 'cms-ac-702'
        : `gw-${path.split('/')[1]}`;
    expect(Object.fromEntries(sensors.map((s) => [s.path, s.device]))).toEqual(
      Object.fromEntries(allSensors.map((s) => [s.path, expectedDevice(s.path)])),
    );
    expect(sensors.find((s) => s.path === SENSOR)).toEqual({
      path: SENSOR,
      site: 'basel',
      line: 'granulation',
      machine: 'g-201',
      sensor: 'power',
      name: 'Drive cabinet active power',
      machineName: 'High-shear granulator G-201 (600 L)',
      kind: 'power',
      unit: 'W',
      declaredUnit: 'kW',
      topic: TOPIC,
      device: 'gw-granulation',
      intervalMs: 1000,
      range: [0, 90_000],
      critical: false,
    });
  });

  it('/api/v1/sensors filters by kind and by machine', async () => {
    const waveforms = (await env.get('/api/v1/sensors?kind=waveform')).body.sensors as {
      path: string;
    }[];
    expect(waveforms.map((s) => s.path)).toEqual(
      allSensors.filter((s) => s.kind === 'waveform').map((s) => s.path),
    );
    expect(waveforms).toHaveLength(4);
    const ac702 = (await env.get('/api/v1/sensors?machine=ac-702')).body.sensors as {
      path: string;
    }[];
    expect(ac702.map((s) => s.path)).toEqual(
      allSensors.filter((s) => s.machine === 'ac-702').map((s) => s.path),
    );
    expect((await env.get('/api/v1/sensors?kind=nonsense')).body.sensors).toEqual([]);
  });
});

describe('/api/v1/readings', () => {
  const url = (q: string) => `/api/v1/readings?sensor=${SENSOR}&${q}`;

  it('raw: every reading in [from, to), ordered by time, in the canonical unit', async () => {
    const r = await env.get(url(`from=${M0}&to=${at(120)}`));
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      sensor: SENSOR,
      unit: 'W',
      from: M0,
      to: at(120),
      step: null,
      source: 'raw',
      points: [...KNOWN]
        .sort((a, b) => a[0] - b[0])
        .map(([s, v]) => ({ ts: at(s), value: W(v), quality: 0 })),
    });
  });

  it('raw: `to` is exclusive, `limit` caps the points, RFC 3339 bounds work too', async () => {
    expect((await env.get(url(`from=${M0}&to=${at(3)}`))).body.points).toEqual([
      { ts: M0, value: W(20), quality: 0 },
    ]);
    expect(
      (await env.get(url(`from=${M0}&to=${at(120)}&limit=3`))).body.points.map(
        (p: { ts: number }) => p.ts,
      ),
    ).toEqual([at(0), at(3), at(6)]);
    const iso = await env.get(
      url(`from=${new Date(at(50)).toISOString()}&to=${new Date(at(60)).toISOString()}`),
    );
    expect(iso.body.points.map((p: { value: number }) => p.value)).toEqual([W(60), W(35), W(55)]);
  });

  it('step=10s: buckets from raw rows with exact count/mean/min/max/last', async () => {
    const r = await env.get(url(`from=${M0}&to=${at(120)}&step=10s`));
    expect(r.status).toBe(200);
    expect({ step: r.body.step, source: r.body.source, unit: r.body.unit }).toEqual({
      step: 10_000,
      source: 'raw',
      unit: 'W',
    });
    expectBuckets(
      r.body.points,
      [0, 10, 20, 50, 60, 70, 100, 110].map((s) => bucket(KNOWN, s, s + 10)),
    );
  });

  it('step=1m and step=2m: buckets from the 1-minute rollups with exact count/mean/min/max/last', async () => {
    const m1 = await env.get(url(`from=${M0}&to=${at(120)}&step=1m`));
    expect(m1.status).toBe(200);
    expect({ step: m1.body.step, source: m1.body.source }).toEqual({
      step: 60_000,
      source: 'rollup_1m',
    });
    expectBuckets(m1.body.points, [bucket(KNOWN, 0, 60), bucket(KNOWN, 60, 120)]);
    const m2 = await env.get(url(`from=${M0}&to=${at(120)}&step=2m`));
    expectBuckets(m2.body.points, [bucket(KNOWN, 0, 120)]);
  });

  it('a late reading merges into its minute; a resent one with another value changes nothing', async () => {
    await env.get(url(`from=${M0}&to=${at(120)}&step=1m`)); // the rollups have caught up
    await publishAll(gw, [
      { topic: TOPIC, payload: JSON.stringify({ ts: at(30), v: 70 }) },
      { topic: TOPIC, payload: JSON.stringify({ ts: at(58), v: 0 }) }, // already stored as 55 kW
    ]);
    const withLate: [number, number][] = [...KNOWN, [30, 70]];
    const m1 = await env.get(url(`from=${M0}&to=${at(120)}&step=1m`));
    expectBuckets(m1.body.points, [bucket(withLate, 0, 60), bucket(withLate, 60, 120)]);
    const s10 = await env.get(url(`from=${M0}&to=${at(60)}&step=10s`));
    expectBuckets(
      s10.body.points,
      [0, 10, 20, 30, 50].map((s) => bucket(withLate, s, s + 10)),
    );
  });

  it('an unknown sensor is 404 PP_ERR_NOT_FOUND', async () => {
    const r = await env.get('/api/v1/readings?sensor=basel/granulation/g-999/power');
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe('PP_ERR_NOT_FOUND');
    expect(r.body.error.message).toContain('no sensor "basel/granulation/g-999/power"');
  });

  it.each([
    ['no sensor', '/api/v1/readings', 'sensor'],
    ['a step under 1s', url('step=500ms'), '"500ms" is not a step of at least 1s'],
    ['a step that is no duration', url('step=often'), '"often" is not a step'],
    [
      'a malformed from',
      url('from=yesterday'),
      '"yesterday" is neither epoch milliseconds nor an RFC 3339 date-time',
    ],
    ['from after to', url(`from=${at(60)}&to=${at(0)}`), 'must be before to'],
    ['from equal to to', url(`from=${at(0)}&to=${at(0)}`), 'must be before to'],
    ['limit 0', url('limit=0'), 'limit'],
    ['a limit over 100000', url('limit=100001'), 'limit'],
    ['a limit that is no number', url('limit=many'), 'limit'],
    ['a dead-letter code that is no PP_ERR code', '/api/v1/dead-letters?code=oops', 'code'],
    ['a dead-letter limit over 1000', '/api/v1/dead-letters?limit=5000', 'limit'],
  ])('%s is 400 PP_ERR_BAD_REQUEST naming the parameter', async (_name, path, message) => {
    const r = await env.get(path);
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('PP_ERR_BAD_REQUEST');
    expect(r.body.error.message).toContain(message);
  });

  it('an unknown route is 404 PP_ERR_NOT_FOUND', async () => {
    const r = await env.get('/api/v1/nothing-here');
    expect(r.status).toBe(404);
    expect(r.body).toEqual({
      error: { code: 'PP_ERR_NOT_FOUND', message: 'no route GET /api/v1/nothing-here' },
    });
  });
});

describe('OpenAPI', () => {
  it('/docs serves the Swagger UI', async () => {
    const res = await fetch(`${env.httpUrl}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toContain('swagger-ui');
  });

  it('/docs/json is an OpenAPI document listing the routes', async () => {
    const r = await env.get('/docs/json');
    expect(r.status).toBe(200);
    expect(r.body.openapi).toMatch(/^3\./);
    expect(Object.keys(r.body.paths).sort()).toEqual([
      '/api/v1/alerts',
      '/api/v1/alerts/notifications',
      '/api/v1/alerts/{id}',
      '/api/v1/alerts/{id}/ack',
      '/api/v1/alerts/{id}/resolve',
      '/api/v1/anomalies',
      '/api/v1/audit',
      '/api/v1/audit/verify',
      '/api/v1/batches',
      '/api/v1/batches/{id}',
      '/api/v1/dead-letters',
      '/api/v1/devices',
      '/api/v1/machines/{id}/wear',
      '/api/v1/readings',
      '/api/v1/reports/energy',
      '/api/v1/sensors',
      '/api/v1/stats',
      '/api/v1/tokens',
      '/api/v1/tokens/{name}',
      '/health',
      '/metrics',
    ]);
    const params = (r.body.paths['/api/v1/readings'].get.parameters as { name: string }[])
      .map((p) => p.name)
      .sort();
    expect(params).toEqual(['from', 'limit', 'sensor', 'step', 'to']);
  });
});
