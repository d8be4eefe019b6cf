/**
 * The monthly energy report against the simulator's truth over a simulated month: March 2026
 * of the fixture plant (its energy meters only, to keep the run short; DST starts on the 29th)
 * with the simulator's transport faults (duplicates, reordering, a gateway offline for 2 h and
 * flushed late, a device clock 90 s behind) and meter faults (a counter reset and rollover),
 * through the real ingest and log into the energy operator. The March report (Europe/Zurich
 * local month) must match the truth's totals, idle energy, days, batches and peak demand. Then
 * the report through the real CLI (each format, a bad month) and the real API, and the audit trail.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app.js';
import { expectedKWh } from '../../analytics/energy/enpi.js';
import { parsePlantModel } from '../../config/load.js';
import { buildPlantIndex } from '../../config/plant-index.js';
import { buildEnergyReport } from '../../reports/energy-report.js';
import type { EnergyReport } from '../../reports/energy-types.js';
import { monthBounds, parseMonth } from '../../reports/month.js';
import { createLogger } from '../../runtime/logger.js';
import { createMetrics } from '../../runtime/metrics.js';
import { Simulation } from '../../simulator/engine.js';
import { FIXTURE_PLANT } from '../../simulator/fixtures.js';
import { WMS_PER_KWH } from '../../simulator/signals/piecewise.js';
import { computeTruth, type Truth } from '../../simulator/truth.js';
import type { Store } from '../../store/store.js';
import { apiFetch, CLI, getJson, runCli, startChild } from '../helpers/plantpulse-process.js';
import { issueTestToken } from '../helpers/api-auth.js';
import { tempDir } from '../helpers/tmp.js';
import { feedEnergy, openLog } from './support/energy-feed.js';

const METERS_ONLY = FIXTURE_PLANT.split('\n')
  .filter((l) => !/kind: (temperature|vibration|waveform|speed|state|pressure)\b/.test(l))
  .join('\n');
const PLANT = `${METERS_ONLY}energy:
  maxGap: 3m
  lateness: 10m
  tariff:
    currency: CHF
    basePrice: 0.19
    periods:
      - { name: peak, days: [mon, tue, wed, thu, fri], from: 7, to: 20, price: 0.29 }
    holidays: ['2026-03-19']
    peakDemand: { window: 15m, pricePerKw: 11.5 }
  co2: { factor: 0.128 }
  enpi: { baseline: { from: '2026-03-01', to: '2026-03-09' }, minBatches: 5 }
`;
const FROM = Date.parse('2026-02-28T00:00:00Z');
const TO = Date.parse('2026-04-01T06:00:00Z');
const TZ = 'Europe/Zurich';
const MONTH = '2026-03';
const index = buildPlantIndex(parsePlantModel(PLANT, 'plant.yaml'));
const newSim = () =>
  new Simulation(index, {
    from: FROM,
    to: TO,
    seed: 5,
    resolutionMs: 60_000,
    batch: 5,
    waveformSamples: 16,
    anomalies: 0,
  });

const tmp = tempDir('plantpulse-report-it-');
const dataDir = `${tmp.dir}/data`;
const config = `${tmp.dir}/plant.yaml`;
let sim: Simulation;
let truth: Truth;
let store: Store;
let mar: EnergyReport;

beforeAll(() => {
  writeFileSync(config, PLANT);
  sim = newSim();
  for (const _ of sim.events()); // read to the end for the stream stats
  truth = computeTruth(sim);
  store = feedEnergy(dataDir, index, newSim(), TO + 3_600_000, 2000);
  mar = buildEnergyReport({ db: store.db, index, month: MONTH });
}, 240_000);

afterAll(() => {
  store?.close();
  tmp.cleanup();
});

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe('energy report against the simulator truth (March 2026, faults on)', () => {
  it('site total within 0.5 %, idle energy within 1 %, per line and per local day too', () => {
    expect(truth.counters.map((c) => c.kind).sort()).toEqual(['reset', 'rollover']);
    const days = truth.machineDays.filter((d) => d.day.startsWith(`${MONTH}-`));
    const total = days.reduce((s, d) => s + d.energyKWh, 0);
    const idle = days.reduce((s, d) => s + d.energyKWh - d.batchKWh, 0);
    console.log(
      `energy-report: ${MONTH} ${mar.totalKWh.toFixed(1)} vs ${total.toFixed(1)} kWh, idle ${mar.totals.idleKWh.toFixed(1)} vs ${idle.toFixed(1)}, coverage ${(mar.totals.coverage * 100).toFixed(2)} %`,
    );
    expect(rel(mar.totalKWh, total)).toBeLessThanOrEqual(0.005);
    expect(rel(mar.totals.idleKWh, idle)).toBeLessThanOrEqual(0.01);
    for (const l of mar.lines) {
      const want = days
        .filter((d) => d.machine.startsWith(`${l.line}/`))
        .reduce((s, d) => s + d.energyKWh, 0);
      expect(rel(l.kwh, want), l.line).toBeLessThanOrEqual(0.005);
    }
    expect(mar.daily).toHaveLength(31);
    for (const d of mar.daily) {
      const want = days.filter((t) => t.day === d.day).reduce((s, t) => s + t.energyKWh, 0);
      expect(rel(d.kwh, want), d.day).toBeLessThanOrEqual(0.005);
    }
    // 29 March has 23 local hours (DST): fully metered is still 100 %, not 23/24.
    expect(mar.daily.find((d) => d.day === '2026-03-29')!.coverage).toBeGreaterThan(0.99);
    expect(mar).toMatchObject({ daysWithData: 31, daysInMonth: 31, provisional: false });
  });

  it('batches: exactly those started in the local month, settled energy within 0.5 %', () => {
    const b = monthBounds(parseMonth(MONTH), TZ);
    const want = truth.batches.filter((t) => t.start >= b.start && t.start < b.end);
    expect(mar.batches.map((x) => x.batch).sort()).toEqual(want.map((t) => t.batch).sort());
    let checked = 0;
    for (const t of want) {
      const got = mar.batches.find((x) => x.batch === t.batch)!;
      expect(got.status).toBe(t.aborted ? 'aborted' : 'settled');
      if (got.coverage < 0.99) continue;
      expect(rel(got.kwh, t.energyKWh), t.batch).toBeLessThanOrEqual(0.005);
      checked++;
    }
    console.log(`energy-report: ${checked}/${want.length} batches within 0.5 % of the truth`);
    expect(checked).toBeGreaterThanOrEqual(want.length - 1);
    const products = new Map(mar.products.map((p) => [p.product, p]));
    for (const product of new Set(want.map((t) => t.product))) {
      const list = want.filter((t) => t.product === product);
      const p = products.get(product)!;
      expect(p.batches).toBe(list.length);
      const done = list.filter((t) => !t.aborted);
      expect(p.units).toBeCloseTo(
        done.reduce((s, t) => s + t.quantity, 0),
        9,
      );
    }
  });

  it('peak demand: the highest 15-minute mean power of the local month', () => {
    const b = monthBounds(parseMonth(MONTH), TZ);
    let best = 0;
    for (let w = b.start; w < b.end; w += 900_000) {
      let wms = 0;
      for (const m of sim.machines.values()) wms += m.power.integrate(w, w + 900_000);
      best = Math.max(best, wms / WMS_PER_KWH / 0.25);
    }
    const pk = mar.peakDemand[0]!;
    console.log(
      `energy-report: peak ${pk.kw.toFixed(2)} kW at ${pk.atLocal} vs ${best.toFixed(2)}`,
    );
    expect(rel(pk.kw, best)).toBeLessThanOrEqual(0.005);
    expect(pk.charge).toBeCloseTo(pk.kw * 11.5, 9);
    expect(mar.totals.cost).toBeCloseTo(mar.totals.energyCost + pk.charge, 9);
  });

  it('April compares with March; the EnPI savings are the CUSUM steps of the month', () => {
    const apr = buildEnergyReport({ db: store.db, index, month: '2026-04' });
    expect(apr.previous.totals.kwh).toBeCloseTo(mar.totalKWh, 9);
    expect(apr.provisional).toBe(true);
    expect(mar.previous.month).toBe('2026-02');
    expect(mar.enpi.products.some((p) => p.baseline !== null)).toBe(true);
    // The CUSUM starts at the baseline's end (local 9 March), inside the month.
    expect(mar.enpi.cusumAtStart).toBe(0);
    expect(mar.enpi.cusum[0]!.ts).toBeGreaterThanOrEqual(Date.parse('2026-03-08T23:00:00Z'));
    const fits = new Map(mar.enpi.products.map((p) => [p.product, p.baseline]));
    const after = mar.batches.filter(
      (b) =>
        b.status === 'settled' &&
        b.coverage >= 0.99 &&
        (b.quantity ?? 0) > 0 &&
        b.start >= Date.parse('2026-03-08T23:00:00Z') &&
        fits.get(b.product ?? ''),
    );
    expect(mar.enpi.cusum).toHaveLength(after.length);
    const want = after.reduce(
      (s, b) => s + expectedKWh(fits.get(b.product!)!, b.quantity!) - b.kwh,
      0,
    );
    expect(mar.enpi.cusum.at(-1)!.cusum).toBeCloseTo(want, 6);
  });
});

describe('energy report through the CLI and the API', () => {
  it('writes each format with the same totals; a bad month is a clear error', async () => {
    const out = (f: string) => `${tmp.dir}/mar.${f}`;
    for (const f of ['csv', 'xlsx', 'pdf', 'json']) {
      const r = runCli([
        'report',
        'energy',
        '--month',
        MONTH,
        '--format',
        f,
        '--out',
        out(f),
        '--config',
        config,
        '--data-dir',
        dataDir,
      ]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/wrote .* total [\d.]+ kWh/);
      expect(r.stderr).toBe(''); // no progress bar when stderr is not a terminal
    }
    const json = JSON.parse(readFileSync(out('json'), 'utf8')) as EnergyReport;
    expect(json.totalKWh).toBeCloseTo(mar.totalKWh, 9);
    const csvTotal = Number(
      readFileSync(out('csv'), 'utf8')
        .split('\r\n')
        .find((l) => l.startsWith('Summary,Total energy,'))!
        .split(',')[2],
    );
    expect(csvTotal).toBeCloseTo(mar.totalKWh, 5);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(out('xlsx'));
    expect(wb.getWorksheet('Summary')!.getRow(2).getCell(2).value).toBeCloseTo(csvTotal, 5);
    const pages = execFileSync('pdfinfo', [out('pdf')], { encoding: 'utf8' });
    expect(pages).toMatch(new RegExp(`^Pages:\\s+${2 + Math.ceil(mar.batches.length / 30)}$`, 'm'));
    const text = execFileSync('pdftotext', [out('pdf'), '-'], { encoding: 'utf8' });
    expect(text).toContain(
      `Total energy ${new Intl.NumberFormat('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(mar.totalKWh)} kWh`,
    );

    const bad = runCli([
      'report',
      'energy',
      '--month',
      '2026-2',
      '--format',
      'csv',
      '--out',
      out('x'),
      '--config',
      config,
      '--data-dir',
      dataDir,
    ]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--month must be a month written YYYY-MM .*"2026-2"/);
    const noLog = runCli([
      'report',
      'energy',
      '--month',
      MONTH,
      '--out',
      out('y'),
      '--config',
      config,
      '--data-dir',
      `${tmp.dir}/empty`,
    ]);
    expect(noLog.status).toBe(2);
    expect(noLog.stderr).toMatch(/holds no PlantPulse log/);

    // On a terminal (util-linux `script` gives the CLI a pty) the progress bar runs to the end.
    const tty = execFileSync(
      'script',
      [
        '-qec',
        [
          process.execPath,
          CLI,
          'report',
          'energy',
          '--month',
          MONTH,
          '--format',
          'csv',
          '--out',
          out('tty'),
          '--config',
          config,
          '--data-dir',
          dataDir,
        ].join(' '),
        '/dev/null',
      ],
      { encoding: 'utf8' },
    );
    expect(tty).toMatch(/energy report 2026-03 \[█+\] 7\/7 writing/);

    // A log the energy operator never ran on: the worker's read-only connection says so.
    openLog(`${tmp.dir}/fresh`).close();
    const fresh = runCli([
      'report',
      'energy',
      '--month',
      MONTH,
      '--out',
      out('z'),
      '--config',
      config,
      '--data-dir',
      `${tmp.dir}/fresh`,
    ]);
    expect(fresh.status).toBe(2);
    expect(fresh.stderr).toMatch(/no energy records: the energy operator has not run on it yet/);

    const exports = store.audit.list({ actionPrefix: 'report.' });
    expect(exports.filter((e) => e.actor.startsWith('cli:')).map((e) => e.detail.format)).toEqual([
      'csv', // the run on a terminal
      'json',
      'pdf',
      'xlsx',
      'csv',
    ]);
    expect(exports[0]).toMatchObject({ action: 'report.export', subject: 'energy/2026-03' });
    expect(store.audit.verify().ok).toBe(true);
  });

  it('GET /api/v1/reports/energy answers each format with its content type', async () => {
    const app = await buildApp({
      index,
      store,
      metrics: createMetrics(),
      log: createLogger({ level: 'silent' }),
      dataDir,
      readiness: () => ({}),
      startedAt: 0,
    });
    try {
      const auth = { name: 'energy-manager', ...issueTestToken(store, 'energy', 'energy-manager') };
      const get = (q: string) =>
        app.inject({ url: `/api/v1/reports/energy?${q}`, headers: auth.headers });
      const json = await get('month=2026-03&format=json');
      expect(json.statusCode).toBe(200);
      expect(json.headers['content-type']).toMatch(/^application\/json/);
      expect((json.json() as EnergyReport).totalKWh).toBeCloseTo(mar.totalKWh, 9);
      const types = {
        csv: /^text\/csv/,
        xlsx: /^application\/vnd\.openxmlformats-officedocument\.spreadsheetml\.sheet$/,
        pdf: /^application\/pdf$/,
      };
      for (const [f, type] of Object.entries(types)) {
        const res = await get(`month=2026-03&format=${f}`);
        expect(res.statusCode, f).toBe(200);
        expect(res.headers['content-type']).toMatch(type);
        expect(res.headers['content-disposition']).toBe(
          `attachment; filename="energy-report-2026-03.${f}"`,
        );
        if (f === 'pdf') expect(res.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
        if (f === 'xlsx') expect(res.rawPayload.subarray(0, 2).toString()).toBe('PK');
      }
      const bad = await get('month=2026-13');
      expect(bad.statusCode).toBe(400);
      expect(bad.json()).toMatchObject({ error: { code: 'PP_ERR_BAD_REQUEST' } });
      expect((bad.json() as { error: { message: string } }).error.message).toMatch(/^month must/);
      const badFormat = await get('month=2026-03&format=docx');
      expect(badFormat.statusCode).toBe(400);
      expect((badFormat.json() as { error: { message: string } }).error.message).toMatch(
        /^format must be one of json, csv, xlsx, pdf/,
      );
      const apiExports = store.audit
        .list({ actionPrefix: 'report.' })
        .filter((e) => e.actor === `token:${auth.name}`);
      expect(apiExports).toHaveLength(4);
    } finally {
      await app.close();
    }
  });

  it('a running PlantPulse (built) serves the report, rendered in its worker thread', async () => {
    const pp = await startChild({ config, dataDir: `${tmp.dir}/live` });
    try {
      const pending = apiFetch(`${pp.httpUrl}/api/v1/reports/energy?month=${MONTH}&format=pdf`);
      expect(await getJson(`${pp.httpUrl}/health`)).toBeDefined();
      const res = await pending;
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/pdf');
      const body = Buffer.from(await res.arrayBuffer());
      expect(body.subarray(0, 5).toString()).toBe('%PDF-');
      // More exports than workers at a time: the rest queue, and every one is answered.
      const many = await Promise.all(
        ['json', 'csv', 'xlsx', 'pdf', 'csv'].map((f) =>
          apiFetch(`${pp.httpUrl}/api/v1/reports/energy?month=${MONTH}&format=${f}`),
        ),
      );
      expect(many.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
      const bad = await apiFetch(`${pp.httpUrl}/api/v1/reports/energy?month=march`);
      expect(bad.status).toBe(400);
    } finally {
      await pp.stop();
    }
  });
});
