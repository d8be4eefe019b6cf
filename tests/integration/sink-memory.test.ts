/**
 * The sink's memory does not scale with its backlog (DESIGN C3: bounded by disk, never by
 * memory). A process running only the sink (sinks/influx/testkit/sink-host.ts) ships a log
 * that this test appends to; a real VictoriaMetrics is stopped while 600k rows pile up, and the
 * sink's RSS and heap stay flat; after the restart the backlog drains, every row exactly once.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  commitRows,
  lastPos,
  openTestStore,
  until,
} from '../../sinks/influx/testkit/log-fixture.js';
import { VictoriaMetrics } from '../../sinks/influx/testkit/victoria-metrics.js';
import type { LogRow } from '../../store/log-writer.js';
import type { Store } from '../../store/store.js';
import { tempDir } from '../helpers/tmp.js';

interface Report {
  rss: number;
  heapUsed: number;
  cursor: number;
  ready: boolean;
}

const SERIES = 4;
const WARM = 50_000;
const BACKLOG = 600_000;
const T0 = Date.parse('2026-02-01T00:00:00.000Z');
const MiB = 2 ** 20;

const tmp = tempDir('plantpulse-sink-mem-');
let vm: VictoriaMetrics;
let store: Store;
let host: ChildProcess;
let last: Report | undefined;
let ids: number[] = [];
const reports: Report[] = [];
let written = 0;

function append(n: number): void {
  const rows: LogRow[] = [];
  for (let i = written; i < written + n; i++) {
    rows.push({
      series: ids[i % SERIES]!,
      ts: T0 + Math.floor(i / SERIES),
      value: i,
      quality: 0,
      body: null,
    });
  }
  written += n;
  commitRows(store, rows);
}

beforeAll(async () => {
  vm = await VictoriaMetrics.start(`${tmp.dir}/vm`);
  store = openTestStore(`${tmp.dir}/data`);
  ids = Array.from({ length: SERIES }, (_, s) =>
    store.series.ensure(`t/l1/m${s}/power`, 'power', 'W'),
  );
  host = fork(
    resolve('sinks/influx/testkit/sink-host.ts'),
    [
      `${tmp.dir}/data`,
      JSON.stringify({
        url: vm.url,
        batchLines: 10_000,
        flushInterval: '50ms',
        retryInitial: '100ms',
        retryMax: '300ms',
      }),
    ],
    {
      execArgv: ['--expose-gc', '--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  host.on('message', (m) => {
    last = m as Report;
    reports.push(last);
  });
  await until(() => last !== undefined, 'the sink host', 20_000);
}, 60_000);

afterAll(async () => {
  host?.kill('SIGKILL');
  store?.close();
  await vm?.stop('SIGKILL');
  tmp.cleanup();
});

describe('InfluxDB sink memory during an outage', () => {
  let baseline: Report;

  it('ships while the server is up', async () => {
    append(WARM);
    await until(() => last!.cursor === lastPos(store), 'the warm-up to ship');
    await new Promise((r) => setTimeout(r, 500));
    baseline = last!;
  });

  it('stays flat while 600k rows pile up on disk', async () => {
    await vm.stop('SIGTERM');
    const from = reports.length;
    for (let k = 0; k < BACKLOG; k += 50_000) {
      append(50_000);
      await new Promise((r) => setTimeout(r, 20));
    }
    await until(() => reports.length > from + 10 && !last!.ready, 'the sink to notice the outage');
    const during = reports.slice(from);
    const backlog = lastPos(store) - last!.cursor;
    const rssGrowth = Math.max(...during.map((r) => r.rss)) - baseline.rss;
    const heapGrowth = Math.max(...during.map((r) => r.heapUsed)) - baseline.heapUsed;
    console.log(
      `backlog ${backlog} rows; sink RSS ${(baseline.rss / MiB).toFixed(1)} MiB, growth ${(rssGrowth / MiB).toFixed(1)} MiB; heap growth ${(heapGrowth / MiB).toFixed(1)} MiB`,
    );
    expect(backlog).toBeGreaterThanOrEqual(BACKLOG);
    expect(rssGrowth).toBeLessThan(50 * MiB);
    expect(heapGrowth).toBeLessThan(16 * MiB);
  });

  it('drains after the restart, every row exactly once', async () => {
    await vm.launch();
    await until(() => last!.cursor === lastPos(store), 'the backlog to drain', 60_000);
    const per = (WARM + BACKLOG) / SERIES;
    const series = await vm.exportSettled('{__name__="power_value"}', per * SERIES);
    expect(series).toHaveLength(SERIES);
    for (const s of series) {
      const m = Number(s.metric.machine!.slice(1));
      expect(s.timestamps).toEqual(Array.from({ length: per }, (_, k) => T0 + k));
      expect(s.values).toEqual(Array.from({ length: per }, (_, k) => k * SERIES + m));
    }
  });
});
