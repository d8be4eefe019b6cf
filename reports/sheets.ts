/**
 * The report as named tables (Summary, Lines, Products, Batches, Daily, …), each column with
 * its kind, so CSV, XLSX and PDF show the same rows and columns and differ only in styling.
 */
import type { EnergyReport } from './energy-types.js';

export type ColumnKind = 'text' | 'kwh' | 'kw' | 'share' | 'money' | 'co2' | 'int' | 'number';

export interface Column {
  header: string;
  kind: ColumnKind;
  width?: number;
}

export type Cell = string | number | null;

export interface Sheet {
  name: string;
  title: string;
  columns: Column[];
  rows: Cell[][];
  /** Per row: the kind of its numeric cells where one column mixes kinds (Summary). */
  rowKinds?: ColumnKind[];
}

const c = (header: string, kind: ColumnKind, width?: number): Column => ({ header, kind, width });

/** Summary metric names, stable: tests and readers look totals up by them. */
export const METRIC = {
  total: 'Total energy',
  batch: 'Energy in batches',
  idle: 'Idle energy',
  idleShare: 'Idle share',
  energyCost: 'Energy cost',
  peak: 'Peak-demand charge',
  cost: 'Total cost',
  co2: 'CO2',
  coverage: 'Coverage',
} as const;

function summary(r: EnergyReport): Sheet {
  const t = r.totals;
  const p = r.previous.totals;
  const rowKinds: ColumnKind[] = [];
  const row = (
    m: string,
    kind: ColumnKind,
    v: number,
    prev: number | null,
    unit: string,
  ): Cell[] => {
    rowKinds.push(kind);
    return [m, v, prev, prev === null || prev === 0 ? null : (v - prev) / prev, unit];
  };
  const rows: Cell[][] = [
    row(METRIC.total, 'kwh', t.kwh, p.kwh, 'kWh'),
    row(METRIC.batch, 'kwh', t.batchKWh, p.batchKWh, 'kWh'),
    row(METRIC.idle, 'kwh', t.idleKWh, p.idleKWh, 'kWh'),
    row(METRIC.idleShare, 'share', t.idleShare, p.idleShare, ''),
    row(METRIC.energyCost, 'money', t.energyCost, p.energyCost, r.currency),
    row(METRIC.peak, 'money', t.peakDemandCharge, p.peakDemandCharge, r.currency),
    row(METRIC.cost, 'money', t.cost, p.cost, r.currency),
    row(METRIC.co2, 'co2', t.co2Kg, p.co2Kg, 'kg'),
    row(METRIC.coverage, 'share', t.coverage, p.coverage, ''),
  ];
  for (const pk of r.peakDemand)
    rows.push(row(`Peak demand ${pk.site} (${pk.atLocal})`, 'kw', pk.kw, null, 'kW'));
  if (r.enpi.baseline)
    rows.push(row('Savings against baseline', 'kwh', r.enpi.savingsKWh, null, 'kWh'));
  return {
    name: 'Summary',
    title: `Energy report ${r.month}`,
    columns: [
      c('Metric', 'text', 34),
      c(r.month, 'number', 16),
      c(r.previous.month, 'number', 16),
      c('Change', 'share', 10),
      c('Unit', 'text', 8),
    ],
    rows,
    rowKinds,
  };
}

