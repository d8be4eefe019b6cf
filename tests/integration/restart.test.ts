/**
 * A clean restart keeps everything: readings, dead letters, credentials and the rollup cursor.
 * Real CLI processes on one data dir: publish, SIGTERM (exit code 0), start again, compare what
 * the API returns, publish more (new and repeated), and check the counts add up.
 */
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addDevice,
  apiFetch,
  startChild,
  type PlantPulseChild,
} from '../helpers/plantpulse-process.js';
import { testPlant, writePlant } from '../helpers/plant-fixture.js';
import { tempDir } from '../helpers/tmp.js';
import {
  connectMqtt,
  endAll,
  metricValue,
  minuteAgo,
  publishAll,
  type Json,
  type Msg,
} from './support/harness.js';

const SENSORS = ['t/l1/m1/power', 't/l1/m1/temp', 't/l1/m2/power', 't/l1/m2/temp'];
const T0 = minuteAgo(40);

const tmp = tempDir('plantpulse-restart-');
const dataDir = `${tmp.dir}/data`;
let config: string;
let secret: string;
const running: PlantPulseChild[] = [];
const clients: MqttClient[] = [];

beforeAll(() => {
  config = writePlant(tmp.dir, testPlant({ machines: 2 }));
  secret = addDevice(config, dataDir, 'gw1');
});

afterAll(async () => {
  await endAll(...clients);
  for (const p of running) await p.kill();
  tmp.cleanup();
});

async function start(): Promise<PlantPulseChild> {
  const p = await startChild({ config, dataDir });
  running.push(p);
  return p;
}

async function connect(p: PlantPulseChild): Promise<MqttClient> {
  const c = await connectMqtt(p.mqttUrl, {
    username: 'gw1',
    password: secret,
    clientId: `gw1-restart-${running.length}`,
  });
  clients.push(c);
  return c;
}

async function get(p: PlantPulseChild, path: string): Promise<Json> {
  const res = await apiFetch(p.httpUrl + path);
  expect(res.status).toBe(200);
  return res.json();
}

/** Everything the API can tell about the stored data. */
async function snapshot(p: PlantPulseChild) {
  const readings: Record<string, unknown> = {};
  const minutes: Record<string, unknown> = {};
  for (const s of SENSORS) {
    readings[s] = (
      await get(p, `/api/v1/readings?sensor=${s}&from=${T0}&to=${T0 + 30 * 60_000}&limit=100000`)
    ).points;
    minutes[s] = (
      await get(p, `/api/v1/readings?sensor=${s}&from=${T0}&to=${T0 + 30 * 60_000}&step=1m`)
    ).points;
  }
  const { readings: count, deadLetters, rejectsByCode } = await get(p, '/api/v1/stats');
  return {
    readings,
    minutes,
    count,
    deadLetters,
    rejectsByCode,
    deadLetterRecords: (await get(p, '/api/v1/dead-letters?limit=1000')).deadLetters,
  };
}

/** `n` readings per sensor, one array message per sensor, starting at reading index `from`. */
function batch(from: number, n: number): Msg[] {
  return SENSORS.map((s, si) => ({
    topic: `plants/${s}`,
    payload: JSON.stringify(
      Array.from({ length: n }, (_, i) => ({
        ts: T0 + (from + i) * 2000,
        v: ((from + i) * 3 + si) % 100,
      })),
    ),
  }));
}

const BAD: Msg[] = [
  { topic: 'plants/t/l1/m1/power', payload: '{"ts": 1, "v":' },
  { topic: 'plants/t/l1/m1/power', payload: JSON.stringify({ ts: T0, v: 9999 }) },
  { topic: 'plants/t/l1/m9/power', payload: JSON.stringify({ ts: T0, v: 1 }) },
  { topic: 'plants/t/l2/x1/power', payload: JSON.stringify({ ts: T0, v: 1 }) },
];

describe('stop and start on the same data dir', () => {
  let first: Awaited<ReturnType<typeof snapshot>>;

  it('first run: stores what was published; SIGTERM exits with code 0 after flushing', async () => {
    const a = await start();
    const c = await connect(a);
    await publishAll(c, [...batch(0, 150), ...BAD]);
    first = await snapshot(a);
    expect(first.count).toBe(600);
    expect(first.deadLetters).toBe(4);
    expect(first.rejectsByCode).toEqual({
      PP_ERR_MALFORMED_JSON: 1,
      PP_ERR_OUT_OF_RANGE: 1,
      PP_ERR_UNKNOWN_SENSOR: 1,
      PP_ERR_ACL_DENIED: 1,
    });
    // 150 readings 2 s apart span 5 minutes: the 1-minute rollups hold all of them.
    for (const s of SENSORS)
      expect((first.minutes[s] as { count: number }[]).reduce((n, b) => n + b.count, 0)).toBe(150);

    // Stop with a client still connected.
    expect(await a.stop()).toBe(0);
    expect(a.logs.map((l) => l.msg)).toEqual(
      expect.arrayContaining([
        'SIGTERM received; shutting down',
        'PlantPulse stopped; the log is flushed and closed',
      ]),
    );
    expect(a.stderr).toEqual([]);
  });

  it('second run: the API returns the same readings, rollups and dead letters; the device secret still works', async () => {
    const b = await start();
    expect(await snapshot(b)).toEqual(first);
    await connect(b);
  });

  it('second run: new readings add up, repeated ones are not stored twice, the rollups do not double count', async () => {
    const b = running[running.length - 1]!;
    const c = clients[clients.length - 1]!;
    // 100 more per sensor, the first 150 again, and two more bad messages.
    await publishAll(c, [...batch(150, 100), ...batch(0, 150), BAD[0]!, BAD[2]!]);
    const now = await snapshot(b);
    expect(now.count).toBe(600 + 400);
    expect(now.deadLetters).toBe(4 + 2);
    expect(now.deadLetterRecords.slice(2)).toEqual(first.deadLetterRecords);
    for (const s of SENSORS) {
      expect(now.readings[s]).toHaveLength(250);
      expect((now.readings[s] as unknown[]).slice(0, 150)).toEqual(first.readings[s]);
      expect((now.minutes[s] as { count: number }[]).reduce((n, b) => n + b.count, 0)).toBe(250);
    }
    // Counters are per process: this one stored 400, ignored 600 duplicates, dead-lettered 2.
    const metrics = await (await apiFetch(`${b.httpUrl}/metrics`)).text();
    expect(metricValue(metrics, 'plantpulse_readings_stored_total')).toBe(400);
    expect(metricValue(metrics, 'plantpulse_readings_duplicate_total')).toBe(600);
    expect(metricValue(metrics, 'plantpulse_dead_letters_total')).toBe(2);
  });

  it('third run after a SIGINT stop: all of it is still there', async () => {
    const b = running[running.length - 1]!;
    const before = await snapshot(b);
    await endAll(...clients);
    b.child.kill('SIGINT');
    expect(await b.exited).toBe(0);
    const c = await start();
    expect(await snapshot(c)).toEqual(before);
    expect(await c.stop()).toBe(0);
  });
});
