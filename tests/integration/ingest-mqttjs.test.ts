/**
 * C1 and C2 with MQTT.js: every acknowledged reading is stored exactly once, whatever the
 * message shape (one reading per message or arrays), the QoS, and however often it is resent.
 * Real embedded broker, real SQLite log in a temp dir; counts come from the HTTP API.
 */
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPlant } from '../helpers/plant-fixture.js';
import {
  connectDevice,
  endAll,
  metricValue,
  minuteAgo,
  publishAll,
  startInProcess,
  waitFor,
  type InProcess,
  type Msg,
} from './support/harness.js';

/** Scalar sensors of the fixture (3 machines on l1 via gw1, one on l2 via gw2). */
const L1_SENSORS = ['m1/power', 'm1/temp', 'm2/power', 'm2/temp', 'm3/power', 'm3/temp'].map(
  (s) => `t/l1/${s}`,
);
const L2_SENSOR = 't/l2/x1/power';
const topicOf = (path: string) => `plants/${path}`;

let env: InProcess;
let gw1: MqttClient;
let gw2: MqttClient;

beforeAll(async () => {
  env = await startInProcess({ plant: testPlant({ machines: 3 }), devices: ['gw1', 'gw2'] });
  gw1 = await connectDevice(env, 'gw1');
  gw2 = await connectDevice(env, 'gw2');
});

afterAll(async () => {
  await endAll(gw1, gw2);
  await env?.close();
});

async function stats() {
  const r = await env.get('/api/v1/stats');
  expect(r.status).toBe(200);
  return r.body as { readings: number; deadLetters: number; series: number };
}

async function metrics(): Promise<string> {
  return (await env.get('/metrics')).text;
}

async function raw(sensor: string, from: number, to: number) {
  const r = await env.get(`/api/v1/readings?sensor=${sensor}&from=${from}&to=${to}&limit=100000`);
  expect(r.status).toBe(200);
  return r.body.points as { ts: number; value: number; quality: number }[];
}

/** kW readings are stored in W (canonical); °C stays °C. */
const canonical = (sensor: string, v: number) => (sensor.endsWith('power') ? v * 1000 : v);

describe('MQTT.js publisher, QoS 1, one reading per message', () => {
  const T0 = minuteAgo(50);
  const PER_SENSOR = 180;
  // 6 sensors of gw1 + 1 of gw2, 180 readings each: 1260 readings, one message per reading.
  const plan = [...L1_SENSORS, L2_SENSOR].flatMap((sensor, si) =>
    Array.from({ length: PER_SENSOR }, (_, i) => ({
      sensor,
      ts: T0 + i * 1000,
      v: ((i * 7 + si) % 140) + 0.25,
    })),
  );
  const N = plan.length;
  const msgsOf = (dev: 'l1' | 'l2') =>
    plan
      .filter((p) => p.sensor.startsWith(`t/${dev}/`))
      .map<Msg>((p) => ({
        topic: topicOf(p.sensor),
        payload: JSON.stringify({ ts: p.ts, v: p.v }),
      }));

  it(`stores exactly N=${N} rows once every PUBACK has arrived, with the values converted to canonical units`, async () => {
    expect(N).toBeGreaterThanOrEqual(1000);
    const before = await stats();
    await Promise.all([publishAll(gw1, msgsOf('l1')), publishAll(gw2, msgsOf('l2'))]);
    // C1: PUBACK means committed, so the rows are visible without waiting.
    const after = await stats();
    expect(after.readings - before.readings).toBe(N);
    expect(after.deadLetters).toBe(before.deadLetters);

    for (const sensor of [...L1_SENSORS, L2_SENSOR]) {
      const points = await raw(sensor, T0, T0 + PER_SENSOR * 1000);
      const expected = plan
        .filter((p) => p.sensor === sensor)
        .map((p) => ({ ts: p.ts, value: canonical(sensor, p.v), quality: 0 }));
      expect(points).toEqual(expected);
    }
    const m = await metrics();
    expect(metricValue(m, 'plantpulse_readings_stored_total')).toBe(N);
  });

  it('stores none of them twice when all N are published again (also with the DUP flag)', async () => {
    const before = await stats();
    const dupBefore = metricValue(await metrics(), 'plantpulse_readings_duplicate_total');
    await Promise.all([publishAll(gw1, msgsOf('l1')), publishAll(gw2, msgsOf('l2'))]);
    await publishAll(gw1, msgsOf('l1').slice(0, 100), 1, { dup: true });
    const after = await stats();
    expect(after.readings).toBe(before.readings);
    expect(after.deadLetters).toBe(before.deadLetters);
    const m = await metrics();
    expect(metricValue(m, 'plantpulse_readings_duplicate_total') - dupBefore).toBe(N + 100);
    for (const sensor of L1_SENSORS)
      expect(await raw(sensor, T0, T0 + PER_SENSOR * 1000)).toHaveLength(PER_SENSOR);
  });
});

