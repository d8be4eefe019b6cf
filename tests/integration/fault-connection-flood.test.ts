/**
 * Fault campaign: connection floods and slowloris clients (issue 8).
 *
 * A real PlantPulse child process with mqtt.maxConnections 600 and mqtt.connectTimeout 2 s. A
 * well-behaved device, connected beforehand, publishes a QoS 1 reading every 5 ms. Then waves of
 * raw connections (crash-support/flood.ts: silent, slowloris trickling a CONNECT byte by byte,
 * half a CONNECT then silence, wrong password) arrive, 3,200 over ~8 s: far more than the limit.
 * The test shows that
 * - the device keeps getting PUBACKs during the flood (its p50/p99 before and during are printed;
 *   no timing is asserted), and every one of its readings is stored;
 * - the connect timeout closes every silent, slowloris and half-open socket, and the connection
 *   limit drops what exceeds it (logged), so every flood socket ends up closed by the server;
 * - a new device connecting during the flood gets in (with retries) because those slots free up.
 */
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPlant, writePlant } from '../helpers/plant-fixture.js';
import { addDevice, startChild, type PlantPulseChild } from '../helpers/plantpulse-process.js';
import { tempDir } from '../helpers/tmp.js';
import { Flood, FLOOD_KINDS } from './crash-support/flood.js';
import { waitFor } from './crash-support/publisher.js';
import { LOG_FILE, readLog } from './crash-support/verify.js';
import { connectMqtt, endAll } from './support/harness.js';

const MAX_CONNECTIONS = 600;
const CONNECT_TIMEOUT_MS = 2_000;
const WAVES = 8;
const PER_WAVE = 400;
const TOPIC = 'plants/t/l1/m1/power';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const tmp = tempDir('plantpulse-flood-');
let pp: PlantPulseChild;
let secret: string;
const clients: MqttClient[] = [];
let flood: Flood | undefined;

beforeAll(async () => {
  const config = writePlant(
    tmp.dir,
    testPlant({
      machines: 2,
      overrides: {
        mqtt: { maxConnections: MAX_CONNECTIONS, connectTimeout: `${CONNECT_TIMEOUT_MS}ms` },
      },
    }),
  );
  secret = addDevice(config, join(tmp.dir, 'data'), 'gw1');
  pp = await startChild({ config, dataDir: join(tmp.dir, 'data') });
});

afterAll(async () => {
  flood?.close();
  await endAll(...clients);
  await pp?.kill();
  tmp.cleanup();
});

const quantile = (xs: number[], q: number) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

