/**
 * C1/C2 with a foreign client: Debian's `mosquitto_pub` (libmosquitto), authenticated with the
 * secret `plantpulse devices add` printed. Each process exits after its last PUBACK, so the
 * rows must be in the log when it exits; running the same publishes again stores nothing new.
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDevice } from '../helpers/plantpulse-process.js';
import { testPlant } from '../helpers/plant-fixture.js';
import {
  inBatches,
  metricValue,
  minuteAgo,
  run,
  startInProcess,
  type InProcess,
} from './support/harness.js';

const MOSQUITTO_PUB = '/usr/bin/mosquitto_pub';
const L1_SENSORS = ['m1/power', 'm1/temp', 'm2/power', 'm2/temp', 'm3/power', 'm3/temp'].map(
  (s) => `t/l1/${s}`,
);
const L2_SENSOR = 't/l2/x1/power';

let env: InProcess;

beforeAll(async () => {
  if (!existsSync(MOSQUITTO_PUB))
    throw new Error(`${MOSQUITTO_PUB} is missing: apt-get install -y mosquitto-clients`);
  env = await startInProcess({
    plant: testPlant({ machines: 3 }),
    // Credentials the way an operator issues them: the CLI, whose last output line is the secret.
    beforeStart: (config, dataDir) => ({
      gw1: addDevice(config, dataDir, 'gw1'),
      gw2: addDevice(config, dataDir, 'gw2'),
    }),
  });
});

afterAll(async () => {
  await env?.close();
});

const deviceOf = (sensor: string) => (sensor.startsWith('t/l2/') ? 'gw2' : 'gw1');

function pubArgs(
  device: string,
  topic: string,
  extra: string[],
  password = env.secrets[device]!,
): string[] {
  return [
    '-h',
    '127.0.0.1',
    '-p',
    String(env.pp.mqttPort),
    '-u',
    device,
    '-P',
    password,
    '-q',
    '1',
    '-t',
    topic,
    ...extra,
  ];
}

async function mosquittoPub(sensor: string, extra: string[], stdin?: string): Promise<void> {
  const r = await run(MOSQUITTO_PUB, pubArgs(deviceOf(sensor), `plants/${sensor}`, extra), {
    stdin,
  });
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
}

/** Rows and dead letters stored (logPosition is left out: ignored duplicates may consume positions). */
async function stats(): Promise<{ readings: number; deadLetters: number }> {
  const { readings, deadLetters } = (await env.get('/api/v1/stats')).body as {
    readings: number;
    deadLetters: number;
  };
  return { readings, deadLetters };
}

async function countOf(sensor: string, from: number, to: number): Promise<number> {
  const r = await env.get(`/api/v1/readings?sensor=${sensor}&from=${from}&to=${to}&limit=100000`);
  expect(r.status).toBe(200);
  return r.body.points.length as number;
}

describe('mosquitto_pub -m: one message per process', () => {
  const T0 = minuteAgo(50);
  const singles = Array.from({ length: 60 }, (_, k) => ({
    sensor: L1_SENSORS[k % 6]!,
    payload: JSON.stringify({ ts: T0 + Math.floor(k / 6) * 1000, v: k }),
  }));
  // Two array messages of 500 readings each (one per sensor), well under ingest.maxPayloadBytes.
  const T1 = minuteAgo(45);
  const arrays = [L2_SENSOR, L1_SENSORS[1]!].map((sensor) => ({
    sensor,
    payload: JSON.stringify(
      Array.from({ length: 500 }, (_, i) => ({ ts: T1 + i * 100, v: i % 100 })),
    ),
  }));
  const N = singles.length + 500 * arrays.length;

  const publishAllOnce = () =>
    inBatches([...singles, ...arrays], 8, (m) => mosquittoPub(m.sensor, ['-m', m.payload]));

  it(`stores exactly N=${N} readings from ${singles.length + arrays.length} mosquitto_pub runs`, async () => {
    const before = await stats();
    await publishAllOnce();
    const after = await stats();
    expect(after.readings - before.readings).toBe(N);
    expect(after.deadLetters).toBe(before.deadLetters);
    expect(await countOf(L1_SENSORS[0]!, T0, T0 + 60_000)).toBe(10);
    expect(await countOf(L2_SENSOR, T1, T1 + 60_000)).toBe(500);
    expect(await countOf(L1_SENSORS[1]!, T1, T1 + 60_000)).toBe(500);
  });

  it('stores none twice when every run is repeated', async () => {
    const before = await stats();
    const dup = metricValue(
      (await env.get('/metrics')).text,
      'plantpulse_readings_duplicate_total',
    );
    await publishAllOnce();
    expect(await stats()).toEqual(before);
    expect(
      metricValue((await env.get('/metrics')).text, 'plantpulse_readings_duplicate_total') - dup,
    ).toBe(N);
  });
});