describe('MQTT.js publisher, QoS 1, arrays of readings', () => {
  const T1 = minuteAgo(40);
  const PER_MESSAGE = 60;
  const MESSAGES_PER_SENSOR = 4;
  const arrays = L1_SENSORS.flatMap((sensor, si) =>
    Array.from({ length: MESSAGES_PER_SENSOR }, (_, m) => ({
      sensor,
      readings: Array.from({ length: PER_MESSAGE }, (_, i) => {
        const k = m * PER_MESSAGE + i;
        return { ts: T1 + k * 1000, v: (k + si) % 100 };
      }),
    })),
  );
  const N = arrays.reduce((n, a) => n + a.readings.length, 0);
  const msgs: Msg[] = arrays.map((a) => ({
    topic: topicOf(a.sensor),
    payload: JSON.stringify(a.readings),
  }));

  it(`stores exactly N=${N} rows from ${msgs.length} array messages`, async () => {
    expect(N).toBeGreaterThanOrEqual(1000);
    const before = await stats();
    await publishAll(gw1, msgs);
    const after = await stats();
    expect(after.readings - before.readings).toBe(N);
    expect(after.deadLetters).toBe(before.deadLetters);
    for (const sensor of L1_SENSORS) {
      const points = await raw(sensor, T1, T1 + PER_MESSAGE * MESSAGES_PER_SENSOR * 1000);
      const expected = arrays
        .filter((a) => a.sensor === sensor)
        .flatMap((a) =>
          a.readings.map((r) => ({ ts: r.ts, value: canonical(sensor, r.v), quality: 0 })),
        );
      expect(points).toEqual(expected);
    }
  });

  it('stores none twice on a resend, nor when arrays overlap or repeat a timestamp inside one message', async () => {
    const before = await stats();
    await publishAll(gw1, msgs);
    expect((await stats()).readings).toBe(before.readings);

    // An array that overlaps stored readings by half and adds 30 new ones.
    const sensor = L1_SENSORS[0]!;
    const start = PER_MESSAGE * MESSAGES_PER_SENSOR - 30;
    const overlap = Array.from({ length: 60 }, (_, i) => ({ ts: T1 + (start + i) * 1000, v: 1 }));
    await publishAll(gw1, [{ topic: topicOf(sensor), payload: JSON.stringify(overlap) }]);
    expect((await stats()).readings).toBe(before.readings + 30);

    // The same (sensor, ts) twice in one message: one row.
    const ts = T1 + 8 * 60_000;
    await publishAll(gw1, [
      {
        topic: topicOf(sensor),
        payload: JSON.stringify([
          { ts, v: 3 },
          { ts, v: 4 },
        ]),
      },
    ]);
    expect((await stats()).readings).toBe(before.readings + 31);
    expect(await raw(sensor, ts, ts + 1)).toHaveLength(1);
  });
});

