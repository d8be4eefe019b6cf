/**
 * Helpers private to the integration tests in this folder: an in-process PlantPulse on
 * ephemeral ports with a real SQLite data dir, real MQTT.js clients, Mosquitto client
 * processes, and small polling utilities. Nothing here is a mock: every helper drives the
 * real broker, ingest and log.
 */
import { spawn } from 'node:child_process';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import { pino } from 'pino';
import type { PlantModelInput } from '../../../config/schema.js';
import { DeviceCredentials } from '../../../broker/credentials.js';
import { startPlantPulse, type RunningPlantPulse } from '../../../runtime/plantpulse.js';
import { writePlant } from '../../helpers/plant-fixture.js';
import { authHeaders, TEST_ADMIN_TOKEN } from '../../helpers/plantpulse-process.js';
import { tempDir } from '../../helpers/tmp.js';

export const silentLog = () => pino({ level: 'silent' });

/** A parsed JSON response body; tests read arbitrary fields of it and assert their values. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by value, not by type
export type Json = any;

export interface InProcess {
  pp: RunningPlantPulse;
  dir: string;
  config: string;
  dataDir: string;
  mqttUrl: string;
  httpUrl: string;
  secrets: Record<string, string>;
  /** GET a JSON route through Fastify's inject; returns status and parsed body. */
  get<T = Json>(
    url: string,
  ): Promise<{ status: number; body: T; headers: Record<string, unknown>; text: string }>;
  close(): Promise<void>;
}

/**
 * Starts PlantPulse in this process on ephemeral ports with `plant` (or an existing config file)
 * and issues credentials for `devices` through the real credential store.
 */
export async function startInProcess(opts: {
  plant?: PlantModelInput;
  configFile?: string;
  devices?: string[];
  /** Runs before the start (e.g. `plantpulse devices add`); returns secrets it issued. */
  beforeStart?: (config: string, dataDir: string) => Record<string, string>;
}): Promise<InProcess> {
  const tmp = tempDir('plantpulse-it-');
  const config = opts.configFile ?? writePlant(tmp.dir, opts.plant!);
  const dataDir = `${tmp.dir}/data`;
  let pp: RunningPlantPulse;
  const secrets: Record<string, string> = {};
  try {
    Object.assign(secrets, opts.beforeStart?.(config, dataDir));
    pp = await startPlantPulse({
      configFile: config,
      dataDir,
      mqttPort: 0,
      httpPort: 0,
      log: silentLog(),
      bootstrapAdminToken: TEST_ADMIN_TOKEN,
    });
  } catch (err) {
    tmp.cleanup();
    throw err;
  }
  const creds = new DeviceCredentials(pp.store.db);
  for (const d of opts.devices ?? []) secrets[d] = await creds.issue(d);
  return {
    pp,
    dir: tmp.dir,
    config,
    dataDir,
    mqttUrl: `mqtt://127.0.0.1:${pp.mqttPort}`,
    httpUrl: `http://127.0.0.1:${pp.httpPort}`,
    secrets,
    async get(url) {
      const res = await pp.app.inject({ method: 'GET', url, headers: authHeaders() });
      let body: Json;
      try {
        body = res.json();
      } catch {
        body = undefined;
      }
      return { status: res.statusCode, body, headers: res.headers, text: res.body };
    },
    async close() {
      try {
        await pp.stop();
      } finally {
        tmp.cleanup();
      }
    },
  };
}

/** Connects an MQTT.js client; resolves on CONNACK 0, rejects on refusal or on a close before CONNACK. */
export function connectMqtt(url: string, opts: IClientOptions = {}): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = connect(url, {
      reconnectPeriod: 0,
      connectTimeout: 15_000,
      protocolVersion: 4,
      ...opts,
    });
    const onConnect = () => {
      cleanup();
      resolve(client);
    };
    const onError = (err: Error) => {
      cleanup();
      client.end(true);
      reject(err);
    };
    const onClose = () => {
      cleanup();
      client.end(true);
      reject(Object.assign(new Error('connection closed before CONNACK'), { code: 'CLOSED' }));
    };
    const cleanup = () => {
      client.off('connect', onConnect);
      client.off('error', onError);
      client.off('close', onClose);
    };
    client.on('connect', onConnect);
    client.on('error', onError);
    client.on('close', onClose);
  });
}

/** Connects as a device of the plant model with its secret. */
export function connectDevice(
  env: InProcess | { mqttUrl: string; secrets: Record<string, string> },
  device: string,
  opts: IClientOptions = {},
): Promise<MqttClient> {
  return connectMqtt(env.mqttUrl, {
    username: device,
    password: env.secrets[device],
    clientId: `${device}-${Math.random().toString(16).slice(2, 10)}`,
    ...opts,
  });
}

/** The CONNACK return code (or 'CLOSED') a refused connection attempt ends with. */
export async function refusalCode(url: string, opts: IClientOptions): Promise<number | string> {
  try {
    const c = await connectMqtt(url, opts);
    await c.endAsync();
    return 0;
  } catch (err) {
    return (err as { code: number | string }).code;
  }
}

/** Subscribes to `filters` in one SUBSCRIBE and returns the SUBACK return codes (0x80 = refused). */
export async function subackCodes(
  client: MqttClient,
  filters: string[],
  qos: 0 | 1 = 1,
): Promise<number[]> {
  try {
    const granted = await client.subscribeAsync(filters, { qos });
    return granted.map((g) => g.qos);
  } catch (err) {
    // MQTT.js rejects when any filter is refused, carrying the SUBACK packet.
    const granted = (err as { packet?: { granted?: number[] } }).packet?.granted;
    if (!granted) throw err;
    return granted;
  }
}

export async function endAll(...clients: (MqttClient | undefined)[]): Promise<void> {
  await Promise.all(
    clients.filter((c): c is MqttClient => !!c).map((c) => c.endAsync(true).catch(() => undefined)),
  );
}

export interface Msg {
  topic: string;
  payload: string | Buffer;
}

/** Publishes all messages at once (MQTT.js pipelines them) and waits for every PUBACK (QoS 1) or write (QoS 0). */
export async function publishAll(
  client: MqttClient,
  msgs: Msg[],
  qos: 0 | 1 = 1,
  extra: { dup?: boolean } = {},
): Promise<void> {
  await Promise.all(msgs.map((m) => client.publishAsync(m.topic, m.payload, { qos, ...extra })));
}

/** Polls `probe` until it returns true or `timeoutMs` passes (then throws with `what`). */
export async function waitFor(
  probe: () => Promise<boolean> | boolean,
  what: string,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Value of one Prometheus sample in a /metrics text (0 when absent). */
export function metricValue(text: string, name: string, labels = ''): number {
  const wanted = labels ? `${name}{${labels}}` : name;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const sp = line.lastIndexOf(' ');
    if (line.slice(0, sp) === wanted) return Number(line.slice(sp + 1));
  }
  return 0;
}

export interface ProcResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program to completion, feeding `stdin`; a guard timeout kills it (reported as code null). */
export function run(
  cmd: string,
  args: string[],
  opts: { stdin?: string; timeoutMs?: number } = {},
): Promise<ProcResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.stdin ?? '');
  });
}

/** Runs async tasks with at most `limit` in flight. */
export async function inBatches<T>(
  items: T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

/** A minute-aligned instant `minutesAgo` minutes in the past: inside every accepted window. */
export function minuteAgo(minutesAgo: number): number {
  return Math.floor(Date.now() / 60_000) * 60_000 - minutesAgo * 60_000;
}
