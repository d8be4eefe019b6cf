/**
 * C6 on the wire: who may connect, publish and subscribe. Real broker and real clients
 * (MQTT.js and Debian's mosquitto_sub); refused publishes must be dead-lettered, not stored,
 * and never routed to subscribers. Where device prefixes nest, the most specific prefix owns
 * the topic.
 */
import { resolve } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlantModelInput } from '../../config/schema.js';
import { DeviceCredentials } from '../../broker/credentials.js';
import { apiFetch, startChild, type PlantPulseChild } from '../helpers/plantpulse-process.js';
import { testPlant, writePlant } from '../helpers/plant-fixture.js';
import { tempDir } from '../helpers/tmp.js';
import {
  connectDevice,
  connectMqtt,
  endAll,
  metricValue,
  minuteAgo,
  publishAll,
  refusalCode,
  run,
  startInProcess,
  subackCodes,
  waitFor,
  type InProcess,
} from './support/harness.js';

/**
 * Fixture with nested and adjacent prefixes:
 *   gw1   plants/t/l1            (line gateway)
 *   cms1  plants/t/l1/m1/vib     (condition monitoring box, nested below gw1)
 *   mes1  plants/t/l1/batch      (MES, nested below gw1)
 *   gw2   plants/t/l2
 *   gw10  plants/t/l10           ("plants/t/l1" is a string prefix of it, not a topic-level prefix)
 *   spare plants/spare           (in the model, never given credentials)
 */
function aclPlant(): PlantModelInput {
  const p = testPlant({ machines: 2 });
  p.sites[0]!.lines.push({
    id: 'l10',
    machines: [{ id: 'y1', sensors: [{ id: 'power', kind: 'power', unit: 'kW', interval: '1s' }] }],
  });
  p.devices = [
    { id: 'gw1', prefix: 'plants/t/l1' },
    { id: 'cms1', prefix: 'plants/t/l1/m1/vib' },
    { id: 'mes1', prefix: 'plants/t/l1/batch' },
    { id: 'gw2', prefix: 'plants/t/l2' },
    { id: 'gw10', prefix: 'plants/t/l10' },
    { id: 'spare', prefix: 'plants/spare' },
  ];
  return p;
}

let nextTs = minuteAgo(30);
const ts = () => (nextTs += 1000);
const reading = () => JSON.stringify({ ts: ts(), v: 1 });
const waveform = () =>
  JSON.stringify({ ts: ts(), rate: 1024, samples: [1, -1, 1, -1, 1, -1, 1, -1] });
const batchStart = () => JSON.stringify({ ts: ts(), event: 'start', batch: `B-${nextTs}` });