describe('MQTT.js publisher, QoS 0', () => {
  const T2 = minuteAgo(30);
  const N = 1000;
  const sensors = L1_SENSORS.slice(0, 4);
  const msgs: Msg[] = Array.from({ length: N }, (_, k) => ({
    topic: topicOf(sensors[k % sensors.length]!),
    payload: JSON.stringify({ ts: T2 + Math.floor(k / sensors.length) * 1000, v: k % 50 }),
  }));

  it(`stores exactly N=${N} QoS 0 readings, and none twice when they are sent again`, async () => {
    const base = await stats();
    const qos0 = await connectDevice(env, 'gw1');
    try {
      await publishAll(qos0, msgs, 0);
      // QoS 0 has no PUBACK: wait until the log has them all, then check nothing more arrives.
      await waitFor(
        async () => (await stats()).readings >= base.readings + N,
        `${N} QoS 0 readings`,
      );
      // A QoS 1 resend of the first reading on the same connection: once it is acknowledged,
      // everything sent before it has been handled too.
      await publishAll(qos0, [msgs[0]!]);
      const after = await stats();
      expect(after.readings - base.readings).toBe(N);

      const dupBefore = metricValue(await metrics(), 'plantpulse_readings_duplicate_total');
      await publishAll(qos0, msgs, 0);
      await waitFor(
        async () =>
          metricValue(await metrics(), 'plantpulse_readings_duplicate_total') - dupBefore >= N,
        `${N} duplicates counted`,
      );
      expect(metricValue(await metrics(), 'plantpulse_readings_duplicate_total') - dupBefore).toBe(
        N,
      );
      expect((await stats()).readings).toBe(after.readings);
      for (const s of sensors)
        expect(await raw(s, T2, T2 + 250_000)).toHaveLength(N / sensors.length);
    } finally {
      await endAll(qos0);
    }
  });
});

describe('MQTT.js publisher, QoS 2', () => {
  it('stores each reading exactly once, however often it is sent', async () => {
    const T3 = minuteAgo(25);
    const msgs: Msg[] = Array.from({ length: 120 }, (_, k) => ({
      topic: topicOf(L1_SENSORS[k % 6]!),
      payload: JSON.stringify({ ts: T3 + Math.floor(k / 6) * 1000, v: k % 90 }),
    }));
    const before = await stats();
    await Promise.all(msgs.map((m) => gw1.publishAsync(m.topic, m.payload, { qos: 2 })));
    expect((await stats()).readings - before.readings).toBe(120);
    await Promise.all(msgs.map((m) => gw1.publishAsync(m.topic, m.payload, { qos: 2 })));
    expect((await stats()).readings - before.readings).toBe(120);
  });
});

describe('reading formats', () => {
  it('accepts RFC 3339 timestamps with an offset, a unit override and a quality flag', async () => {
    const t = minuteAgo(20) + 1234;
    const local = new Date(t + 2 * 3_600_000).toISOString().replace('Z', '+02:00'); // same instant, written in UTC+2
    const sensor = 't/l1/m2/power';
    await publishAll(gw1, [
      { topic: topicOf(sensor), payload: JSON.stringify({ ts: local, v: 12.5, q: 'uncertain' }) },
      {
        topic: topicOf(sensor),
        payload: JSON.stringify({ ts: t + 1000, v: 250_000, unit: 'W', q: 2 }),
      },
      { topic: topicOf('t/l1/m2/temp'), payload: JSON.stringify({ ts: t, v: 300.15, unit: 'K' }) },
    ]);
    expect(await raw(sensor, t, t + 2000)).toEqual([
      { ts: t, value: 12_500, quality: 1 },
      { ts: t + 1000, value: 250_000, quality: 2 },
    ]);
    const temp = await raw('t/l1/m2/temp', t, t + 1);
    expect(temp).toHaveLength(1);
    expect(temp[0]!.value).toBeCloseTo(27, 9);
  });
});
