/**
 * C5 against the real CLI process: every kind of bad input is dead-lettered with its PP_ERR_*
 * code, the field at fault and a reason naming it, the raw payload is kept (capped), good
 * readings sent between bad ones are stored, ACL violations are refused and logged, and the
 * process stays up throughout.
 */
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlantModelInput } from '../../config/schema.js';
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
  minuteAgo,
  publishAll,
  waitFor,
  type Json,
} from './support/harness.js';
import { deadLetterChecker, type DeadLetter } from './support/dead-letters.js';

const MAX_PAYLOAD = 2048;
const DL_CAP = 256;
const POWER = 'plants/t/l1/m1/power'; // kW, range [0, 500]
const VIB = 'plants/t/l1/m1/vib'; // waveform in g, 1024 Hz, range [-50, 50] g (set below)
const BATCH = 'plants/t/l1/batch';

function plant(): PlantModelInput {
  const p = testPlant({
    machines: 2,
    overrides: { ingest: { maxPayloadBytes: MAX_PAYLOAD, deadLetterPayloadCap: DL_CAP } },
  });
  // The example plant gives waveform sensors a valid range; so does this fixture.
  const vib = p.sites[0]!.lines[0]!.machines[0]!.sensors.find((s) => s.id === 'vib')!;
  vib.range = [-50, 50];
  return p;
}

const tmp = tempDir('plantpulse-malformed-');
let pp: PlantPulseChild;
let gw1: MqttClient;
let gw2: MqttClient;
const CLIENT_ID = 'gw1-malformed-test';
const GW2_CLIENT_ID = 'gw2-malformed-test';
const secrets: Record<string, string> = {};

let nextTs = minuteAgo(60);
const ts = () => (nextTs += 1000);

beforeAll(async () => {
  const config = writePlant(tmp.dir, plant());
  const dataDir = `${tmp.dir}/data`;
  secrets.gw1 = addDevice(config, dataDir, 'gw1');
  secrets.gw2 = addDevice(config, dataDir, 'gw2');
  pp = await startChild({ config, dataDir });
  gw1 = await connectMqtt(pp.mqttUrl, {
    username: 'gw1',
    password: secrets.gw1,
    clientId: CLIENT_ID,
  });
  gw2 = await connectMqtt(pp.mqttUrl, {
    username: 'gw2',
    password: secrets.gw2,
    clientId: GW2_CLIENT_ID,
  });
});

afterAll(async () => {
  await endAll(gw1, gw2);
  if (pp) expect(await pp.stop()).toBe(0);
  tmp.cleanup();
});

async function getJson(path: string) {
  const res = await apiFetch(pp.httpUrl + path);
  return { status: res.status, body: (await res.json()) as Json };
}

const readingsCount = async () => (await getJson('/api/v1/stats')).body.readings as number;

async function newestDeadLetter(): Promise<DeadLetter | undefined> {
  return (await getJson('/api/v1/dead-letters?limit=1')).body.deadLetters[0];
}

const rejects = deadLetterChecker({
  api: async (path) => (await getJson(path)).body,
  publish: (c, topic) => publishAll(c.asGw2 ? gw2 : gw1, [{ topic, payload: c.payload }]),
  publishGood: () =>
    publishAll(gw1, [{ topic: POWER, payload: JSON.stringify({ ts: ts(), v: 42 }) }]),
  defaultTopic: POWER,
  clientIdOf: (c) => (c.asGw2 ? GW2_CLIENT_ID : CLIENT_ID),
  cap: DL_CAP,
});