export function reportSheets(r: EnergyReport): Sheet[] {
  const money = `Cost (${r.currency})`;
  return [
    summary(r),
    {
      name: 'Lines',
      title: 'Energy per line',
      columns: [
        c('Line', 'text', 28),
        c('kWh', 'kwh'),
        c('Share', 'share'),
        c('Batch kWh', 'kwh'),
        c('Idle kWh', 'kwh'),
        c('Idle share', 'share'),
        c(money, 'money'),
        c('CO2 (kg)', 'co2'),
        c('Coverage', 'share'),
      ],
      rows: r.lines.map((l) => [
        l.line,
        l.kwh,
        l.share,
        l.batchKWh,
        l.idleKWh,
        l.idleShare,
        l.cost,
        l.co2Kg,
        l.coverage,
      ]),
    },
    {
      name: 'Products',
      title: 'Energy per product',
      columns: [
        c('Product', 'text', 24),
        c('Batches', 'int'),
        c('Aborted', 'int'),
        c('kWh', 'kwh'),
        c('Units', 'number'),
        c('Unit', 'text', 8),
        c('kWh/unit', 'number'),
        c('Baseline kWh/unit', 'number', 18),
        c('Savings kWh', 'kwh'),
      ],
      rows: r.products.map((p) => {
        const e = r.enpi.products.find((x) => x.product === p.product);
        return [
          p.product,
          p.batches,
          p.aborted,
          p.kwh,
          p.units,
          p.unit,
          p.kwhPerUnit,
          e?.baselineKWhPerUnit ?? null,
          e?.baseline ? e.savingsKWh : null,
        ];
      }),
    },
    {
      name: 'Batches',
      title: 'Batches started in the month',
      columns: [
        c('Batch', 'text', 26),
        c('Product', 'text', 16),
        c('Line', 'text', 18),
        c('Start', 'text', 17),
        c('End', 'text', 17),
        c('kWh', 'kwh'),
        c('Coverage', 'share'),
        c('kWh/unit', 'number'),
        c(money, 'money'),
        c('CO2 (kg)', 'co2'),
        c('Status', 'text', 9),
        c('Revisions', 'int'),
      ],
      rows: r.batches.map((b) => [
        b.batch,
        b.product,
        b.line,
        b.startLocal,
        b.endLocal,
        b.kwh,
        b.coverage,
        b.kwhPerUnit,
        b.cost,
        b.co2Kg,
        b.status,
        b.revision,
      ]),
    },
    {
      name: 'Daily',
      title: 'Energy per day (site local days)',
      columns: [
        c('Day', 'text', 12),
        c('kWh', 'kwh'),
        c('Batch kWh', 'kwh'),
        c('Idle kWh', 'kwh'),
        c(money, 'money'),
        c('CO2 (kg)', 'co2'),
        c('Coverage', 'share'),
      ],
      rows: r.daily.map((d) => [d.day, d.kwh, d.batchKWh, d.idleKWh, d.cost, d.co2Kg, d.coverage]),
    },
    {
      name: 'Top consumers',
      title: 'Top consumers (machines)',
      columns: [
        c('Machine', 'text', 30),
        c('kWh', 'kwh'),
        c('Share', 'share'),
        c('Idle kWh', 'kwh'),
      ],
      rows: r.topConsumers.map((m) => [m.machine, m.kwh, m.share, m.idleKWh]),
    },
    {
      name: 'EnPI',
      title: r.enpi.baseline
        ? `EnPI against baseline ${r.enpi.baseline.from} – ${r.enpi.baseline.to}`
        : 'EnPI (no baseline period configured: energy.enpi.baseline)',
      columns: [
        c('Product', 'text', 24),
        c('Model', 'text', 30),
        c('Baseline batches', 'int', 16),
        c('R²', 'number'),
        c('Batches', 'int'),
        c('Expected kWh', 'kwh', 14),
        c('Actual kWh', 'kwh'),
        c('Savings kWh', 'kwh'),
        c('Savings', 'share'),
      ],
      rows: r.enpi.products.map((p) => [
        p.product,
        !p.baseline
          ? 'no baseline'
          : p.baseline.kind === 'regression'
            ? `kWh = ${p.baseline.intercept.toFixed(2)} + ${p.baseline.slope.toFixed(4)} × units`
            : `mean ${p.baseline.kwhPerUnit.toFixed(4)} kWh/unit`,
        p.baseline?.n ?? null,
        p.baseline?.kind === 'regression' ? p.baseline.r2 : null,
        p.batches,
        p.baseline ? p.expectedKWh : null,
        p.actualKWh,
        p.baseline ? p.savingsKWh : null,
        p.savingsShare,
      ]),
    },
  ];
}
