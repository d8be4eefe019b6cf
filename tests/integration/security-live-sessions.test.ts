/**
 * Least privilege on connections that are already open (DESIGN C6), as a security reviewer
 * would test it: a running PlantPulse child, devices connected with MQTT.js and with Debian's
 * mosquitto_sub / mosquitto_pub, and `plantpulse devices remove|rotate` run as separate
 * processes writing the data dir. The broker must cut those sessions off by itself, refuse
 * them at reconnect, store nothing sent after the change, and record it in log, audit trail
 * and /metrics. Nothing here waits on a clock: each step waits for the event it expects.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPlant, writePlant } from '../helpers/plant-fixture.js';
import {
  addDevice,
  apiFetch,
  getJson,
  runCli,
  startChild,
  type PlantPulseChild,
} from '../helpers/plantpulse-process.js';
import { tempDir } from '../helpers/tmp.js';
import {
  connectMqtt,
  endAll,
  metricValue,
  minuteAgo,
  refusalCode,
  waitFor,
} from './support/harness.js';

const MOSQUITTO_SUB = '/usr/bin/mosquitto_sub';
const MOSQUITTO_PUB = '/usr/bin/mosquitto_pub';
const STDBUF = '/usr/bin/stdbuf';

// m1dev..m4dev each own one machine of line l1; gw2 owns line l2.
const DEVICES = ['m1dev', 'm2dev', 'm3dev', 'm4dev', 'gw2'];
const plant = testPlant({
  machines: 4,
  overrides: {
    devices: [
      ...[1, 2, 3, 4].map((i) => ({ id: `m${i}dev`, prefix: `plants/t/l1/m${i}` })),
      { id: 'gw2', prefix: 'plants/t/l2' },
    ],
  },
});

const tmp = tempDir('plantpulse-live-sessions-');
const config = writePlant(tmp.dir, plant);
const dataDir = join(tmp.dir, 'data');
const secrets: Record<string, string> = {};
let pp: PlantPulseChild;
const clients: MqttClient[] = [];
const children: ChildProcessWithoutNullStreams[] = [];

interface AuditEntry {
  actor: string;
  action: string;
  subject: string;
  detail: { clientId?: string; reason?: string; login?: string };
}

const lastLine = (s: string) => s.trim().split('\n').pop()!;
const reading = (ts: number, v: number) => JSON.stringify({ ts, v });

function login(device: string, clientId: string, password = secrets[device]) {
  return { username: device, password, clientId };
}

async function connect(device: string, clientId: string, password?: string) {
  const c = await connectMqtt(pp.mqttUrl, login(device, clientId, password));
  clients.push(c);
  return c;
}

/** Resolves when the broker closes the client's connection. */
const closedBy = (c: MqttClient) => new Promise<void>((res) => c.once('close', () => res()));

/** Values stored for `sensor` at exactly `ts` (canonical unit: kW arrive as W). */
async function stored(sensor: string, ts: number): Promise<number[]> {
  const body = await getJson<{ points: { value: number }[] }>(
    `${pp.httpUrl}/api/v1/readings?sensor=${sensor}&from=${ts}&to=${ts + 1}`,
  );
  return body.points.map((p) => p.value);
}

/** The audit trail as an operator reads it: `plantpulse audit list`, JSON lines. */
function auditList(): AuditEntry[] {
  const r = runCli(['audit', 'list', '-d', dataDir, '--limit', '1000']);
  expect(r.status).toBe(0);
  return r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as AuditEntry);
}

const sessionsClosed = (device: string) =>
  auditList().filter((e) => e.action === 'device.session_closed' && e.subject === device);

const closeLogs = (clientId: string) =>
  pp.logs.filter((l) => l.clientId === clientId && String(l.msg).includes('closed MQTT session'));