describe('payloads that are not JSON readings', () => {
  it('malformed JSON', () =>
    rejects({
      name: 'truncated JSON',
      payload: `{"ts":${ts()},"v":1`,
      code: 'PP_ERR_MALFORMED_JSON',
      field: null,
      reason: ['not valid JSON'],
    }));
  it('empty payload', () =>
    rejects({
      name: 'empty',
      payload: '',
      code: 'PP_ERR_MALFORMED_JSON',
      field: null,
      reason: ['not valid JSON'],
    }));
  it('NaN as raw text', () =>
    rejects({
      name: 'NaN',
      payload: `{"ts":${ts()},"v":NaN}`,
      code: 'PP_ERR_NOT_FINITE',
      field: 'v',
      reason: ['v is NaN'],
    }));
  it('Infinity as raw text', () =>
    rejects({
      name: 'Infinity',
      payload: `{"ts":${ts()},"v":Infinity}`,
      code: 'PP_ERR_NOT_FINITE',
      field: 'v',
      reason: ['v is Infinity'],
    }));
  it('-Infinity inside an array names the element ("[1].v")', () =>
    rejects({
      name: '-Infinity in an array',
      payload: `[{"ts":${ts()},"v":1},{"ts":${ts()},"v":-Infinity}]`,
      code: 'PP_ERR_NOT_FINITE',
      field: '[1].v',
      reason: ['[1].v', '-Infinity'],
      stored: 1,
    }));
  it('an empty array', () =>
    rejects({ name: '[]', payload: '[]', code: 'PP_ERR_SCHEMA', field: null, reason: ['the array holds no readings'] }));
  it('an unknown key', () =>
    rejects({
      name: 'unknown key',
      payload: JSON.stringify({ ts: ts(), v: 1, extra: 1 }),
      code: 'PP_ERR_SCHEMA',
      field: null,
      reason: ['unknown key "extra"'],
    }));

  it('a huge payload (over ingest.maxPayloadBytes) is kept capped, with its real size', async () => {
    const huge = JSON.stringify(Array.from({ length: 80 }, (_, i) => ({ ts: nextTs + i, v: 1 })));
    expect(Buffer.byteLength(huge)).toBeGreaterThan(MAX_PAYLOAD);
    const dl = await rejects({
      name: 'huge',
      payload: huge,
      code: 'PP_ERR_PAYLOAD_TOO_LARGE',
      field: null,
      reason: [`${Buffer.byteLength(huge)} bytes`, `${MAX_PAYLOAD}`, 'ingest.maxPayloadBytes'],
    });
    expect({ truncated: dl.truncated, payload: dl.payload }).toEqual({
      truncated: true,
      payload: huge.slice(0, DL_CAP),
    });
  });

  it('a topic that names no sensor of the model', () =>
    rejects({
      name: 'unknown sensor',
      topic: 'plants/t/l1/m1/nope',
      payload: JSON.stringify({ ts: ts(), v: 1 }),
      code: 'PP_ERR_UNKNOWN_SENSOR',
      field: null,
      reason: ['plants/t/l1/m1/nope'],
    }));
});

