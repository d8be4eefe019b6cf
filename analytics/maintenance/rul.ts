/**
 * Remaining useful life: time until the trend of a wear signal reaches its limit.
 *
 * Two models are fitted to the recent points by ordinary least squares: linear (y = a + b·t)
 * and exponential (ln y = α + β·t, the log-linear fit; bearing wear often accelerates). The one
 * with the smaller residual sum of squares in y (so both are judged on the same scale) wins.
 * An estimate is given only when the trend supports one:
 *
 * - enough points (`minPoints`);
 * - the slope is significantly positive: slope / standard error ≥ `minT` (a t-statistic; 3
 *   keeps chance slopes of a flat, noisy signal out);
 * - the fit explains the data: R² ≥ `minR2`.
 *
 * The interval comes from the slope's standard error (slope ± z·SE, z = 1.96), with the level
 * fixed at the fitted present value: it shows how uncertain the rate is, which dominates at
 * the horizons maintenance plans on. Hourly points are autocorrelated, so the standard error
 * is corrected for the residuals' lag-1 autocorrelation (ols below). The interval is then
 * widened to include the same model fitted on the recent half of the window: a wear process
 * that accelerates faster than exponentially (a bearing near the end) projects sooner from
 * recent points, and the slope's error alone cannot show that. Where ln y also curves upwards
 * significantly, the low end goes down to the log-quadratic projection (acceleratingDays).
 */

export type RulModel = 'linear' | 'exponential';

export interface RulOptions {
  minPoints: number;
  minT: number;
  minR2: number;
  z: number;
  /** Widen the interval by the estimate from the recent half of the points (default true). */
  recent?: boolean;
}

export const DEFAULT_RUL: RulOptions = { minPoints: 24, minT: 3, minR2: 0.6, z: 1.96 };

export interface RulEstimate {
  /** Days from `now` until the fitted trend reaches the limit (0 when already past it). */
  days: number;
  low: number;
  high: number;
  model: RulModel;
  /** Fitted value at `now` and its rate of change per day there. */
  level: number;
  ratePerDay: number;
  r2: number;
}

export type RulResult =
  { ok: true; estimate: RulEstimate } | { ok: false; reason: string; r2: number | null };

interface Fit {
  a: number;
  b: number;
  se: number;
}

/** OLS of y on t; null when t has no spread. */
export function ols(t: readonly number[], y: readonly number[]): Fit | null {
  const n = t.length;
  let mt = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mt += t[i]!;
    my += y[i]!;
  }
  mt /= n;
  my /= n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    const dt = t[i]! - mt;
    sxx += dt * dt;
    sxy += dt * (y[i]! - my);
  }
  if (!(sxx > 0)) return null;
  const b = sxy / sxx;
  const a = my - b * mt;
  let sse = 0;
  for (let i = 0; i < n; i++) {
    const r = y[i]! - a - b * t[i]!;
    sse += r * r;
  }
  // Hourly points are autocorrelated (a slow process, and a model that is never exactly right):
  // scale the standard error by the lag-1 autocorrelation of the residuals (the AR(1)
  // effective-sample-size correction), or the interval and the t gate would be overconfident.
  let num = 0;
  let prev = y[0]! - a - b * t[0]!;
  for (let i = 1; i < n; i++) {
    const r = y[i]! - a - b * t[i]!;
    num += r * prev;
    prev = r;
  }
  const rho = sse > 0 ? Math.min(0.98, Math.max(0, num / sse)) : 0;
  const nEff = Math.max(3, (n * (1 - rho)) / (1 + rho));
  const se = n > 2 ? Math.sqrt(sse / (nEff - 2) / sxx) * Math.sqrt(nEff / n) : Infinity;
  return { a, b, se };
}

function r2Of(y: readonly number[], pred: (i: number) => number): { sse: number; r2: number } {
  let my = 0;
  for (const v of y) my += v;
  my /= y.length;
  let sse = 0;
  let sst = 0;
  for (let i = 0; i < y.length; i++) {
    sse += (y[i]! - pred(i)) ** 2;
    sst += (y[i]! - my) ** 2;
  }
  return { sse, r2: sst > 0 ? 1 - sse / sst : 0 };
}

/**
 * Fits `points` ([t in days, y]) and projects to `limit`, from time `now` (days).
 * y must be positive for the exponential model; non-positive points rule it out.
 */
