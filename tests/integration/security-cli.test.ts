/**
 * The operator's side of API security, through the real `plantpulse` CLI and a running
 * PlantPulse child: the bootstrap admin token, `tokens add/list/revoke` taking effect on the
 * running server (also on a connection kept alive from before a revocation), audited
 * `devices add/remove`, and `audit verify` catching an edited or a removed row of the audit
 * trail in the SQLite file.
 */
import { Agent, get as httpGet } from 'node:http';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPlant, writePlant } from '../helpers/plant-fixture.js';
import {
  addDevice,
  apiFetch,
  getJson,
  runCli,
  startChild,
  TEST_ADMIN_TOKEN,
  type PlantPulseChild,
} from '../helpers/plantpulse-process.js';
import { tempDir } from '../helpers/tmp.js';
import { refusalCode } from './support/harness.js';

const tmp = tempDir('plantpulse-sec-cli-');
const config = writePlant(tmp.dir, testPlant({ machines: 1 }));
const dataDir = join(tmp.dir, 'data');
let pp: PlantPulseChild;
const actor = `cli:${userInfo().username}`;

interface Entry {
  seq: number;
  actor: string;
  action: string;
  subject: string;
}
const auditEntries = async () =>
  (await getJson<{ entries: Entry[] }>(`${pp.httpUrl}/api/v1/audit?limit=1000`)).entries;
const lastLine = (s: string) => s.trim().split('\n').pop()!;

beforeAll(async () => {
  pp = await startChild({ config, dataDir });
});
afterAll(async () => {
  await pp?.stop();
  tmp.cleanup();
});

describe('tokens on a running PlantPulse', () => {
  it('the bootstrap admin token works, is audited once, and no token means 401', async () => {
    const anon = await fetch(`${pp.httpUrl}/api/v1/stats`);
    expect(anon.status).toBe(401);
    expect(((await anon.json()) as { error: { code: string } }).error.code).toBe(
      'PP_ERR_UNAUTHORIZED',
    );
    const entries = await auditEntries();
    expect(entries.filter((e) => e.action === 'token.bootstrap')).toMatchObject([
      { actor: 'system', subject: 'bootstrap-admin' },
    ]);
  });

  it('tokens add prints the secret last; list never shows it; revoke takes effect at once', async () => {
    const add = runCli(['tokens', 'add', '-d', dataDir, '--name', 'grafana', '--role', 'viewer']);
    expect(add.status).toBe(0);
    const secret = lastLine(add.stdout);
    expect(secret).toMatch(/^ppt_[A-Za-z0-9_-]{43}$/);

    expect((await apiFetch(`${pp.httpUrl}/api/v1/stats`, {}, secret)).status).toBe(200);
    const forbidden = await apiFetch(`${pp.httpUrl}/api/v1/dead-letters`, {}, secret);
    expect(forbidden.status).toBe(403);
    expect(((await forbidden.json()) as { error: { message: string } }).error.message).toContain(
      'needs role engineer',
    );

    const list = runCli(['tokens', 'list', '-d', dataDir]);
    expect(list.stdout).toMatch(/^grafana\tviewer\tcreated \S+\tactive$/m);
    expect(list.stdout).not.toContain(secret);

    const dup = runCli(['tokens', 'add', '-d', dataDir, '--name', 'grafana', '--role', 'admin']);
    expect(dup.status).toBe(2);
    expect(dup.stderr).toContain('already exists');
    const badRole = runCli(['tokens', 'add', '-d', dataDir, '--name', 'x', '--role', 'root']);
    expect(badRole.status).toBe(2);
    expect(badRole.stderr).toContain('role "root" is unknown');

    expect(runCli(['tokens', 'revoke', '-d', dataDir, '--name', 'grafana']).status).toBe(0);
    const revoked = await apiFetch(`${pp.httpUrl}/api/v1/stats`, {}, secret);
    expect(revoked.status).toBe(401);
    expect(runCli(['tokens', 'list', '-d', dataDir]).stdout).toMatch(
      /^grafana\tviewer\t.*revoked/m,
    );

    const mine = (await auditEntries()).filter((e) => e.subject === 'grafana');
    expect(mine.map((e) => [e.action, e.actor])).toEqual([
      ['token.revoke', actor],
      ['token.add', actor],
    ]);
  });

  it('a revoked token fails on an HTTP connection kept alive from before the revocation', async () => {
    const secret = lastLine(
      runCli(['tokens', 'add', '-d', dataDir, '--name', 'dash', '--role', 'viewer']).stdout,
    );
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const get = () =>
      new Promise<{ status: number; reused: boolean }>((resolve, reject) => {
        const req = httpGet(
          `${pp.httpUrl}/api/v1/stats`,
          { agent, headers: { authorization: `Bearer ${secret}` } },
          (res) => {
            res.resume();
            res.on('end', () => resolve({ status: res.statusCode!, reused: req.reusedSocket }));
          },
        );
        req.on('error', reject);
      });
    try {
      expect(await get()).toEqual({ status: 200, reused: false });
      expect(runCli(['tokens', 'revoke', '-d', dataDir, '--name', 'dash']).status).toBe(0);
      expect(await get()).toEqual({ status: 401, reused: true });
    } finally {
      agent.destroy();
    }
  });

  it('devices add and remove are audited, and a removed device can no longer connect', async () => {
    const secret = addDevice(config, dataDir, 'gw2');
    const login = { username: 'gw2', password: secret };
    expect(await refusalCode(pp.mqttUrl, login)).toBe(0);
    const rm = runCli(['devices', 'remove', '-d', dataDir, '--device', 'gw2']);
    expect(rm.status).toBe(0);
    expect(await refusalCode(pp.mqttUrl, login)).toBe(4);
    expect(runCli(['devices', 'remove', '-d', dataDir, '--device', 'gw2']).status).toBe(2);
    const mine = (await auditEntries()).filter((e) => e.subject === 'gw2');
    expect(mine.map((e) => [e.action, e.actor])).toEqual([
      ['device.remove', actor],
      ['device.add', actor],
    ]);
  });
});

