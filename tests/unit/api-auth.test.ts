/**
 * API authentication and roles through `buildApp` on a real SQLite store: every route of the
 * app, as registered, is called with no token, a revoked token and a token of every role, so a
 * route added later without the right role coverage fails here. Also: routes without a
 * declared role are refused at build time, rate limits, CORS off by default, the audit routes.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app.js';
import { DeviceCredentials } from '../../broker/credentials.js';
import { installAuth } from '../../api/auth.js';
import type { ApiDeps } from '../../api/deps.js';
import { installErrorHandler } from '../../api/errors.js';
import { buildPlantIndex } from '../../config/plant-index.js';
import { plantSchema, type PlantModelInput } from '../../config/schema.js';
import { createLogger } from '../../runtime/logger.js';
import { createMetrics } from '../../runtime/metrics.js';
import { roleAllows, TOKEN_ROLES, type TokenRole } from '../../security/roles.js';
import { ApiTokens } from '../../security/tokens.js';
import { openStore, type Store } from '../../store/store.js';
import { issueTestToken } from '../helpers/api-auth.js';
import { testPlant } from '../helpers/plant-fixture.js';
import { tempDir } from '../helpers/tmp.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function deps(http: PlantModelInput['http'] = {}): ApiDeps {
  const tmp = tempDir();
  const index = buildPlantIndex(plantSchema.parse(testPlant({ machines: 1, overrides: { http } })));
  const store: Store = openStore({
    dataDir: tmp.dir,
    durability: 'normal',
    commitMaxRows: 1000,
    rawRetentionMs: 1e12,
    rollupRetentionMs: 1e12,
  });
  cleanups.push(tmp.cleanup, () => store.close());
  return {
    index,
    store,
    metrics: createMetrics(),
    log: createLogger({ level: 'silent' }),
    dataDir: tmp.dir,
    readiness: () => ({}),
    startedAt: 0,
  };
}

async function app(d: ApiDeps): Promise<FastifyInstance> {
  const a = await buildApp(d);
  cleanups.push(() => a.close());
  await a.ready();
  return a;
}

/** A concrete URL for a route pattern (`:id` → a placeholder, `*` → a file name). */
const concrete = (url: string) => url.replace(/:[A-Za-z]+/g, 'x').replace(/\*$/, 'x');