export function estimateRul(
  points: readonly (readonly [number, number])[],
  limit: number,
  now: number,
  opts: RulOptions = DEFAULT_RUL,
): RulResult {
  if (points.length < opts.minPoints)
    return { ok: false, reason: `${points.length} of ${opts.minPoints} points`, r2: null };
  const t = points.map((p) => p[0]);
  const y = points.map((p) => p[1]);
  const candidates: (RulEstimate & { sse: number; tStat: number })[] = [];

  const lin = ols(t, y);
  if (lin) {
    const { sse, r2 } = r2Of(y, (i) => lin.a + lin.b * t[i]!);
    const level = lin.a + lin.b * now;
    const span = (rate: number) => (level >= limit ? 0 : (limit - level) / rate);
    const lo = lin.b + opts.z * lin.se;
    const hi = lin.b - opts.z * lin.se;
    candidates.push({
      model: 'linear',
      days: span(lin.b),
      low: span(lo),
      high: hi > 0 ? span(hi) : Infinity,
      level,
      ratePerDay: lin.b,
      r2,
      sse,
      tStat: lin.b / lin.se,
    });
  }
  if (y.every((v) => v > 0)) {
    const ly = y.map(Math.log);
    const ex = ols(t, ly);
    if (ex) {
      const { sse, r2 } = r2Of(y, (i) => Math.exp(ex.a + ex.b * t[i]!));
      const lnLevel = ex.a + ex.b * now;
      const lnLimit = Math.log(limit);
      const span = (rate: number) => (lnLevel >= lnLimit ? 0 : (lnLimit - lnLevel) / rate);
      const hi = ex.b - opts.z * ex.se;
      candidates.push({
        model: 'exponential',
        days: span(ex.b),
        low: span(ex.b + opts.z * ex.se),
        high: hi > 0 ? span(hi) : Infinity,
        level: Math.exp(lnLevel),
        ratePerDay: ex.b * Math.exp(lnLevel),
        r2,
        sse,
        tStat: ex.b / ex.se,
      });
    }
  }
  if (candidates.length === 0) return { ok: false, reason: 'no spread in time', r2: null };
  const best = candidates.reduce((x, c) => (c.sse < x.sse ? c : x));
  if (!(best.tStat >= opts.minT))
    return {
      ok: false,
      reason: `trend not significantly rising (t = ${best.tStat.toFixed(1)} < ${opts.minT})`,
      r2: best.r2,
    };
  if (best.r2 < opts.minR2)
    return {
      ok: false,
      reason: `poor fit (R² = ${best.r2.toFixed(2)} < ${opts.minR2})`,
      r2: best.r2,
    };
  const { sse: _sse, tStat: _t, ...estimate } = best;
  // Sensitivity to the window: the same model on the recent half. Wear that accelerates
  // (bearings do) projects sooner from recent points; the interval should show that.
  const half = points.filter((p) => p[0] >= (t[0]! + t[t.length - 1]!) / 2);
  if (opts.recent !== false && half.length >= Math.max(5, opts.minPoints / 2)) {
    const recent = estimateRul(half, limit, now, { ...opts, minPoints: 0, recent: false });
    if (recent.ok && recent.estimate.model === estimate.model) {
      estimate.low = Math.min(estimate.low, recent.estimate.days);
      estimate.high = Math.max(estimate.high, recent.estimate.days);
    }
  }
  // Acceleration: if ln y curves upwards significantly, projecting that curvature gives the
  // earliest plausible date; the interval's low end shows it (the estimate itself stays).
  if (opts.recent !== false && y.every((v) => v > 0)) {
    const tau = acceleratingDays(t, y, limit, now, opts.minT);
    if (tau !== null) estimate.low = Math.min(estimate.low, tau);
  }
  return { ok: true, estimate };
}

/**
 * Days to `limit` of a log-quadratic fit (ln y = α + β·τ + γ·τ², τ = t − now), or null unless
 * γ > 0 with t-statistic ≥ `minT` (autocorrelation-corrected like `ols`) and β > 0.
 */
export function acceleratingDays(
  t: readonly number[],
  y: readonly number[],
  limit: number,
  now: number,
  minT: number,
): number | null {
  const n = t.length;
  if (n < 6) return null;
  // Normal equations of [1, τ, τ²], solved by Cramer's rule (3×3, well conditioned for τ in days).
  const m = [0, 0, 0, 0, 0];
  const v = [0, 0, 0];
  for (let i = 0; i < n; i++) {
    const x = t[i]! - now;
    const ly = Math.log(y[i]!);
    let p = 1;
    for (let k = 0; k < 5; k++, p *= x) m[k]! += p;
    v[0]! += ly;
    v[1]! += x * ly;
    v[2]! += x * x * ly;
  }
  const a = [
    [m[0]!, m[1]!, m[2]!],
    [m[1]!, m[2]!, m[3]!],
    [m[2]!, m[3]!, m[4]!],
  ];
  const det3 = (q: number[][]) =>
    q[0]![0]! * (q[1]![1]! * q[2]![2]! - q[1]![2]! * q[2]![1]!) -
    q[0]![1]! * (q[1]![0]! * q[2]![2]! - q[1]![2]! * q[2]![0]!) +
    q[0]![2]! * (q[1]![0]! * q[2]![1]! - q[1]![1]! * q[2]![0]!);
  const d = det3(a);
  if (!(Math.abs(d) > 1e-12)) return null;
  const solve = (k: number) =>
    det3(a.map((row, i) => row.map((c, j) => (j === k ? v[i]! : c)))) / d;
  const [alpha, beta, gamma] = [solve(0), solve(1), solve(2)];
  let sse = 0;
  let lag = 0;
  let prev = 0;
  for (let i = 0; i < n; i++) {
    const x = t[i]! - now;
    const r = Math.log(y[i]!) - alpha - beta * x - gamma * x * x;
    sse += r * r;
    if (i > 0) lag += r * prev;
    prev = r;
  }
  const rho = sse > 0 ? Math.min(0.98, Math.max(0, lag / sse)) : 0;
  const nEff = Math.max(4, (n * (1 - rho)) / (1 + rho));
  // Var(γ) = σ² · (A⁻¹)₂₂, with (A⁻¹)₂₂ = minor₂₂ / det.
  const inv22 = (a[0]![0]! * a[1]![1]! - a[0]![1]! * a[1]![0]!) / d;
  const se = Math.sqrt(Math.max(0, (sse / (n - 3)) * inv22 * (n / nEff)));
  if (!(gamma > 0 && beta > 0 && gamma >= minT * se)) return null;
  const gap = alpha - Math.log(limit);
  if (gap >= 0) return 0;
  return (-beta + Math.sqrt(beta * beta - 4 * gamma * gap)) / (2 * gamma);
}
