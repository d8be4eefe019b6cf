/**
 * The simulator end to end against a real PlantPulse (embedded broker, SQLite log, HTTP API):
 * a simulated week published by MQTT.js clients as the plant's devices with their credentials.
 * Every reading except the deliberately malformed ones is stored exactly once (duplicates are
 * absorbed by idempotency), and the dead letters are the injected malformed messages, one for one.
 * Also the CLI: same seed → byte-identical stream and truth files; a different seed differs.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPlantIndex } from '../../config/plant-index.js';
import { parsePlantModel } from '../../config/load.js';
import { Simulation } from '../../simulator/engine.js';
import { FIXTURE_PLANT } from '../../simulator/fixtures.js';
import { publishSimulation } from '../../simulator/run.js';
import { computeTruth } from '../../simulator/truth.js';
import { CLI, runCli } from '../helpers/plantpulse-process.js';
import { tempDir } from '../helpers/tmp.js';
import { run, startInProcess, type InProcess } from './support/harness.js';

let env: InProcess;
let plantFile: string;
const tmp = tempDir('plantpulse-sim-');

beforeAll(async () => {
  plantFile = join(tmp.dir, 'plant.yaml');
  writeFileSync(plantFile, FIXTURE_PLANT);
  env = await startInProcess({ configFile: plantFile, devices: ['gw-granulation', 'mes-granulation', 'gw-utilities'] });
});

afterAll(async () => {
  await env?.close();
  tmp.cleanup();
});

describe('a simulated week ingested end to end', () => {
  it('stores every published reading except the malformed ones; dead letters match the injected messages one for one', async () => {
    const to = Math.floor(Date.now() / 60_000) * 60_000 - 60_000;
    const from = to - 7 * 86_400_000;
    const index = buildPlantIndex(parsePlantModel(FIXTURE_PLANT));
    const sim = new Simulation(index, { from, to, seed: 5, resolutionMs: 60_000, batch: 100, waveformSamples: 256, malformed: 10 });
    const before = (await env.get('/api/v1/stats')).body as { readings: number; deadLetters: number };
    const r = await publishSimulation(sim, { url: env.mqttUrl, credentials: env.secrets, progress: 'off' });
    const truth = computeTruth(sim);
    const st = truth.stream!;
    expect(r.messages).toBe(st.messages);
    expect(st.readings).toBeGreaterThan(100_000);
    expect(st.duplicateMessages).toBeGreaterThan(0);
    expect(truth.transport.offline).toBeDefined();

    // PUBACK means committed (C1): the counts are final as soon as publishing returns.
    const after = (await env.get('/api/v1/stats')).body as { readings: number; deadLetters: number; rejectsByCode: Record<string, number> };
    expect(after.readings - before.readings).toBe(st.expectedStored);
    expect(after.readings - before.readings).toBe(st.readings - st.duplicateReadings + st.batchEvents);
    expect(after.deadLetters - before.deadLetters).toBe(truth.malformed.count);

    const dl = (await env.get('/api/v1/dead-letters?limit=1000')).body as { deadLetters: { topic: string; payload: string }[] };
    const got = dl.deadLetters.map((d) => `${d.topic} ${d.payload}`).sort();
    const injected = truth.malformed.messages.map((m) => `${m.topic} ${m.payload}`).sort();
    expect(got).toEqual(injected);

    // Spot check: the batch events are there and a power series holds the simulated readings.
    const power = (await env.get(`/api/v1/readings?sensor=fx/utilities/ac-1/power&from=${from - 120_000}&to=${to}&limit=100000`)).body as { points: unknown[] };
    expect(power.points.length).toBeGreaterThan(10_000 - 200);
  });
});

describe('plantpulse simulate (CLI)', () => {
  const args = (seed: number, out: string) => ['simulate', '--config', plantFile, '--from', '2026-03-09', '--duration', '2d', '--resolution', '1m', '--seed', String(seed), '--waveform-samples', '64', '--dry-run', '--out', out];

  it('writes a byte-identical stream and truth for the same seed, and different ones for another seed', () => {
    const dirs = ['a', 'b', 'c'].map((x) => join(tmp.dir, x));
    for (const [i, d] of dirs.entries()) {
      const r = runCli(args(i === 2 ? 8 : 7, d));
      expect(r.status, r.stderr).toBe(0);
    }
    const read = (d: string, f: string) => readFileSync(join(d, f));
    expect(read(dirs[0]!, 'stream.jsonl').equals(read(dirs[1]!, 'stream.jsonl'))).toBe(true);
    expect(read(dirs[0]!, 'truth.json').equals(read(dirs[1]!, 'truth.json'))).toBe(true);
    expect(read(dirs[0]!, 'stream.jsonl').equals(read(dirs[2]!, 'stream.jsonl'))).toBe(false);
    expect(read(dirs[0]!, 'truth.json').equals(read(dirs[2]!, 'truth.json'))).toBe(false);
  });

  // The broker runs in this process: the CLI child must run asynchronously (spawnSync would block it).
  it('publishes to a broker with provisioned credentials and writes the truth', async () => {
    const creds = join(tmp.dir, 'creds.json');
    const truthFile = join(tmp.dir, 'truth.json');
    const before = env.pp.store.queries.counts();
    const r = await run(process.execPath, [CLI, 'simulate', '--config', plantFile, '--broker', env.mqttUrl, '--duration', '6h', '--resolution', '1m', '--seed', '3', '--provision', '--data-dir', env.dataDir, '--credentials', creds, '--truth', truthFile, '--no-progress']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/published \d[\d,]* messages/);
    expect(statSync(creds).mode & 0o777).toBe(0o600);
    const truth = JSON.parse(readFileSync(truthFile, 'utf8')) as { stream: { expectedStored: number }; malformed: { count: number } };
    const after = env.pp.store.queries.counts();
    expect(after.readings - before.readings).toBe(truth.stream.expectedStored);
    expect(after.deadLetters - before.deadLetters).toBe(truth.malformed.count);
  });

  it('refuses a run that would end in the future, naming the fix', () => {
    const r = runCli(['simulate', '--config', plantFile, '--broker', env.mqttUrl, '--from', new Date(Date.now() - 3_600_000).toISOString(), '--duration', '1d']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/in the future/);
  });
});
