/**
 * Notification channels against real receivers started by the test: an SMTP server
 * (smtp-server, with AUTH), and an HTTP server taking generic JSON, Slack and Teams webhooks.
 * The dispatcher's clock is injected (delivery policy runs on the wall clock, and tests never
 * wait on it): retries with backoff after 503s, a permanent 400 turns dead at once, a rate
 * limit holds deliveries back, and dead rows show in the API.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AlertDispatcher } from '../../alerts/dispatcher.js';
import { backoffMs, TokenBucket } from '../../alerts/delivery-policy.js';
import { buildApp } from '../../api/app.js';
import { issueTestToken } from '../helpers/api-auth.js';
import type { PlantIndex } from '../../config/plant-index.js';
import { createLogger } from '../../runtime/logger.js';
import { createMetrics } from '../../runtime/metrics.js';
import type { Store } from '../../store/store.js';
import type { tempDir } from '../helpers/tmp.js';
import { alertPlant, openTempStore, outbox, runner, series, T0, write } from './alerts-support.js';

interface Mail {
  from: string;
  to: string[];
  raw: string;
}
interface Hook {
  path: string;
  key: string | undefined;
  auth: string | undefined;
  body: Record<string, unknown>;
}

const mails: Mail[] = [];
const hooks: Hook[] = [];
/** Status codes to answer per path, consumed in order; 200 when exhausted. */
const script = new Map<string, number[]>();
const held: ServerResponse[] = [];
let smtp: SMTPServer;
let http: Server;
let smtpPort = 0;
let httpPort = 0;

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

beforeAll(async () => {
  smtp = new SMTPServer({
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    onAuth(auth, _session, cb) {
      if (auth.username === 'pp' && auth.password === 's3cret') cb(null, { user: 'pp' });
      else cb(new Error('invalid credentials'));
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        cb();
      });
    },
  });
  await new Promise<void>((res) => smtp.listen(0, '127.0.0.1', () => res()));
  smtpPort = (smtp.server.address() as AddressInfo).port;
  http = createServer((req, res) => {
    void readBody(req).then((text) => {
      const path = req.url ?? '';
      hooks.push({
        path,
        key: req.headers['idempotency-key'] as string | undefined,
        auth: req.headers.authorization,
        body: JSON.parse(text) as Record<string, unknown>,
      });
      const status = script.get(path)?.shift() ?? 200;
      if (status === 0)
        held.push(res); // never answered
      else res.writeHead(status).end();
    });
  });
  await new Promise<void>((res) => http.listen(0, '127.0.0.1', () => res()));
  httpPort = (http.address() as AddressInfo).port;
});

afterAll(async () => {
  for (const res of held) res.destroy();
  await new Promise<void>((res) => smtp.close(() => res()));
  await new Promise<void>((res) => http.close(() => res()));
});

let dirs: ReturnType<typeof tempDir>[] = [];
afterEach(() => {
  for (const d of dirs) d.cleanup();
  dirs = [];
  mails.length = 0;
  hooks.length = 0;
  script.clear();
});

function plant(channels: string[], skipOlderThan?: string): PlantIndex {
  const url = (p: string) => `http://127.0.0.1:${httpPort}${p}`;
  return alertPlant({
    skipOlderThan,
    rules: [
      {
        id: 'hot',
        description: 'Product temperature above the validated range',
        signal: 'temperature',
        assets: ['t/l1/m1'],
        condition: { type: 'above', threshold: 80 },
        severity: 'critical',
        channels,
      },
    ],
    channels: [
      {
        id: 'mail',
        type: 'email',
        host: '127.0.0.1',
        port: smtpPort,
        user: 'pp',
        passwordEnv: 'PP_TEST_SMTP_PASSWORD',
        from: 'plantpulse@plant.example',
        to: ['maintenance@plant.example', 'lead@plant.example'],
      },
      {
        id: 'json',
        type: 'webhook',
        url: url('/json'),
        headersEnv: { Authorization: 'PP_TEST_HOOK_AUTH' },
      },
      { id: 'slack', type: 'webhook', urlEnv: 'PP_TEST_SLACK_URL', format: 'slack' },
      { id: 'teams', type: 'webhook', url: url('/teams'), format: 'teams' },
      {
        id: 'flaky',
        type: 'webhook',
        url: url('/flaky'),
        retry: { maxAttempts: 4, baseDelay: '10s', maxDelay: '1m' },
      },
      { id: 'broken', type: 'webhook', url: url('/broken') },
      { id: 'hang', type: 'webhook', url: url('/hang'), timeout: '10m' },
      {
        id: 'limited',
        type: 'webhook',
        url: url('/limited'),
        rateLimit: { perMinute: 2, burst: 1 },
      },
    ],
  });
}

