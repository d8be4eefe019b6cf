/**
 * What the broker relies on to end sessions of removed or rotated devices, on real SQLite files:
 * the change counter (store migration 6) moves for every credential change from any connection
 * or tool and for nothing else; a login names the stored hash it matched and does not let
 * through a secret removed or rotated while its KDF ran; `verdict` says which sessions lose.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DeviceConfig } from '../../config/schema.js';
import { CredentialWatch } from '../../broker/credential-watch.js';
import { DeviceCredentials, hashSecret } from '../../broker/credentials.js';
import { verdict } from '../../broker/sessions.js';
import { LOG_FILE, openDatabase } from '../../store/db.js';
import { tempDir } from '../helpers/tmp.js';

const cleanups: (() => void)[] = [];
afterEach(() =>
  cleanups
    .splice(0)
    .reverse()
    .forEach((c) => c()),
);

/** Two connections to one data dir: the broker's and another process's (the CLI). */
function twoConnections() {
  const tmp = tempDir('plantpulse-credwatch-');
  const broker = openDatabase(tmp.dir, { durability: 'normal' });
  const cli = openDatabase(tmp.dir, { durability: 'normal' });
  cleanups.push(() => {
    broker.close();
    cli.close();
    tmp.cleanup();
  });
  return { dir: tmp.dir, broker, cli };
}

describe('CredentialWatch', () => {
  it('sees every credential change, from another connection or its own, and nothing else', async () => {
    const { dir, broker, cli } = twoConnections();
    const watch = new CredentialWatch(broker);
    expect(watch.changed()).toBe(false);

    const other = new DeviceCredentials(cli);
    await other.issue('gw1');
    expect(watch.changed()).toBe(true);
    expect(watch.changed()).toBe(false); // reported once

    await other.issue('gw1'); // rotation
    expect(watch.changed()).toBe(true);
    expect(other.disable('gw1')).toBe(true); // removal
    expect(watch.changed()).toBe(true);

    // Readings, cursors and tokens written by other connections do not count.
    cli.prepare("INSERT INTO cursors(name, pos, updated) VALUES ('x', 1, 0)").run();
    cli.prepare("INSERT INTO series(key, kind, unit) VALUES ('a/b/c/d', 'power', 'W')").run();
    expect(watch.changed()).toBe(false);

    // The broker's own connection (in-process credential changes).
    new DeviceCredentials(broker).disable('cert-only-box');
    expect(watch.changed()).toBe(true);

    // An operator editing the file by hand (sqlite3 shell) is seen too: triggers, not app code.
    const raw = new Database(join(dir, LOG_FILE));
    raw.prepare("DELETE FROM devices WHERE id = 'gw1'").run();
    raw.close();
    expect(watch.changed()).toBe(true);
    expect(watch.changed()).toBe(false);
  });
});

describe('DeviceCredentials.login', () => {
  it('names the stored hash it matched', async () => {
    const { broker } = twoConnections();
    const creds = new DeviceCredentials(broker);
    const secret = await creds.issue('gw1');
    const stored = creds.current('gw1')!.secretHash;
    expect(await creds.login('gw1', secret)).toEqual({ result: 'ok', secretHash: stored });
    // the second login takes the cached path and names the same hash
    expect(await creds.login('gw1', secret)).toEqual({ result: 'ok', secretHash: stored });
    expect(await creds.login('gw1', 'nope')).toEqual({ result: 'wrong' });
    expect(await creds.check('gw1', secret)).toBe('ok');
  });

  it('refuses a secret rotated or removed by another process while its KDF ran', async () => {
    const { broker, cli } = twoConnections();
    const secret = await new DeviceCredentials(cli).issue('gw1');
    const otherHash = await hashSecret('another secret');

    // A fresh instance has no cache: login reads the row, then runs scrypt off the main thread.
    const rotating = new DeviceCredentials(broker).login('gw1', secret);
    cli.prepare('UPDATE devices SET secret_hash = ? WHERE id = ?').run(otherHash, 'gw1');
    expect(await rotating).toEqual({ result: 'wrong' });

    const secret2 = await new DeviceCredentials(cli).issue('gw1');
    const removing = new DeviceCredentials(broker).login('gw1', secret2);
    new DeviceCredentials(cli).disable('gw1');
    expect(await removing).toEqual({ result: 'unknown' });
  });
});

describe('verdict: which live sessions a stored record no longer backs', () => {
  const device = { id: 'gw1', prefix: 'plants/t/l1' } as DeviceConfig;
  const byPassword = { device, login: { kind: 'password' as const, secretHash: 'h1' } };
  const byCertificate = { device, login: { kind: 'certificate' as const } };

  it.each([
    ['password, record unchanged', byPassword, { secretHash: 'h1', disabled: false }, undefined],
    [
      'password, secret rotated',
      byPassword,
      { secretHash: 'h2', disabled: false },
      'secret_rotated',
    ],
    [
      'password, device removed',
      byPassword,
      { secretHash: 'h1', disabled: true },
      'device_removed',
    ],
    ['password, row deleted', byPassword, undefined, 'device_removed'],
    ['certificate, no password ever', byCertificate, undefined, undefined],
    [
      'certificate, password rotated',
      byCertificate,
      { secretHash: 'h2', disabled: false },
      undefined,
    ],
    [
      'certificate, device removed',
      byCertificate,
      { secretHash: '', disabled: true },
      'device_removed',
    ],
  ] as const)('%s', (_name, identity, row, expected) => {
    expect(verdict(identity, row)).toBe(expected);
  });
});