describe('fixture plant with nested prefixes', () => {
  let env: InProcess;
  const clients: MqttClient[] = [];
  const device = async (id: string) => {
    const c = await connectDevice(env, id);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    env = await startInProcess({
      plant: aclPlant(),
      devices: ['gw1', 'cms1', 'mes1', 'gw2', 'gw10'],
    });
  });
  afterAll(async () => {
    await endAll(...clients);
    await env?.close();
  });

  const stats = async () =>
    (await env.get('/api/v1/stats')).body as { readings: number; deadLetters: number };
  const newestDeadLetter = async () =>
    (await env.get('/api/v1/dead-letters?limit=1')).body.deadLetters[0] as {
      topic: string;
      code: string;
      field: string | null;
      reason: string;
      clientId: string;
    };

  /** Publishes as `client`; asserts it was refused: dead-lettered with PP_ERR_ACL_DENIED and nothing stored. */
  async function refusedPublish(
    client: MqttClient,
    topic: string,
    payload: string,
    reasonParts: string[],
  ) {
    const before = await stats();
    await publishAll(client, [{ topic, payload }]);
    const after = await stats();
    expect({ readings: after.readings, deadLetters: after.deadLetters }).toEqual({
      readings: before.readings,
      deadLetters: before.deadLetters + 1,
    });
    const dl = await newestDeadLetter();
    expect({ topic: dl.topic, code: dl.code, field: dl.field, clientId: dl.clientId }).toEqual({
      topic,
      code: 'PP_ERR_ACL_DENIED',
      field: null,
      clientId: client.options.clientId,
    });
    for (const p of reasonParts) expect(dl.reason).toContain(p);
  }

  async function storedPublish(client: MqttClient, topic: string, payload: string) {
    const before = await stats();
    await publishAll(client, [{ topic, payload }]);
    expect(await stats()).toMatchObject({
      readings: before.readings + 1,
      deadLetters: before.deadLetters,
    });
  }

  describe('authentication (CONNECT)', () => {
    it('refuses anonymous clients with CONNACK 5 when mqtt.allowAnonymous is false', async () => {
      expect(await refusalCode(env.mqttUrl, { clientId: 'anon-1' })).toBe(5);
    });
    it('refuses a wrong secret with CONNACK 4', async () => {
      expect(
        await refusalCode(env.mqttUrl, {
          username: 'gw1',
          password: 'wrong-secret',
          clientId: 'gw1-wrong',
        }),
      ).toBe(4);
    });
    it('refuses a device of the model that has no credentials yet with CONNACK 4', async () => {
      expect(
        await refusalCode(env.mqttUrl, {
          username: 'spare',
          password: 'anything',
          clientId: 'spare-1',
        }),
      ).toBe(4);
    });
    it('refuses a user name that is no device of the model with CONNACK 5', async () => {
      expect(
        await refusalCode(env.mqttUrl, {
          username: 'intruder',
          password: 'x',
          clientId: 'intruder-1',
        }),
      ).toBe(5);
    });
    it('counts the refusals by reason', async () => {
      const m = (await env.get('/metrics')).text;
      expect(
        ['anonymous', 'wrong_secret', 'no_credentials', 'unknown_device'].map((r) =>
          metricValue(m, 'plantpulse_mqtt_auth_failures_total', `reason="${r}"`),
        ),
      ).toEqual([1, 1, 1, 1]);
    });
    it('after a secret is rotated the old one is refused and the new one accepted', async () => {
      const old = env.secrets.gw10!;
      const first = await connectMqtt(env.mqttUrl, {
        username: 'gw10',
        password: old,
        clientId: 'gw10-a',
      });
      await first.endAsync();
      const rotated = await new DeviceCredentials(env.pp.store.db).issue('gw10');
      expect(
        await refusalCode(env.mqttUrl, { username: 'gw10', password: old, clientId: 'gw10-b' }),
      ).toBe(4);
      const again = await connectMqtt(env.mqttUrl, {
        username: 'gw10',
        password: rotated,
        clientId: 'gw10-c',
      });
      await again.endAsync();
      env.secrets.gw10 = rotated;
    });
  });

  describe('publish ACL', () => {
    it('a line gateway may not publish into the more specific prefix of a device below it', async () => {
      const gw1 = await device('gw1');
      const cms1 = await device('cms1');
      const mes1 = await device('mes1');
      await refusedPublish(gw1, 'plants/t/l1/m1/vib', waveform(), [
        '"gw1"',
        'plants/t/l1/m1/vib',
        'device "cms1"',
      ]);
      await storedPublish(cms1, 'plants/t/l1/m1/vib', waveform());
      await refusedPublish(gw1, 'plants/t/l1/batch', batchStart(), ['"gw1"', 'device "mes1"']);
      await storedPublish(mes1, 'plants/t/l1/batch', batchStart());
      // The gateway keeps the rest of its line.
      await storedPublish(gw1, 'plants/t/l1/m1/power', reading());
      await storedPublish(gw1, 'plants/t/l1/m2/temp', reading());
    });

    it('a nested device may not publish outside its own prefix', async () => {
      const cms1 = await device('cms1');
      await refusedPublish(cms1, 'plants/t/l1/m1/power', reading(), [
        '"cms1"',
        'plants/t/l1/m1/vib/',
        'device "gw1"',
      ]);
      await refusedPublish(cms1, 'plants/t/l2/x1/power', reading(), ['"cms1"', 'device "gw2"']);
    });

    it('prefixes match whole topic levels: plants/t/l1 does not cover plants/t/l10', async () => {
      const gw1 = await device('gw1');
      const gw10 = await device('gw10');
      await refusedPublish(gw1, 'plants/t/l10/y1/power', reading(), ['"gw1"', 'device "gw10"']);
      await storedPublish(gw10, 'plants/t/l10/y1/power', reading());
    });

    it('the sensor inventory names the owning (most specific) device of each topic', async () => {
      const sensors = (await env.get('/api/v1/sensors')).body.sensors as {
        path: string;
        device: string;
        topic: string;
      }[];
      const owner = Object.fromEntries(sensors.map((s) => [s.path, s.device]));
      expect(owner).toEqual({
        't/l1/m1/power': 'gw1',
        't/l1/m1/temp': 'gw1',
        't/l1/m1/vib': 'cms1',
        't/l1/m2/power': 'gw1',
        't/l1/m2/temp': 'gw1',
        't/l2/x1/power': 'gw2',
        't/l10/y1/power': 'gw10',
      });
    });

    it('a refused publish is not routed to subscribers of that topic', async () => {
      const gw1 = await device('gw1');
      const gw2 = await device('gw2');
      const received: string[] = [];
      gw2.on('message', (topic, payload) => received.push(`${topic} ${payload.toString()}`));
      await gw2.subscribeAsync('plants/t/l2/#', { qos: 1 });
      const injected = reading();
      await refusedPublish(gw1, 'plants/t/l2/x1/power', injected, ['"gw1"']);
      // gw2's own reading arrives on the same socket after anything routed before it.
      const own = reading();
      await publishAll(gw2, [{ topic: 'plants/t/l2/x1/power', payload: own }]);
      await waitFor(() => received.length >= 1, 'gw2 receiving its own reading');
      expect(received).toEqual([`plants/t/l2/x1/power ${own}`]);
    });
  });

  describe('subscribe ACL', () => {
    it('a device may not subscribe to other devices’ topics (SUBACK 0x80) and receives none of their messages', async () => {
      const gw1 = await device('gw1');
      const gw2 = await device('gw2');
      const received: string[] = [];
      gw2.on('message', (topic) => received.push(topic));
      const filters = [
        'plants/t/l1/#',
        'plants/#',
        '#',
        '+/t/l1/m1/power',
        'plants/t/+/m1/power',
        'plants/t/l1/m1/power',
        '$PP/#',
        '$SYS/#',
        'plants/t/l2/#',
        'plants/t/l2/x1/power',
        'plants/t/l2/+/power',
      ];
      expect(await subackCodes(gw2, filters, 1)).toEqual(filters.map((_, i) => (i < 8 ? 128 : 1)));

      // gw1 publishes on its line and sees its own message routed (it may read its own prefix)...
      const seenByGw1: string[] = [];
      gw1.on('message', (topic) => seenByGw1.push(topic));
      expect(await subackCodes(gw1, ['plants/t/l1/m2/#'], 1)).toEqual([1]);
      await publishAll(gw1, [
        { topic: 'plants/t/l1/m2/power', payload: reading() },
        { topic: 'plants/t/l1/m1/power', payload: reading() },
      ]);
      await waitFor(() => seenByGw1.length >= 1, 'gw1 receiving its own reading');
      // ...while gw2 gets only what was published under its own prefix.
      await publishAll(gw2, [{ topic: 'plants/t/l2/x1/power', payload: reading() }]);
      await waitFor(() => received.length >= 1, 'gw2 receiving its own reading');
      // Its three granted filters all match: MQTT 3.1.1 delivers one copy per matching subscription or one in total.
      expect(new Set(received)).toEqual(new Set(['plants/t/l2/x1/power']));
      expect(seenByGw1).toEqual(['plants/t/l1/m2/power']);
    });

    it('a line gateway may read its prefix but not the prefixes of devices nested below it', async () => {
      const gw1 = await device('gw1');
      const cms1 = await device('cms1');
      // 'plants/t/l1/+/temp' is refused too: it would match plants/t/l1/batch/temp, under mes1's prefix.
      const filters = [
        'plants/t/l1/m2/#',
        'plants/t/l1/m1/power',
        'plants/t/l1/m2/+',
        'plants/t/l1/#',
        'plants/t/l1/m1/+',
        'plants/t/l1/m1/vib',
        'plants/t/l1/batch',
        'plants/t/l1/+',
        'plants/t/l1/+/temp',
      ];
      expect(await subackCodes(gw1, filters, 0)).toEqual([0, 0, 0, 128, 128, 128, 128, 128, 128]);
      const cmsFilters = [
        'plants/t/l1/m1/vib',
        'plants/t/l1/m1/vib/#',
        'plants/t/l1/m1/#',
        'plants/t/l1/m1/power',
      ];
      expect(await subackCodes(cms1, cmsFilters, 0)).toEqual([0, 0, 128, 128]);
    });

    it('mosquitto_sub (a foreign client) is refused outside its prefix', async () => {
      const r = await run('/usr/bin/mosquitto_sub', [
        '-h',
        '127.0.0.1',
        '-p',
        String(env.pp.mqttPort),
        '-u',
        'gw2',
        '-P',
        env.secrets.gw2!,
        '-t',
        'plants/t/l1/#',
        '-W',
        '20',
      ]);
      expect(r.stderr).toContain('All subscription requests were denied');
      expect(r.stdout).toBe('');
    });

    it('counts refused publishes and subscriptions', async () => {
      const m = (await env.get('/metrics')).text;
      expect(metricValue(m, 'plantpulse_mqtt_acl_denied_total', 'action="publish"')).toBe(6);
      expect(metricValue(m, 'plantpulse_mqtt_acl_denied_total', 'action="subscribe"')).toBe(
        8 + 6 + 2 + 1,
      );
    });
  });
});

