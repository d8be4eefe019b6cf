/**
 * Runs Debian's `victoria-metrics` (a real server that accepts InfluxDB's /api/v2/write) on a
 * free local port with its own data directory, for the sink tests and bench/influx-drain.ts.
 * Not used by PlantPulse itself.
 *
 * VictoriaMetrics keeps duplicate samples unless -dedup.minScrapeInterval is set, so an export
 * shows every line that arrived: exactly what an exactly-once check needs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

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

export class VictoriaMetrics {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  readonly output: string[] = [];

  private constructor(
    readonly dataDir: string,
    readonly port: number,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  static async start(dataDir: string, port?: number): Promise<VictoriaMetrics> {
    const vm = new VictoriaMetrics(dataDir, port ?? (await freePort()));
    await vm.launch();
    return vm;
  }

  /** (Re)starts the server on the same port and data directory, and waits until it answers. */
  async launch(): Promise<void> {
    const child = spawn(
      VM_BINARY,
      [
        `-httpListenAddr=127.0.0.1:${this.port}`,
        `-storageDataPath=${this.dataDir}`,
        '-retentionPeriod=100y',
        '-search.latencyOffset=0s',
        '-search.disableCache',
        '-loggerLevel=ERROR',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child = child;
    const keep = (b: Buffer) => {
      this.output.push(b.toString());
      if (this.output.length > 200) this.output.shift();
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    this.exited = new Promise((res) => child.once('exit', () => res()));
    const failed = new Promise<never>((_, rej) =>
      child.once('error', (err) =>
        rej(
          new Error(`cannot run ${VM_BINARY}: ${err.message} (apt-get install victoria-metrics)`),
        ),
      ),
    );
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (child.exitCode !== null)
        throw new Error(`victoria-metrics exited: ${this.output.join('')}`);
      const ok = await Promise.race([
        fetch(`${this.url}/health`).then(
          (r) => r.ok,
          () => false,
        ),
        failed,
      ]);
      if (ok) return;
      if (Date.now() > deadline)
        throw new Error(`victoria-metrics did not start: ${this.output.join('')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Graceful stop (SIGTERM: flushes what it accepted), or SIGKILL. */
  async stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    const c = this.child;
    if (c && c.exitCode === null && c.signalCode === null) c.kill(signal);
    await this.exited;
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

  /** Samples VictoriaMetrics has taken in over the Influx protocol (its own counter). */
  async rowsInserted(): Promise<number> {
    const text = await (await fetch(`${this.url}/metrics`)).text();
    const m = /^vm_rows_inserted_total\{type="influx"\} (\d+)/m.exec(text);
    return m ? Number(m[1]) : 0;
  }
}
