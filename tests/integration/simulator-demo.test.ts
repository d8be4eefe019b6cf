/**
 * `plantpulse demo` (what `npm start` runs) as a newcomer would use it: PlantPulse starts with
 * the example plant, credentials are provisioned (0600 file), data arrives within seconds, and
 * Ctrl-C (SIGINT) stops everything cleanly with exit code 0.
 */
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, getJson } from '../helpers/plantpulse-process.js';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from './support/harness.js';

const tmp = tempDir('plantpulse-demo-');
afterAll(() => tmp.cleanup());

describe('plantpulse demo', () => {
  it('shows data within seconds and stops cleanly on SIGINT', async () => {
    const dataDir = join(tmp.dir, 'data');
    const child = spawn(
      process.execPath,
      [
        CLI,
        'demo',
        '--data-dir',
        dataDir,
        '--mqtt-port',
        '0',
        '--http-port',
        '0',
        '--log-level',
        'info',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    try {
      const httpPort = await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`demo not ready: ${stderr}`)), 30_000);
        createInterface({ input: child.stdout }).on('line', (line) => {
          try {
            const e = JSON.parse(line) as { msg?: string; httpPort?: number };
            if (e.msg === 'PlantPulse ready') {
              clearTimeout(timer);
              resolve(e.httpPort!);
            }
          } catch {
            /* not a log line */
          }
        });
      });
      const url = `http://127.0.0.1:${httpPort}`;
      // The quick start prints a viewer token for the API; use it as a reader of the banner would.
      await waitFor(
        async () => /TOKEN=(\S+)/.test(stderr),
        'the demo banner with its API token',
        20_000,
      );
      const token = /^\s*TOKEN=(\S+)/m.exec(stderr)![1]!;
      const energyToken = /ENERGY_TOKEN=(\S+)/.exec(stderr)![1]!;
      const maintToken = /MAINT_TOKEN=(\S+)/.exec(stderr)![1]!;
      await waitFor(
        async () =>
          (await getJson<{ readings: number }>(`${url}/api/v1/stats`, token)).readings > 100,
        'the simulator to feed readings',
        20_000,
      );
      expect(stderr).toContain('/api/v1/stats');
      expect(stderr).toContain('mosquitto_pub');
      expect(statSync(join(dataDir, 'demo-credentials.json')).mode & 0o777).toBe(0o600);
      const stats = await getJson<{ readings: number; deadLetters: number }>(
        `${url}/api/v1/stats`,
        token,
      );
      expect(stats.deadLetters).toBe(0); // no malformed spam in the demo
      // Each banner token does what its comment says, and no more (least privilege, DESIGN C6).
      const month = new Date().toISOString().slice(0, 7);
      const report = `${url}/api/v1/reports/energy?month=${month}&format=json`;
      const as = (t: string) => ({ headers: { authorization: `Bearer ${t}` } });
      expect((await fetch(report, as(token))).status).toBe(403);
      const r = await fetch(report, as(energyToken));
      expect(r.status).toBe(200);
      expect(typeof ((await r.json()) as { totalKWh: unknown }).totalKWh).toBe('number');
      expect((await fetch(`${url}/api/v1/alerts?state=active`, as(maintToken))).status).toBe(200);
      expect((await fetch(`${url}/api/v1/tokens`, as(maintToken))).status).toBe(403);
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
  });
});
