/**
 * What does an analytics checkpoint cost? `npm run bench:checkpoint-stall [-- --seconds 30]`
 *
 * Written when operators ran on the ingest event loop, this bench found the cause of the ingest
 * p99 misses below: a step that saves a checkpoint blocked the loop for 100+ ms. Analytics now
 * runs in a worker thread (analytics/worker.ts), so these blocks delay analytics, not PUBACKs;
 * the bench still measures them (the worker's step and snapshot cost) with the same harness.
 *
 * The end-to-end answer (bench:ingest's fixed-rate case: p99 11.6 ms over 10 s but 92.7 ms over
 * 45 s) needs a quiet machine. This bench measures the cause directly and is robust to a busy
 * one: in one process, exactly as runtime/plantpulse.ts drives them, the real store, the real
 * operators (createOperators: energy and anomaly) over the bench plant of 1,000 power sensors,
 * and the same analytics tick (every 25 ms, steps for at most 15 ms). Each tick first commits
 * 500 readings through the real LogWriter (20,000 readings/s, as the ingest latency case), then
 * runs the steps. Every `runner.step()` is one synchronous block of the event loop: while it
 * runs, no PUBACK can leave. The bench times each step (wall clock and process CPU) and tells
 * steps that saved a checkpoint (operator_checkpoints.updated changed) from the others.
 *
 * Figures: the longest and p99 block of steps with a checkpoint against the same for steps
 * without one (the baseline), the checkpoint size, and the CPU per checkpoint. The checkpoint
 * interval is shortened (--interval, default 3 s; PlantPulse uses 30 s) so a short run sees many.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { createOperators } from '../analytics/registry.js';
import { OperatorRunner } from '../analytics/runner.js';
import { loadPlantModel } from '../config/load.js';
import { buildPlantIndex } from '../config/plant-index.js';
import type { LogRow } from '../store/log-writer.js';
import { openStore } from '../store/store.js';
import { figure, quickMode, writeBenchFile } from './lib/figures.js';
import { benchPlantModel } from './lib/plantpulse.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string' },
    interval: { type: 'string', default: '3000' },
    machines: { type: 'string', default: '1000' },
    quick: { type: 'boolean' },
  },
});
const SECONDS = Number(values.seconds ?? (values.quick || quickMode([]) ? 12 : 40));
const INTERVAL_MS = Number(values.interval);
const MACHINES = Number(values.machines);
const TICK_MS = 25; // runtime/plantpulse.ts: analyticsTimer
const BUDGET_MS = 15; // runtime/plantpulse.ts: ANALYTICS_TICK_MS
const PER_TICK = 500; // 20,000 readings/s

interface StepSample {
  wallMs: number;
  cpuMs: number;
  records: number;
  checkpoint: boolean;
}

const quantile = (xs: number[], q: number) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'plantpulse-bench-ckpt-'));
  try {
    const config = join(dir, 'plant.yaml');
    writeFileSync(config, stringify(benchPlantModel(MACHINES, 'full', true)));
    const model = loadPlantModel(config);
    const index = buildPlantIndex(model, config);
    const store = openStore({
      dataDir: join(dir, 'data'),
      durability: 'full',
      commitMaxRows: model.ingest.commitMaxRows,
      rawRetentionMs: model.storage.rawRetention,
      rollupRetentionMs: model.storage.rollupRetention,
    });
    const series = index.sensors.map((s) => store.series.ensure(s.path, s.kind, s.canonicalUnit));
    const runner = new OperatorRunner(store, index, createOperators(index), {
      batchRows: 2_000,
      checkpointIntervalMs: INTERVAL_MS,
    });
    const updated = store.db.prepare<[], { u: number | null }>(
      'SELECT SUM(updated) AS u FROM operator_checkpoints',
    );
    const sizes = store.db.prepare<[], { name: string; bytes: number }>(
      'SELECT name, LENGTH(state) AS bytes FROM operator_checkpoints',
    );

    const samples: StepSample[] = [];
    const commitMs: number[] = [];
    const t0 = Date.now() - 86_400_000;
    let k = 0;
    const started = Date.now();
    process.stdout.write(
      `checkpoint stall: ${MACHINES} sensors, ${PER_TICK * (1000 / TICK_MS)} readings/s, analytics tick ${TICK_MS} ms (budget ${BUDGET_MS} ms), checkpoint every ${INTERVAL_MS} ms per operator, ${SECONDS} s\n`,
    );
    while (Date.now() - started < SECONDS * 1000) {
      const tick = performance.now();
      const rows: LogRow[] = [];
      for (let i = 0; i < PER_TICK; i++, k++) {
        const s = k % series.length;
        const n = Math.floor(k / series.length);
        rows.push({
          series: series[s]!,
          ts: t0 + n * 1000,
          value: 50_000 + 5_000 * Math.sin(n / 30 + s),
          quality: 0,
          body: null,
        });
      }
      const c0 = performance.now();
      store.writer.submit(rows, [], (err) => {
        if (err) throw err;
      });
      store.writer.flush();
      commitMs.push(performance.now() - c0);
      // The analytics tick of runtime/plantpulse.ts.
      const begun = performance.now();
      for (;;) {
        const before = updated.get()?.u ?? 0;
        const cpu0 = process.cpuUsage();
        const w0 = performance.now();
        const n = runner.step();
        const wallMs = performance.now() - w0;
        const cpu = process.cpuUsage(cpu0);
        if (n === 0) break;
        samples.push({
          wallMs,
          cpuMs: (cpu.user + cpu.system) / 1000,
          records: n,
          checkpoint: (updated.get()?.u ?? 0) !== before,
        });
        if (performance.now() - begun >= BUDGET_MS) break;
      }
      await new Promise((r) => setTimeout(r, Math.max(0, TICK_MS - (performance.now() - tick))));
    }
    const checkpointBytes = sizes.all();
    store.close();

    const ck = samples.filter((s) => s.checkpoint);
    const plain = samples.filter((s) => !s.checkpoint);
    const wall = (xs: StepSample[]) => xs.map((s) => s.wallMs);
    const cpu = (xs: StepSample[]) => xs.map((s) => s.cpuMs);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
    const totalBytes = checkpointBytes.reduce((a, b) => a + b.bytes, 0);
    const lines = [
      `steps: ${samples.length} (${ck.length} with a checkpoint); readings written ${k.toLocaleString('en')} (${Math.round(k / SECONDS).toLocaleString('en')}/s achieved)`,
      `steps without a checkpoint: wall p50 ${quantile(wall(plain), 0.5).toFixed(2)} ms, p99 ${quantile(wall(plain), 0.99).toFixed(2)} ms, max ${Math.max(...wall(plain)).toFixed(1)} ms; CPU mean ${mean(cpu(plain)).toFixed(2)} ms`,
      `steps with a checkpoint:    wall p50 ${quantile(wall(ck), 0.5).toFixed(1)} ms, p99 ${quantile(wall(ck), 0.99).toFixed(1)} ms, max ${Math.max(...wall(ck)).toFixed(1)} ms; CPU mean ${mean(cpu(ck)).toFixed(1)} ms`,
      `checkpoint state: ${checkpointBytes.map((c) => `${c.name} ${(c.bytes / 1024).toFixed(0)} KiB`).join(', ')}`,
      `group commit of ${PER_TICK} readings: p50 ${quantile(commitMs, 0.5).toFixed(2)} ms, p99 ${quantile(commitMs, 0.99).toFixed(2)} ms`,
      `verdict: a step that checkpoints costs ${(mean(cpu(ck)) / Math.max(1e-9, mean(cpu(plain)))).toFixed(0)}× the CPU of an ordinary step (${mean(cpu(ck)).toFixed(0)} ms); its wall time adds the write and fsync of the snapshot. In PlantPulse this runs on the analytics worker thread, not on the ingest event loop.`,
    ];
    process.stdout.write(lines.join('\n') + '\n');
    const maxCk = Math.max(...wall(ck));
    writeBenchFile(
      'checkpoint-stall',
      [
        figure('longest analytics step with a checkpoint (worker thread)', round(maxCk), 'ms', {
          baseline: round(Math.max(...wall(plain))),
          baselineName: 'longest step without a checkpoint',
        }),
        figure('p50 analytics step with a checkpoint', round(quantile(wall(ck), 0.5)), 'ms', {
          baseline: round(quantile(wall(plain), 0.5)),
          baselineName: 'p50 step without a checkpoint',
        }),
        figure('CPU per step with a checkpoint', round(mean(cpu(ck))), 'ms', {
          baseline: round(mean(cpu(plain))),
          baselineName: 'CPU per step without one',
        }),
        figure('checkpoint state, all operators', round(totalBytes / 1024), 'KiB'),
      ],
      {
        sensors: MACHINES,
        readingsPerS: PER_TICK * (1000 / TICK_MS),
        intervalMs: INTERVAL_MS,
        seconds: SECONDS,
        steps: samples.length,
        checkpoints: ck.length,
        checkpointBytes,
        summary: lines,
      },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function round(x: number): number {
  return Number.isFinite(x) ? Number(x.toFixed(2)) : NaN;
}

main().catch((err: Error) => {
  process.stderr.write(`bench:checkpoint-stall: ${err.stack ?? err.message}\n`);
  process.exit(2);
});
