/**
 * Encrypted transports with real clients: MQTT.js over TLS (password and mutual TLS, where the
 * client certificate names the device), over WebSocket and secure WebSocket, and the API over
 * HTTPS, against certificates made with openssl at test time. Refused: a certificate from
 * another CA, a certificate naming no device or another device than the user name, anonymous
 * clients, and TLS 1.1 (the server answers with a protocol_version alert).
 */
import { request } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPlant } from '../helpers/plant-fixture.js';
import { tempDir } from '../helpers/tmp.js';
import { makePki, type Pki } from '../../security/testkit/pki.js';
import {
  connectMqtt,
  endAll,
  refusalCode,
  startInProcess,
  subackCodes,
  type InProcess,
} from './support/harness.js';

const tmp = tempDir('plantpulse-tls-');
let pki: Pki;
let env: InProcess;
const T0 = Date.now() - 3_600_000;

beforeAll(async () => {
  pki = makePki(tmp.dir);
  const files = { cert: `${tmp.dir}/server.crt`, key: `${tmp.dir}/server.key` };
  env = await startInProcess({
    plant: testPlant({
      machines: 1,
      overrides: {
        mqtt: {
          tls: { port: 0, ...files, ca: `${tmp.dir}/ca.crt`, clientCerts: 'optional' },
          websocket: { port: 0, path: '/mqtt' },
        },
        http: { tls: files },
      },
    }),
    devices: ['gw1', 'gw2'],
  });
});
afterAll(async () => {
  await env?.close();
  tmp.cleanup();
});

const tlsUrl = () => `mqtts://localhost:${env.pp.mqttTlsPort}`;
const stored = async (sensor: string, ts: number) =>
  (await env.get(`/api/v1/readings?sensor=${sensor}&from=${ts}&to=${ts + 1}`)).body.points
    .length as number;
const metrics = async () => (await env.pp.metrics.registry.metrics()).split('\n');
const metric = async (name: string) =>
  Number(
    (await metrics())
      .find((l) => l.startsWith(name))
      ?.split(' ')
      .pop() ?? 0,
  );

async function publishOne(c: MqttClient, topic: string, ts: number): Promise<void> {
  await c.publishAsync(topic, JSON.stringify({ ts, v: 1 }), { qos: 1 });
}

describe('MQTT over TLS', () => {
  it('a device logs in with its password over TLS ≥ 1.2 and its readings are stored', async () => {
    const c = await connectMqtt(tlsUrl(), {
      ca: pki.ca,
      username: 'gw1',
      password: env.secrets.gw1,
    });
    try {
      const socket = c.stream as unknown as { getProtocol(): string };
      expect(['TLSv1.2', 'TLSv1.3']).toContain(socket.getProtocol());
      await publishOne(c, 'plants/t/l1/m1/power', T0 + 1);
      expect(await stored('t/l1/m1/power', T0 + 1)).toBe(1);
    } finally {
      await endAll(c);
    }
  });

  it('a client certificate with CN = device id logs in without a password; the ACL still applies', async () => {
    const c = await connectMqtt(tlsUrl(), { ca: pki.ca, ...pki.client('gw1') });
    try {
      await publishOne(c, 'plants/t/l1/m1/power', T0 + 2);
      expect(await stored('t/l1/m1/power', T0 + 2)).toBe(1);
      const denied = await metric('plantpulse_mqtt_acl_denied_total{action="publish"}');
      await publishOne(c, 'plants/t/l2/x1/power', T0 + 3); // gw2's prefix
      expect(await stored('t/l2/x1/power', T0 + 3)).toBe(0);
      expect(await metric('plantpulse_mqtt_acl_denied_total{action="publish"}')).toBe(denied + 1);
      expect(await subackCodes(c, ['plants/t/l2/#', 'plants/t/l1/m1/power'])).toEqual([0x80, 1]);
    } finally {
      await endAll(c);
    }
  });

  it('a subjectAltName can name the device instead of the CN', async () => {
    const c = await connectMqtt(tlsUrl(), { ca: pki.ca, ...pki.client('gw2-san') });
    try {
      await publishOne(c, 'plants/t/l2/x1/power', T0 + 4);
      expect(await stored('t/l2/x1/power', T0 + 4)).toBe(1);
    } finally {
      await endAll(c);
    }
  });

  it('refuses foreign CAs, certificates naming no or another device, anonymous and wrong passwords', async () => {
    const tlsRefusals = await metric('plantpulse_mqtt_auth_failures_total{reason="tls"}');
    const rogue = await refusalCode(tlsUrl(), { ca: pki.ca, ...pki.client('rogue-gw1') });
    expect(rogue).not.toBe(0);
    expect(await metric('plantpulse_mqtt_auth_failures_total{reason="tls"}')).toBe(tlsRefusals + 1);
    // A certificate is the device it names: it cannot log in as another device.
    expect(await refusalCode(tlsUrl(), { ca: pki.ca, ...pki.client('gw1'), username: 'gw2' })).toBe(
      5,
    );
    expect(await refusalCode(tlsUrl(), { ca: pki.ca, ...pki.client('stranger') })).toBe(5);
    expect(await refusalCode(tlsUrl(), { ca: pki.ca })).toBe(5); // anonymous
    expect(
      await refusalCode(tlsUrl(), { ca: pki.ca, username: 'gw1', password: 'not-the-secret' }),
    ).toBe(4);
  });

  it('a TLS 1.1 client is refused with a protocol_version alert; TLS 1.2 is accepted', async () => {
    const handshake = (version: 'TLSv1.1' | 'TLSv1.2') =>
      new Promise<string>((resolve) => {
        const s = tlsConnect({
          host: '127.0.0.1',
          port: env.pp.mqttTlsPort!,
          servername: 'localhost',
          ca: pki.ca,
          minVersion: version,
          maxVersion: version,
          // Let this client offer TLS 1.1 at all (OpenSSL 3 refuses it at the default level).
          ciphers: 'DEFAULT@SECLEVEL=0',
        });
        s.once('secureConnect', () => {
          resolve(s.getProtocol() ?? 'none');
          s.destroy();
        });
        s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
      });
    expect(await handshake('TLSv1.1')).toBe('ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION');
    expect(await handshake('TLSv1.2')).toBe('TLSv1.2');
  });
});

