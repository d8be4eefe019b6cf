/**
 * The per-packet half of closing revoked sessions (broker/sessions.ts), in-process so the
 * broker's idle poll can be switched off: then only traffic can reveal a removal or rotation,
 * and each test shows which packet does. Credentials change through a second SQLite connection
 * with the CLI's own code (DeviceCredentials), as `plantpulse devices remove|rotate` would from
 * its process. Transports: plain TCP, mutual TLS (certificate login) and WebSocket; the will
 * of a revoked session is refused like any other PUBLISH.
 */
import type Database from 'better-sqlite3';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceCredentials } from '../../broker/credentials.js';
import { makePki, type Pki } from '../../security/testkit/pki.js';
import { openDatabase } from '../../store/db.js';
import { testPlant } from '../helpers/plant-fixture.js';
import { tempDir } from '../helpers/tmp.js';
import {
  connectDevice,
  connectMqtt,
  endAll,
  metricValue,
  minuteAgo,
  startInProcess,
  waitFor,
  type InProcess,
} from './support/harness.js';

const tmp = tempDir('plantpulse-session-checks-');
let pki: Pki;
let env: InProcess;
let cliDb: Database.Database;
/** The credential store as another process (the CLI) sees it. */
let cli: DeviceCredentials;
const clients: MqttClient[] = [];

beforeAll(async () => {
  pki = makePki(tmp.dir);
  env = await startInProcess({
    plant: testPlant({
      machines: 1,
      overrides: {
        mqtt: {
          tls: {
            port: 0,
            cert: `${tmp.dir}/server.crt`,
            key: `${tmp.dir}/server.key`,
            ca: `${tmp.dir}/ca.crt`,
            clientCerts: 'optional',
          },
          websocket: { port: 0, path: '/mqtt' },
        },
      },
    }),
    devices: ['gw1', 'gw2'],
  });
  // No idle poll: whatever closes a session below, a packet of that client triggered it.
  env.pp.broker.sessions.stop();
  cliDb = openDatabase(env.dataDir, { durability: 'full' });
  cli = new DeviceCredentials(cliDb);
});

afterAll(async () => {
  await endAll(...clients);
  cliDb?.close();
  await env?.close();
  tmp.cleanup();
});

const reading = (ts: number, v: number) => JSON.stringify({ ts, v });
const closedBy = (c: MqttClient) => new Promise<void>((res) => c.once('close', () => res()));
const track = <T extends MqttClient>(c: T) => (clients.push(c), c);
const stored = async (sensor: string, ts: number) =>
  (
    (await env.get(`/api/v1/readings?sensor=${sensor}&from=${ts}&to=${ts + 1}`)).body as {
      points: unknown[];
    }
  ).points.length;
const closedSessions = () =>
  env.pp.store.audit
    .list({ actionPrefix: 'device.session_closed', limit: 100 })
    .map((e) => ({ subject: e.subject, ...e.detail }))
    .reverse();

/** Publishes QoS 1 and reports whether a PUBACK came back before the connection closed. */
function publishWatchingAck(c: MqttClient, topic: string, payload: string) {
  let acked = false;
  c.publishAsync(topic, payload, { qos: 1 }).then(
    () => (acked = true),
    () => undefined,
  );
  return () => acked;
}

describe('with the idle poll off, the next packet reveals a change made by another process', () => {
  it('the first PUBLISH after a removal gets no PUBACK, is not stored, and ends the session', async () => {
    const c = track(await connectDevice(env, 'gw1', { clientId: 'gw1-tcp' }));
    const t = minuteAgo(2);
    await c.publishAsync('plants/t/l1/m1/power', reading(t, 1), { qos: 1 });

    expect(cli.disable('gw1')).toBe(true);
    expect(env.pp.broker.sessions.size).toBe(1); // nothing has looked yet
    const closed = closedBy(c);
    const acked = publishWatchingAck(c, 'plants/t/l1/m1/power', reading(t + 1000, 2));
    await closed;
    expect(acked()).toBe(false);
    expect(env.pp.broker.sessions.size).toBe(0);
    expect(await stored('t/l1/m1/power', t)).toBe(1);
    expect(await stored('t/l1/m1/power', t + 1000)).toBe(0);
    expect(closedSessions()).toEqual([
      { subject: 'gw1', clientId: 'gw1-tcp', reason: 'device_removed', login: 'password' },
    ]);
  });

  it('a SUBSCRIBE after a rotation is refused and ends the session', async () => {
    env.secrets.gw1 = await cli.issue('gw1'); // `devices add` re-enables the removed device
    const c = track(await connectDevice(env, 'gw1', { clientId: 'gw1-sub' }));
    await cli.issue('gw1'); // rotation: this session logged in with the previous secret
    const closed = closedBy(c);
    let granted: unknown;
    c.subscribe('plants/t/l1/#', { qos: 1 }, (_err, g) => (granted = g));
    await closed;
    expect(granted).toBeUndefined(); // no SUBACK granting anything
    expect(closedSessions().at(-1)).toEqual({
      subject: 'gw1',
      clientId: 'gw1-sub',
      reason: 'secret_rotated',
      login: 'password',
    });
  });
});