/** A long-running Mosquitto client whose output (with -d: every packet) is collected. */
function mosquitto(cmd: string, args: string[]) {
  // stdbuf: libmosquitto's clients block-buffer stdout into a pipe; we read it line by line.
  const child: ChildProcessWithoutNullStreams = spawn(STDBUF, ['-oL', '-eL', cmd, ...args], {
    stdio: 'pipe',
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<number | null>((res) => child.once('close', (code) => res(code)));
  children.push(child);
  return { child, exited, output: () => out };
}

beforeAll(async () => {
  for (const cmd of [MOSQUITTO_SUB, MOSQUITTO_PUB])
    if (!existsSync(cmd))
      throw new Error(`${cmd} is missing: apt-get install -y mosquitto-clients`);
  // Credentials the way an operator issues them: the CLI, whose last output line is the secret.
  for (const d of DEVICES) secrets[d] = addDevice(config, dataDir, d);
  pp = await startChild({ config, dataDir });
});

afterAll(async () => {
  await endAll(...clients);
  for (const c of children) if (c.exitCode === null) c.kill();
  await pp?.stop();
  tmp.cleanup();
});

describe('a device removed while connected (MQTT.js)', () => {
  it('is disconnected, its later publish is never acknowledged nor stored, and it cannot come back', async () => {
    const c = await connect('m1dev', 'm1dev-live');
    const closed = closedBy(c);
    const t = minuteAgo(2);
    await c.publishAsync('plants/t/l1/m1/power', reading(t, 1), { qos: 1 });
    expect(await stored('t/l1/m1/power', t)).toEqual([1000]); // acknowledged, so stored (C1)

    const rm = runCli(['devices', 'remove', '-d', dataDir, '--device', 'm1dev']);
    expect(rm.status).toBe(0);
    // Sent after the removal committed: the broker's per-turn check refuses it if the connection
    // is still open when it arrives; if the poll closed the connection first, it never arrives.
    let acked = false;
    c.publishAsync('plants/t/l1/m1/power', reading(t + 1000, 2), { qos: 1 }).then(
      () => (acked = true),
      () => undefined,
    );
    await closed;
    expect(c.connected).toBe(false);
    expect(acked).toBe(false);
    expect(await stored('t/l1/m1/power', t + 1000)).toEqual([]);

    // 4 = bad user name or password (MQTT 3.1.1 §3.2.2.3), as for any secret that is not valid:
    // an unauthenticated caller learns nothing about whether the device was removed.
    expect(await refusalCode(pp.mqttUrl, login('m1dev', 'm1dev-again'))).toBe(4);

    expect(sessionsClosed('m1dev')).toMatchObject([
      {
        actor: 'system',
        detail: { clientId: 'm1dev-live', reason: 'device_removed', login: 'password' },
      },
    ]);
    expect(closeLogs('m1dev-live')).toMatchObject([
      { level: 40, device: 'm1dev', reason: 'device_removed' },
    ]);
  });
});

describe('a device whose secret is rotated while connected (MQTT.js)', () => {
  it('loses the session that used the old secret, keeps one opened with the new secret', async () => {
    const old = await connect('m2dev', 'm2dev-old');
    const closed = closedBy(old);
    const t = minuteAgo(3);
    await old.publishAsync('plants/t/l1/m2/power', reading(t, 3), { qos: 1 });

    const rot = runCli(['devices', 'rotate', '-d', dataDir, '--device', 'm2dev']);
    expect(rot.status).toBe(0);
    const fresh = lastLine(rot.stdout);
    expect(fresh).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(fresh).not.toBe(secrets.m2dev);
    await closed;

    expect(await refusalCode(pp.mqttUrl, login('m2dev', 'm2dev-old-again'))).toBe(4);
    const renewed = await connect('m2dev', 'm2dev-new', fresh);

    // Another device's removal makes the broker re-check every session; once that one is
    // closed, the renewed session has been checked too, and it stands.
    const bystander = await connect('m4dev', 'm4dev-live');
    const bystanderClosed = closedBy(bystander);
    expect(runCli(['devices', 'remove', '-d', dataDir, '--device', 'm4dev']).status).toBe(0);
    await bystanderClosed;
    expect(renewed.connected).toBe(true);
    await renewed.publishAsync('plants/t/l1/m2/power', reading(t + 1000, 4), { qos: 1 });
    expect(await stored('t/l1/m2/power', t)).toEqual([3000]);
    expect(await stored('t/l1/m2/power', t + 1000)).toEqual([4000]);

    expect(sessionsClosed('m2dev')).toMatchObject([
      { actor: 'system', detail: { clientId: 'm2dev-old', reason: 'secret_rotated' } },
    ]);
    const rotations = auditList().filter((e) => e.action === 'device.rotate');
    expect(rotations.map((e) => e.subject)).toEqual(['m2dev']);
  });

  it('devices rotate refuses a removed device and one without credentials (that is devices add)', () => {
    const removed = runCli(['devices', 'rotate', '-d', dataDir, '--device', 'm1dev']);
    expect(removed.status).toBe(2);
    expect(removed.stderr).toContain('device "m1dev" was removed; nothing to rotate');
    const unknown = runCli(['devices', 'rotate', '-d', dataDir, '--device', 'nobody']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('plantpulse devices add --device nobody');
  });
});

describe('foreign clients (libmosquitto) in long-running sessions', () => {
  it('mosquitto_sub -C, subscribed to its line, is cut off by devices remove and refused at reconnect', async () => {
    const sub = mosquitto(MOSQUITTO_SUB, [
      ...['-d', '-h', '127.0.0.1', '-p', String(pp.mqttPort), '-q', '1', '-v'],
      ...['-u', 'gw2', '-P', secrets.gw2!, '-i', 'gw2-sub', '-t', 'plants/t/l2/#', '-C', '1000'],
    ]);
    await waitFor(() => sub.output().includes('received SUBACK'), 'mosquitto_sub SUBACK');

    // The same device publishes from a second session; the subscriber receives it.
    const pub = await connect('gw2', 'gw2-pub');
    const pubClosed = closedBy(pub);
    const t = minuteAgo(4);
    await pub.publishAsync('plants/t/l2/x1/power', reading(t, 5), { qos: 1 });
    await waitFor(
      () => sub.output().includes(`plants/t/l2/x1/power {"ts":${t},"v":5}`),
      'delivery',
    );

    expect(runCli(['devices', 'remove', '-d', dataDir, '--device', 'gw2']).status).toBe(0);
    // libmosquitto reconnects on its own; the broker answers CONNACK 4 and mosquitto_sub gives up.
    expect(await sub.exited).toBe(4);
    expect(sub.output()).toContain('Connection Refused: bad user name or password');
    await pubClosed;

    expect(
      sessionsClosed('gw2')
        .map((e) => e.detail.clientId)
        .sort(),
    ).toEqual(['gw2-pub', 'gw2-sub']);
  });

  it('mosquitto_pub -l, publishing lines from stdin, is cut off by devices rotate and refused after', async () => {
    const pub = mosquitto(MOSQUITTO_PUB, [
      ...['-d', '-h', '127.0.0.1', '-p', String(pp.mqttPort), '-q', '1', '-l'],
      ...['-u', 'm3dev', '-P', secrets.m3dev!, '-i', 'm3dev-lines', '-t', 'plants/t/l1/m3/power'],
    ]);
    const t = minuteAgo(5);
    pub.child.stdin.write(`${reading(t, 6)}\n`);
    await waitFor(() => pub.output().includes('received PUBACK'), 'mosquitto_pub PUBACK');
    expect(await stored('t/l1/m3/power', t)).toEqual([6000]);

    expect(runCli(['devices', 'rotate', '-d', dataDir, '--device', 'm3dev']).status).toBe(0);
    await waitFor(() => closeLogs('m3dev-lines').length === 1, 'the broker to close the session');
    // libmosquitto reconnects with the old secret and, holding a line it could not send, keeps
    // retrying once a second for as long as stdin is open: every attempt is refused.
    pub.child.stdin.write(`${reading(t + 1000, 7)}\n`);
    const refusals = () => pub.output().split('received CONNACK (4)').length - 1;
    await waitFor(() => refusals() >= 2, 'two refused reconnects');
    expect(pub.output()).not.toMatch(/PUBACK \(Mid: 2/);
    pub.child.kill();
    await pub.exited;
    expect(await stored('t/l1/m3/power', t + 1000)).toEqual([]);
    expect(sessionsClosed('m3dev')).toMatchObject([
      { detail: { clientId: 'm3dev-lines', reason: 'secret_rotated' } },
    ]);
  });
});

describe('the record of it', () => {
  it('/metrics counts the closed sessions by reason, and the audit chain stays intact', async () => {
    const text = await (await apiFetch(`${pp.httpUrl}/metrics`)).text();
    const count = (reason: string) =>
      metricValue(text, 'plantpulse_mqtt_sessions_revoked_total', `reason="${reason}"`);
    expect(count('device_removed')).toBe(4); // m1dev-live, m4dev-live, gw2-sub, gw2-pub
    expect(count('secret_rotated')).toBe(2); // m2dev-old, m3dev-lines
    // Entries appended by the broker and by CLI processes interleave in one unbroken chain.
    const verify = runCli(['audit', 'verify', '-d', dataDir]);
    expect(verify.status).toBe(0);
    expect(verify.stdout).toContain('audit trail intact');
  });
});
