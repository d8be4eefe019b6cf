/**
 * The report's EnPI section: per product, the baseline fitted on the configured baseline
 * period (`energy.enpi.baseline`), what it expects for this month's batches against what they
 * used, and the CUSUM of savings from the end of the baseline to the end of the month.
 *
 * Only settled batches with a quantity and ≥ 99 % coverage count, in the baseline and after:
 * a batch with a metering gap would read as a saving that never happened.
 */
import {
  cusum,
  ENPI_MIN_COVERAGE,
  expectedKWh,
  fitBaseline,
  type BaselineFit,
} from '../analytics/energy/enpi.js';
import type { EnergyModel } from '../analytics/energy/model.js';
import type { BatchRow } from '../analytics/energy/tables.js';
import type { EnergyTables } from './energy-data.js';
import type { EnpiSection, ProductEnpi } from './energy-types.js';
import { dayStart, monthBounds, type Month } from './month.js';

export { ENPI_MIN_COVERAGE };

const eligible = (b: BatchRow) =>
  b.status === 'settled' &&
  b.quantity !== null &&
  b.quantity > 0 &&
  b.coverage >= ENPI_MIN_COVERAGE &&
  b.start_ts !== null;

/** Batches started in [from, to) of each batch's own site calendar. */
function between(
  tables: EnergyTables,
  model: EnergyModel,
  bound: (tz: string) => [number, number],
): BatchRow[] {
  const sites = new Map(
    [...model.sites.values()].map((s) => [s.id, bound(s.tariff.timezone)] as const),
  );
  const all = [...sites.values()];
  const lo = Math.min(...all.map((x) => x[0]));
  const hi = Math.max(...all.map((x) => x[1]));
  return tables.batches(lo, hi).filter((b) => {
    const r = sites.get(model.lines.get(b.line)?.site ?? '');
    return r !== undefined && b.start_ts! >= r[0] && b.start_ts! < r[1];
  });
}

export function buildEnpi(
  tables: EnergyTables,
  model: EnergyModel,
  month: Month,
  monthBatches: BatchRow[],
): EnpiSection {
  const cfg = model.cfg.enpi;
  const base = cfg.baseline;
  const fits = new Map<string, BaselineFit>();
  let after: BatchRow[] = [];
  if (base) {
    const inBase = between(tables, model, (tz) => [dayStart(base.from, tz), dayStart(base.to, tz)]);
    const byProduct = new Map<string, { units: number; kwh: number }[]>();
    for (const b of inBase.filter(eligible)) {
      const list = byProduct.get(b.product ?? '') ?? [];
      list.push({ units: b.quantity!, kwh: b.kwh });
      byProduct.set(b.product ?? '', list);
    }
    for (const [p, pts] of byProduct) {
      const fit = fitBaseline(pts, cfg.minBatches);
      if (fit) fits.set(p, fit);
    }
    after = between(tables, model, (tz) => [dayStart(base.to, tz), monthBounds(month, tz).end]);
  }

  const products = new Map<string, ProductEnpi>();
  const units = new Map<string, number>();
  const monthIds = new Set(monthBatches.map((b) => b.id));
  for (const b of monthBatches) {
    const key = b.product ?? '';
    const fit = fits.get(key) ?? null;
    const p = products.get(key) ?? {
      product: b.product ?? '(no product)',
      unit: b.unit,
      baseline: fit,
      baselineKWhPerUnit: null,
      actualKWhPerUnit: null,
      batches: 0,
      expectedKWh: 0,
      actualKWh: 0,
      savingsKWh: 0,
      savingsShare: null,
    };
    products.set(key, p);
    if (!eligible(b)) continue;
    p.batches++;
    p.actualKWh += b.kwh;
    if (fit) p.expectedKWh += expectedKWh(fit, b.quantity!);
    units.set(key, (units.get(key) ?? 0) + b.quantity!);
  }
  for (const [key, p] of products) {
    const u = units.get(key) ?? 0;
    if (u === 0) continue;
    p.actualKWhPerUnit = p.actualKWh / u;
    // At this month's batch sizes: a regression's fixed part weighs more on small batches.
    if (p.baseline) p.baselineKWhPerUnit = p.expectedKWh / u;
  }
  for (const p of products.values()) {
    if (!p.baseline) continue;
    p.savingsKWh = p.expectedKWh - p.actualKWh;
    p.savingsShare = p.expectedKWh > 0 ? p.savingsKWh / p.expectedKWh : null;
  }

  const points = after
    .filter((b) => eligible(b) && fits.has(b.product ?? ''))
    .map((b) => ({
      ts: b.start_ts!,
      batch: b.id,
      product: b.product ?? '(no product)',
      expected: expectedKWh(fits.get(b.product ?? '')!, b.quantity!),
      actual: b.kwh,
    }));
  const series = cusum(points);
  const inMonth = series.filter((x) => monthIds.has(x.batch));
  const first = series.findIndex((x) => monthIds.has(x.batch));
  // Carried in: the CUSUM just before the month's first batch (or at its end if it had none).
  const cusumAtStart =
    first > 0 ? series[first - 1]!.cusum : first === 0 ? 0 : (series.at(-1)?.cusum ?? 0);
  const list = [...products.values()].sort((a, b) => (a.product < b.product ? -1 : 1));
  return {
    baseline: base ? { from: base.from, to: base.to } : null,
    minBatches: cfg.minBatches,
    products: list,
    savingsKWh: list.reduce((s, p) => s + (p.baseline ? p.savingsKWh : 0), 0),
    cusumAtStart,
    cusum: inMonth,
  };
}