describe('the will of a revoked session', () => {
  it('is not published: the will goes through the same check as any PUBLISH', async () => {
    env.secrets.gw1 = await cli.issue('gw1');
    const t = minuteAgo(4);
    const c = track(
      await connectDevice(env, 'gw1', {
        clientId: 'gw1-will',
        will: { topic: 'plants/t/l1/m1/temp', payload: Buffer.from(reading(t, 21)), qos: 1 },
      }),
    );
    const messagesIn = async () =>
      metricValue(await env.pp.metrics.registry.metrics(), 'plantpulse_mqtt_messages_in_total');
    const before = await messagesIn();
    expect(cli.disable('gw1')).toBe(true);
    const closed = closedBy(c);
    publishWatchingAck(c, 'plants/t/l1/m1/power', reading(t, 5));
    await closed;
    // Both reached the hook: the refused PUBLISH, then the will Aedes tries as the session ends.
    await waitFor(async () => (await messagesIn()) === before + 2, 'the will to be tried');
    expect(await stored('t/l1/m1/temp', t)).toBe(0);
    expect(await stored('t/l1/m1/power', t)).toBe(0);
  });
});

describe('certificate and WebSocket sessions', () => {
  it('a rotation ends the password session over WebSocket, not the certificate session; a removal ends that too', async () => {
    const t = minuteAgo(3);
    const cert = track(
      await connectMqtt(`mqtts://localhost:${env.pp.mqttTlsPort}`, {
        ca: pki.ca,
        ...pki.client('gw2-san'), // names gw2 by subjectAltName
        clientId: 'gw2-cert',
      }),
    );
    const ws = track(
      await connectMqtt(`ws://127.0.0.1:${env.pp.mqttWsPort}/mqtt`, {
        username: 'gw2',
        password: env.secrets.gw2,
        clientId: 'gw2-ws',
      }),
    );
    const wsClosed = closedBy(ws);

    await cli.issue('gw2'); // the password changes; the certificate does not
    // This PUBLISH makes the broker re-check every session: it is admitted and acknowledged,
    // and the same pass closes the WebSocket session that used the old password.
    await cert.publishAsync('plants/t/l2/x1/power', reading(t, 3), { qos: 1 });
    await wsClosed;
    expect(cert.connected).toBe(true);

    expect(cli.disable('gw2')).toBe(true);
    const certClosed = closedBy(cert);
    const acked = publishWatchingAck(cert, 'plants/t/l2/x1/power', reading(t + 1000, 4));
    await certClosed;
    expect(acked()).toBe(false);
    expect(await stored('t/l2/x1/power', t)).toBe(1);
    expect(await stored('t/l2/x1/power', t + 1000)).toBe(0);

    expect(closedSessions().slice(-2)).toEqual([
      { subject: 'gw2', clientId: 'gw2-ws', reason: 'secret_rotated', login: 'password' },
      { subject: 'gw2', clientId: 'gw2-cert', reason: 'device_removed', login: 'certificate' },
    ]);
    const text = await env.pp.metrics.registry.metrics();
    const count = (r: string) =>
      metricValue(text, 'plantpulse_mqtt_sessions_revoked_total', `reason="${r}"`);
    expect([count('device_removed'), count('secret_rotated')]).toEqual([3, 2]);
  });
});