const env = {
  PP_TEST_SMTP_PASSWORD: 's3cret',
  PP_TEST_HOOK_AUTH: 'Bearer hook-token',
  get PP_TEST_SLACK_URL() {
    return `http://127.0.0.1:${httpPort}/slack`;
  },
};

/** Readings that open the alert and (when `resolve`) resolve it: two notifications per channel. */
function raise(store: Store, index: PlantIndex, resolve = false): void {
  write(
    store,
    't/l1/m1/temp',
    'temperature',
    series(T0, 5_000, 3, (i) => (resolve && i === 2 ? 60 : 91.5)),
  );
  runner(store, index).catchUp();
}

async function waitUntil(probe: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !probe(); i++) await new Promise((r) => setTimeout(r, 25));
  expect(probe()).toBe(true);
}

/** RFC 2047 encoded words (=?UTF-8?Q?…?= / ?B?) of a header, decoded. */
function header(raw: string, name: string): string {
  const head = raw.slice(0, raw.indexOf('\r\n\r\n')).replace(/\r\n[ \t]+/g, ' ');
  const line = head.split('\r\n').find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return (line ?? '')
    .slice(name.length + 1)
    .trim()
    .replace(/=\?UTF-8\?([QB])\?([^?]*)\?=\s*/gi, (_, enc: string, text: string) =>
      enc.toUpperCase() === 'B'
        ? Buffer.from(text, 'base64').toString('utf8')
        : Buffer.from(
            text
              .replace(/_/g, ' ')
              .replace(/=([0-9A-F]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16))),
            'latin1',
          ).toString('utf8'),
    );
}