describe('plantpulse audit verify', () => {
  it('passes on the untouched trail and names the entry an edit or a cut broke', async () => {
    const entries = (await auditEntries()).length;
    expect(entries).toBeGreaterThanOrEqual(5);
    await pp.stop();

    const ok = runCli(['audit', 'verify', '-d', dataDir]);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain(`audit trail intact: ${entries} entries`);

    const db = new Database(join(dataDir, 'plantpulse.db'));
    try {
      // Someone rewrites who revoked the token, leaving the hashes as they were.
      db.prepare("UPDATE audit_log SET actor = 'cli:nobody' WHERE action = 'token.revoke'").run();
      const seq = (
        db.prepare("SELECT seq FROM audit_log WHERE action = 'token.revoke'").get() as {
          seq: number;
        }
      ).seq;
      const edited = runCli(['audit', 'verify', '-d', dataDir]);
      expect(edited.status).toBe(3);
      expect(edited.stderr).toContain(`BROKEN at entry ${seq}`);
      expect(edited.stderr).toContain('altered');

      db.prepare("UPDATE audit_log SET actor = ? WHERE action = 'token.revoke'").run(actor);
      expect(runCli(['audit', 'verify', '-d', dataDir]).status).toBe(0);

      // Removing the newest entry (the device removal) is caught by the chain head.
      db.prepare('DELETE FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log)').run();
      const cut = runCli(['audit', 'verify', '-d', dataDir]);
      expect(cut.status).toBe(3);
      expect(cut.stderr).toContain(`BROKEN at entry ${entries}`);
      expect(cut.stderr).toContain('removed from the end');
    } finally {
      db.close();
    }
  });

  it('a bootstrap token shorter than 32 characters stops the start with a clear message', () => {
    const r = runCli(
      ['start', '-c', config, '-d', dataDir, '--mqtt-port', '0', '--http-port', '0'],
      {
        PLANTPULSE_BOOTSTRAP_ADMIN_TOKEN: 'admin123',
      },
    );
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('PLANTPULSE_BOOTSTRAP_ADMIN_TOKEN is 8 characters long');
    expect(TEST_ADMIN_TOKEN.length).toBeGreaterThanOrEqual(32);
  });
});