describe('readings with a bad field', () => {
  it('a value of the wrong type names the field', () =>
    rejects({
      name: 'v as a string',
      payload: JSON.stringify({ ts: ts(), v: '12.5' }),
      code: 'PP_ERR_SCHEMA',
      field: 'v',
      reason: ['v:', 'number'],
    }));
  it('a missing value names the field', () =>
    rejects({
      name: 'no v',
      payload: JSON.stringify({ ts: ts() }),
      code: 'PP_ERR_SCHEMA',
      field: 'v',
      reason: ['v: missing'],
    }));
  it('a timestamp in the far future', () =>
    rejects({
      name: 'future',
      payload: JSON.stringify({ ts: Date.now() + 86_400_000, v: 1 }),
      code: 'PP_ERR_TIMESTAMP',
      field: 'ts',
      reason: ['ts ', 'in the future', 'limit 5.0 min'],
    }));
  it('a timestamp before the earliest accepted date', () =>
    rejects({
      name: '1999',
      payload: JSON.stringify({ ts: '1999-12-31T23:00:00Z', v: 1 }),
      code: 'PP_ERR_TIMESTAMP',
      field: 'ts',
      reason: ['ts 1999-12-31T23:00:00.000Z', 'before the earliest accepted time 2000-01-01'],
    }));
  it('a timestamp in epoch seconds', () =>
    rejects({
      name: 'seconds',
      payload: JSON.stringify({ ts: Math.floor(Date.now() / 1000) - 60, v: 1 }),
      code: 'PP_ERR_TIMESTAMP',
      field: 'ts',
      reason: ['epoch seconds', 'send milliseconds'],
    }));
  it('a timestamp without an offset', () =>
    rejects({
      name: 'no offset',
      payload: JSON.stringify({ ts: '2026-01-01T10:00:00', v: 1 }),
      code: 'PP_ERR_TIMESTAMP',
      field: 'ts',
      reason: ['RFC 3339'],
    }));
  it('a unit that does not measure the sensor kind', () =>
    rejects({
      name: 'unit',
      payload: JSON.stringify({ ts: ts(), v: 1, unit: '°C' }),
      code: 'PP_ERR_UNIT',
      field: 'unit',
      reason: ['"°C" does not measure power'],
    }));
  it('a value outside the valid range', () =>
    rejects({
      name: 'range',
      payload: JSON.stringify({ ts: ts(), v: 600 }),
      code: 'PP_ERR_OUT_OF_RANGE',
      field: 'v',
      reason: ['v: 600 kW', '[0, 500] kW'],
    }));
  it('a value outside the valid range after unit conversion', () =>
    rejects({
      name: 'range W',
      payload: JSON.stringify({ ts: ts(), v: 600_000, unit: 'W' }),
      code: 'PP_ERR_OUT_OF_RANGE',
      field: 'v',
      reason: ['v: 600000 W', '[0, 500] kW'],
    }));

  it('a finite value that overflows to Infinity in the canonical unit is rejected, and reads keep working', async () => {
    // t/l2/x1/power has no range: 1e308 kW is 1e311 W, which is Infinity as a double.
    const t = ts();
    await rejects({
      name: 'overflow',
      asGw2: true,
      topic: 'plants/t/l2/x1/power',
      payload: JSON.stringify({ ts: t, v: 1e308 }),
      code: 'PP_ERR_NOT_FINITE',
      field: 'v',
      reason: ['1e+308'],
    });
    const r = await getJson(
      `/api/v1/readings?sensor=t/l2/x1/power&from=${t - 60_000}&to=${t + 60_000}`,
    );
    expect(r.status).toBe(200);
  });

  it('an array with some bad elements stores the good ones and names every bad one', async () => {
    const good = [ts(), ts()];
    const payload = JSON.stringify([
      { ts: good[0], v: 1 },
      { ts: ts(), v: 'x' },
      { ts: good[1], v: 2 },
      { ts: ts(), v: 9999 },
      { ts: Date.now() + 86_400_000, v: 3 },
    ]);
    await rejects({
      name: 'mixed array',
      payload,
      code: 'PP_ERR_SCHEMA',
      field: '[1].v',
      reason: ['3 of 5 readings rejected', '[1].v:', '[3].v: 9999 kW', '[4].ts '],
      stored: 2,
    });
    const pts = (
      await getJson(`/api/v1/readings?sensor=t/l1/m1/power&from=${good[0]}&to=${good[1]! + 1}`)
    ).body.points;
    expect(pts).toEqual([
      { ts: good[0], value: 1000, quality: 0 },
      { ts: good[1], value: 2000, quality: 0 },
    ]);
  });
});

