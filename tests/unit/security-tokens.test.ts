/**
 * Token storage and the role lattice on a real SQLite store, and the security settings of the
 * plant model: what is stored (a hash, never the secret), rotation, the bootstrap token, and
 * configuration mistakes that must fail at start with the path and the fix.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { tlsServerOptions } from '../../broker/tls.js';
import { ConfigError } from '../../config/load.js';
import { plantSchema } from '../../config/schema.js';
import { roleAllows, TOKEN_ROLES } from '../../security/roles.js';
import { ApiTokens, hashToken, TokenError } from '../../security/tokens.js';
import { openStore, type Store } from '../../store/store.js';
import { testPlant } from '../helpers/plant-fixture.js';
import { tempDir } from '../helpers/tmp.js';

const cleanups: (() => void)[] = [];
afterEach(() =>
  cleanups
    .splice(0)
    .reverse()
    .forEach((c) => c()),
);

function store(): Store {
  const tmp = tempDir();
  const s = openStore({
    dataDir: tmp.dir,
    durability: 'normal',
    commitMaxRows: 100,
    rawRetentionMs: 1e12,
    rollupRetentionMs: 1e12,
  });
  cleanups.push(tmp.cleanup, () => s.close());
  return s;
}

describe('role lattice', () => {
  it('admin covers all, viewer only itself, the middle roles are siblings above viewer', () => {
    const table = Object.fromEntries(
      TOKEN_ROLES.map((has) => [
        has,
        TOKEN_ROLES.filter((needs) => roleAllows(has, needs)).join(' '),
      ]),
    );
    expect(table).toEqual({
      viewer: 'viewer',
      engineer: 'viewer engineer',
      maintenance: 'viewer maintenance',
      energy: 'viewer energy',
      admin: 'viewer engineer maintenance energy admin',
    });
    for (const r of TOKEN_ROLES) expect(roleAllows(r, 'public')).toBe(true);
  });
});

describe('ApiTokens', () => {
  it('stores only the SHA-256 of a 256-bit secret and verifies by it', () => {
    const s = store();
    const t = new ApiTokens(s.db, s.audit);
    const secret = t.add('grafana', 'viewer', 'test');
    expect(secret).toMatch(/^ppt_[A-Za-z0-9_-]{43}$/);
    const row = s.db.prepare('SELECT * FROM api_tokens').get() as Record<string, unknown>;
    expect(row.hash).toBe(hashToken(secret));
    expect(JSON.stringify(row)).not.toContain(secret.slice(4));
    expect(t.verify(secret)).toEqual({ name: 'grafana', role: 'viewer' });
    expect(t.verify(secret + 'x')).toBeUndefined();
  });

  it('rotation replaces the secret; revocation keeps the name listed', () => {
    const s = store();
    const t = new ApiTokens(s.db, s.audit);
    const first = t.add('bot', 'energy', 'test');
    expect(() => t.add('bot', 'energy', 'test')).toThrow(TokenError);
    const second = t.add('bot', 'energy', 'test', { replace: true });
    expect(t.verify(first)).toBeUndefined();
    expect(t.verify(second)?.name).toBe('bot');
    t.revoke('bot', 'test');
    expect(t.verify(second)).toBeUndefined();
    expect(t.list()).toMatchObject([{ name: 'bot', role: 'energy', revoked: expect.any(Number) }]);
    expect(() => t.revoke('bot', 'test')).toThrow(/no active token named "bot"/);
    expect(s.audit.list().map((e) => e.action)).toEqual([
      'token.revoke',
      'token.rotate',
      'token.add',
    ]);
    expect(s.audit.verify().ok).toBe(true);
  });

  it('the bootstrap token is audited when it changes, not on every start', () => {
    const s = store();
    const t = new ApiTokens(s.db, s.audit);
    const secret = 'x'.repeat(40);
    expect(t.ensure('bootstrap-admin', 'admin', secret, 'system')).toBe('created');
    expect(t.ensure('bootstrap-admin', 'admin', secret, 'system')).toBe('unchanged');
    expect(t.ensure('bootstrap-admin', 'admin', 'y'.repeat(40), 'system')).toBe('created');
    expect(t.verify(secret)).toBeUndefined();
    expect(s.audit.list().map((e) => e.action)).toEqual(['token.bootstrap', 'token.bootstrap']);
    expect(() => t.ensure('bootstrap-admin', 'admin', 'short', 'system')).toThrow(
      /at least 32 random characters/,
    );
  });

  it('refuses bad names and unknown roles with the allowed values', () => {
    const s = store();
    const t = new ApiTokens(s.db, s.audit);
    expect(() => t.add('', 'viewer', 'test')).toThrow(/token name "" is invalid/);
    expect(() => t.add('a b', 'viewer', 'test')).toThrow(/is invalid/);
    expect(() => t.add('ok', 'superuser', 'test')).toThrow(
      'role "superuser" is unknown; use one of viewer, engineer, maintenance, energy, admin',
    );
  });
});

describe('security settings of the plant model', () => {
  const parse = (overrides: Record<string, unknown>) =>
    plantSchema.safeParse(testPlant({ machines: 1, overrides }));

  it('defaults: tokens on, rate limit on, CORS off, plain MQTT on, no TLS', () => {
    const r = parse({});
    expect(r.success).toBe(true);
    expect(r.data!.http).toMatchObject({ auth: 'tokens', rateLimit: { enabled: true, max: 1200 } });
    expect(r.data!.http.cors).toBeUndefined();
    expect(r.data!.mqtt).toMatchObject({ tcp: true });
    expect(r.data!.mqtt.tls).toBeUndefined();
  });

  it('client certificates need a CA; TLS below 1.2 and CORS wildcards are refused', () => {
    const noCa = parse({ mqtt: { tls: { cert: 'a', key: 'b', clientCerts: 'optional' } } });
    expect(noCa.error!.issues[0]).toMatchObject({ path: ['mqtt', 'tls', 'ca'] });
    expect(noCa.error!.issues[0]!.message).toContain('clientCerts needs `ca`');
    const old = parse({ http: { tls: { cert: 'a', key: 'b', minVersion: 'TLSv1.1' } } });
    expect(old.error!.issues[0]!.path).toEqual(['http', 'tls', 'minVersion']);
    expect(parse({ http: { cors: { origins: ['*'] } } }).success).toBe(false);
    expect(parse({ http: { auth: 'none' } }).success).toBe(false);
  });

  it('a missing certificate file fails with the config path, the file and the fix', () => {
    const err = (() => {
      try {
        tlsServerOptions(
          { cert: 'tls/nope.crt', key: 'tls/nope.key', minVersion: 'TLSv1.2' },
          '/etc/plantpulse/plant.yaml',
          'mqtt.tls',
        );
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain(
      'mqtt.tls.cert: cannot read /etc/plantpulse/tls/nope.crt (ENOENT); give the path of a PEM file, relative to the plant model',
    );
  });
});