describe('every route requires its declared role', () => {
  it('no token → 401, other roles → 403, allowed roles get past the check', async () => {
    const d = deps();
    const a = await app(d);
    const tokens = Object.fromEntries(
      TOKEN_ROLES.map((r) => [r, issueTestToken(d.store, r).headers]),
    ) as Record<TokenRole, { authorization: string }>;
    const routes = a.routeRoles; // GET routes come with HEAD twins: those are checked too
    expect(routes.length).toBeGreaterThan(8);
    // Public: liveness and the OpenAPI reference only.
    expect(
      routes
        .filter((r) => r.role === 'public')
        .map((r) => r.url)
        .filter((u) => !u.startsWith('/docs')),
    ).toEqual(['/health', '/health']); // GET and HEAD

    let checked = 0;
    for (const route of routes.filter((r) => r.role !== 'public')) {
      const method = route.method as 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
      const url = concrete(route.url);
      const anon = await a.inject({ method, url });
      expect(anon.statusCode, `${method} ${url} without a token`).toBe(401);
      const body = method !== 'HEAD'; // HEAD answers carry no body
      if (body) expect(anon.json().error.code).toBe('PP_ERR_UNAUTHORIZED');
      if (body) expect(anon.json().error.message).toContain('Authorization: Bearer');

      for (const role of TOKEN_ROLES) {
        const res = await a.inject({ method, url, headers: tokens[role] });
        const label = `${method} ${url} (needs ${route.role}) with a ${role} token`;
        if (roleAllows(role, route.role)) {
          expect([401, 403], label).not.toContain(res.statusCode);
        } else {
          expect(res.statusCode, label).toBe(403);
          if (body) expect(res.json().error.code).toBe('PP_ERR_FORBIDDEN');
          if (body) expect(res.json().error.message).toContain(`needs role ${route.role}`);
        }
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(40);
  });

  it('/health needs no token; an unknown, malformed or revoked token gets 401', async () => {
    const d = deps();
    const a = await app(d);
    expect((await a.inject({ url: '/health' })).statusCode).toBe(200);
    const bad = await a.inject({
      url: '/api/v1/stats',
      headers: { authorization: 'Bearer ppt_not-a-token-at-all-0000000000000000000' },
    });
    expect(bad.statusCode).toBe(401);
    expect(bad.json().error.message).toBe('the bearer token is unknown or revoked');
    const basic = await a.inject({ url: '/api/v1/stats', headers: { authorization: 'Basic abc' } });
    expect(basic.statusCode).toBe(401);
    expect(basic.json().error.message).toContain('Bearer <token>');

    const tokens = new ApiTokens(d.store.db, d.store.audit);
    const secret = tokens.add('grafana', 'viewer', 'test');
    const headers = { authorization: `Bearer ${secret}` };
    expect((await a.inject({ url: '/api/v1/stats', headers })).statusCode).toBe(200);
    tokens.revoke('grafana', 'test');
    const revoked = await a.inject({ url: '/api/v1/stats', headers });
    expect(revoked.statusCode).toBe(401);
    expect(revoked.json().error.code).toBe('PP_ERR_UNAUTHORIZED');
  });

  it('a route registered without a role makes the app fail to build (fail closed)', async () => {
    const d = deps();
    const a = Fastify();
    installErrorHandler(a);
    await installAuth(a, d);
    const build = async () => {
      await a.register(async (child) => {
        child.get('/api/v1/forgotten', async () => ({ secret: true }));
      });
      await a.ready();
    };
    await expect(build()).rejects.toThrow(/GET \/api\/v1\/forgotten declares no role/);
  });

  it('http.auth: off lets requests through and says so loudly', async () => {
    const d = deps({ auth: 'off' });
    const lines: string[] = [];
    d.log = pino({ level: 'warn' }, { write: (l: string) => lines.push(l) });
    const a = await app(d);
    expect((await a.inject({ url: '/api/v1/stats' })).statusCode).toBe(200);
    expect(lines.join('\n')).toContain('THE HTTP API IS OPEN');
  });
});

describe('rate limits and CORS', () => {
  it('limits each token separately and never /health', async () => {
    const d = deps({ rateLimit: { max: 5, window: '1m' } });
    const a = await app(d);
    const one = issueTestToken(d.store, 'viewer').headers;
    const two = issueTestToken(d.store, 'viewer').headers;
    const codes: number[] = [];
    for (let i = 0; i < 7; i++) {
      codes.push((await a.inject({ url: '/api/v1/stats', headers: one })).statusCode);
    }
    expect(codes).toEqual([200, 200, 200, 200, 200, 429, 429]);
    const limited = await a.inject({ url: '/api/v1/stats', headers: one });
    expect(limited.json().error.code).toBe('PP_ERR_RATE_LIMITED');
    expect(limited.headers['retry-after']).toBeDefined();
    expect((await a.inject({ url: '/api/v1/stats', headers: two })).statusCode).toBe(200);
    for (let i = 0; i < 10; i++) expect((await a.inject({ url: '/health' })).statusCode).toBe(200);
  });

  it('CORS is off by default and allows only configured origins', async () => {
    const preflight = (origin: string) => ({
      method: 'OPTIONS' as const,
      url: '/api/v1/stats',
      headers: { origin, 'access-control-request-method': 'GET' },
    });
    const closed = await app(deps());
    const r0 = await closed.inject(preflight('https://evil.example'));
    expect(r0.headers['access-control-allow-origin']).toBeUndefined();
    const r1 = await closed.inject({
      url: '/health',
      headers: { origin: 'https://evil.example' },
    });
    expect(r1.headers['access-control-allow-origin']).toBeUndefined();

    const open = await app(deps({ cors: { origins: ['https://grafana.plant.example'] } }));
    const ok = await open.inject(preflight('https://grafana.plant.example'));
    expect(ok.statusCode).toBe(204);
    expect(ok.headers['access-control-allow-origin']).toBe('https://grafana.plant.example');
    const other = await open.inject(preflight('https://evil.example'));
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('audit routes', () => {
  it('an admin reads token changes and the chain verification', async () => {
    const d = deps();
    const a = await app(d);
    const admin = issueTestToken(d.store, 'admin', 'alice').headers;
    new ApiTokens(d.store.db, d.store.audit).revoke('alice', 'token:alice');
    // alice is revoked now; a second admin reads the trail
    const bob = issueTestToken(d.store, 'admin', 'bob').headers;
    expect((await a.inject({ url: '/api/v1/audit', headers: admin })).statusCode).toBe(401);
    const res = await a.inject({ url: '/api/v1/audit?action=token.', headers: bob });
    expect(res.statusCode).toBe(200);
    const entries = res.json().entries as { action: string; subject: string; actor: string }[];
    expect(entries.map((e) => [e.action, e.subject, e.actor])).toEqual([
      ['token.add', 'bob', 'test'],
      ['token.revoke', 'alice', 'token:alice'],
      ['token.add', 'alice', 'test'],
    ]);
    const v = await a.inject({ url: '/api/v1/audit/verify', headers: bob });
    expect(v.json()).toMatchObject({ ok: true, entries: 3 });
    const viewer = issueTestToken(d.store, 'viewer').headers;
    expect((await a.inject({ url: '/api/v1/audit', headers: viewer })).statusCode).toBe(403);
  });
});

describe('token and device routes', () => {
  it('an admin creates and revokes tokens over the API, audited under its own name', async () => {
    const d = deps();
    const a = await app(d);
    const admin = issueTestToken(d.store, 'admin', 'ops-lead').headers;
    const created = await a.inject({
      method: 'POST',
      url: '/api/v1/tokens',
      headers: admin,
      payload: { name: 'energy-report-bot', role: 'energy' },
    });
    expect(created.statusCode).toBe(201);
    const { secret } = created.json() as { secret: string };
    const bot = { authorization: `Bearer ${secret}` };
    expect((await a.inject({ url: '/api/v1/stats', headers: bot })).statusCode).toBe(200);
    const listed = (await a.inject({ url: '/api/v1/tokens', headers: admin })).json() as {
      tokens: { name: string; role: string }[];
    };
    expect(listed.tokens.map((t) => [t.name, t.role])).toEqual([
      ['energy-report-bot', 'energy'],
      ['ops-lead', 'admin'],
    ]);
    expect(JSON.stringify(listed)).not.toContain(secret);
    const bad = await a.inject({
      method: 'POST',
      url: '/api/v1/tokens',
      headers: admin,
      payload: { name: 'has space', role: 'viewer' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toContain('token name "has space" is invalid');

    const del = await a.inject({
      method: 'DELETE',
      url: '/api/v1/tokens/energy-report-bot',
      headers: admin,
    });
    expect(del.statusCode).toBe(204);
    expect((await a.inject({ url: '/api/v1/stats', headers: bot })).statusCode).toBe(401);
    const again = await a.inject({
      method: 'DELETE',
      url: '/api/v1/tokens/energy-report-bot',
      headers: admin,
    });
    expect(again.statusCode).toBe(404);
    expect(d.store.audit.list({ actionPrefix: 'token.' }).map((e) => [e.action, e.actor])).toEqual([
      ['token.revoke', 'token:ops-lead'],
      ['token.add', 'token:ops-lead'],
      ['token.add', 'test'],
    ]);
  });

  it('an engineer lists devices with their credential state, never secrets', async () => {
    const d = deps();
    const a = await app(d);
    const creds = new DeviceCredentials(d.store.db);
    const secret = await creds.issue('gw1');
    const res = await a.inject({
      url: '/api/v1/devices',
      headers: issueTestToken(d.store, 'engineer').headers,
    });
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain(secret);
    expect(
      (res.json().devices as { id: string; credentials: string }[]).map((x) => [
        x.id,
        x.credentials,
      ]),
    ).toEqual([
      ['gw1', 'active'],
      ['gw2', 'none'],
    ]);
  });
});