describe('example plant: gw-utilities vs cms-ac-702, gw-granulation vs mes-granulation', () => {
  let env: InProcess;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    env = await startInProcess({
      configFile: resolve('examples/plant.yaml'),
      devices: ['gw-utilities', 'cms-ac-702', 'gw-granulation', 'mes-granulation'],
    });
  });
  afterAll(async () => {
    await endAll(...clients);
    await env?.close();
  });

  it('the most specific prefix owns the topic', async () => {
    const [gwU, cms, gwG, mes] = await Promise.all(
      ['gw-utilities', 'cms-ac-702', 'gw-granulation', 'mes-granulation'].map((d) =>
        connectDevice(env, d),
      ),
    );
    clients.push(gwU!, cms!, gwG!, mes!);
    const waveTopic = 'plants/basel/utilities/ac-702/drive-end-waveform';
    const wave = () =>
      JSON.stringify({
        ts: ts(),
        rate: 25_600,
        samples: [0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5],
      });
    const batchTopic = 'plants/basel/granulation/batch';

    await publishAll(gwU!, [{ topic: waveTopic, payload: wave() }]);
    await publishAll(gwG!, [{ topic: batchTopic, payload: batchStart() }]);
    let stats = (await env.get('/api/v1/stats')).body;
    expect({
      readings: stats.readings,
      deadLetters: stats.deadLetters,
      rejectsByCode: stats.rejectsByCode,
    }).toEqual({ readings: 0, deadLetters: 2, rejectsByCode: { PP_ERR_ACL_DENIED: 2 } });
    const dls = (await env.get('/api/v1/dead-letters')).body.deadLetters as {
      topic: string;
      reason: string;
    }[];
    expect(dls.map((d) => d.topic)).toEqual([batchTopic, waveTopic]);
    expect(dls[0]!.reason).toContain('device "mes-granulation"');
    expect(dls[1]!.reason).toContain('device "cms-ac-702"');

    await publishAll(cms!, [{ topic: waveTopic, payload: wave() }]);
    await publishAll(mes!, [{ topic: batchTopic, payload: batchStart() }]);
    await publishAll(gwU!, [
      {
        topic: 'plants/basel/utilities/ac-702/power',
        payload: JSON.stringify({ ts: ts(), v: 80 }),
      },
    ]);
    await publishAll(gwG!, [
      {
        topic: 'plants/basel/granulation/g-201/power',
        payload: JSON.stringify({ ts: ts(), v: 40 }),
      },
    ]);
    // The waveform unit is declared in the model; cms-ac-702 may not publish the compressor's power.
    await publishAll(cms!, [
      {
        topic: 'plants/basel/utilities/ac-702/power',
        payload: JSON.stringify({ ts: ts(), v: 80 }),
      },
    ]);
    stats = (await env.get('/api/v1/stats')).body;
    expect({ readings: stats.readings, deadLetters: stats.deadLetters }).toEqual({
      readings: 4,
      deadLetters: 3,
    });
  });
});

