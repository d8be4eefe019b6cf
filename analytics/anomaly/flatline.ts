/**
 * Flatline evidence: a run of identical readings much longer than the runs this sensor usually
 * has. Quantised sensors repeat values normally and analogue ones do not, so the yardstick is the
 * sensor's own decaying maximum of completed runs, not a fixed count (a stuck transmitter).
 */
import type { DetectorSettings } from './settings.js';
import type { DetectorState } from './state.js';

/** Evidence (robust-sigma equivalent) for a reading `x` at `ts`, the `n`-th of the sensor. */
export function flatlineStep(
  st: DetectorState,
  s: DetectorSettings,
  ts: number,
  x: number,
  n: number,
  alpha: number,
): number {
  // Only a newer reading extends or ends a run: a resend repeats the value without meaning it.
  if (!(n > 1 && ts > st.lastTs)) return 0;
  const same = Math.abs(x - st.lastX) <= 1e-12 * Math.max(1, Math.abs(x));
  if (same) st.flatRun += 1;
  else {
    st.runRef = Math.max(st.runRef * (1 - alpha * 0.1), st.flatRun);
    st.flatRun = 0;
  }
  const ref = Math.max(st.runRef, 1);
  return st.flatRun >= 3 && n > 3 * s.warmup ? (s.flagOn * st.flatRun) / (3 * ref) : 0;
}
