/**
 * Batches and their energy end to end: a simulated day published over MQTT as the plant's
 * devices to a real PlantPulse, read back from GET /api/v1/batches and /api/v1/batches/:id;
 * then the same day into the real CLI, killed with SIGKILL in the middle of a batch and
 * restarted on the same data directory: the settled figures equal the uninterrupted run.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePlantModel } from '../../config/load.js';
import { buildPlantIndex } from '../../config/plant-index.js';
import { Simulation } from '../../simulator/engine.js';
import { FIXTURE_PLANT } from '../../simulator/fixtures.js';
import { Publisher } from '../../simulator/publisher.js';
import { publishSimulation } from '../../simulator/run.js';
import type { SimEvent } from '../../simulator/stream.js';
import { computeTruth, type Truth } from '../../simulator/truth.js';
import {
  addDevice,
  getJson,
  startChild,
  type PlantPulseChild,
} from '../helpers/plantpulse-process.js';
import { tempDir } from '../helpers/tmp.js';
import { startInProcess, type InProcess, type Json } from './support/harness.js';

const PLANT = `${FIXTURE_PLANT}energy:
  maxGap: 3m
  lateness: 10m
  tariff: { currency: CHF, basePrice: 0.2 }
  co2: { factor: 0.128 }
`;
const DEVICES = ['gw-granulation', 'mes-granulation', 'gw-utilities'];
const FROM = Date.parse('2026-03-10T00:00:00Z');
const index = buildPlantIndex(parsePlantModel(PLANT, 'plant.yaml'));
const newSim = () =>
  new Simulation(index, {
    from: FROM,
    to: FROM + 86_400_000,
    seed: 7,
    resolutionMs: 60_000,
    batch: 5,
    waveformSamples: 16,
    anomalies: 0,
    malformed: 0,
    transportFaults: false,
  });

interface BatchOut {
  id: string;
  batch: string;
  status: string;
  start: number;
  end: number;
  energy: {
    kwh: number;
    coverage: number;
    revision: number;
    cost: number;
    co2Kg: number;
    kwhPerUnit: number;
  };
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The energy operator has consumed the whole log (its own derived rows included), per /api/v1/stats. */
async function caughtUp(httpUrl: string): Promise<boolean> {
  const stats = await getJson<{ analytics: Record<string, { lag: number }> }>(
    `${httpUrl}/api/v1/stats`,
  );
  return stats.analytics.energy?.lag === 0;
}

const tmp = tempDir('plantpulse-energy-api-');
let env: InProcess;
let truth: Truth;
let settled: BatchOut[];

beforeAll(async () => {
  const file = join(tmp.dir, 'plant.yaml');
  writeFileSync(file, PLANT);
  env = await startInProcess({ configFile: file, devices: DEVICES });
  const sim = newSim();
  await publishSimulation(sim, { url: env.mqttUrl, credentials: env.secrets, progress: 'off' });
  truth = computeTruth(sim);
  settled = await until('every batch settled', async () => {
    if (!(await caughtUp(env.httpUrl))) return undefined;
    const r = await env.get<{ batches: BatchOut[] }>('/api/v1/batches?line=fx/granulation');
    const done = r.body.batches.filter((b) => b.status !== 'running');
    return done.length === truth.batches.length ? r.body.batches : undefined;
  });
}, 120_000);

afterAll(async () => {
  await env?.close();
  tmp.cleanup();
});

