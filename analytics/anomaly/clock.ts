/**
 * The detector's event-time clock: the sensor's cadence and the dropouts against it. Only a
 * newer reading moves it; an older or equal one (a resend, a reading overtaken) is scored but
 * must not make the sensor look silent or its cadence faster.
 */
import type { DetectorSettings } from './settings.js';
import type { DetectorState } from './state.js';

/** Gaps the cadence is learnt from: a median of 9 shrugs off a dropout or two among them. */
const CADENCE_GAPS = 9;
/** Gaps seen before a silence can count as a dropout (a cadence from fewer is a guess). */
const DROPOUT_AFTER_GAPS = 3;

/** Learns the cadence from a reading at `ts`; returns the silence before it if that is a dropout, else 0. */
export function observeGap(st: DetectorState, s: DetectorSettings, ts: number): number {
  if (!(st.lastTs >= 0 && ts > st.lastTs)) return 0;
  const gap = ts - st.lastTs;
  // The configured interval is a lower bound; the cadence actually seen may be slower
  // (a gateway downsampling, a replay at another resolution).
  if (st.dts.length < CADENCE_GAPS) {
    st.dts.push(gap);
    st.dt = Math.max(s.intervalMs, median(st.dts));
  }
  return st.dt > 0 && gap > s.gapFactor * st.dt && st.dts.length >= DROPOUT_AFTER_GAPS ? gap : 0;
}

/** The reading at `ts` has been scored: the clock moves on if it is newer, the flatline check compares with it. */
export function advanceClock(st: DetectorState, ts: number, x: number): void {
  if (ts > st.lastTs) st.lastTs = ts;
  st.lastX = x;
}

function median(xs: number[]): number {
  const a = [...xs].sort((p, q) => p - q);
  return a[a.length >> 1]!;
}
