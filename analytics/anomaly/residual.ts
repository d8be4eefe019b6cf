/**
 * Tests of the residual against the regime a reading belongs to, before that regime adapts: a
 * CUSUM for sustained shifts and slow drift (which the adapting level would otherwise follow),
 * and a short EWMA of |z| against its Gaussian resting value for variance changes. Both are
 * reported in robust-sigma equivalents so they compete with the level evidence.
 */
import type { Nearest } from './regimes.js';
import { MEAN_ABS_Z, SIGMA_PER_MAD, type Evidence } from './robust.js';
import type { DetectorSettings } from './settings.js';
import type { DetectorState } from './state.js';

/** CUSUM allowance and decision interval, in robust sigmas. */
const CUSUM_K = 0.5;
const CUSUM_H = 12;
/** Computed once: the same double as `Math.log(3)` inline, without a log call per reading. */
const LOG3 = Math.log(3);

/** Adds shift and variance evidence for the reading `x` in its regime `near`. */
export function testResidual(
  st: DetectorState,
  s: DetectorSettings,
  x: number,
  floor: number,
  inSettle: boolean,
  near: Nearest,
  ev: Evidence,
): void {
  // What a phase change does to the residuals is not a drift or a variance change.
  if (inSettle) {
    restart(st);
    return;
  }
  const best = near.index;
  if (!(near.assigned && st.rN[best]! >= s.warmup)) return;
  if (best !== st.cur) restart(st);
  const u = (x - st.rMu[best]!) / (SIGMA_PER_MAD * Math.max(st.rS[best]!, floor));
  const uc0 = u > 4 ? 4 : u < -4 ? -4 : u;
  // Autocorrelated residuals sum up faster than independent ones: shrink by the
  // effective-sample factor sqrt((1-rho)/(1+rho)) so smooth signals do not alarm.
  st.c0 += 0.01 * (uc0 * uc0 - st.c0);
  st.c1 += 0.01 * (uc0 * st.uPrev - st.c1);
  st.uPrev = uc0;
  const rho = Math.min(0.99, Math.max(0, st.c1 / Math.max(st.c0, 1e-9)));
  const uc = uc0 * Math.sqrt((1 - rho) / (1 + rho));
  st.cusP = Math.max(0, st.cusP + uc - CUSUM_K);
  st.cusN = Math.max(0, st.cusN - uc - CUSUM_K);
  st.fast += 0.05 * (Math.min(Math.abs(u), 6) - st.fast);
  ev.shift = (s.flagOn * Math.max(st.cusP, st.cusN)) / CUSUM_H;
  const vr = st.fast / MEAN_ABS_Z;
  ev.variance = vr > 1 ? (s.flagOn * Math.log(vr)) / LOG3 : 0;
}

/** A new regime or a phase change: the old sums say nothing about the new residuals. */
function restart(st: DetectorState): void {
  st.cusP = 0;
  st.cusN = 0;
  st.fast = MEAN_ABS_Z;
}
