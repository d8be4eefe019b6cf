/**
 * `npm run bench:security`: what the security layer costs, each figure against a baseline
 * measured in the same run on the same machine.
 *
 * - API: requests/s of an authenticated route (bearer token → SHA-256 → indexed lookup →
 *   role check → rate limiter) vs the same route with `http.auth: off` and no rate limit;
 * - MQTT: QoS 1 readings/s (PUBACK after the fsynced commit) over TLS vs plain TCP, and over
 *   mutual TLS (certificate login) vs password login;
 * - connection setup: TLS handshakes + CONNACK per second vs plain TCP.
 *
 * Writes bench/results/security.json. Uses openssl for a throw-away PKI.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type IClientOptions } from 'mqtt';
import { pino } from 'pino';
import { stringify } from 'yaml';
import { DeviceCredentials } from '../broker/credentials.js';
import { startPlantPulse, type RunningPlantPulse } from '../runtime/plantpulse.js';
import { makePki } from '../security/testkit/pki.js';
import { ApiTokens } from '../security/tokens.js';
import { writeBenchFile, type Figure } from './lib/figures.js';
import { sessionCheckFigures } from './lib/session-check.js';

const API_REQUESTS = 4_000;
const API_CONCURRENCY = 16;
const MESSAGES = 5_000;
const CONNECTS = 100;

function plant(dir: string, http: Record<string, unknown>): string {
  const file = join(dir, `plant-${Math.random().toString(36).slice(2)}.yaml`);
  const machines = Array.from({ length: 10 }, (_, i) => ({
    id: `m${i}`,
    sensors: [{ id: 'power', kind: 'power', unit: 'kW', interval: '1s' }],
  }));
  writeFileSync(
    file,
    stringify({
      plant: { name: 'bench' },
      sites: [{ id: 's', lines: [{ id: 'l1', machines }] }],
      devices: [{ id: 'gw1', prefix: 'plants/s/l1' }],
      mqtt: {
        tls: {
          port: 0,
          cert: 'server.crt',
          key: 'server.key',
          ca: 'ca.crt',
          clientCerts: 'optional',
        },
      },
      http,
    }),
  );
  return file;
}

async function start(dir: string, http: Record<string, unknown>): Promise<RunningPlantPulse> {
  return startPlantPulse({
    configFile: plant(dir, http),
    dataDir: mkdtempSync(join(dir, 'data-')),
    mqttPort: 0,
    httpPort: 0,
    log: pino({ level: 'silent' }),
  });
}

async function apiRate(url: string, headers: Record<string, string>): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: API_CONCURRENCY }, async () => {
      while (next++ < API_REQUESTS) {
        const r = await fetch(url, { headers });
        if (r.status !== 200) throw new Error(`${url} → ${r.status}`);
        await r.arrayBuffer();
      }
    }),
  );
  return API_REQUESTS / ((performance.now() - t0) / 1000);
}

async function client(url: string, opts: IClientOptions) {
  return new Promise<ReturnType<typeof connect>>((resolve, reject) => {
    const c = connect(url, { reconnectPeriod: 0, protocolVersion: 4, ...opts });
    c.once('connect', () => resolve(c));
    c.once('error', reject);
  });
}

async function publishRate(url: string, opts: IClientOptions, tsBase: number): Promise<number> {
  const c = await client(url, opts);
  const t0 = performance.now();
  const inflight: Promise<unknown>[] = [];
  for (let i = 0; i < MESSAGES; i++) {
    const topic = `plants/s/l1/m${i % 10}/power`;
    inflight.push(
      c.publishAsync(topic, JSON.stringify({ ts: tsBase + i, v: i % 400 }), { qos: 1 }),
    );
    if (inflight.length >= 200) await Promise.all(inflight.splice(0));
  }
  await Promise.all(inflight);
  const rate = MESSAGES / ((performance.now() - t0) / 1000);
  await c.endAsync();
  return rate;
}

async function connectRate(url: string, opts: IClientOptions): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < CONNECTS; i++) {
    const c = await client(url, opts);
    await c.endAsync(true);
  }
  return CONNECTS / ((performance.now() - t0) / 1000);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const fig = (
  metric: string,
  value: number,
  unit: string,
  baseline: number,
  baselineName: string,
): Figure => ({
  metric,
  value: Math.round(value),
  unit,
  baseline: Math.round(baseline),
  baselineName,
  target: null,
  met: null,
});

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'pp-bench-security-'));
  const figures: Figure[] = [];
  try {
    const pki = makePki(dir);
    // The limiter runs (its cost is measured) but never trips.
    const secured = await start(dir, { auth: 'tokens', rateLimit: { max: 1_000_000_000 } });
    const open = await start(dir, { auth: 'off', rateLimit: { enabled: false } });
    try {
      const secret = new ApiTokens(secured.store.db, secured.store.audit).add(
        'bench',
        'viewer',
        'bench',
      );
      const route = '/api/v1/sensors';
      // warm-up both, then measure alternately so machine noise hits both alike
      await apiRate(`http://127.0.0.1:${open.httpPort}${route}`, {});
      await apiRate(`http://127.0.0.1:${secured.httpPort}${route}`, {
        authorization: `Bearer ${secret}`,
      });
      const off = await apiRate(`http://127.0.0.1:${open.httpPort}${route}`, {});
      const on = await apiRate(`http://127.0.0.1:${secured.httpPort}${route}`, {
        authorization: `Bearer ${secret}`,
      });
      figures.push(
        fig(
          `API GET ${route} with bearer token + roles + rate limit`,
          on,
          'req/s',
          off,
          'same route, http.auth: off, no rate limit',
        ),
      );

      const pw = await new DeviceCredentials(secured.store.db).issue('gw1');
      const plain = `mqtt://127.0.0.1:${secured.mqttPort}`;
      const tls = `mqtts://localhost:${secured.mqttTlsPort}`;
      const password = { username: 'gw1', password: pw };
      await publishRate(plain, password, Date.now() - 2 * 86_400_000); // warm-up
      // Three rounds, variants interleaved so warm-up and machine noise hit all alike; median.
      let ts = Date.now() - 86_400_000;
      const tlsOpts = { ...password, ca: pki.ca };
      const mtlsOpts = { ca: pki.ca, ...pki.client('gw1') };
      const runs = { tcp: [] as number[], tls: [] as number[], mtls: [] as number[] };
      const conns = { tcp: [] as number[], tls: [] as number[], mtls: [] as number[] };
      for (let round = 0; round < 3; round++) {
        runs.tcp.push(await publishRate(plain, password, (ts += 1e6)));
        runs.tls.push(await publishRate(tls, tlsOpts, (ts += 1e6)));
        runs.mtls.push(await publishRate(tls, mtlsOpts, (ts += 1e6)));
        conns.tcp.push(await connectRate(plain, password));
        conns.tls.push(await connectRate(tls, tlsOpts));
        conns.mtls.push(await connectRate(tls, mtlsOpts));
      }
      const base = 'plain TCP with password, same run';
      figures.push(
        fig(
          'MQTT QoS 1 readings/s over TLS (password)',
          median(runs.tls),
          'msg/s',
          median(runs.tcp),
          base,
        ),
      );
      figures.push(
        fig(
          'MQTT QoS 1 readings/s over mutual TLS (certificate login)',
          median(runs.mtls),
          'msg/s',
          median(runs.tcp),
          base,
        ),
      );
      figures.push(
        fig(
          'MQTT connect+CONNACK/s over TLS (password)',
          median(conns.tls),
          'conn/s',
          median(conns.tcp),
          base,
        ),
      );
      figures.push(
        fig(
          'MQTT connect+CONNACK/s over mutual TLS',
          median(conns.mtls),
          'conn/s',
          median(conns.tcp),
          base,
        ),
      );
      // What the live-session credential check (broker/sessions.ts) adds per PUBLISH.
      figures.push(...(await sessionCheckFigures(secured, 'gw1')));
    } finally {
      await secured.stop();
      await open.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  for (const f of figures) {
    const ratio = f.baseline ? (f.value / f.baseline).toFixed(2) : 'n/a';
    process.stdout.write(
      `${f.metric}: ${f.value.toLocaleString('en')} ${f.unit} (baseline ${f.baselineName}: ${f.baseline?.toLocaleString('en')}; ratio ${ratio})\n`,
    );
  }
  writeBenchFile('security', figures);
}

await main();
