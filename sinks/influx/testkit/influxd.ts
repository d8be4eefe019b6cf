/**
 * Runs Debian's `influxd` (InfluxDB 1.x) for the dashboard query and line-protocol injection tests: a temp config with
 * every listener on a free loopback port, temp data/meta/WAL directories, usage reporting
 * and the self-monitor store off. Not used by PlantPulse itself.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ServerProcess } from './server-process.js';
import { freePort } from './victoria-metrics.js';

export const INFLUXD_BINARY = process.env.PLANTPULSE_INFLUXD_BINARY ?? 'influxd';

/** One InfluxQL statement's result, as /query returns it. */
export interface QueryResult {
  error?: string;
  series?: {
    name: string;
    tags?: Record<string, string>;
    columns: string[];
    values: unknown[][];
  }[];
}

export class Influxd extends ServerProcess {
  private constructor(
    readonly dir: string,
    port: number,
  ) {
    super(port);
  }

  static async start(dir: string): Promise<Influxd> {
    const [http, rpc] = [await freePort(), await freePort()];
    const db = new Influxd(dir, http);
    for (const d of ['meta', 'data', 'wal']) mkdirSync(join(dir, d), { recursive: true });
    const conf = join(dir, 'influxdb.conf');
    writeFileSync(
      conf,
      [
        'reporting-disabled = true',
        `bind-address = "127.0.0.1:${rpc}"`,
        '[meta]',
        `  dir = "${join(dir, 'meta')}"`,
        '  logging-enabled = false',
        '[data]',
        `  dir = "${join(dir, 'data')}"`,
        `  wal-dir = "${join(dir, 'wal')}"`,
        '  query-log-enabled = false',
        '  trace-logging-enabled = false',
        '[coordinator]',
        '  log-queries-after = "0s"',
        '[http]',
        '  enabled = true',
        `  bind-address = "127.0.0.1:${http}"`,
        '  auth-enabled = false',
        '  log-enabled = false',
        '[monitor]',
        '  store-enabled = false',
        '[continuous_queries]',
        '  enabled = false',
        '[subscriber]',
        '  enabled = false',
        '[logging]',
        '  level = "error"',
        '',
      ].join('\n'),
    );
    await db.launch(conf);
    return db;
  }

  private async launch(conf: string): Promise<void> {
    await this.spawnAndWait({
      binary: INFLUXD_BINARY,
      args: ['run', '-config', conf],
      env: { ...process.env, INFLUXDB_REPORTING_DISABLED: 'true' },
      aptPackage: 'influxdb',
      health: { path: '/ping', ok: (r) => r.status === 204 },
      startTimeoutMs: 30_000,
    });
  }

  /** Runs InfluxQL statements (POST /query); throws on an HTTP error. */
  async query(db: string, q: string): Promise<QueryResult[]> {
    const body = new URLSearchParams({ db, q, epoch: 'ms' });
    const r = await fetch(`${this.url}/query`, { method: 'POST', body });
    const text = await r.text();
    if (!r.ok && r.status !== 400) throw new Error(`/query → ${r.status}: ${text}`);
    const doc = JSON.parse(text) as { results?: QueryResult[]; error?: string };
    if (doc.error) return [{ error: doc.error }];
    return doc.results ?? [];
  }

  /** The series of a single statement, without a database for server-wide statements; throws on its error. */
  async series(db: string | undefined, q: string): Promise<NonNullable<QueryResult['series']>> {
    const body = new URLSearchParams({ q, epoch: 'ms', ...(db ? { db } : {}) });
    const r = await fetch(`${this.url}/query`, { method: 'POST', body });
    const doc = (await r.json()) as { results?: QueryResult[]; error?: string };
    const err = doc.error ?? doc.results?.[0]?.error;
    if (err) throw new Error(`InfluxQL ${q}: ${err}`);
    return doc.results?.[0]?.series ?? [];
  }

  /** Writes line protocol (ms) and reports the answer instead of throwing: for tests of refusals. */
  async writeStatus(db: string, lines: string): Promise<{ status: number; error: string }> {
    const r = await fetch(`${this.url}/write?db=${encodeURIComponent(db)}&precision=ms`, {
      method: 'POST',
      body: lines,
    });
    return { status: r.status, error: r.status === 204 ? '' : await r.text() };
  }

  /** Line protocol through the 1.x /write endpoint, millisecond timestamps. */
  async write(db: string, lines: string): Promise<void> {
    const r = await fetch(`${this.url}/write?db=${encodeURIComponent(db)}&precision=ms`, {
      method: 'POST',
      body: lines,
    });
    if (r.status !== 204) throw new Error(`/write → ${r.status}: ${await r.text()}`);
  }
}
