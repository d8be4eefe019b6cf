/**
 * Energy performance indicator (ISO 50006 style) per product: a baseline of batch energy
 * against units produced, and the CUSUM of savings (expected − actual) after it.
 *
 * With enough baseline batches the baseline is an ordinary-least-squares line
 * kWh = intercept + slope × units, because a batch has a fixed part (heating up, cleaning the
 * bowl) that a plain kWh/unit ratio would charge to small batches. With too few batches, or
 * when every batch had the same size (no slope can be fitted), it is the ratio Σ kWh / Σ units
 * (the mean kWh per unit weighted by volume), which is what a manager would compute by hand.
 */

/** Batches below this coverage are left out of baselines and comparisons: their kWh is partial. */
export const ENPI_MIN_COVERAGE = 0.99;

export interface BaselinePoint {
  units: number;
  kwh: number;
}

export type BaselineFit =
  | { kind: 'regression'; n: number; intercept: number; slope: number; r2: number }
  | { kind: 'mean'; n: number; kwhPerUnit: number };

/** Least squares y = a + b·x with its coefficient of determination; undefined if x has no spread. */
export function ols(
  xs: readonly number[],
  ys: readonly number[],
): { intercept: number; slope: number; r2: number } | undefined {
  const n = xs.length;
  if (n < 2 || ys.length !== n) return undefined;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += xs[i]!;
    my += ys[i]!;
  }
  mx /= n;
  my /= n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i]! - mx;
    const dy = ys[i]! - my;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  // Relative test: sizes like 500 000 units with float noise must still count as "no spread".
  if (sxx <= 1e-12 * Math.max(1, mx * mx) * n) return undefined;
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  // All y equal: the line explains everything there is to explain.
  const r2 = syy === 0 ? 1 : (sxy * sxy) / (sxx * syy);
  return { intercept, slope, r2 };
}

/** The baseline of one product from its baseline batches (units > 0 only). */
export function fitBaseline(
  points: readonly BaselinePoint[],
  minBatches: number,
): BaselineFit | undefined {
  const pts = points.filter((p) => p.units > 0 && Number.isFinite(p.kwh));
  if (pts.length === 0) return undefined;
  if (pts.length >= minBatches) {
    const fit = ols(
      pts.map((p) => p.units),
      pts.map((p) => p.kwh),
    );
    if (fit) return { kind: 'regression', n: pts.length, ...fit };
  }
  const units = pts.reduce((s, p) => s + p.units, 0);
  const kwh = pts.reduce((s, p) => s + p.kwh, 0);
  return { kind: 'mean', n: pts.length, kwhPerUnit: kwh / units };
}

/** Energy the baseline expects for a batch of `units`. */
export function expectedKWh(fit: BaselineFit, units: number): number {
  return fit.kind === 'regression' ? fit.intercept + fit.slope * units : fit.kwhPerUnit * units;
}

export interface CusumPoint {
  ts: number;
  expected: number;
  actual: number;
  /** expected − actual: positive is energy saved against the baseline. */
  savings: number;
  cusum: number;
}

/** Cumulative savings in time order, starting from `start` (the sum carried in from before). */
export function cusum<T extends { ts: number; expected: number; actual: number }>(
  points: readonly T[],
  start = 0,
): (T & CusumPoint)[] {
  let acc = start;
  return [...points]
    .sort((a, b) => a.ts - b.ts)
    .map((p) => {
      const savings = p.expected - p.actual;
      acc += savings;
      return { ...p, savings, cusum: acc };
    });
}
