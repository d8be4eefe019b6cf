/**
 * Alert notifications through the real `plantpulse` process:
 *  - readings published over MQTT open an alert; its state arrives on the MQTT alert topic
 *    (and is retained for a client that subscribes later);
 *  - the webhook receiver holds its answer to the first delivery and the test SIGKILLs the
 *    process while that request is in flight. After a restart the outbox row is still pending
 *    and is delivered again with the same Idempotency-Key: the receiver sees two transmissions
 *    of one notification and, keying on the idempotency key as such receivers do, acts on it
 *    exactly once; nothing is lost and nothing is acted on twice;
 *  - ack through the HTTP API on the restarted process reaches the webhook as well.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiFetch, startChild, type PlantPulseChild } from '../helpers/plantpulse-process.js';
import { testPlant, writePlant } from '../helpers/plant-fixture.js';
import { tempDir } from '../helpers/tmp.js';
import { connectMqtt, endAll, waitFor, type Json } from './support/harness.js';

const tmp = tempDir('plantpulse-alerts-');
const dataDir = `${tmp.dir}/data`;
let config: string;
let hookServer: Server;
const running: PlantPulseChild[] = [];
const clients: MqttClient[] = [];

/** Every transmission the receiver got, and the keys it acted on (deduplicated by key). */
const transmissions: { key: string; transition: string }[] = [];
const actedOn = new Map<string, number>();
let holdNext = true;
let held: ServerResponse | undefined;

function receive(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const key = String(req.headers['idempotency-key']);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { transition: string };
    transmissions.push({ key, transition: body.transition });
    // An idempotent receiver: a key it has seen is answered 200 again and not acted on twice.
    actedOn.set(key, (actedOn.get(key) ?? 0) + (actedOn.has(key) ? 0 : 1));
    if (holdNext) {
      holdNext = false;
      held = res; // never answered: PlantPulse is killed while waiting for it
      return;
    }
    res.writeHead(200).end();
  });
}

beforeAll(async () => {
  hookServer = createServer(receive);
  await new Promise<void>((r) => hookServer.listen(0, '127.0.0.1', () => r()));
  const port = (hookServer.address() as AddressInfo).port;
  config = writePlant(
    tmp.dir,
    testPlant({
      machines: 1,
      anonymous: true,
      overrides: {
        alerts: {
          rules: [
            {
              id: 'hot',
              signal: 'temperature',
              condition: { type: 'above', threshold: 80, clear: 75 },
              severity: 'critical',
              channels: ['hook', 'bus'],
            },
          ],
          channels: [
            { id: 'hook', type: 'webhook', url: `http://127.0.0.1:${port}/alerts`, timeout: '60s' },
            { id: 'bus', type: 'mqtt' },
          ],
        },
      },
    }),
  );
});

afterAll(async () => {
  await endAll(...clients);
  for (const p of running) await p.kill();
  held?.destroy();
  hookServer.closeAllConnections();
  await new Promise<void>((r) => hookServer.close(() => r()));
  tmp.cleanup();
});

async function start(): Promise<PlantPulseChild> {
  const p = await startChild({ config, dataDir });
  running.push(p);
  return p;
}

async function get(p: PlantPulseChild, path: string): Promise<Json> {
  const res = await apiFetch(p.httpUrl + path);
  expect(res.status).toBe(200);
  return res.json();
}

describe('alert delivery across a SIGKILL', () => {
  it('delivers each notification once as far as the receiver can tell, and publishes on MQTT', async () => {
    const first = await start();
    const watcher = await connectMqtt(first.mqttUrl, { clientId: 'alert-watcher' });
    clients.push(watcher);
    const seen: { topic: string; payload: Json }[] = [];
    watcher.on('message', (topic, payload) =>
      seen.push({ topic, payload: JSON.parse(payload.toString()) }),
    );
    await watcher.subscribeAsync('plantpulse/alerts/#', { qos: 1 });

    const device = await connectMqtt(first.mqttUrl, { clientId: 'sensor-gw' });
    clients.push(device);
    const now = Date.now();
    for (const [i, v] of [70, 86, 91].entries()) {
      await device.publishAsync(
        'plants/t/l1/m1/temp',
        JSON.stringify({ ts: now - 3000 + i * 1000, v }),
        {
          qos: 1,
        },
      );
    }

    // The webhook request is in flight and will never be answered.
    await waitFor(() => held !== undefined, 'the first webhook delivery', 20_000).catch(
      async (err) => {
        const outbox = await get(first, '/api/v1/alerts/notifications');
        throw new Error(
          `${(err as Error).message}; outbox: ${JSON.stringify(outbox)}; logs: ${JSON.stringify(first.logs.slice(-5))}`,
        );
      },
    );
    await waitFor(() => seen.length > 0, 'the alert on the MQTT alert topic');
    expect(seen[0]!.topic).toBe('plantpulse/alerts/t/l1/m1/temp/hot');
    expect(seen[0]!.payload).toMatchObject({
      transition: 'open',
      alert: { rule: 'hot', severity: 'critical', state: 'open', value: 86 },
    });
    await endAll(watcher, device);
    await first.kill(); // SIGKILL mid-delivery

    const second = await start();
    await waitFor(() => transmissions.length >= 2, 'the webhook delivery after restart', 20_000);
    const openKey = transmissions[0]!.key;
    expect(transmissions.map((t) => t.key)).toEqual([openKey, openKey]); // retransmitted, same key
    expect(actedOn.get(openKey)).toBe(1); // …and acted on exactly once
    const [alert] = (await get(second, '/api/v1/alerts?state=open')).alerts;
    expect(alert.id).toBe(openKey.split('/')[0]);
    await waitFor(
      async () =>
        (await get(second, `/api/v1/alerts/${alert.id}`)).notifications.every(
          (n: Json) => n.state === 'sent',
        ),
      'the outbox rows marked sent',
    );

    // A client subscribing now gets the alert's state from the retained message.
    const late = await connectMqtt(second.mqttUrl, { clientId: 'late-watcher' });
    clients.push(late);
    const retained = new Promise<{ retain: boolean; payload: Json }>((res) =>
      late.on('message', (_t, payload, packet) =>
        res({ retain: packet.retain, payload: JSON.parse(payload.toString()) }),
      ),
    );
    await late.subscribeAsync('plantpulse/alerts/#', { qos: 1 });
    const r = await retained;
    expect(r.retain).toBe(true);
    expect(r.payload.alert.id).toBe(alert.id);

    // Ack over HTTP on the restarted process: audited, applied by the operator, notified.
    const ack = await apiFetch(`${second.httpUrl}/api/v1/alerts/${alert.id}/ack`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ by: 'night.shift', note: 'on my way' }),
    });
    expect(ack.status).toBe(202);
    await waitFor(
      () => transmissions.some((t) => t.transition === 'acknowledged'),
      'the ack notification',
    );
    const detail = await get(second, `/api/v1/alerts/${alert.id}`);
    expect(detail.state).toBe('acknowledged');
    expect(detail.history.map((h: Json) => `${h.transition}:${h.by}`)).toEqual([
      'open:system',
      'acknowledged:night.shift',
    ]);
    expect([...actedOn.values()].every((n) => n === 1)).toBe(true);
    expect(new Set(transmissions.map((t) => t.key)).size).toBe(2);
    expect(await second.stop()).toBe(0);
  });
});