describe('waveform blocks', () => {
  const samples = (n: number, v = 1) => Array.from({ length: n }, () => v);

  it('a valid block is stored as one row whose value is the RMS in m/s²', async () => {
    const t = ts();
    const before = await readingsCount();
    await publishAll(gw1, [
      { topic: VIB, payload: JSON.stringify({ ts: t, rate: 1024, samples: samples(64) }) },
    ]);
    expect(await readingsCount()).toBe(before + 1);
    const pts = (await getJson(`/api/v1/readings?sensor=t/l1/m1/vib&from=${t}&to=${t + 1}`)).body
      .points;
    expect(pts).toHaveLength(1);
    expect(pts[0].value).toBeCloseTo(9.80665, 5);
  });

  it('a sample rate other than the configured one', () =>
    rejects({
      name: 'rate',
      topic: VIB,
      payload: JSON.stringify({ ts: ts(), rate: 2048, samples: samples(16) }),
      code: 'PP_ERR_SCHEMA',
      field: 'rate',
      reason: ['rate: 2048 Hz', '1024 Hz'],
    }));
  it('too few samples', () =>
    rejects({
      name: 'few',
      topic: VIB,
      payload: JSON.stringify({ ts: ts(), rate: 1024, samples: samples(3) }),
      code: 'PP_ERR_SCHEMA',
      field: 'samples',
      reason: ['samples:'],
    }));
  it('a sample that is not a number', () => {
    const s: unknown[] = samples(16);
    s[3] = 'x';
    return rejects({
      name: 'sample type',
      topic: VIB,
      payload: JSON.stringify({ ts: ts(), rate: 1024, samples: s }),
      code: 'PP_ERR_SCHEMA',
      field: 'samples[3]',
      reason: ['samples[3]:'],
    });
  });
  it('a unit that is not an acceleration', () =>
    rejects({
      name: 'unit',
      topic: VIB,
      payload: JSON.stringify({ ts: ts(), rate: 1024, samples: samples(16), unit: 'kW' }),
      code: 'PP_ERR_UNIT',
      field: 'unit',
      reason: ['"kW"'],
    }));
  it('a scalar reading sent to a waveform topic', () =>
    rejects({
      name: 'scalar',
      topic: VIB,
      payload: JSON.stringify({ ts: ts(), v: 1 }),
      code: 'PP_ERR_SCHEMA',
      field: 'rate',
      reason: ['rate: missing', 'samples: missing'],
    }));
  it('a sample outside the sensor valid range is rejected, naming the sample', () => {
    const s = samples(16);
    s[5] = 80; // g; the range is [-50, 50] g
    return rejects({
      name: 'sample range',
      topic: VIB,
      payload: JSON.stringify({ ts: ts(), rate: 1024, samples: s }),
      code: 'PP_ERR_OUT_OF_RANGE',
      field: 'samples[5]',
      reason: ['samples[5]', '[-50, 50]'],
    });
  });
});

describe('batch events', () => {
  it('valid start and end events are stored', async () => {
    const before = await readingsCount();
    await publishAll(gw1, [
      {
        topic: BATCH,
        payload: JSON.stringify({
          ts: ts(),
          event: 'start',
          batch: 'B-001',
          product: 'paracetamol-500',
          quantity: 120_000,
          unit: 'tablets',
        }),
      },
      {
        topic: BATCH,
        payload: JSON.stringify({ ts: ts(), event: 'phase', batch: 'B-001', phase: 'compress' }),
      },
      {
        topic: BATCH,
        payload: JSON.stringify({ ts: ts(), event: 'end', batch: 'B-001', quantity: 118_500 }),
      },
    ]);
    expect(await readingsCount()).toBe(before + 3);
    expect((await newestDeadLetter())?.topic).not.toBe(BATCH);
  });

  it('an unknown event type', () =>
    rejects({
      name: 'event',
      topic: BATCH,
      payload: JSON.stringify({ ts: ts(), event: 'pause', batch: 'B-001' }),
      code: 'PP_ERR_SCHEMA',
      field: 'event',
      reason: ['event:'],
    }));
  it('a missing batch id', () =>
    rejects({
      name: 'batch',
      topic: BATCH,
      payload: JSON.stringify({ ts: ts(), event: 'start' }),
      code: 'PP_ERR_SCHEMA',
      field: 'batch',
      reason: ['batch: missing'],
    }));
  it('a phase event without its phase', () =>
    rejects({
      name: 'phase',
      topic: BATCH,
      payload: JSON.stringify({ ts: ts(), event: 'phase', batch: 'B-001' }),
      code: 'PP_ERR_SCHEMA',
      field: 'phase',
      reason: ['phase: missing'],
    }));
  it('a negative quantity', () =>
    rejects({
      name: 'quantity',
      topic: BATCH,
      payload: JSON.stringify({ ts: ts(), event: 'end', batch: 'B-001', quantity: -5 }),
      code: 'PP_ERR_SCHEMA',
      field: 'quantity',
      reason: ['quantity:'],
    }));
  it('a batch event with a bad timestamp', () =>
    rejects({
      name: 'batch ts',
      topic: BATCH,
      payload: JSON.stringify({ ts: 'now', event: 'start', batch: 'B-002' }),
      code: 'PP_ERR_TIMESTAMP',
      field: 'ts',
      reason: ['ts "now"'],
    }));
});

