/**
 * The EnPI baseline as a derived series, so dashboards can set each batch's kWh per unit beside
 * what the baseline expected for a batch of that size. The monthly report computes the same
 * from its tables (reports/enpi-report.ts); both use `fitBaseline` and the same eligibility.
 *
 * Baseline-period batches are kept per product as they settle (a revision replaces the batch's
 * point); every eligible batch started after the period then gets
 * `<site>/<line>:kwh_per_unit_baseline:<product>` at its start = expected kWh / its units.
 */
import { localTime } from '../../simulator/calendar.js';
import type { Emitter } from '../operator.js';
import { ENPI_MIN_COVERAGE, expectedKWh, fitBaseline } from './enpi.js';
import type { EnergyModel } from './model.js';
import type { BatchState, EnergyState } from './state.js';

/** Product → batch id → [units, kWh] of the eligible baseline-period batches. */
export type EnpiPoints = Record<string, Record<string, [number, number]>>;

function dayStart(day: string, tz: string): number {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return localTime({ y, m, d }, 0, tz);
}

/** Called when a batch's settled figure is published (first time or revised). */
export function onBatchSettled(
  b: BatchState,
  state: EnergyState,
  model: EnergyModel,
  out: Emitter,
): void {
  const base = model.cfg.enpi.baseline;
  if (!base || b.start === null || b.product === null) return;
  const site = model.sites.get(model.lines.get(b.line)?.site ?? '');
  if (!site) return;
  const tz = site.tariff.timezone;
  const eligible = b.quantity !== null && b.quantity > 0 && b.coverage >= ENPI_MIN_COVERAGE;
  const points = (state.enpi ??= {});
  if (b.start >= dayStart(base.from, tz) && b.start < dayStart(base.to, tz)) {
    const mine = (points[b.product] ??= {});
    if (eligible) mine[b.id] = [b.quantity!, b.kwh];
    else delete mine[b.id];
    return;
  }
  if (!eligible || b.start < dayStart(base.to, tz)) return;
  const fit = fitBaseline(
    Object.values(points[b.product] ?? {}).map(([units, kwh]) => ({ units, kwh })),
    model.cfg.enpi.minBatches,
  );
  if (!fit) return;
  out.emit({
    series: `${b.line}:kwh_per_unit_baseline:${b.product}`,
    kind: 'kwh_per_unit_baseline',
    unit: 'kWh/unit',
    ts: b.start,
    value: expectedKWh(fit, b.quantity!) / b.quantity!,
  });
}