describe('demo mode (mqtt.allowAnonymous: true), real CLI process', () => {
  let tmp: ReturnType<typeof tempDir> | undefined;
  let pp: PlantPulseChild;
  let anon: MqttClient | undefined;

  beforeAll(async () => {
    tmp = tempDir('plantpulse-anon-');
    const config = writePlant(tmp.dir, testPlant({ machines: 1, anonymous: true }));
    pp = await startChild({ config, dataDir: `${tmp.dir}/data` });
  });
  afterAll(async () => {
    await endAll(anon);
    if (pp) expect(await pp.stop()).toBe(0);
    tmp?.cleanup();
  });

  it('logs a loud warning at start', () => {
    const warning = pp.logs.find(
      (l) => typeof l.msg === 'string' && l.msg.includes('ANONYMOUS MQTT ACCESS IS ON'),
    );
    expect(warning).toBeDefined();
    expect(warning!.level).toBe(40);
    expect(warning!.msg).toContain('mqtt.allowAnonymous: true');
  });

  it('lets an anonymous client publish readings and subscribe, but never to $ topics', async () => {
    anon = await connectMqtt(pp.mqttUrl, { clientId: 'anon-demo' });
    const t = ts();
    await publishAll(anon, [
      { topic: 'plants/t/l1/m1/power', payload: JSON.stringify({ ts: t, v: 2 }) },
    ]);
    const res = await apiFetch(
      `${pp.httpUrl}/api/v1/readings?sensor=t/l1/m1/power&from=${t}&to=${t + 1}`,
    );
    expect(((await res.json()) as { points: unknown[] }).points).toEqual([
      { ts: t, value: 2000, quality: 0 },
    ]);
    expect(await subackCodes(anon, ['plants/#', '$PP/#', '$SYS/#'], 0)).toEqual([0, 128, 128]);
  });
});
