/**
 * From evidence to what the detector reports. The strongest component decides the cause; the
 * score is that evidence beyond a decaying envelope of recent evidence, so one episode scores high
 * at its onset instead of on every reading (the flag and the explanation keep the raw evidence),
 * read against the stream's own history of such novelty.
 */
import type { Ablation, Assessment, Cause } from './assessment.js';
import { MEAN_ABS_Z, type Evidence } from './robust.js';
import type { DetectorSettings } from './settings.js';
import type { DetectorState } from './state.js';

const ENV_GAIN = 0.9;
const ENV_DECAY = 0.995;
/**
 * Self-calibration (in the spirit of HTM's anomaly likelihood): novel evidence is also read
 * against this stream's own history of novel evidence (EWMA mean and mean absolute deviation
 * over ~CAL_N readings), so a quiet series' unusual moment ranks with a noisy series' one.
 * The score is the weighted geometric mean of the absolute and the self-relative score.
 */
const CAL_N = 10_000;
const CAL_W = 0.65;
const CAL_C = 4;
const CAL_K = 2;

/** Calibrated score: 0.5 at 4 robust sigmas, 0.82 at 5, 0.95 at 6. */
export function scoreOf(evidence: number): number {
  return 1 / (1 + Math.exp(-1.5 * (evidence - 4)));
}

/**
 * Fills the components, the deciding cause, its signed z and the evidence into `out`; returns
 * the evidence (0 while the sensor warms up). Ablated components count as no evidence.
 */
export function decide(
  st: DetectorState,
  s: DetectorSettings,
  n: number,
  ev: Evidence,
  out: Assessment,
  ab?: Ablation,
): number {
  const level = ab?.level === false ? 0 : ev.level;
  const shift = ab?.shift === false ? 0 : ev.shift;
  const variance = ab?.variance === false ? 0 : ev.variance;
  const flatline = ab?.flatline === false ? 0 : ev.flatline;
  const p = out.parts;
  p.level = level;
  p.shift = shift;
  p.variance = variance;
  p.flatline = flatline;
  p.seasonal = ev.seasonal;
  p.phase = ev.phase;
  let e = level;
  let cause: Cause = level > 0 ? 'level' : 'none';
  let z = level * ev.levelSign;
  if (shift > e) {
    e = shift;
    cause = 'shift';
    z = st.cusP >= st.cusN ? st.cusP : -st.cusN;
  }
  if (variance > e) {
    e = variance;
    cause = 'variance';
    z = st.fast / MEAN_ABS_Z;
  }
  if (flatline > e) {
    e = flatline;
    cause = 'flatline';
    z = st.flatRun;
  }
  if (ev.seasonal > e) {
    e = ev.seasonal;
    cause = 'seasonal';
    z = ev.seasonalZ;
  }
  if (n <= s.warmup) e = 0;
  out.evidence = e;
  out.cause = e > 0 ? cause : ev.settling ? 'settling' : 'none';
  out.z = z;
  return e;
}

/** Scores the evidence `e` of the `n`-th reading into `out.score` and moves the envelope on. */
export function scoreNovelty(
  st: DetectorState,
  n: number,
  e: number,
  out: Assessment,
  ab?: Ablation,
): void {
  const novel = ab?.envelope === false ? e : e - ENV_GAIN * st.env;
  out.score = scoreOf(novel);
  if (ab?.calibration !== false) {
    const nv = novel > 0 ? novel : 0;
    const ca = Math.max(1 / n, 1 / CAL_N);
    const cz = (nv - st.nMu) / Math.max(st.nS, 0.05);
    st.nMu += ca * (nv - st.nMu);
    st.nS += ca * (Math.abs(nv - st.nMu) - st.nS);
    const cs = 1 / (1 + Math.exp(-CAL_K * (cz - CAL_C)));
    // exp/log rather than `**`: V8's pow is several times slower on this hot path.
    out.score = Math.exp((1 - CAL_W) * Math.log(out.score) + CAL_W * Math.log(cs));
  }
  st.env = Math.max(st.env * ENV_DECAY, e);
}
