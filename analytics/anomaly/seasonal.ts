/**
 * The seasonal baseline of a detector: hour-of-week buckets in the site's local time, with
 * hour-of-day buckets standing in while the week is new. Adds seasonal evidence ("this hour's
 * usual level") and explains level evidence that a bucket has seen often enough (shift starts,
 * day/night setbacks). Mutates the detector state's `s*` arrays.
 */
import { SIGMA_PER_MAD, type Evidence } from './robust.js';
import type { DetectorState } from './state.js';

/** Hour-of-week buckets; 24 hour-of-day buckets follow them in the same arrays. */
export const BUCKETS = 168;
const WEEK = 168;
/** Bucket learning rate floor: ~50 visits of memory. */
export const SEASON_ALPHA = 0.02;
/** Earlier days (hour-of-day) or weeks (hour-of-week) a bucket needs to explain a level. */
const EXPLAIN_DAYS = 3;
const EXPLAIN_WEEKS = 2;

/** One reading at `hour` (hours since the epoch, site time); `n` readings so far. */
export function seasonalStep(
  st: DetectorState,
  x: number,
  hour: number,
  n: number,
  floor: number,
  ev: Evidence,
): void {
  const b = ((hour % WEEK) + WEEK) % WEEK;
  const week = Math.floor(hour / WEEK);
  // Hour-of-day buckets: until a weekday has been seen once, what happened at this hour on
  // earlier days (a shift starting at 06:00) can explain a deviation.
  const d = BUCKETS + (((hour % 24) + 24) % 24);
  const day = Math.floor(hour / 24);
  if (st.sVisits[b]! >= 1 && n > 200) {
    const ssc = SIGMA_PER_MAD * Math.max(st.sS[b]!, floor, 0.1 * st.gS);
    ev.seasonalZ = (x - st.sMu[b]!) / ssc;
    // Only a bucket that explains variance beyond the global level counts.
    if (st.sS[b]! < 0.7 * st.gS) ev.seasonal = Math.abs(ev.seasonalZ);
  }
  const earlierDays = st.sVisits[d]! - (st.sWeek[d] === day ? 1 : 0);
  const earlierWeeks = st.sVisits[b]! - (st.sWeek[b] === week ? 1 : 0);
  if (earlierWeeks < 1 && earlierDays >= 1) {
    const dz = zOf(st, d, x, floor);
    if (dz < ev.seasonal) ev.seasonal = dz;
    // A level this hour of day has shown on several earlier days is no anomaly (a shift start).
    if (earlierDays >= EXPLAIN_DAYS && dz < ev.level) ev.level = dz;
  }
  if (earlierWeeks < 1 && (ev.seasonal > 0 || ev.level > 0)) {
    // The neighbouring hours too: a shift start at 06:00 read by a clock a minute slow is at 05:59.
    neighbour(st, x, BUCKETS + ((d - BUCKETS + 23) % 24), day, floor, ev);
    neighbour(st, x, BUCKETS + ((d - BUCKETS + 1) % 24), day, floor, ev);
  }
  // Likewise, once this hour of the week has been seen in earlier weeks.
  if (earlierWeeks >= EXPLAIN_WEEKS && n > 200 && Math.abs(ev.seasonalZ) < ev.level)
    ev.level = Math.abs(ev.seasonalZ);
  if (st.sWeek[d] !== day) {
    st.sWeek[d] = day;
    st.sVisits[d]! += 1;
  }
  if (st.sN[d] === 0) st.sMu[d] = x;
  const da = Math.max(1 / (st.sN[d]! + 1), SEASON_ALPHA);
  const dr = x - st.sMu[d]!;
  st.sMu[d]! += da * dr;
  st.sS[d]! += da * (Math.abs(dr) - st.sS[d]!);
  st.sN[d]! += 1;
  if (st.sWeek[b] !== week) {
    st.sWeek[b] = week;
    st.sVisits[b]! += 1;
  }
  const sa = Math.max(1 / (st.sN[b]! + 1), SEASON_ALPHA);
  const r = x - st.sMu[b]!;
  st.sMu[b]! += sa * r;
  st.sS[b]! += sa * (Math.abs(r) - st.sS[b]!);
  st.sN[b]! += 1;
}

function zOf(st: DetectorState, k: number, x: number, floor: number): number {
  return Math.abs(x - st.sMu[k]!) / (SIGMA_PER_MAD * Math.max(st.sS[k]!, floor, 0.1 * st.gS));
}

function neighbour(
  st: DetectorState,
  x: number,
  nd: number,
  day: number,
  floor: number,
  ev: Evidence,
): void {
  if (st.sVisits[nd]! - (st.sWeek[nd] === day ? 1 : 0) < EXPLAIN_DAYS) return;
  const nz = zOf(st, nd, x, floor);
  if (nz < ev.seasonal) ev.seasonal = nz;
  if (nz < ev.level) ev.level = nz;
}