describe('mosquitto_pub -l: one message per stdin line', () => {
  const T2 = minuteAgo(35);
  const PER_SENSOR = 200;
  const sensors = [...L1_SENSORS, L2_SENSOR];
  const linesOf = (si: number) =>
    Array.from({ length: PER_SENSOR }, (_, i) =>
      JSON.stringify({ ts: T2 + i * 1000, v: (i + si) % 100 }),
    ).join('\n') + '\n';
  const N = PER_SENSOR * sensors.length;

  const publishAllOnce = () =>
    Promise.all(sensors.map((sensor, si) => mosquittoPub(sensor, ['-l'], linesOf(si))));

  it(`stores exactly N=${N} readings sent by ${sensors.length} concurrent mosquitto_pub -l processes`, async () => {
    const before = await stats();
    await publishAllOnce();
    const after = await stats();
    expect(after.readings - before.readings).toBe(N);
    expect(after.deadLetters).toBe(before.deadLetters);
    for (const s of sensors) expect(await countOf(s, T2, T2 + PER_SENSOR * 1000)).toBe(PER_SENSOR);
    // The values arrive converted: kW → W.
    const first = await env.get(`/api/v1/readings?sensor=${L2_SENSOR}&from=${T2}&to=${T2 + 1}`);
    expect(first.body.points).toEqual([{ ts: T2, value: 6000, quality: 0 }]);
  });

  it('stores none twice when the same input is piped again', async () => {
    const before = await stats();
    await publishAllOnce();
    expect(await stats()).toEqual(before);
  });

  it('keeps the good lines around bad ones: bad lines are dead-lettered, the rest stored', async () => {
    const T3 = minuteAgo(25);
    const lines = Array.from({ length: 100 }, (_, i) =>
      i % 10 === 9
        ? `{"ts":${T3 + i * 1000},"v":"bad"}`
        : JSON.stringify({ ts: T3 + i * 1000, v: i }),
    );
    const before = await stats();
    await mosquittoPub(L1_SENSORS[2]!, ['-l'], lines.join('\n') + '\n');
    const after = await stats();
    expect(after.readings - before.readings).toBe(90);
    expect(after.deadLetters - before.deadLetters).toBe(10);
    const dl = await env.get('/api/v1/dead-letters?limit=10');
    expect(
      dl.body.deadLetters.map((d: { code: string; topic: string }) => [d.code, d.topic]),
    ).toEqual(Array(10).fill(['PP_ERR_SCHEMA', `plants/${L1_SENSORS[2]}`]));
    expect(dl.body.deadLetters.map((d: { payload: string }) => d.payload).sort()).toEqual(
      lines.filter((_, i) => i % 10 === 9).sort(),
    );
  });
});

describe('mosquitto_pub refused', () => {
  const reading = () => JSON.stringify({ ts: minuteAgo(5), v: 1 });

  it('with a wrong secret (CONNACK 4), without credentials and as a device not in the model (CONNACK 5)', async () => {
    const before = await stats();
    const wrong = await run(
      MOSQUITTO_PUB,
      pubArgs('gw1', 'plants/t/l1/m1/power', ['-m', reading()], 'not-the-secret'),
    );
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain('Connection Refused: bad user name or password');

    const anon = await run(MOSQUITTO_PUB, [
      '-h',
      '127.0.0.1',
      '-p',
      String(env.pp.mqttPort),
      '-q',
      '1',
      '-t',
      'plants/t/l1/m1/power',
      '-m',
      reading(),
    ]);
    expect(anon.code).not.toBe(0);
    expect(anon.stderr).toContain('Connection Refused: not authorised');

    const stranger = await run(
      MOSQUITTO_PUB,
      pubArgs('intruder', 'plants/t/l1/m1/power', ['-m', reading()], 'x'),
    );
    expect(stranger.code).not.toBe(0);
    expect(stranger.stderr).toContain('Connection Refused: not authorised');

    expect(await stats()).toEqual(before);
    const m = (await env.get('/metrics')).text;
    expect(metricValue(m, 'plantpulse_mqtt_auth_failures_total', 'reason="wrong_secret"')).toBe(1);
    expect(metricValue(m, 'plantpulse_mqtt_auth_failures_total', 'reason="anonymous"')).toBe(1);
    expect(metricValue(m, 'plantpulse_mqtt_auth_failures_total', 'reason="unknown_device"')).toBe(
      1,
    );
  });
});
