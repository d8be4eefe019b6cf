/**
 * The monthly energy report over hand-written energy records (the operator's tables), where
 * every figure can be checked by hand: site-local month bounds for batches and days, totals,
 * coverage weighting, the previous month, products, EnPI against a mean baseline; then the
 * CSV, the XLSX read back with exceljs, and the PDF read back with poppler's pdfinfo/pdftotext.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENERGY_SCHEMA, type BatchRow } from '../../analytics/energy/tables.js';
import { parsePlantModel } from '../../config/load.js';
import { buildPlantIndex } from '../../config/plant-index.js';
import { buildEnergyReport } from '../../reports/energy-report.js';
import type { EnergyReport } from '../../reports/energy-types.js';
import { reportCsv } from '../../reports/format-csv.js';
import { pdfPageCount, reportPdf } from '../../reports/format-pdf.js';
import { reportXlsx } from '../../reports/format-xlsx.js';
import { FIXTURE_PLANT } from '../../simulator/fixtures.js';
import { openStore, type Store } from '../../store/store.js';
import { tempDir } from '../helpers/tmp.js';

const index = buildPlantIndex(
  parsePlantModel(
    `${FIXTURE_PLANT}energy:
  tariff: { currency: CHF, basePrice: 0.2, peakDemand: { window: 15m, pricePerKw: 11.5 } }
  co2: { factor: 0.128 }
  enpi: { baseline: { from: '2026-02-01', to: '2026-03-01' }, minBatches: 3 }
`,
    'plant.yaml',
  ),
);
const tmp = tempDir('plantpulse-report-');
let store: Store;
let r: EnergyReport;

const GR = 'fx/granulation';
const daily = (
  scope: string,
  key: string,
  day: string,
  kwh: number,
  idle: number,
  cov: number,
) => ({
  scope,
  key,
  day,
  kwh,
  coverage: cov,
  batch_kwh: kwh - idle,
  idle_kwh: idle,
  cost: kwh * 0.2,
  co2_kg: kwh * 0.128,
  revision: 0,
});
const batch = (
  id: string,
  start: string,
  kwh: number,
  quantity: number | null,
  status: BatchRow['status'],
): BatchRow => ({
  id: `${GR}/${id}`,
  line: GR,
  batch: id,
  product: 'Amlodipine',
  quantity,
  unit: 'kg',
  start_ts: Date.parse(start),
  end_ts: Date.parse(start) + 3_600_000,
  status,
  kwh,
  duration_ms: 3_600_000,
  coverage: 1,
  kwh_per_unit: quantity ? kwh / quantity : null,
  cost: kwh * 0.2,
  currency: 'CHF',
  co2_kg: kwh * 0.128,
  revision: 0,
});

beforeAll(() => {
  store = openStore({
    dataDir: tmp.dir,
    durability: 'normal',
    commitMaxRows: 1000,
    rawRetentionMs: 1e13,
    rollupRetentionMs: 1e13,
  });
  const db = store.db;
  db.exec(ENERGY_SCHEMA);
  const ins = (table: string, row: object) =>
    db
      .prepare(
        `INSERT INTO ${table}(${Object.keys(row).join(',')}) VALUES (${Object.keys(row)
          .map((k) => `@${k}`)
          .join(',')})`,
      )
      .run(row);
  for (const d of [
    daily('line', GR, '2026-02-27', 100, 40, 1),
    daily('line', GR, '2026-03-01', 200, 50, 0.5),
    daily('line', GR, '2026-03-31', 50, 50, 1),
    daily('line', 'fx/utilities', '2026-03-01', 300, 300, 1),
    daily('line', GR, '2026-04-01', 999, 999, 1), // next month: not in March
    daily('machine', `${GR}/g-1`, '2026-03-01', 120, 30, 0.5),
    daily('machine', `${GR}/fbd-1`, '2026-03-01', 80, 20, 0.5),
    daily('machine', `${GR}/g-1`, '2026-03-31', 50, 50, 1),
    daily('machine', 'fx/utilities/ac-1', '2026-03-01', 300, 300, 1),
  ])
    ins('energy_daily', d);
  // Local time in Zurich: B0 Feb 28 23:30 (CET), B1 Mar 1 00:30, B2 Mar 31 23:30 (CEST), B3 Apr 1 00:30.
  for (const b of [
    batch('B0', '2026-02-28T22:30:00Z', 200, 100, 'settled'),
    batch('B1', '2026-02-28T23:30:00Z', 150, 100, 'settled'),
    batch('B2', '2026-03-31T21:30:00Z', 40, 50, 'aborted'),
    batch('B3', '2026-03-31T22:30:00Z', 70, 100, 'settled'),
  ])
    ins('batches', b);
  ins('energy_peaks', {
    site: 'fx',
    month: '2026-03',
    window_ms: 900_000,
    kw: 250,
    at: Date.parse('2026-03-01T09:15:00Z'),
    charge: 2875,
    currency: 'CHF',
  });
  r = buildEnergyReport({ db, index, month: '2026-03', now: Date.parse('2026-04-02T08:00:00Z') });
});

afterAll(() => {
  store.close();
  tmp.cleanup();
});

describe('monthly energy report model', () => {
  it('sums the local month: total, idle, cost with the peak-demand charge, CO2, coverage', () => {
    expect(r.totalKWh).toBeCloseTo(550, 9);
    expect(r.totals.idleKWh).toBeCloseTo(400, 9);
    expect(r.totals.idleShare).toBeCloseTo(400 / 550, 12);
    expect(r.totals.energyCost).toBeCloseTo(110, 9);
    expect(r.totals.peakDemandCharge).toBe(2875);
    expect(r.totals.cost).toBeCloseTo(2985, 9);
    expect(r.totals.co2Kg).toBeCloseTo(550 * 0.128, 9);
    // machine-hours: granulation 3 × 24 on Mar 1 (½ covered) and Mar 31, utilities 1 × 24
    expect(r.totals.coverage).toBeCloseTo((36 + 72 + 24) / (72 + 72 + 24), 12);
    expect(r.peakDemand).toEqual([
      expect.objectContaining({
        site: 'fx',
        kw: 250,
        windowMinutes: 15,
        atLocal: '2026-03-01 10:15',
      }),
    ]);
    expect(r).toMatchObject({ daysWithData: 2, daysInMonth: 31, provisional: true });
    // B2 starts 23:30 on 31 March and ends 00:30 on 1 April
    expect(r.notes).toEqual([
      '1 batch of site fx started in 2026-03 and ended later (or still runs): reported whole, in the month it started.',
    ]);
  });

  it('takes batches by their start in the site’s local month', () => {
    expect(r.batches.map((b) => b.batch)).toEqual(['B1', 'B2']);
    expect(r.batches[0]!.startLocal).toBe('2026-03-01 00:30');
    expect(r.batches[1]!.startLocal).toBe('2026-03-31 23:30');
    expect(r.products).toEqual([
      {
        product: 'Amlodipine',
        unit: 'kg',
        batches: 2,
        aborted: 1,
        kwh: 190,
        units: 100,
        kwhPerUnit: 1.5,
      },
    ]);
  });

  it('lists lines, top consumers and every local day of the month', () => {
    expect(r.lines.map((l) => [l.line, l.kwh, l.share])).toEqual([
      ['fx/utilities', 300, 300 / 550],
      [GR, 250, 250 / 550],
    ]);
    expect(r.topConsumers.map((m) => [m.machine, m.kwh])).toEqual([
      ['fx/utilities/ac-1', 300],
      [`${GR}/g-1`, 170],
      [`${GR}/fbd-1`, 80],
    ]);
    expect(r.daily).toHaveLength(31);
    expect(r.daily[0]).toMatchObject({ day: '2026-03-01', kwh: 500, idleKWh: 350 });
    expect(r.daily[14]).toMatchObject({ day: '2026-03-15', kwh: 0, coverage: 0 });
  });

  it('compares with the previous month and the EnPI baseline', () => {
    expect(r.previous.month).toBe('2026-02');
    expect(r.previous.totals.kwh).toBe(100);
    expect(r.previous.change.kwh).toBeCloseTo(4.5, 12);
    // Baseline: B0 only (Feb, 200 kWh for 100 kg) → 2 kWh/kg; March: B1 used 150 for 100 kg.
    const p = r.enpi.products[0]!;
    expect(p.baseline).toEqual({ kind: 'mean', n: 1, kwhPerUnit: 2 });
    expect(p).toMatchObject({ batches: 1, expectedKWh: 200, actualKWh: 150, savingsKWh: 50 });
    expect(p.savingsShare).toBeCloseTo(0.25, 12);
    expect(r.enpi.cusum.map((c) => [c.batch, c.cusum])).toEqual([[`${GR}/B1`, 50]]);
  });
});

describe('report formats', () => {
  const csvValue = (csv: string, sheet: string, metric: string) =>
    Number(
      csv
        .split('\r\n')
        .find((l) => l.startsWith(`${sheet},${metric},`))!
        .split(',')[2],
    );

  it('the XLSX read back with exceljs has the totals of the CSV, in formatted sheets', async () => {
    const csv = reportCsv(r);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load((await reportXlsx(r)) as unknown as ExcelJS.Buffer);
    expect(wb.worksheets.map((w) => w.name)).toEqual([
      'Summary',
      'Lines',
      'Products',
      'Batches',
      'Daily',
      'Top consumers',
      'EnPI',
      'About',
    ]);
    const summary = wb.getWorksheet('Summary')!;
    const byMetric = new Map<string, ExcelJS.Row>();
    summary.eachRow((row) => byMetric.set(String(row.getCell(1).value), row));
    for (const m of ['Total energy', 'Idle energy', 'Total cost', 'CO2', 'Peak-demand charge'])
      expect(byMetric.get(m)!.getCell(2).value, m).toBeCloseTo(csvValue(csv, 'Summary', m), 6);
    expect(csvValue(csv, 'Summary', 'Total energy')).toBeCloseTo(550, 9);
    expect(byMetric.get('Total energy')!.getCell(2).numFmt).toBe('#,##0.0');
    expect(byMetric.get('Idle share')!.getCell(2).numFmt).toBe('0.0%');
    expect(summary.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
    expect(summary.getRow(1).font?.bold).toBe(true);
    const lines = wb.getWorksheet('Lines')!;
    let sum = 0;
    lines.eachRow((row, i) => {
      if (i > 1) sum += row.getCell(2).value as number;
    });
    expect(sum).toBeCloseTo(550, 9);
    expect(wb.getWorksheet('Batches')!.rowCount).toBe(1 + 2);
    expect(wb.getWorksheet('Daily')!.rowCount).toBe(1 + 31);
  });

  it('the PDF has the summary, chart and batch pages, and its text carries the totals', async () => {
    const file = `${tmp.dir}/report.pdf`;
    writeFileSync(file, await reportPdf(r));
    const info = execFileSync('pdfinfo', [file], { encoding: 'utf8' });
    expect(pdfPageCount(r)).toBe(3);
    expect(info).toMatch(/^Pages:\s+3$/m);
    expect(info).toMatch(/^Title:\s+Energy report 2026-03$/m);
    const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
    expect(text).toContain('Total energy 550.0 kWh');
    expect(text).toContain('cost 2,985.00 CHF');
    expect(text).toContain('Daily energy (site local days)');
    expect(text).toContain('Energy per product');
    expect(text).toMatch(/B1\s+Amlodipine\s+fx\/granulation\s+2026-03-01 00:30/);
    expect(text).toContain('page 3 of 3');
    expect(text).toMatch(/1 batch of site fx started in 2026-03 and ended later/);
    // The charts are vector paths, not embedded pictures: the PDF holds no image at all.
    const images = execFileSync('pdfimages', ['-list', file], { encoding: 'utf8' });
    expect(images.trim().split('\n')).toHaveLength(2); // the header and its rule only
  });
});
