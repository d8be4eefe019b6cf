/**
 * The anomaly operator through the real runner and store: derived series, replaying the same
 * stream twice gives identical scores, a restart in the middle equals an uninterrupted run,
 * SPC violations of a critical sensor carry their rule number, and the API serves them.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { anomalyOperator } from '../../analytics/anomaly/operator.js';
import type { Operator } from '../../analytics/operator.js';
import { OperatorRunner } from '../../analytics/runner.js';
import { buildApp } from '../../api/app.js';
import { issueTestToken } from '../helpers/api-auth.js';
import { buildPlantIndex } from '../../config/plant-index.js';
import { plantSchema } from '../../config/schema.js';
import { createLogger } from '../../runtime/logger.js';
import { createMetrics } from '../../runtime/metrics.js';
import { openStore, type Store } from '../../store/store.js';
import { testPlant } from '../helpers/plant-fixture.js';
import { tempDir } from '../helpers/tmp.js';

// Flags are held back during a sensor's learning period (default 6 h); these streams are 33 min.
const withLearn = <T extends object>(m: T) => ({ ...m, anomaly: { defaults: { learn: '5m' } } });
const model = plantSchema.parse(withLearn(testPlant({ machines: 1 })));
const index = buildPlantIndex(model);
const sensor = index.sensors.find((s) => s.kind !== 'energy' && s.kind !== 'state')!;
let dirs: ReturnType<typeof tempDir>[] = [];

function open(dir = tempDir()): Store {
  dirs.push(dir);
  return openStore({
    dataDir: dir.dir,
    durability: 'normal',
    commitMaxRows: 100_000,
    rawRetentionMs: 1e12,
    rollupRetentionMs: 1e12,
  });
}

function points(n: number): [number, number][] {
  let x = 7;
  return Array.from({ length: n }, (_, i) => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    // Watts on a 0–500 kW meter: ~2 kW noise, a 150 kW spike and a 60 kW (12 % of span) shift,
    // large against both the noise and the detector's deadband (2 % of the declared range).
    const v =
      200_000 + 2_000 * (x / 2 ** 32) + (i === 900 ? 150_000 : 0) + (i >= 1400 ? 60_000 : 0);
    return [Date.parse('2026-03-02T00:00:00Z') + i * sensor.intervalMs, v];
  });
}

function ingest(s: Store, pts: [number, number][]): void {
  const id = s.series.ensure(sensor.path, sensor.kind, sensor.canonicalUnit);
  s.writer.submit(
    pts.map(([ts, value]) => ({ series: id, ts, value, quality: 0, body: null })),
    [],
    (err) => {
      if (err) throw err;
    },
  );
  s.writer.flush();
}

const run = (s: Store, batchRows: number) =>
  new OperatorRunner(s, index, [anomalyOperator(index) as Operator<unknown>], {
    batchRows,
  }).catchUp(100_000);

function derived(s: Store) {
  return s.db
    .prepare(
      `SELECT s.key, l.ts, l.value, l.body FROM log l JOIN series s ON s.id = l.series
       WHERE s.kind IN ('anomaly_score', 'anomaly_flag', 'anomaly_gap', 'spc_violation') ORDER BY s.key, l.ts`,
    )
    .all() as { key: string; ts: number; value: number; body: Buffer | null }[];
}

beforeEach(() => {
  dirs = [];
});
afterEach(() => {
  for (const d of dirs) d.cleanup();
});

describe('anomaly operator via the runner', () => {
  const pts = points(2000);

  it('stores notable scores and flags the spike and the shift; replay is identical', () => {
    const a = open();
    ingest(a, pts);
    run(a, 5000);
    const rows = derived(a);
    const scores = rows.filter((r) => r.key.endsWith(':anomaly_score'));
    expect(scores.length).toBeGreaterThan(0);
    expect(scores.length).toBeLessThan(100); // notable ones only, not a row per reading
    expect(scores.every((r) => r.body)).toBe(true); // notable or a flag change, explained
    const flags = rows.filter((r) => r.key.endsWith(':anomaly_flag') && r.value === 1);
    expect(flags.some((f) => f.ts === pts[900]![0])).toBe(true);
    expect(flags.some((f) => f.ts >= pts[1400]![0] && f.ts <= pts[1405]![0])).toBe(true);
    expect(scores.find((r) => r.ts === pts[900]![0])?.body?.toString()).toMatch(
      /robust sigmas above/,
    );
    const b = open();
    ingest(b, pts);
    run(b, 5000);
    expect(derived(b)).toEqual(rows);
    a.close();
    b.close();
  });

  it('a restart in the middle gives the same scores as an uninterrupted run', () => {
    const dir = tempDir();
    let a = open(dir);
    ingest(a, pts.slice(0, 1100));
    run(a, 333);
    a.close();
    a = open(dir);
    ingest(a, pts.slice(1100));
    run(a, 333);
    const b = open();
    ingest(b, pts);
    run(b, 100_000);
    expect(derived(a)).toEqual(derived(b));
    a.close();
    b.close();
  });
});

describe('SPC on a critical sensor, served by GET /api/v1/anomalies', () => {
  it('records Western Electric violations with their rule number and serves scores and flags', async () => {
    const input = structuredClone(testPlant({ machines: 1 })) as {
      sites: { lines: { machines: { sensors: { id: string; critical?: boolean }[] }[] }[] }[];
    };
    const cfg = input.sites[0]!.lines[0]!.machines[0]!.sensors.find((s) => s.id === sensor.sensor)!;
    cfg.critical = true;
    const idx = buildPlantIndex(
      plantSchema.parse({ ...input, anomaly: { defaults: { learn: '5m', spcBaseline: 500 } } }),
    );
    const s = open();
    ingest(s, points(2000));
    new OperatorRunner(s, idx, [anomalyOperator(idx) as Operator<unknown>], {
      batchRows: 1000,
    }).catchUp(1000);
    const spc = derived(s).filter((r) => r.key.endsWith(':spc'));
    expect(spc.find((r) => r.ts === points(2000)[900]![0])?.value).toBe(1);
    expect(spc.some((r) => r.value === 4)).toBe(true);

    const auth = issueTestToken(s, 'viewer');
    const app = await buildApp({
      index: idx,
      store: s,
      metrics: createMetrics(),
      log: createLogger({ level: 'silent' }),
      dataDir: '.',
      readiness: () => ({}),
      startedAt: 0,
    });
    const from = points(1)[0]![0];
    const res = await app.inject({
      headers: auth.headers,
      url: `/api/v1/anomalies?sensor=${sensor.path}&from=${from}&to=${from + 2000 * sensor.intervalMs}&minScore=0.5`,
    });
    expect(res.statusCode).toBe(200);
    const body = res.json() as {
      scores: { score: number; explanation: string }[];
      flags: { on: boolean }[];
      spc: { rule: number; explanation: string }[];
    };
    expect(body.scores.length).toBeGreaterThan(0);
    expect(body.scores.every((p) => p.score >= 0.5 && p.explanation)).toBe(true);
    expect(body.flags.some((f) => f.on)).toBe(true);
    expect(body.spc[0]!.explanation).toMatch(/rule/);
    const missing = await app.inject({
      url: '/api/v1/anomalies?sensor=no/such/sensor/x',
      headers: auth.headers,
    });
    expect(missing.statusCode).toBe(404);
    await app.close();
    s.close();
  });
});