describe('MQTT over WebSocket and the API over HTTPS', () => {
  it('a device publishes over ws:// within its ACL; anonymous is refused there too', async () => {
    const url = `ws://127.0.0.1:${env.pp.mqttWsPort}/mqtt`;
    const c = await connectMqtt(url, { username: 'gw1', password: env.secrets.gw1 });
    try {
      await publishOne(c, 'plants/t/l1/m1/temp', T0 + 5);
      expect(await stored('t/l1/m1/temp', T0 + 5)).toBe(1);
      // The same topic ACL on this transport: no reading of other devices' or system topics.
      expect(await subackCodes(c, ['#', 'plants/+/l2/#', '$SYS/#', 'plants/t/l1/#'])).toEqual([
        0x80, 0x80, 0x80, 1,
      ]);
      await publishOne(c, 'plants/t/l2/x1/power', T0 + 5);
      expect(await stored('t/l2/x1/power', T0 + 5)).toBe(0);
    } finally {
      await endAll(c);
    }
    expect(await refusalCode(url, {})).toBe(5);
  });

  it('serves the API over HTTPS with TLS ≥ 1.2', async () => {
    const get = (path: string, maxVersion: 'TLSv1.1' | 'TLSv1.3' = 'TLSv1.3') =>
      new Promise<{ status: number; protocol: string }>((resolve, reject) => {
        const req = request(
          {
            host: 'localhost',
            port: env.pp.httpPort,
            path,
            ca: pki.ca,
            maxVersion,
            minVersion: 'TLSv1.1',
            ciphers: 'DEFAULT@SECLEVEL=0',
          },
          (res) => {
            res.resume();
            const protocol = (res.socket as unknown as { getProtocol(): string }).getProtocol();
            res.on('end', () => resolve({ status: res.statusCode!, protocol }));
          },
        );
        req.on('error', reject);
        req.end();
      });
    const ok = await get('/health');
    expect(ok.status).toBe(200);
    expect(['TLSv1.2', 'TLSv1.3']).toContain(ok.protocol);
    expect((await get('/api/v1/stats')).status).toBe(401);
    // The server's protocol_version alert (OpenSSL: "tlsv1 alert protocol version").
    await expect(get('/health', 'TLSv1.1')).rejects.toThrow(/alert protocol version/);
  });
});

describe('TLS only: plain TCP off, client certificates required, wss', () => {
  it('has no plain listener, refuses TLS clients without a certificate, accepts wss', async () => {
    const files = { cert: `${tmp.dir}/server.crt`, key: `${tmp.dir}/server.key` };
    const strict = await startInProcess({
      plant: testPlant({
        machines: 1,
        overrides: {
          mqtt: {
            tcp: false,
            tls: { port: 0, ...files, ca: `${tmp.dir}/ca.crt`, clientCerts: 'required' },
            websocket: { port: 0, path: '/mqtt', tls: files },
          },
        },
      }),
      devices: ['gw1'],
    });
    try {
      expect(strict.pp.mqttPort).toBe(0);
      const url = `mqtts://localhost:${strict.pp.mqttTlsPort}`;
      const noCert = await refusalCode(url, {
        ca: pki.ca,
        username: 'gw1',
        password: strict.secrets.gw1,
      });
      expect(noCert).not.toBe(0);
      const c = await connectMqtt(url, { ca: pki.ca, ...pki.client('gw1') });
      await endAll(c);
      const w = await connectMqtt(`wss://localhost:${strict.pp.mqttWsPort}/mqtt`, {
        ca: pki.ca,
        username: 'gw1',
        password: strict.secrets.gw1,
      });
      try {
        await publishOne(w, 'plants/t/l1/m1/power', T0 + 6);
        const r = await strict.get(
          `/api/v1/readings?sensor=t/l1/m1/power&from=${T0 + 6}&to=${T0 + 7}`,
        );
        expect(r.body.points).toHaveLength(1);
      } finally {
        await endAll(w);
      }
    } finally {
      await strict.close();
    }
  });
});
