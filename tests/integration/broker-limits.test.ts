/**
 * Broker limits: a packet larger than mqtt.maxPacketBytes closes that connection before its body
 * is buffered (and the broker keeps serving everyone else), and mqtt.maxConnections refuses
 * connections beyond the limit. Real embedded broker; MQTT.js and raw sockets.
 *
 * broker/packet-size.ts reaches into mqtt-packet's parser inside Aedes; these tests fail if a new
 * Aedes or mqtt-packet version moves it.
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
  refusalCode,
  startInProcess,
  waitFor,
  type InProcess,
} from './support/harness.js';
import { connectPacket, publishHead, rawConnect } from './support/raw-mqtt.js';

const TOPIC = 'plants/t/l1/m1/power';
let nextTs = minuteAgo(30);
const reading = () => JSON.stringify({ ts: (nextTs += 1000), v: 1 });

/** A valid JSON payload of exactly `bytes` bytes (one reading, padded with JSON whitespace). */
function payloadOf(bytes: number): string {
  const r = reading();
  return r + ' '.repeat(bytes - r.length);
}

describe('mqtt.maxPacketBytes', () => {
  const MAX = 4096;
  let env: InProcess;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    env = await startInProcess({
      plant: testPlant({ machines: 1, overrides: { mqtt: { maxPacketBytes: MAX } } }),
      devices: ['gw1'],
    });
  });
  afterAll(async () => {
    await endAll(...clients);
    await env?.close();
  });

  const stats = async () => {
    const { readings, deadLetters } = (await env.get('/api/v1/stats')).body as {
      readings: number;
      deadLetters: number;
    };
    return { readings, deadLetters };
  };
  const device = async () => {
    const c = await connectDevice(env, 'gw1');
    clients.push(c);
    return c;
  };

  it('accepts a PUBLISH of exactly maxPacketBytes (remaining length) and closes the connection for one byte more', async () => {
    const bystander = await device();
    const sender = await device();
    // Remaining length of a QoS 1 PUBLISH = 2 + topic + 2 (packet id) + payload (MQTT 3.1.1 §3.3).
    const payloadAtLimit = MAX - (2 + TOPIC.length + 2);
    const before = await stats();
    await publishAll(sender, [{ topic: TOPIC, payload: payloadOf(payloadAtLimit) }]);
    expect(await stats()).toEqual({
      readings: before.readings + 1,
      deadLetters: before.deadLetters,
    });

    const closed = new Promise<void>((res) => sender.once('close', () => res()));
    sender.publish(TOPIC, payloadOf(payloadAtLimit + 1), { qos: 1 }, () => undefined);
    await closed;
    expect(sender.connected).toBe(false);
    // Neither stored nor dead-lettered: the broker never read it.
    expect(await stats()).toEqual({
      readings: before.readings + 1,
      deadLetters: before.deadLetters,
    });
    // The closed connection is counted down: only the bystander remains.
    await waitFor(
      async () =>
        metricValue((await env.get('/metrics')).text, 'plantpulse_mqtt_connections') === 1,
      'the connections gauge to drop to 1',
    );

    // Everyone else is still served: the connected bystander and a new connection.
    await publishAll(bystander, [{ topic: TOPIC, payload: reading() }]);
    const fresh = await device();
    await publishAll(fresh, [{ topic: TOPIC, payload: reading() }]);
    expect(await stats()).toEqual({
      readings: before.readings + 3,
      deadLetters: before.deadLetters,
    });
  });

  it('closes a raw connection whose fixed header announces a 10 MiB PUBLISH, without waiting for the body', async () => {
    const raw = await rawConnect(env.pp.mqttPort);
    try {
      raw.socket.write(connectPacket('raw-big', 'gw1', env.secrets.gw1!));
      const connack = await raw.receivedAtLeast(4);
      expect([...connack.subarray(0, 4)]).toEqual([0x20, 0x02, 0x00, 0x00]);
      // Only the header and 100 payload bytes are ever sent: the broker must close on the header.
      raw.socket.write(
        Buffer.concat([publishHead(TOPIC, 10 * 1024 * 1024), Buffer.alloc(100, 0x20)]),
      );
      await raw.closed;
      expect(raw.received().length).toBe(4); // CONNACK only: no PUBACK
    } finally {
      raw.socket.destroy();
    }
    const bystander = await device();
    await publishAll(bystander, [{ topic: TOPIC, payload: reading() }]);
  });

  it('closes the connection for an oversized CONNECT too (a 5000-byte password)', async () => {
    expect(
      await refusalCode(env.mqttUrl, {
        username: 'gw1',
        password: 'x'.repeat(5000),
        clientId: 'gw1-big-connect',
      }),
    ).toBe('CLOSED');
    const bystander = await device();
    await publishAll(bystander, [{ topic: TOPIC, payload: reading() }]);
  });
});

describe('mqtt.maxConnections', () => {
  const LIMIT = 3;
  let env: InProcess;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    env = await startInProcess({
      plant: testPlant({ machines: 1, overrides: { mqtt: { maxConnections: LIMIT } } }),
      devices: ['gw1'],
    });
  });
  afterAll(async () => {
    await endAll(...clients);
    await env?.close();
  });

  it(`refuses connection ${LIMIT + 1} while ${LIMIT} are open, and accepts again once one closes`, async () => {
    for (let i = 0; i < LIMIT; i++) clients.push(await connectDevice(env, 'gw1'));
    expect(metricValue((await env.get('/metrics')).text, 'plantpulse_mqtt_connections')).toBe(
      LIMIT,
    );

    // MQTT.js: the socket is closed before any CONNACK.
    expect(
      await refusalCode(env.mqttUrl, {
        username: 'gw1',
        password: env.secrets.gw1,
        clientId: 'gw1-extra',
      }),
    ).toBe('CLOSED');
    // Raw TCP: accepted by the kernel, then closed by the server without a byte.
    const raw = await rawConnect(env.pp.mqttPort);
    raw.socket.write(connectPacket('raw-extra', 'gw1', env.secrets.gw1!));
    await raw.closed;
    expect(raw.received().length).toBe(0);

    // The open connections keep working.
    const before = (await env.get('/api/v1/stats')).body.readings as number;
    await Promise.all(clients.map((c) => publishAll(c, [{ topic: TOPIC, payload: reading() }])));
    expect((await env.get('/api/v1/stats')).body.readings).toBe(before + LIMIT);

    // One leaves; a newcomer gets in (the server counts the closed socket down asynchronously).
    await clients.shift()!.endAsync();
    let newcomer: MqttClient | undefined;
    await waitFor(async () => {
      newcomer = await connectDevice(env, 'gw1').catch(() => undefined);
      return newcomer !== undefined;
    }, 'a free connection slot');
    clients.push(newcomer!);
    await publishAll(newcomer!, [{ topic: TOPIC, payload: reading() }]);
    expect((await env.get('/api/v1/stats')).body.readings).toBe(before + LIMIT + 1);
  });
});
