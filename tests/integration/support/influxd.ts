/**
 * Debian's InfluxDB 1.x server (`influxd`) on free local ports with its own directories, for
 * tests that must read back exactly what InfluxDB's own line-protocol parser made of a line
 * (VictoriaMetrics drops string fields). Written to with /write, read with InfluxQL /query.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../../sinks/influx/testkit/victoria-metrics.js';

export interface InfluxSeries {
  name: string;
  columns: string[];
  values: unknown[][];
  tags?: Record<string, string>;
}

export class Influxd {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    private readonly exited: Promise<void>,
  ) {}

  static async start(dir: string): Promise<Influxd> {
    mkdirSync(dir, { recursive: true });
    const [http, rpc] = [await freePort(), await freePort()];
    const conf = join(dir, 'influxd.conf');
    writeFileSync(
      conf,
      [
        'reporting-disabled = true',
        `bind-address = "127.0.0.1:${rpc}"`,
        '[meta]',
        `  dir = "${dir}/meta"`,
        '[data]',
        `  dir = "${dir}/data"`,
        `  wal-dir = "${dir}/wal"`,
        '  query-log-enabled = false',
        '[http]',
        `  bind-address = "127.0.0.1:${http}"`,
        '  log-enabled = false',
        '[monitor]',
        '  store-enabled = false',
        '',
      ].join('\n'),
    );
    const child = spawn('influxd', ['run', '-config', conf], { stdio: 'ignore' });
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    const db = new Influxd(child, `http://127.0.0.1:${http}`, exited);
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        if ((await fetch(`${db.url}/ping`)).status === 204) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error('influxd did not answer /ping within 30 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    return db;
  }

  async query(q: string, database?: string): Promise<InfluxSeries[]> {
    // Times as epoch ms: InfluxDB's RFC 3339 output trims trailing zeros.
    const params = new URLSearchParams({ q, epoch: 'ms', ...(database ? { db: database } : {}) });
    const r = await fetch(`${this.url}/query`, { method: 'POST', body: params });
    const body = (await r.json()) as {
      results: { series?: InfluxSeries[]; error?: string }[];
      error?: string;
    };
    const err = body.error ?? body.results?.[0]?.error;
    if (err) throw new Error(`InfluxQL ${q}: ${err}`);
    return body.results[0]?.series ?? [];
  }

  /** Writes line protocol (ms precision); returns the HTTP status and error text. */
  async write(database: string, lines: string): Promise<{ status: number; error: string }> {
    const r = await fetch(`${this.url}/write?db=${database}&precision=ms`, {
      method: 'POST',
      body: lines,
    });
    return { status: r.status, error: r.status === 204 ? '' : await r.text() };
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    await this.exited;
  }
}
