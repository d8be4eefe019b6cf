/**
 * `npm run bench:report`: time to build a month's energy report for 200 meters (40 lines × 5
 * machines, each a 1 Hz power meter) and render it as JSON, CSV, XLSX and PDF, with the peak RSS
 * of the process that does it.
 *
 * What is generated and what is measured (see bench/README.md): the energy operator integrates
 * the 1 Hz readings continuously as they arrive, into hourly and daily records; the report reads
 * only those records. So this bench generates three months of those records directly (hourly rows
 * per meter, machine and line, daily rows summed by the operator's SQL, ~5 400 settled batches,
 * monthly peaks; synthetic values) and measures the report over them: reading, EnPI (a baseline
 * month and the months after it), summing, and each format. The baseline in the same run is the
 * floor any report has to pay: one SQL pass summing the month's hourly records per line.
 *
 * The measuring runs in a child process so its peak RSS is the report's, not the generator's.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { AuditTrail } from '../audit/trail.js';
import { parsePlantModel } from '../config/load.js';
import { buildPlantIndex } from '../config/plant-index.js';
import { buildEnergyReport } from '../reports/energy-report.js';
import { exportEnergyReport, renderReport, REPORT_FORMATS } from '../reports/render.js';
import { openDatabase } from '../store/db.js';
import { generateEnergyRecords, plantYaml, type PlantShape } from './lib/energy-records.js';
import { writeBenchFile } from './lib/figures.js';

const SHAPE: PlantShape = { site: 'bp', tz: 'Europe/Zurich', lines: 40, machines: 5 };
const MONTH = '2026-03';
const BASELINE = { from: '2026-01-01', to: '2026-02-01' };
// Local Jan 1 00:00 to local Apr 1 00:00 in Zurich (CET +1 then CEST +2 from Mar 29).
const FROM = Date.parse('2025-12-31T23:00:00Z');
const TO = Date.parse('2026-03-31T22:00:00Z');
const TARGET_MS = 10_000;

interface Measured {
  readMs: number;
  buildMs: number;
  formats: Record<string, { ms: number; bytes: number }>;
  totalKWh: number;
  batches: number;
  pdfPages: number;
  maxRssMiB: number;
  /** Longest event-loop stall while building and rendering (what an API request blocks ingest for). */
  maxStallMs: number;
  /** Build + PDF in a worker thread (as the API does), and the longest stall meanwhile. */
  workerPdfMs: number;
  workerStallMs: number;
}