describe('alert channels', () => {
  it('e-mail arrives at a real SMTP server with a triageable subject, text and HTML', async () => {
    const index = plant(['mail']);
    const store = openTempStore(dirs);
    raise(store, index);
    const d = new AlertDispatcher({ db: store.db, index, env });
    expect(await d.tick()).toBe(1);
    await d.stop();
    expect(mails).toHaveLength(1);
    const m = mails[0]!;
    expect(m.from).toBe('plantpulse@plant.example');
    expect(m.to).toEqual(['maintenance@plant.example', 'lead@plant.example']);
    expect(header(m.raw, 'Subject')).toBe('[CRITICAL] M1 temp: temperature 91.50 ≥ 80');
    const key = outbox(store)[0]!.key;
    expect(header(m.raw, 'X-PlantPulse-Idempotency-Key')).toBe(key);
    expect(header(m.raw, 'Message-ID')).toBe(`<${key.replace('/', '.')}@plantpulse>`);
    expect(m.raw).toMatch(/Content-Type: multipart\/alternative/);
    expect(m.raw).toMatch(/Content-Type: text\/plain/);
    expect(m.raw).toMatch(/Content-Type: text\/html/);
    const body = m.raw.replace(/=\r\n/g, ''); // quoted-printable soft line breaks
    expect(body).toContain('Rule: hot =E2=80=94 Product temperature above the validated range');
    expect(body).toMatch(/<h2 style=3D"color:#c62828">\[CRITICAL\] M1 temp/);
    expect(outbox(store).map((r) => r.state)).toEqual(['sent']);
  });

  it('a wrong SMTP password is retried, and the secret never shows in the error', async () => {
    const index = plant(['mail']);
    const store = openTempStore(dirs);
    raise(store, index);
    const d = new AlertDispatcher({
      db: store.db,
      index,
      env: { ...env, PP_TEST_SMTP_PASSWORD: 'wrong-pass' },
    });
    await d.tick();
    await d.stop();
    const row = store.db.prepare('SELECT state, attempts, last_error FROM alert_outbox').get() as {
      state: string;
      attempts: number;
      last_error: string;
    };
    expect(row.attempts).toBe(1);
    expect(row.last_error).toMatch(/SMTP 127\.0\.0\.1/);
    expect(row.last_error).not.toContain('wrong-pass');
    expect(mails).toHaveLength(0);
  });

  it('webhooks arrive as generic JSON, Slack and Teams bodies with the idempotency key', async () => {
    const index = plant(['json', 'slack', 'teams']);
    const store = openTempStore(dirs);
    raise(store, index, true);
    const d = new AlertDispatcher({ db: store.db, index, env });
    expect(await d.tick()).toBe(6); // open + resolved on three channels
    await d.stop();
    const at = (p: string) => hooks.filter((h) => h.path === p);
    const json = at('/json');
    expect(json.map((h) => (h.body as { transition: string }).transition)).toEqual([
      'open',
      'resolved',
    ]);
    expect(json[0]!.auth).toBe('Bearer hook-token');
    expect(json[0]!.body).toMatchObject({
      summary: '[CRITICAL] M1 temp: temperature 91.50 ≥ 80',
      alert: { rule: 'hot', asset: 't/l1/m1/temp', severity: 'critical', state: 'open' },
    });
    expect(json[1]!.body.summary).toBe('[CRITICAL] RESOLVED: M1 temp: temperature 91.50 ≥ 80');
    const slack = at('/slack')[0]!.body as { text: string; blocks: { type: string }[] };
    expect(slack.text).toBe('[CRITICAL] M1 temp: temperature 91.50 ≥ 80');
    expect(slack.blocks.map((b) => b.type)).toEqual(['header', 'section']);
    const teams = at('/teams')[0]!.body as {
      type: string;
      attachments: { contentType: string; content: { type: string; body: { type: string }[] } }[];
    };
    expect(teams.type).toBe('message');
    expect(teams.attachments[0]!.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(teams.attachments[0]!.content.body.map((b) => b.type)).toEqual(['TextBlock', 'FactSet']);
    // One key per transition, the same on every channel.
    const keys = new Set(hooks.map((h) => h.key));
    expect(keys.size).toBe(2);
    expect([...keys].every((k) => /^al_[0-9a-f]{16}\/\d+-(open|resolved)$/.test(k!))).toBe(true);
  });

  it('retries 503s with growing backoff, gives up on a 400 at once, and shows dead rows in the API', async () => {
    const index = plant(['flaky', 'broken']);
    const store = openTempStore(dirs);
    raise(store, index);
    script.set('/flaky', [503, 503]);
    script.set('/broken', [400]);
    let now = 1_000_000;
    const metrics = createMetrics();
    const d = new AlertDispatcher({
      db: store.db,
      index,
      env,
      metrics,
      now: () => now,
      random: () => 0.5,
    });
    const nextAt = () =>
      (
        store.db.prepare(`SELECT next_at FROM alert_outbox WHERE channel = 'flaky'`).get() as {
          next_at: number;
        }
      ).next_at;

    await d.tick();
    expect(nextAt() - now).toBe(7_500); // attempt 1 failed: 10 s step, equal jitter → 5–10 s
    now += 5_000;
    await d.tick(); // not due yet
    expect(hooks.filter((h) => h.path === '/flaky')).toHaveLength(1);
    now += 2_500;
    await d.tick();
    expect(nextAt() - now).toBe(15_000); // attempt 2 failed: 20 s step
    now += 15_000;
    await d.tick();
    await d.stop();
    const flaky = hooks.filter((h) => h.path === '/flaky');
    expect(flaky).toHaveLength(3);
    expect(new Set(flaky.map((h) => h.key)).size).toBe(1);
    expect(
      outbox(store)
        .map((r) => `${r.channel}:${r.state}`)
        .sort(),
    ).toEqual(['broken:dead', 'flaky:sent']);
    expect(hooks.filter((h) => h.path === '/broken')).toHaveLength(1);
    const counted = await metrics.registry.getSingleMetricAsString(
      'plantpulse_alert_notifications_total',
    );
    expect(counted).toContain(
      'plantpulse_alert_notifications_total{channel="flaky",result="failed"} 2',
    );
    expect(counted).toContain(
      'plantpulse_alert_notifications_total{channel="flaky",result="sent"} 1',
    );
    expect(counted).toContain(
      'plantpulse_alert_notifications_total{channel="broken",result="dead"} 1',
    );

    const app = await buildApp({
      index,
      store,
      metrics: createMetrics(),
      log: createLogger({ level: 'silent' }),
      dataDir: '.',
      readiness: () => ({}),
      startedAt: 0,
    });
    const viewer = issueTestToken(store, 'viewer');
    const dead = (
      await app.inject({ url: '/api/v1/alerts/notifications?state=dead', headers: viewer.headers })
    ).json<{
      notifications: { channel: string; attempts: number; lastError: string }[];
    }>().notifications;
    expect(dead).toEqual([
      expect.objectContaining({
        channel: 'broken',
        attempts: 1,
        lastError: 'webhook "broken": HTTP 400',
      }),
    ]);
    await app.close();
  });

  it('a rate-limited channel holds deliveries back until its bucket refills', async () => {
    const index = plant(['limited']);
    const store = openTempStore(dirs);
    raise(store, index, true); // two notifications, burst 1, 2 per minute
    let now = 5_000_000;
    const d = new AlertDispatcher({ db: store.db, index, env, now: () => now });
    expect(await d.tick()).toBe(1);
    expect(await d.tick()).toBe(0);
    now += 30_000;
    expect(await d.tick()).toBe(1);
    await d.stop();
    expect(hooks.map((h) => (h.body as { transition: string }).transition)).toEqual([
      'open',
      'resolved',
    ]);
  });

  it('skips notifications older than alerts.skipOlderThan (a backfill pages nobody)', async () => {
    const index = plant(['json'], '1d');
    const store = openTempStore(dirs);
    raise(store, index); // event time T0
    const late = new AlertDispatcher({ db: store.db, index, env, now: () => T0 + 2 * 86_400_000 });
    expect(await late.tick()).toBe(0);
    await late.stop();
    expect(hooks).toEqual([]);
    const row = store.db.prepare('SELECT state, last_error FROM alert_outbox').get();
    expect(row).toEqual({
      state: 'dead',
      last_error: 'older than alerts.skipOlderThan (1.0 d); not sent',
    });

    const fresh = openTempStore(dirs);
    raise(fresh, index);
    const live = new AlertDispatcher({ db: fresh.db, index, env, now: () => T0 + 60_000 });
    expect(await live.tick()).toBe(1);
    await live.stop();
  });

  it('stop() cuts off a delivery that hangs; the row stays pending for the next start', async () => {
    const index = plant(['hang']);
    const store = openTempStore(dirs);
    raise(store, index);
    script.set('/hang', [0]);
    const d = new AlertDispatcher({ db: store.db, index, env });
    const pass = d.tick();
    await waitUntil(() => hooks.length === 1);
    await d.stop();
    expect(await pass).toBe(0);
    const row = store.db.prepare('SELECT state, attempts, last_error FROM alert_outbox').get();
    expect(row).toEqual({ state: 'pending', attempts: 0, last_error: null });
  });

  it('policy: token bucket and backoff figures', () => {
    const b = new TokenBucket(60, 2, 0);
    expect([b.take(0), b.take(0), b.take(0)]).toEqual([true, true, false]);
    expect(b.waitMs(0)).toBe(1_000);
    expect(b.take(1_000)).toBe(true);
    const p = { baseDelay: 1_000, maxDelay: 8_000 };
    expect([1, 2, 3, 4, 5, 9].map((n) => backoffMs(n, p, () => 1))).toEqual([
      1_000, 2_000, 4_000, 8_000, 8_000, 8_000,
    ]);
    expect(backoffMs(3, p, () => 0)).toBe(2_000);
  });
});