describe('connection flood and slowloris clients', () => {
  it('keep acknowledging a well-behaved device; the connect timeout and the connection limit shed the flood', async () => {
    const device = await connectMqtt(pp.mqttUrl, {
      username: 'gw1',
      password: secret,
      clientId: 'steady',
    });
    clients.push(device);

    // The steady device: one QoS 1 reading every 5 ms; latency publish → PUBACK per phase.
    type Phase = 'before' | 'flood' | 'after';
    let phase: Phase = 'before';
    const lat: Record<Phase, number[]> = { before: [], flood: [], after: [] };
    const failures: string[] = [];
    let sent = 0;
    const t0 = Date.now() - 3_600_000;
    const pending = new Set<Promise<void>>();
    const timer = setInterval(() => {
      const started = performance.now();
      const at = phase;
      const p = device
        .publishAsync(TOPIC, JSON.stringify({ ts: t0 + sent++, v: 2 }), { qos: 1 })
        .then(() => void lat[at].push(performance.now() - started))
        .catch((err: Error) => void failures.push(err.message))
        .finally(() => pending.delete(p));
      pending.add(p);
    }, 5);

    await sleep(3_000);
    phase = 'flood';
    flood = new Flood(pp.mqttPort, { user: 'gw1', pass: secret });
    const f = flood;
    // A newcomer tries to connect in the middle of the flood, retrying as a device would.
    let newcomerTries = 0;
    let newcomer: MqttClient | undefined;
    const newcomerDone = (async () => {
      await sleep(WAVES * 500);
      while (!newcomer && newcomerTries < 100) {
        newcomerTries++;
        newcomer = await connectMqtt(pp.mqttUrl, {
          username: 'gw1',
          password: secret,
          clientId: 'newcomer',
          connectTimeout: 5_000,
        }).catch(() => undefined);
        if (!newcomer) await sleep(200);
      }
    })();
    let peakOpen = 0;
    for (let w = 0; w < WAVES; w++) {
      f.wave(PER_WAVE);
      await sleep(1_000);
      peakOpen = Math.max(peakOpen, f.openCount);
    }
    await newcomerDone;
    if (newcomer) clients.push(newcomer);
    const floodAcks = lat.flood.length;
    // Every flood socket is closed by the server: bounded wait (connect timeout + margin).
    const allClosed = await waitFor(() => f.openCount === 0, CONNECT_TIMEOUT_MS * 5);
    phase = 'after';
    await sleep(1_000);
    clearInterval(timer);
    await Promise.all(pending);
    const newcomerAcked = newcomer
      ? await newcomer
          .publishAsync(TOPIC, JSON.stringify({ ts: t0 + sent++, v: 2 }), { qos: 1 })
          .then(() => true)
          .catch(() => false)
      : false;

    await endAll(...clients.splice(0));
    const alive = pp.child.exitCode === null && pp.child.signalCode === null;
    const exitCode = await pp.stop();
    const log = readLog(join(tmp.dir, 'data', LOG_FILE), ['t/l1/m1/power'], true);
    const stored = log.series.get('t/l1/m1/power')!.rows.size;
    const drops = pp.logs.filter((l) => /maxConnections reached/.test(String(l.msg))).length;

    const byKind = FLOOD_KINDS.map((k) => {
      const socks = f.sockets.filter((s) => s.kind === k);
      const lives = socks.map((s) => (s.closedAt ?? Date.now()) - s.openedAt);
      return `${k} ${socks.length} (closed ${socks.filter((s) => s.closedAt).length}, open for p50 ${quantile(lives, 0.5)} ms / max ${Math.max(...lives)} ms)`;
    });
    const fmt = (xs: number[]) =>
      `${xs.length} PUBACKs, p50 ${quantile(xs, 0.5).toFixed(1)} ms, p99 ${quantile(xs, 0.99).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms`;
    console.log(
      [
        `connection-flood fault figures: ${f.sockets.length} flood connections in ${WAVES} waves, limit ${MAX_CONNECTIONS}, connect timeout ${CONNECT_TIMEOUT_MS} ms`,
        `  steady device before the flood: ${fmt(lat.before)}`,
        `  steady device during the flood: ${fmt(lat.flood)}`,
        `  steady device after the flood:  ${fmt(lat.after)}`,
        `  flood sockets: ${byKind.join('; ')}`,
        `  peak flood sockets open (client side): ${peakOpen}; dropped at the limit (log lines): ${drops}`,
        `  newcomer during the flood: ${newcomer ? `connected after ${newcomerTries} attempt(s)` : `not connected after ${newcomerTries} attempts`}, PUBACK ${newcomerAcked}`,
        `  steady device: ${sent} published, ${failures.length} failed, ${stored} stored; PlantPulse alive ${alive}, exit ${exitCode}`,
      ].join('\n'),
    );

    expect(alive).toBe(true);
    expect(failures, 'the steady device lost PUBACKs').toEqual([]);
    expect(floodAcks, 'PUBACKs for the steady device during the flood').toBeGreaterThan(100);
    expect(allClosed, 'flood sockets left open by the server').toBe(true);
    expect(
      f.sockets.filter((s) => s.kind !== 'bad-password').every((s) => s.received === 0),
      'a flood socket got a CONNACK without completing a CONNECT',
    ).toBe(true);
    expect(drops, 'the connection limit never dropped anything').toBeGreaterThan(0);
    expect(newcomer, 'a new device could not connect during the flood').toBeDefined();
    expect(newcomerAcked).toBe(true);
    expect(stored).toBe(sent);
    expect(exitCode).toBe(0);
  }, 90_000);
});