describe('GET /api/v1/batches', () => {
  it('lists every batch of the day, settled, within 0.5 % of the truth, newest first', () => {
    expect(settled.map((b) => b.batch)).toEqual(truth.batches.map((b) => b.batch).reverse());
    for (const t of truth.batches) {
      const b = settled.find((x) => x.batch === t.batch)!;
      expect(b.status).toBe(t.aborted ? 'aborted' : 'settled');
      expect(b.energy.coverage).toBeGreaterThan(0.99);
      expect(Math.abs(b.energy.kwh - t.energyKWh) / t.energyKWh, t.batch).toBeLessThan(0.005);
      expect(b.energy.cost).toBeCloseTo(b.energy.kwh * 0.2, 6);
      expect(b.energy.kwhPerUnit).toBeCloseTo(b.energy.kwh / t.quantity, 9);
      // Each device publishes as fast as it is acknowledged, so one device's stream can run
      // more than the lateness ahead of another's: the revision count shows when that happened.
      expect(b.energy.revision).toBeGreaterThanOrEqual(0);
    }
  });

  it('answers one batch by its id (URL-encoded) or its MES batch id; unknown ones are coded errors', async () => {
    const b = settled[0]!;
    const byId = await env.get<BatchOut>(`/api/v1/batches/${encodeURIComponent(b.id)}`);
    expect(byId.status).toBe(200);
    expect(byId.body).toEqual(b);
    const bare = await env.get<BatchOut>(`/api/v1/batches/${b.batch}`);
    expect(bare.body).toEqual(b);
    const missing = await env.get<Json>('/api/v1/batches/NOPE-1');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('PP_ERR_NOT_FOUND');
    const badLine = await env.get<Json>('/api/v1/batches?line=fx/nope');
    expect(badLine.status).toBe(400);
    expect(badLine.body.error.code).toBe('PP_ERR_BAD_REQUEST');
    const filtered = await env.get<{ batches: BatchOut[] }>(
      `/api/v1/batches?from=${b.start}&status=settled`,
    );
    expect(filtered.body.batches.map((x) => x.id)).toEqual([b.id]);
  });
});

describe('plantpulse start killed with SIGKILL in the middle of a batch', () => {
  const children: PlantPulseChild[] = [];
  afterAll(async () => {
    for (const c of children) await c.kill();
  });

  it('gives the same settled figures as the uninterrupted run after a restart', async () => {
    const dir = join(tmp.dir, 'cli');
    const config = join(tmp.dir, 'plant.yaml');
    const dataDir = join(dir, 'data');
    const credentials = Object.fromEntries(DEVICES.map((d) => [d, addDevice(config, dataDir, d)]));
    const events: SimEvent[] = [...newSim().events()];
    const target = truth.batches[1]!;
    const cut = events.findIndex((e) => e.at >= (target.start + target.end) / 2);
    const publish = async (url: string, part: SimEvent[]) => {
      const p = new Publisher({ url, credentials });
      try {
        await p.run(part);
      } finally {
        await p.close();
      }
    };

    const first = await startChild({ config, dataDir });
    children.push(first);
    await publish(first.mqttUrl, events.slice(0, cut));
    const running = await until('a running figure', async () => {
      const r = await getJson<{ batches: BatchOut[] }>(
        `${first.httpUrl}/api/v1/batches?status=running`,
      );
      return r.batches.find((b) => b.batch === target.batch && b.energy.kwh > 0);
    });
    expect(running.energy.kwh).toBeLessThan(target.energyKWh);
    await first.kill();

    const second = await startChild({ config, dataDir });
    children.push(second);
    await publish(second.mqttUrl, events.slice(cut));
    const after = await until('every batch settled after the restart', async () => {
      if (!(await caughtUp(second.httpUrl))) return undefined;
      const r = await getJson<{ batches: BatchOut[] }>(
        `${second.httpUrl}/api/v1/batches?line=fx/granulation`,
      );
      return r.batches.every((b) => b.status !== 'running') &&
        r.batches.length === truth.batches.length
        ? r.batches
        : undefined;
    });
    for (const b of settled) {
      const x = after.find((a) => a.id === b.id)!;
      expect(x.status).toBe(b.status);
      expect(x.energy.kwh).toBeCloseTo(b.energy.kwh, 6);
      expect(x.energy.coverage).toBeCloseTo(b.energy.coverage, 9);
      expect(x.energy.cost).toBeCloseTo(b.energy.cost, 6);
    }
    await second.stop();
  });
});
