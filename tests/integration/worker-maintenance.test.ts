/**
 * Log maintenance runs in the analytics worker, off the ingest thread, while PlantPulse runs:
 * - WAL checkpoints: the ingest connection's own autocheckpoint is only a far safety net, so
 *   what devices sent reaches the main database file because the worker copies it there. Seen
 *   from outside: a copy of plantpulse.db alone (no -wal file beside it) holds the readings.
 * - 1-minute rollups follow the log without any API request (stats: rollup_1m lag 0).
 * - retention deletes raw readings older than storage.rawRetention, keeping the rollups.
 */
import { copyFileSync, existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOG_FILE } from '../../store/db.js';
import { getJson, startChild, type PlantPulseChild } from '../helpers/plantpulse-process.js';
import { testPlant, writePlant } from '../helpers/plant-fixture.js';
import { tempDir } from '../helpers/tmp.js';
import { connectMqtt, endAll, minuteAgo, publishAll, waitFor } from './support/harness.js';

const READINGS = 20_000;
const T0 = minuteAgo(60);
const EXPIRED = 500; // readings from 3 hours ago, beyond the 2 h raw retention
const tmp = tempDir('plantpulse-wal-');
const dataDir = `${tmp.dir}/data`;
let pp: PlantPulseChild;
let client: MqttClient;

beforeAll(async () => {
  const plant = testPlant({
    machines: 1,
    anonymous: true,
    overrides: { storage: { rawRetention: '2h', maintenanceInterval: '1s' } },
  });
  const config = writePlant(tmp.dir, plant);
  pp = await startChild({ config, dataDir });
  client = await connectMqtt(pp.mqttUrl, { clientId: 'wal-load' });
}, 60_000);

afterAll(async () => {
  await endAll(client);
  await pp?.kill();
  tmp.cleanup();
});

/** Rows of the log in the main database file alone, as a checkpoint left it. */
function rowsInMainFile(): number {
  const copy = `${tmp.dir}/main-only-${Date.now()}.db`;
  copyFileSync(`${dataDir}/${LOG_FILE}`, copy);
  const db = new Database(copy, { readonly: true });
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM log').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('WAL checkpoints while PlantPulse runs', () => {
  it('copies committed readings into the main database file without a restart', async () => {
    const msgs = [];
    for (let s = 0; s < READINGS; s += 1000) {
      const batch = Array.from({ length: 1000 }, (_, i) => ({ ts: T0 + (s + i) * 100, v: 1 }));
      msgs.push({ topic: 'plants/t/l1/m1/power', payload: JSON.stringify(batch) });
    }
    await publishAll(client, msgs);
    await waitFor(
      async () =>
        (await getJson<{ readings: number }>(`${pp.httpUrl}/api/v1/stats`)).readings === READINGS,
      'the readings to be stored',
    );
    expect(existsSync(`${dataDir}/${LOG_FILE}-wal`)).toBe(true); // still in WAL mode, running
    let inMain = 0;
    await waitFor(
      () => {
        try {
          inMain = rowsInMainFile();
        } catch {
          return false; // a copy taken mid-checkpoint: try again
        }
        return inMain >= READINGS;
      },
      'a checkpoint to reach the main file',
      20_000,
    );
    expect(inMain).toBeGreaterThanOrEqual(READINGS);
  });

  it('keeps the rollups up to date by itself, and deletes expired raw readings but not their rollups', async () => {
    type Stats = { readings: number; analytics: Record<string, { lag: number }> };
    const stats = () => getJson<Stats>(`${pp.httpUrl}/api/v1/stats`);
    await waitFor(async () => (await stats()).analytics.rollup_1m?.lag === 0, 'the rollups');
    const old = minuteAgo(180);
    const batch = Array.from({ length: EXPIRED }, (_, i) => ({ ts: old + i * 1000, v: 2 }));
    // …and one fresh reading after them: retention always keeps the newest row of the log.
    const fresh = { ts: Date.now() - 1000, v: 3 };
    await publishAll(client, [
      { topic: 'plants/t/l1/m1/power', payload: JSON.stringify(batch) },
      { topic: 'plants/t/l1/m1/power', payload: JSON.stringify(fresh) },
    ]);
    expect((await stats()).readings).toBe(READINGS + EXPIRED + 1); // acknowledged means stored
    // Removed by a retention pass once every consumer's saved cursor is past them (the
    // analytics operators save theirs with their 30 s checkpoints).
    await waitFor(
      async () => {
        await new Promise((r) => setTimeout(r, 500)); // a polite poll: the API is rate limited
        return (await stats()).readings === READINGS + 1;
      },
      'retention',
      90_000,
    );
    const from = old - (old % 60_000);
    const raw = await getJson<{ points: unknown[] }>(
      `${pp.httpUrl}/api/v1/readings?sensor=t/l1/m1/power&from=${from}&to=${from + 600_000}`,
    );
    expect(raw.points).toHaveLength(0);
    const minutes = await getJson<{ points: { count: number }[] }>(
      `${pp.httpUrl}/api/v1/readings?sensor=t/l1/m1/power&from=${from}&to=${from + 600_000}&step=1m`,
    );
    expect(minutes.points.reduce((n, p) => n + p.count, 0)).toBe(EXPIRED);
  });
});
