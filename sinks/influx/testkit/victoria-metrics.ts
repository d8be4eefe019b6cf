/**
 * Runs Debian's `victoria-metrics` (a real server that accepts InfluxDB's /api/v2/write) on a
 * free local port with its own data directory, for the sink tests and bench/influx-drain.ts.
 * Not used by PlantPulse itself.
 *
 * VictoriaMetrics keeps duplicate samples unless -dedup.minScrapeInterval is set, so an export
 * shows every line that arrived: exactly what an exactly-once check needs.
 */
import { createServer } from 'node:net';
import { ServerProcess } from './server-process.js';

export const VM_BINARY = process.env.PLANTPULSE_VM_BINARY ?? 'victoria-metrics';

export interface ExportedSeries {
  metric: Record<string, string>;
  values: number[];
  timestamps: number[];
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export class VictoriaMetrics extends ServerProcess {
  private constructor(
    readonly dataDir: string,
    port: number,
  ) {
    super(port);
  }

  static async start(dataDir: string, port?: number): Promise<VictoriaMetrics> {
    const vm = new VictoriaMetrics(dataDir, port ?? (await freePort()));
    await vm.launch();
    return vm;
  }

  /** (Re)starts the server on the same port and data directory, and waits until it answers. */
  async launch(): Promise<void> {
    await this.spawnAndWait({
      binary: VM_BINARY,
      args: [
        `-httpListenAddr=127.0.0.1:${this.port}`,
        `-storageDataPath=${this.dataDir}`,
        '-retentionPeriod=100y',
        '-search.latencyOffset=0s',
        '-search.disableCache',
        '-loggerLevel=ERROR',
      ],
      aptPackage: 'victoria-metrics',
      health: { path: '/health', ok: (r) => r.ok },
      startTimeoutMs: 20_000,
    });
  }

  /** Makes recently written samples visible to queries and exports. */
  async flush(): Promise<void> {
    const r = await fetch(`${this.url}/internal/force_flush`);
    if (!r.ok) throw new Error(`force_flush → ${r.status}`);
  }

  /** Every sample of the series matching `match` (a PromQL series selector), via /api/v1/export. */
  async export(match: string): Promise<ExportedSeries[]> {
    await this.flush();
    const body = new URLSearchParams({ 'match[]': match, start: '0' });
    const r = await fetch(`${this.url}/api/v1/export`, { method: 'POST', body });
    if (!r.ok) throw new Error(`export → ${r.status}: ${await r.text()}`);
    const text = await r.text();
    const out: ExportedSeries[] = [];
    for (const line of text.split('\n'))
      if (line.trim()) out.push(JSON.parse(line) as ExportedSeries);
    return out;
  }

  /**
   * Like export, but first waits (bounded) until at least `samples` samples are searchable.
   * A freshly restarted VictoriaMetrics can accept rows (vm_rows_inserted_total counts them)
   * and still leave them out of an export for a few seconds even after force_flush; seen in
   * CI as 30,000 of 120,000 samples per series at the first export and all of them 5 s later.
   * On timeout the last export is returned as is, so the caller's assertion shows the counts.
   */
  async exportSettled(
    match: string,
    samples: number,
    timeoutMs = 30_000,
  ): Promise<ExportedSeries[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const series = await this.export(match);
      const seen = series.reduce((n, s) => n + s.timestamps.length, 0);
      if (seen >= samples || Date.now() > deadline) return series;
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Samples VictoriaMetrics has taken in over the Influx protocol (its own counter). */
  async rowsInserted(): Promise<number> {
    const text = await (await fetch(`${this.url}/metrics`)).text();
    const m = /^vm_rows_inserted_total\{type="influx"\} (\d+)/m.exec(text);
    return m ? Number(m[1]) : 0;
  }
}
