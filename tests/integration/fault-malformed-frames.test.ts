/**
 * Fault campaign: malformed MQTT frames on raw TCP sockets (issue 8).
 *
 * A real PlantPulse child process (mqtt.connectTimeout 1 s) receives 43 connections that
 * break the MQTT 3.1.1 framing rules (crash-support/bad-frames.ts: Remaining Length of five bytes,
 * truncated CONNECT and PUBLISH, wrong protocol name and level, a 200 MiB announcement, PUBLISH
 * and SUBSCRIBE before CONNECT, a second CONNECT, reserved packet types, QoS 3, wildcard, empty
 * and non-UTF-8 topics, HTTP, TLS and seeded random bytes), eight at a time, while a well-behaved
 * device publishes QoS 1 readings throughout. Each bad connection must be closed by the broker
 * without a PUBACK; the device must get every PUBACK and its readings must be stored; the process
 * must stay up, log no error, and exit cleanly.
 */
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPlant, writePlant } from '../helpers/plant-fixture.js';
import {
  addDevice,
  apiFetch,
  startChild,
  type PlantPulseChild,
} from '../helpers/plantpulse-process.js';
import { tempDir } from '../helpers/tmp.js';
import { badFrameCases, type BadFrameCase } from './crash-support/bad-frames.js';
import { crashSeed } from './crash-support/prng.js';
import { readLog, LOG_FILE } from './crash-support/verify.js';
import { connectMqtt, endAll, inBatches, metricValue } from './support/harness.js';
import { rawConnect } from './support/raw-mqtt.js';

const TOPIC = 'plants/t/l1/m1/power';
const CLOSE_BOUND_MS = 8_000; // connect timeout 1 s; a generous bound, not a timing assertion

const tmp = tempDir('plantpulse-badframes-');
let pp: PlantPulseChild;
let secret: string;
let device: MqttClient;

beforeAll(async () => {
  const config = writePlant(
    tmp.dir,
    testPlant({ machines: 1, overrides: { mqtt: { connectTimeout: '1s' } } }),
  );
  const dataDir = join(tmp.dir, 'data');
  secret = addDevice(config, dataDir, 'gw1');
  pp = await startChild({ config, dataDir });
  device = await connectMqtt(pp.mqttUrl, { username: 'gw1', password: secret, clientId: 'good' });
});

afterAll(async () => {
  await endAll(device);
  await pp?.kill();
  tmp.cleanup();
});

/** Packet types in a byte stream from the broker (fixed header + Remaining Length, §2.2). */
function packetTypes(buf: Buffer): number[] {
  const types: number[] = [];
  let i = 0;
  while (i < buf.length) {
    const type = buf[i]! >> 4;
    let len = 0;
    let mul = 1;
    let j = i + 1;
    for (; j < buf.length; j++) {
      len += (buf[j]! & 0x7f) * mul;
      mul *= 128;
      if ((buf[j]! & 0x80) === 0) break;
    }
    types.push(type);
    i = j + 1 + len;
  }
  return types;
}

interface Outcome {
  name: string;
  closed: boolean;
  afterMs: number;
  received: number[];
}

async function run(c: BadFrameCase): Promise<Outcome> {
  const conn = await rawConnect(pp.mqttPort);
  const started = Date.now();
  for (const chunk of c.chunks) {
    if (conn.socket.destroyed) break;
    conn.socket.write(chunk);
    await new Promise((r) => setTimeout(r, 10));
  }
  if (c.endAfter && !conn.socket.destroyed) conn.socket.end();
  const closed = await Promise.race([
    conn.closed.then(() => true),
    new Promise<boolean>((r) => setTimeout(() => r(false), CLOSE_BOUND_MS)),
  ]);
  conn.socket.destroy();
  return {
    name: c.name,
    closed,
    afterMs: Date.now() - started,
    received: packetTypes(conn.received()),
  };
}

describe('malformed MQTT frames on raw sockets', () => {
  it('closes every malformed connection, keeps serving a well-behaved device, does not crash', async () => {
    const seed = crashSeed();
    const cases = badFrameCases({ user: 'gw1', pass: secret, topic: TOPIC, seed });

    // The well-behaved device: one QoS 1 reading every 10 ms for as long as the cases run.
    let sent = 0;
    let acked = 0;
    const failures: string[] = [];
    let running = true;
    const t0 = Date.now() - 3_600_000;
    const good = (async () => {
      while (running) {
        const ts = t0 + sent++;
        await device
          .publishAsync(TOPIC, JSON.stringify({ ts, v: 1 }), { qos: 1 })
          .then(() => acked++)
          .catch((err: Error) => failures.push(err.message));
        await new Promise((r) => setTimeout(r, 10));
      }
    })();

    const outcomes: Outcome[] = [];
    await inBatches(cases, 8, async (c) => {
      outcomes.push(await run(c));
    });
    running = false;
    await good;

    const metrics = await (await apiFetch(`${pp.httpUrl}/metrics`)).text();
    const alive = pp.child.exitCode === null && pp.child.signalCode === null;
    await endAll(device);
    const exitCode = await pp.stop();
    const log = readLog(join(tmp.dir, 'data', LOG_FILE), ['t/l1/m1/power'], true);
    const stored = log.series.get('t/l1/m1/power')!.rows.size;
    const errorLines = pp.logs.filter((l) => typeof l.level === 'number' && l.level >= 50);

    const name = (t: number) =>
      ['0', 'CONNECT', 'CONNACK', 'PUBLISH', 'PUBACK', '5', '6', '7', '8', 'SUBACK'][t] ?? `${t}`;
    console.log(
      [
        `malformed-frames fault figures (seed ${seed}): ${cases.length} bad connections, 8 at a time`,
        ...outcomes.map(
          (o) =>
            `  ${o.closed ? 'closed' : 'OPEN  '} after ${String(o.afterMs).padStart(4)} ms  ${o.name}${o.received.length ? ` (got ${o.received.map(name).join(', ')})` : ''}`,
        ),
        `  well-behaved device: ${sent} published, ${acked} acknowledged, ${failures.length} failed; ${stored} stored`,
        `  broker alive: ${alive}; exit code ${exitCode}; error log lines ${errorLines.length}; connections gauge ${metricValue(metrics, 'plantpulse_mqtt_connections')}`,
      ].join('\n'),
    );

    for (const o of outcomes) {
      expect(o.closed, `${o.name}: the broker left the connection open`).toBe(true);
      expect(o.received, `${o.name}: the broker acknowledged a PUBLISH`).not.toContain(4);
    }
    expect(alive).toBe(true);
    expect(failures).toEqual([]);
    expect(acked).toBe(sent);
    expect(stored).toBe(sent);
    expect(log.deadLetters, 'nothing of a malformed frame reached ingest').toBe(0);
    expect(errorLines).toEqual([]);
    expect(exitCode).toBe(0);
  }, 90_000);
});
