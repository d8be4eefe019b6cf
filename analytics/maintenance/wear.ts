/**
 * The wear signal of one machine, hour by hour, on event time.
 *
 * Vibration of a healthy machine follows its load (the simulator's and real drives' alike:
 * a granulator at 85 % load vibrates twice as much as at 25 %), so an hourly mean of raw
 * vibration mostly tracks the production schedule. Each minute's mean vibration is therefore
 * divided by what the machine's own learned baseline predicts at that minute's mean power:
 *
 *   baseline(P) = a + b·P   (least squares over the running minutes of the learning period;
 *                            a constant when the machine has no power sensor)
 *   ratio       = v / baseline(P)          — 1 on a healthy machine, at any load
 *   v_ref       = ratio · baseline(P_ref)  — vibration at the heaviest load seen in learning
 *
 * v_ref (mm/s) is compared with the absolute limit (ISO zone C/D or a configured value), the
 * ratio with a relative limit (k × baseline). The wear index is 0 at the baseline and 1 at
 * the limit: (v_ref − base_ref) / (limit − base_ref), or (ratio − 1) / (k − 1).
 */
import type { WearLimit } from './model.js';

export const MINUTE = 60_000;
export const HOUR = 3_600_000;

/** One minute of an open hour: sums of power (W) and primary vibration (mm/s). */
export type MinuteSums = [pSum: number, pN: number, vSum: number, vN: number];

export interface Learning {
  from: number | null;
  minutes: number;
  n: number;
  sp: number;
  sv: number;
  spp: number;
  spv: number;
  pMax: number;
}

export interface Baseline {
  a: number;
  b: number;
  pRef: number;
}

export const newLearning = (): Learning => ({
  from: null,
  minutes: 0,
  n: 0,
  sp: 0,
  sv: 0,
  spp: 0,
  spv: 0,
  pMax: 0,
});

export function learn(l: Learning, p: number, v: number): void {
  l.n++;
  l.sp += p;
  l.sv += v;
  l.spp += p * p;
  l.spv += p * v;
  if (p > l.pMax) l.pMax = p;
}

/**
 * The baseline from the learning sums. A slope is kept only when power varied and the fit
 * says vibration rises with load; otherwise the mean is the baseline.
 */
export function finishLearning(l: Learning, hasPower: boolean): Baseline | null {
  if (l.n === 0) return null;
  const mp = l.sp / l.n;
  const mv = l.sv / l.n;
  const sxx = l.spp - l.n * mp * mp;
  const sxy = l.spv - l.n * mp * mv;
  if (hasPower && sxx > 1e-9 * Math.max(1, l.spp)) {
    const b = sxy / sxx;
    const a = mv - b * mp;
    // Guard: the baseline must stay positive over the learned range.
    if (b > 0 && a + b * (l.sp / l.n) > 0 && a > -0.5 * b * l.pMax) return { a, b, pRef: l.pMax };
  }
  return mv > 0 ? { a: mv, b: 0, pRef: l.pMax } : null;
}

export const predict = (b: Baseline, p: number): number => b.a + b.b * p;

export function wearIndex(limit: WearLimit, base: Baseline, vRef: number): number {
  const ratio = vRef / predict(base, base.pRef);
  if (limit.kind === 'relative') return Math.max(0, (ratio - 1) / (limit.factor - 1));
  const b0 = predict(base, base.pRef);
  // A machine whose baseline already sits at its limit: report the plain fraction of the limit.
  if (b0 >= limit.mmPerS * 0.95) return vRef / limit.mmPerS;
  return Math.max(0, (vRef - b0) / (limit.mmPerS - b0));
}

/** The value the trend is fitted on, and the limit it is projected to. */
export function trendLimit(limit: WearLimit, base: Baseline): number {
  return limit.kind === 'relative' ? limit.factor * predict(base, base.pRef) : limit.mmPerS;
}