/** Runs in the child: opens the generated store, times the report and each format. */
async function child(dir: string): Promise<void> {
  const index = buildPlantIndex(parsePlantModel(plantYaml(SHAPE, BASELINE), 'bench-plant.yaml'));
  const db = openDatabase(dir, { durability: 'normal' });
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const t0 = performance.now();
  // The floor: one pass summing the month's hourly line records.
  db.prepare(
    `SELECT key, sum(kwh), sum(idle_kwh), sum(cost), sum(co2_kg) FROM energy_hourly
     WHERE scope = 'line' AND day >= ? AND day <= ? GROUP BY key`,
  ).all(`${MONTH}-01`, `${MONTH}-31`);
  const readMs = performance.now() - t0;
  const t1 = performance.now();
  const report = buildEnergyReport({ db, index, month: MONTH });
  const buildMs = performance.now() - t1;
  const formats: Measured['formats'] = {};
  let pdfPages = 0;
  for (const f of REPORT_FORMATS) {
    const t = performance.now();
    const body = await renderReport(report, f);
    formats[f] = { ms: performance.now() - t, bytes: body.length };
    if (f === 'pdf') {
      const file = join(dir, 'report.pdf');
      writeFileSync(file, body);
      const info = execFileSync('pdfinfo', [file], { encoding: 'utf8' });
      pdfPages = Number(/Pages:\s+(\d+)/.exec(info)?.[1] ?? 0);
    }
  }
  loop.disable();
  // The API's way: build and render in a worker thread; the event loop only waits.
  const viaWorker = monitorEventLoopDelay({ resolution: 10 });
  viaWorker.enable();
  const tw = performance.now();
  const exported = await exportEnergyReport({
    db,
    index,
    month: MONTH,
    format: 'pdf',
    audit: new AuditTrail(db),
    actor: 'bench',
    worker: { dataDir: dir },
  });
  const workerMs = performance.now() - tw;
  viaWorker.disable();
  if (Math.abs(exported.report.totalKWh - report.totalKWh) > 1e-6)
    throw new Error('the worker built a different report');
  db.close();
  const out: Measured = {
    readMs,
    buildMs,
    formats,
    totalKWh: report.totalKWh,
    batches: report.batches.length,
    pdfPages,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
    maxStallMs: loop.max / 1e6,
    workerPdfMs: workerMs,
    workerStallMs: viaWorker.max / 1e6,
  };
  process.stdout.write(JSON.stringify(out));
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'plantpulse-bench-report-'));
  try {
    const db = openDatabase(dir, { durability: 'normal' });
    const g0 = performance.now();
    const counts = generateEnergyRecords(db, SHAPE, FROM, TO);
    const genMs = performance.now() - g0;
    db.close();
    const meters = SHAPE.lines * SHAPE.machines;
    process.stdout.write(
      `report bench: ${meters} meters (1 Hz power) → generated ${counts.hourly.toLocaleString('en')} hourly, ` +
        `${counts.daily.toLocaleString('en')} daily rows and ${counts.batches.toLocaleString('en')} batches over 3 months in ${(genMs / 1000).toFixed(1)} s (not measured)\n`,
    );
    const raw = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--measure', dir], {
      encoding: 'utf8',
      maxBuffer: 1 << 20,
    });
    const m = JSON.parse(raw) as Measured;
    const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    process.stdout.write(
      `month ${MONTH}: ${m.totalKWh.toFixed(0)} kWh, ${m.batches} batches, PDF ${m.pdfPages} pages\n` +
        `  baseline (one SQL pass summing the month's hourly line rows): ${m.readMs.toFixed(1)} ms\n` +
        `  build the report model (read, previous month, EnPI, sums):   ${fmt(m.buildMs)}\n` +
        REPORT_FORMATS.map(
          (f) =>
            `  + render ${f.padEnd(4)} (${(m.formats[f]!.bytes / 1024).toFixed(0)} KiB): ${fmt(m.formats[f]!.ms)} → build + ${f} ${fmt(m.buildMs + m.formats[f]!.ms)}`,
        ).join('\n') +
        `\n  peak RSS of the measuring process: ${m.maxRssMiB.toFixed(0)} MiB` +
        `\n  longest event-loop stall (build + all formats): ${m.maxStallMs.toFixed(0)} ms` +
        `\n  build + PDF in a worker thread (the API's way): ${fmt(m.workerPdfMs)}, longest stall ${m.workerStallMs.toFixed(0)} ms\n`,
    );
    const figures = [
      {
        metric: 'build report model (200 meters, one month)',
        value: +(m.buildMs / 1000).toFixed(3),
        unit: 's',
        baseline: +(m.readMs / 1000).toFixed(4),
        baselineName: "one SQL pass over the month's hourly line rows",
        target: '< 10 s',
        met: m.buildMs < TARGET_MS,
      },
      ...REPORT_FORMATS.map((f) => ({
        metric: `build + ${f.toUpperCase()}`,
        value: +((m.buildMs + m.formats[f]!.ms) / 1000).toFixed(3),
        unit: 's',
        baseline: null,
        baselineName: null,
        target: '< 10 s',
        met: m.buildMs + m.formats[f]!.ms < TARGET_MS,
      })),
      {
        metric: 'longest event-loop stall (build + all formats)',
        value: Math.round(m.maxStallMs),
        unit: 'ms',
        baseline: null,
        baselineName: null,
        target: null,
        met: null,
      },
      {
        metric: 'longest event-loop stall, build + PDF in a worker thread (API)',
        value: Math.round(m.workerStallMs),
        unit: 'ms',
        baseline: Math.round(m.maxStallMs),
        baselineName: 'longest stall building and rendering on the event loop',
        target: null,
        met: null,
      },
      {
        metric: 'peak RSS (build + all formats)',
        value: Math.round(m.maxRssMiB),
        unit: 'MiB',
        baseline: null,
        baselineName: null,
        target: null,
        met: null,
      },
    ];
    writeBenchFile('report', figures);
    process.stdout.write('wrote bench/results/report.json\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--measure') await child(process.argv[3]!);
else await main();
