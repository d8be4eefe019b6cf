/**
 * WAL checkpoints run in the analytics worker, off the ingest thread: the ingest connection's
 * own autocheckpoint is only a far safety net, so what devices sent reaches the main database
 * file because the worker copies it there, within about a second, while PlantPulse runs.
 * Seen from outside: a copy of plantpulse.db alone (no -wal file beside it) holds the readings.
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
const tmp = tempDir('plantpulse-wal-');
const dataDir = `${tmp.dir}/data`;
let pp: PlantPulseChild;
let client: MqttClient;

beforeAll(async () => {
  const config = writePlant(tmp.dir, testPlant({ machines: 1, anonymous: true }));
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
});