describe('topic ACL', () => {
  it('a publish into another device prefix is refused, dead-lettered and logged, not stored', async () => {
    const t = ts();
    const topic = 'plants/t/l2/x1/power';
    await rejects({
      name: 'acl',
      topic,
      payload: JSON.stringify({ ts: t, v: 1 }),
      code: 'PP_ERR_ACL_DENIED',
      field: null,
      reason: ['"gw1"', 'plants/t/l1/', topic, 'device "gw2"'],
    });
    expect(
      (await getJson(`/api/v1/readings?sensor=t/l2/x1/power&from=${t}&to=${t + 1}`)).body.points,
    ).toEqual([]);
    await waitFor(
      () =>
        pp.logs.some(
          (l) => l.msg === 'publish outside the device topic prefix refused' && l.topic === topic,
        ),
      'the ACL log line',
    );
    const line = pp.logs.find(
      (l) => l.msg === 'publish outside the device topic prefix refused' && l.topic === topic,
    )!;
    expect({ level: line.level, device: line.device, clientId: line.clientId }).toEqual({
      level: 40,
      device: 'gw1',
      clientId: CLIENT_ID,
    });
  });

  it('a publish outside every device prefix, and to a $ topic, is refused too', async () => {
    await rejects({
      name: 'acl none',
      topic: 'factory/line9/x',
      payload: '{}',
      code: 'PP_ERR_ACL_DENIED',
      field: null,
      reason: ['factory/line9/x', 'no device'],
    });
    await rejects({
      name: 'acl $',
      topic: '$PP/sink',
      payload: '{}',
      code: 'PP_ERR_ACL_DENIED',
      field: null,
      reason: ['$PP/sink'],
    });
  });
});

describe('many bad messages pipelined with good ones', () => {
  it('stores every good reading and dead-letters every bad message; the process stays up', async () => {
    const before = (await getJson('/api/v1/stats')).body;
    const bad = [
      '{"ts":',
      '',
      `{"ts":${ts()},"v":NaN}`,
      JSON.stringify({ ts: ts(), v: 1, unit: 'bar' }),
      JSON.stringify({ ts: ts(), v: -1 }),
      JSON.stringify({ ts: 1, v: 1 }),
      'x'.repeat(MAX_PAYLOAD + 1),
    ];
    const msgs = Array.from({ length: 200 }, (_, i) => ({
      topic: i % 2 ? 'plants/t/l1/m2/power' : POWER,
      payload: JSON.stringify({ ts: ts(), v: i % 500 }),
    }));
    bad.forEach((payload, i) => msgs.splice(i * 25 + 3, 0, { topic: POWER, payload }));
    await publishAll(gw1, msgs);
    const after = (await getJson('/api/v1/stats')).body;
    expect(after.readings - before.readings).toBe(200);
    expect(after.deadLetters - before.deadLetters).toBe(bad.length);

    const health = await getJson('/health');
    expect(health.status).toBe(200);
    expect(pp.child.exitCode).toBeNull();
    expect(pp.stderr).toEqual([]);
  });

  it('counts every reject by code in /api/v1/stats and /metrics', async () => {
    const stats = (await getJson('/api/v1/stats')).body;
    const dl = (await getJson('/api/v1/dead-letters?limit=1000')).body.deadLetters as DeadLetter[];
    expect(dl).toHaveLength(stats.deadLetters);
    const byCode: Record<string, number> = {};
    for (const d of dl) byCode[d.code] = (byCode[d.code] ?? 0) + 1;
    expect(stats.rejectsByCode).toEqual(byCode);
    const metrics = await (await apiFetch(`${pp.httpUrl}/metrics`)).text();
    expect(metrics).toContain(`plantpulse_dead_letters_total ${stats.deadLetters}`);
    expect(metrics).toContain(
      `plantpulse_rejects_total{code="PP_ERR_ACL_DENIED"} ${byCode.PP_ERR_ACL_DENIED}`,
    );
    // Filter by code.
    const acl = (await getJson('/api/v1/dead-letters?code=PP_ERR_ACL_DENIED')).body
      .deadLetters as DeadLetter[];
    expect(acl.map((d) => d.code)).toEqual(
      Array(byCode.PP_ERR_ACL_DENIED).fill('PP_ERR_ACL_DENIED'),
    );
  });
});
