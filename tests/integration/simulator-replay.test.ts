/**
 * `plantpulse replay` against a real PlantPulse: a CSV with bad rows is replayed through MQTT
 * as the sensor's device; the bad rows are reported with their line numbers and the good rows
 * are stored (converted to canonical units), exactly once even when replayed twice.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE_PLANT } from '../../simulator/fixtures.js';
import { CLI } from '../helpers/plantpulse-process.js';
import { tempDir } from '../helpers/tmp.js';
import { minuteAgo, run, startInProcess, type InProcess } from './support/harness.js';

let env: InProcess;
const tmp = tempDir('plantpulse-replay-');
let plantFile: string;
let credsFile: string;

beforeAll(async () => {
  plantFile = join(tmp.dir, 'plant.yaml');
  writeFileSync(plantFile, FIXTURE_PLANT);
  env = await startInProcess({ configFile: plantFile, devices: ['gw-granulation', 'gw-utilities'] });
  credsFile = join(tmp.dir, 'creds.json');
  writeFileSync(credsFile, JSON.stringify(env.secrets), { mode: 0o600 });
});

afterAll(async () => {
  await env?.close();
  tmp.cleanup();
});

const replay = (args: string[]) => run(process.execPath, [CLI, 'replay', '--config', plantFile, '--broker', env.mqttUrl, '--credentials', credsFile, '--no-progress', ...args]);

describe('plantpulse replay', () => {
  it('reports bad rows by line number, stores the good rows, and stays idempotent', async () => {
    const t0 = minuteAgo(120);
    const good = Array.from({ length: 500 }, (_, i) => `${new Date(t0 + i * 10_000).toISOString()},${(i % 80) + 0.5}`);
    const lines = ['timestamp,value', ...good.slice(0, 100), 'not-a-time,3', ...good.slice(100, 300), `${t0 + 5},oops`, `${t0 + 6},900`, ...good.slice(300)];
    const csv = join(tmp.dir, 'power.csv');
    writeFileSync(csv, `${lines.join('\n')}\n`);
    const before = env.pp.store.queries.counts();
    const r = await replay(['--csv', csv, '--sensor', 'fx/granulation/g-1/power', '--batch', '50']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('line 102: timestamp "not-a-time"');
    expect(r.stderr).toContain('line 303: fx/granulation/g-1/power: "oops" is not a number');
    expect(r.stderr).toContain('line 304: fx/granulation/g-1/power: 900 kW is outside the valid range [0, 90]');
    expect(r.stdout).toMatch(/replayed 500 readings .* 3 bad row\(s\) skipped/);
    expect(env.pp.store.queries.counts().readings - before.readings).toBe(500);

    const pts = (await env.get(`/api/v1/readings?sensor=fx/granulation/g-1/power&from=${t0}&to=${t0 + 500 * 10_000}&limit=1000`)).body as { points: { ts: number; value: number }[] };
    expect(pts.points).toHaveLength(500);
    expect(pts.points[1]).toEqual({ ts: t0 + 10_000, value: 1500, quality: 0 }); // kW → W

    const again = await replay(['--csv', csv, '--sensor', 'fx/granulation/g-1/power']);
    expect(again.code).toBe(0);
    expect(env.pp.store.queries.counts().readings - before.readings).toBe(500);
  });

  it('replays a wide CSV with mapped columns to several devices', async () => {
    const t0 = minuteAgo(300);
    const rows = Array.from({ length: 60 }, (_, i) => `${t0 + i * 60_000},${40 + (i % 5)},${6.5 + (i % 3) / 10}`);
    const csv = join(tmp.dir, 'wide.csv');
    writeFileSync(csv, ['time,compressor_kw,header_bar', ...rows].join('\n'));
    const before = env.pp.store.queries.counts();
    const r = await replay(['--csv', csv, '--wide', '--map', 'compressor_kw=fx/utilities/ac-1/power', '--map', 'header_bar=fx/utilities/ac-1/discharge-pressure']);
    expect(r.code, r.stderr).toBe(0);
    expect(env.pp.store.queries.counts().readings - before.readings).toBe(120);
  });
});
