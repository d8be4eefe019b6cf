/**
 * The monthly energy report against the simulator's truth: eight simulated days of the fixture
 * plant across the end of February (with the simulator's transport and meter faults) go
 * through the real ingest and log into the energy operator; the February report (Europe/Zurich
 * local month) must match the truth's totals, idle energy, batches and peak demand. Then the
 * report through the real CLI (each format, a bad month) and the real API, and the audit trail.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app.js';
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
import { runCli } from '../helpers/plantpulse-process.js';
import { tempDir } from '../helpers/tmp.js';
import { feedEnergy } from './support/energy-feed.js';

const PLANT = `${FIXTURE_PLANT}energy:
  maxGap: 3m
  lateness: 10m
  tariff:
    currency: CHF
    basePrice: 0.19
    periods:
      - { name: peak, days: [mon, tue, wed, thu, fri], from: 7, to: 20, price: 0.29 }
    peakDemand: { window: 15m, pricePerKw: 11.5 }
  co2: { factor: 0.128 }
  enpi: { baseline: { from: '2026-02-23', to: '2026-02-26' }, minBatches: 3 }
`;
const FROM = Date.parse('2026-02-23T00:00:00Z');
const TO = Date.parse('2026-03-03T00:00:00Z');
const TZ = 'Europe/Zurich';
const index = buildPlantIndex(parsePlantModel(PLANT, 'plant.yaml'));
const newSim = () =>
  new Simulation(index, {
    from: FROM,
    to: TO,
    seed: 23,
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
let feb: EnergyReport;

beforeAll(() => {
  writeFileSync(config, PLANT);
  sim = newSim();
  for (const _ of sim.events()); // read to the end for the stream stats
  truth = computeTruth(sim);
  store = feedEnergy(dataDir, index, newSim(), TO + 3_600_000);
  feb = buildEnergyReport({ db: store.db, index, month: '2026-02' });
}, 120_000);

afterAll(() => {
  store?.close();
  tmp.cleanup();
});

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe('energy report against the simulator truth (Feb 23 – Mar 2, faults on)', () => {
  it('February: site total within 0.5 %, idle energy within 1 %, per line too', () => {
    const days = truth.machineDays.filter((d) => d.day.startsWith('2026-02-'));
    const total = days.reduce((s, d) => s + d.energyKWh, 0);
    const idle = days.reduce((s, d) => s + d.energyKWh - d.batchKWh, 0);
    console.log(
      `energy-report: Feb ${feb.totalKWh.toFixed(1)} vs ${total.toFixed(1)} kWh, idle ${feb.totals.idleKWh.toFixed(1)} vs ${idle.toFixed(1)}, coverage ${(feb.totals.coverage * 100).toFixed(2)} %`,
    );
    expect(rel(feb.totalKWh, total)).toBeLessThanOrEqual(0.005);
    expect(rel(feb.totals.idleKWh, idle)).toBeLessThanOrEqual(0.01);
    for (const l of feb.lines) {
      const want = days
        .filter((d) => d.machine.startsWith(`${l.line}/`))
        .reduce((s, d) => s + d.energyKWh, 0);
      expect(rel(l.kwh, want), l.line).toBeLessThanOrEqual(0.005);
    }
    // Whole local days (Feb 24–28; the 23rd starts at the simulation's start, 01:00 local).
    for (const d of feb.daily.filter((x) => x.day >= '2026-02-24' && x.coverage >= 0.99)) {
      const want = days.filter((t) => t.day === d.day).reduce((s, t) => s + t.energyKWh, 0);
      expect(rel(d.kwh, want), d.day).toBeLessThanOrEqual(0.005);
    }
    expect(feb.daysWithData).toBe(6);
  });

  it('February batches: exactly those started in the local month, settled energy within 0.5 %', () => {
    const b = monthBounds(parseMonth('2026-02'), TZ);
    const want = truth.batches.filter((t) => t.start >= b.start && t.start < b.end);
    expect(feb.batches.map((x) => x.batch).sort()).toEqual(want.map((t) => t.batch).sort());
    let checked = 0;
    for (const t of want) {
      const got = feb.batches.find((x) => x.batch === t.batch)!;
      expect(got.status).toBe(t.aborted ? 'aborted' : 'settled');
      if (got.coverage < 0.99) continue;
      expect(rel(got.kwh, t.energyKWh), t.batch).toBeLessThanOrEqual(0.005);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(want.length - 1);
    const products = new Map(feb.products.map((p) => [p.product, p]));
    for (const product of new Set(want.map((t) => t.product))) {
      const list = want.filter((t) => t.product === product);
      const p = products.get(product)!;
      const done = list.filter((t) => !t.aborted);
      expect(p.batches).toBe(list.length);
      expect(p.units).toBeCloseTo(
        done.reduce((s, t) => s + t.quantity, 0),
        9,
      );
    }
  });

  it('peak demand: the highest 15-minute mean power of the local month', () => {
    const b = monthBounds(parseMonth('2026-02'), TZ);
    let best = 0;
    for (let w = Math.max(b.start, FROM); w + 900_000 <= Math.min(b.end, TO); w += 900_000) {
      let wms = 0;
      for (const m of sim.machines.values()) wms += m.power.integrate(w, w + 900_000);
      best = Math.max(best, wms / WMS_PER_KWH / 0.25);
    }
    const pk = feb.peakDemand[0]!;
    console.log(
      `energy-report: peak ${pk.kw.toFixed(2)} kW at ${pk.atLocal} vs ${best.toFixed(2)}`,
    );
    expect(rel(pk.kw, best)).toBeLessThanOrEqual(0.005);
    expect(pk.charge).toBeCloseTo(pk.kw * 11.5, 9);
    expect(feb.totals.cost).toBeCloseTo(feb.totals.energyCost + pk.charge, 9);
  });

  it('March compares with February and carries the CUSUM from the baseline’s end', () => {
    const mar = buildEnergyReport({ db: store.db, index, month: '2026-03' });
    expect(mar.previous.totals.kwh).toBeCloseTo(feb.totalKWh, 9);
    expect(mar.provisional).toBe(true);
    const after = feb.enpi.cusum.filter((c) => c.ts >= Date.parse('2026-02-25T23:00:00Z'));
    expect(after.length).toBeGreaterThan(0);
    expect(mar.enpi.cusumAtStart).toBeCloseTo(feb.enpi.cusum.at(-1)!.cusum, 9);
    const sum = feb.enpi.cusum.reduce((s, c) => s + c.savings, 0);
    expect(feb.enpi.savingsKWh).toBeCloseTo(sum, 9);
  });
});

describe('energy report through the CLI and the API', () => {
  it('writes each format with the same totals; a bad month is a clear error', async () => {
    const out = (f: string) => `${tmp.dir}/feb.${f}`;
    for (const f of ['csv', 'xlsx', 'pdf', 'json']) {
      const r = runCli([
        'report',
        'energy',
        '--month',
        '2026-02',
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
    expect(json.totalKWh).toBeCloseTo(feb.totalKWh, 9);
    const csvTotal = Number(
      readFileSync(out('csv'), 'utf8')
        .split('\r\n')
        .find((l) => l.startsWith('Summary,Total energy,'))!
        .split(',')[2],
    );
    expect(csvTotal).toBeCloseTo(feb.totalKWh, 5);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(out('xlsx'));
    expect(wb.getWorksheet('Summary')!.getRow(2).getCell(2).value).toBeCloseTo(csvTotal, 5);
    const pages = execFileSync('pdfinfo', [out('pdf')], { encoding: 'utf8' });
    expect(pages).toMatch(new RegExp(`^Pages:\\s+${2 + Math.ceil(feb.batches.length / 30)}$`, 'm'));
    const text = execFileSync('pdftotext', [out('pdf'), '-'], { encoding: 'utf8' });
    expect(text).toContain(
      `Total energy ${new Intl.NumberFormat('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(feb.totalKWh)} kWh`,
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
      '2026-02',
      '--out',
      out('y'),
      '--config',
      config,
      '--data-dir',
      `${tmp.dir}/empty`,
    ]);
    expect(noLog.status).toBe(2);
    expect(noLog.stderr).toMatch(/holds no PlantPulse log/);

    const exports = store.audit.list({ actionPrefix: 'report.' });
    expect(exports.filter((e) => e.actor.startsWith('cli:')).map((e) => e.detail.format)).toEqual([
      'json',
      'pdf',
      'xlsx',
      'csv',
    ]);
    expect(exports[0]).toMatchObject({ action: 'report.export', subject: 'energy/2026-02' });
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
      const get = (q: string) => app.inject({ url: `/api/v1/reports/energy?${q}` });
      const json = await get('month=2026-02&format=json');
      expect(json.statusCode).toBe(200);
      expect(json.headers['content-type']).toMatch(/^application\/json/);
      expect((json.json() as EnergyReport).totalKWh).toBeCloseTo(feb.totalKWh, 9);
      const types = {
        csv: /^text\/csv/,
        xlsx: /^application\/vnd\.openxmlformats-officedocument\.spreadsheetml\.sheet$/,
        pdf: /^application\/pdf$/,
      };
      for (const [f, type] of Object.entries(types)) {
        const res = await get(`month=2026-02&format=${f}`);
        expect(res.statusCode, f).toBe(200);
        expect(res.headers['content-type']).toMatch(type);
        expect(res.headers['content-disposition']).toBe(
          `attachment; filename="energy-report-2026-02.${f}"`,
        );
        if (f === 'pdf') expect(res.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
        if (f === 'xlsx') expect(res.rawPayload.subarray(0, 2).toString()).toBe('PK');
      }
      const bad = await get('month=2026-13');
      expect(bad.statusCode).toBe(400);
      expect(bad.json()).toMatchObject({ error: { code: 'PP_ERR_BAD_REQUEST' } });
      expect((bad.json() as { error: { message: string } }).error.message).toMatch(/^month must/);
      const badFormat = await get('month=2026-02&format=docx');
      expect(badFormat.statusCode).toBe(400);
      expect((badFormat.json() as { error: { message: string } }).error.message).toMatch(
        /^format must be one of json, csv, xlsx, pdf/,
      );
      const apiExports = store.audit
        .list({ actionPrefix: 'report.' })
        .filter((e) => e.actor.startsWith('api:'));
      expect(apiExports).toHaveLength(4);
    } finally {
      await app.close();
    }
  });
});
