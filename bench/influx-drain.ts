/**
 * InfluxDB sink benchmark (issue 5): how fast a backlog drains into a real server after an
 * outage, and how much memory the sink holds while the backlog grows.
 *
 *   npm run bench:influx [-- --rows 1000000 --series 64 --batch-lines 10000]
 *   npm run bench:influx -- --quick          # 200,000 rows (also PLANTPULSE_BENCH_QUICK=1)
 *
 * A process running only the sink (sinks/influx/testkit/sink-host.ts) ships a local log in a
 * temp dir to Debian's VictoriaMetrics over /api/v2/write. The bench stops the server, appends
 * `rows` readings to the log (the outage), samples the sink's RSS and heap, restarts the server
 * and times the drain from the server being ready until the cursor reaches the end of the log.
 * It then checks through /api/v1/export that every row arrived exactly once.
 * Target: ≥ 200,000 points/s. Results: bench/results/influx-drain.{md,json}.
 */
import { fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { commitRows, lastPos, openTestStore, until } from '../sinks/influx/testkit/log-fixture.js';
import { VictoriaMetrics } from '../sinks/influx/testkit/victoria-metrics.js';
import type { LogRow } from '../store/log-writer.js';
import { figure, quickMode, writeBenchFile } from './lib/figures.js';

interface Report {
  rss: number;
  heapUsed: number;
  cursor: number;
  ready: boolean;
}

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string' },
    quick: { type: 'boolean' },
    series: { type: 'string', default: '64' },
    'batch-lines': { type: 'string', default: '10000' },
    gzip: { type: 'string', default: 'true' },
  },
});
const ROWS = Number(args.rows ?? (args.quick || quickMode([]) ? 200_000 : 1_000_000));
const SERIES = Number(args.series);
const BATCH = Number(args['batch-lines']);
const TARGET = 200_000;
const MiB = 2 ** 20;
const T0 = Date.parse('2026-03-01T00:00:00.000Z');

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'plantpulse-bench-influx-'));
  const vm = await VictoriaMetrics.start(join(dir, 'vm'));
  const store = openTestStore(join(dir, 'data'));
  const ids = Array.from({ length: SERIES }, (_, s) =>
    store.series.ensure(`bench/l${s % 4}/m${s}/power`, 'power', 'W'),
  );
  const host = fork(
    resolve('sinks/influx/testkit/sink-host.ts'),
    [
      join(dir, 'data'),
      JSON.stringify({
        url: vm.url,
        batchLines: BATCH,
        gzip: args.gzip === 'true',
        flushInterval: '50ms',
        retryInitial: '50ms',
        retryMax: '200ms',
      }),
    ],
    {
      execArgv: ['--expose-gc', '--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  const reports: Report[] = [];
  host.on('message', (m) => reports.push(m as Report));
  const last = () => reports[reports.length - 1]!;
  try {
    await until(() => reports.length > 2, 'the sink host', 20_000);
    await new Promise((r) => setTimeout(r, 500));
    const idle = last();

    // Outage: the server is down while the backlog is written.
    await vm.stop('SIGTERM');
    const outageFrom = reports.length;
    let written = 0;
    while (written < ROWS) {
      const n = Math.min(100_000, ROWS - written);
      const rows: LogRow[] = [];
      for (let i = written; i < written + n; i++) {
        rows.push({
          series: ids[i % SERIES]!,
          ts: T0 + Math.floor(i / SERIES),
          value: (i % 1000) / 4,
          quality: 0,
          body: null,
        });
      }
      commitRows(store, rows);
      written += n;
      await new Promise((r) => setTimeout(r, 10));
    }
    await new Promise((r) => setTimeout(r, 1000));
    const outage = reports.slice(outageFrom);
    const end = lastPos(store);

    // Drain: from the server answering to the cursor at the end of the log.
    await vm.launch();
    const drainFrom = reports.length;
    const started = performance.now();
    await until(() => last().cursor === end, 'the backlog to drain', 600_000);
    const drainS = (performance.now() - started) / 1000;
    const drain = reports.slice(drainFrom);

    const series = await vm.exportSettled('{__name__="power_value"}', ROWS);
    const samples = series.reduce((s, x) => s + x.values.length, 0);
    const result = {
      date: new Date().toISOString(),
      machine: `${cpus().length} × ${cpus()[0]?.model ?? '?'} · ${(totalmem() / 2 ** 30).toFixed(0)} GiB · Node ${process.version}`,
      rows: ROWS,
      series: SERIES,
      batchLines: BATCH,
      gzip: args.gzip === 'true',
      drainSeconds: Number(drainS.toFixed(2)),
      pointsPerSecond: Math.round(ROWS / drainS),
      target: TARGET,
      met: ROWS / drainS >= TARGET,
      rssIdleMiB: Number((idle.rss / MiB).toFixed(1)),
      rssOutagePeakMiB: Number((Math.max(...outage.map((r) => r.rss)) / MiB).toFixed(1)),
      heapOutagePeakMiB: Number((Math.max(...outage.map((r) => r.heapUsed)) / MiB).toFixed(1)),
      rssDrainPeakMiB: Number((Math.max(...drain.map((r) => r.rss), 0) / MiB).toFixed(1)),
      exported: samples,
      exactlyOnce: samples === ROWS,
    };
    const md = [
      '# InfluxDB sink drain benchmark',
      '',
      `${result.date} · ${result.machine} · VictoriaMetrics (Debian) over /api/v2/write · gzip ${result.gzip}`,
      '',
      '| backlog rows | series | batch lines | drain s | points/s | target | met | sink RSS idle | RSS peak in outage | heap peak in outage | RSS peak while draining | exported = rows |',
      '| ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | --- |',
      `| ${ROWS.toLocaleString('en')} | ${SERIES} | ${BATCH.toLocaleString('en')} | ${result.drainSeconds} | ${result.pointsPerSecond.toLocaleString('en')} | ≥ ${TARGET.toLocaleString('en')} | ${result.met ? 'met' : 'short'} | ${result.rssIdleMiB} MiB | ${result.rssOutagePeakMiB} MiB | ${result.heapOutagePeakMiB} MiB | ${result.rssDrainPeakMiB} MiB | ${result.exactlyOnce ? 'yes' : `no (${samples})`} |`,
      '',
      'The sink runs alone in its process (sinks/influx/testkit/sink-host.ts); RSS and heap (after a forced GC) are sampled every 200 ms. The drain time runs from the restarted server answering /health until the saved cursor reaches the end of the log, so it includes the first retry delay (≤ 200 ms here).',
      '',
    ].join('\n');
    console.log(md);
    mkdirSync('bench/results', { recursive: true });
    writeFileSync('bench/results/influx-drain.md', md);
    writeBenchFile(
      'influx-drain',
      [
        figure(
          `drain of a ${ROWS.toLocaleString('en')}-row backlog`,
          result.pointsPerSecond,
          'points/s',
          {
            target: `≥ ${TARGET.toLocaleString('en')}/s`,
            met: result.met,
          },
        ),
        figure('sink RSS peak during the outage', result.rssOutagePeakMiB, 'MiB', {
          baseline: result.rssIdleMiB,
          baselineName: 'the same sink idle',
        }),
        figure('rows on the server after the drain, minus rows written', samples - ROWS, 'rows', {
          target: '0 (exactly once)',
          met: result.exactlyOnce,
        }),
      ],
      result,
    );
    if (!result.exactlyOnce) process.exitCode = 1;
  } finally {
    host.send('stop');
    await new Promise((r) => host.once('exit', r));
    store.close();
    await vm.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
