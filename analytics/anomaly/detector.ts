/**
 * The per-sensor streaming anomaly detector: a pure state machine on event time. State is a
 * plain JSON object of numbers (state.ts; snapshot = the object itself), `step` allocates nothing,
 * and the same code scores the log (operator.ts) and CSV files (`plantpulse score`, eval/nab.ts).
 *
 * Evidence, each in robust-sigma units, combined by maximum into a logistic score in [0, 1]:
 *  - regimes (regimes.ts): a small memory of operating levels (batch phases, on/off). A reading
 *    far from every established regime is a spike or a level shift; a new level that persists
 *    becomes a regime of its own.
 *  - shift and variance (residual.ts): CUSUM and a short EWMA of |residual| against the reading's
 *    regime: drift the adapting level would otherwise follow, and changes of variability.
 *  - flatline (flatline.ts): a run of identical readings far longer than the sensor's usual runs.
 *  - seasonal (seasonal.ts): hour-of-week buckets in the site's event time, hour-of-day buckets
 *    while the week is new; a level a bucket has seen on 3 earlier days or 2 earlier weeks is
 *    explained (shift starts, day/night setbacks).
 *  - gaps (clock.ts): a silence longer than gapFactor expected intervals, reported on the next reading.
 *  - batch context (phase-profile.ts; operator only, a CSV has none): the line's current batch
 *    phase, told by `enterContext` from the MES events in the log. A phase profile learns the
 *    trajectory each phase follows and explains or, once seen in 3 batches, decides the level
 *    evidence; while a phase is unlearnt its first `settleMs` withhold level, seasonal, shift
 *    and variance evidence (regime changes between phases are normal).
 *
 * The score (score.ts) is the evidence beyond a decaying envelope of recent evidence (an episode
 * scores at its onset), self-calibrated against the stream's own history of such evidence. The
 * flag (flag.ts) uses the raw evidence with hysteresis, never during the learning period.
 */
import type { Ablation, Assessment } from './assessment.js';
import { advanceClock, observeGap } from './clock.js';
import { flagStep } from './flag.js';
import { flatlineStep } from './flatline.js';
import { inSettle, phaseStep } from './phase-profile.js';
import { adaptGlobal, adaptRegimes, matchRegime, newNearest, startGlobal } from './regimes.js';
import { testResidual } from './residual.js';
import { clearEvidence, newEvidence, scaleFloor } from './robust.js';
import { decide, scoreNovelty } from './score.js';
import { seasonalStep } from './seasonal.js';
import type { DetectorSettings } from './settings.js';
import type { DetectorState } from './state.js';

// The detector's public API: its callers (operator, CSV scoring, eval, bench) import it from here.
export { CAUSES, newAssessment } from './assessment.js';
export type { Ablation, Assessment, Cause } from './assessment.js';
export { explain, formatMs } from './explain.js';
export { CONTEXT_TOLERANCE, CONTEXTS, enterContext, PHASE_BINS } from './phase-profile.js';
export { scoreOf } from './score.js';
export { BUCKETS } from './seasonal.js';
export { newState, REGIMES } from './state.js';
export type { DetectorState } from './state.js';

const HOUR = 3_600_000;

/** Scratch records handed between the stages, reused so that `step` allocates nothing. */
const ev = newEvidence();
const near = newNearest();

/**
 * Consumes one reading (event time `ts` in ms, value `x`) and fills `out`. Readings must come in
 * the sensor's timestamp order; an older or equal timestamp is scored but does not move the clock.
 * `offsetMs`: the site's UTC offset, so seasonal buckets are local hours.
 */
export function step(
  st: DetectorState,
  s: DetectorSettings,
  ts: number,
  x: number,
  out: Assessment,
  ab?: Ablation,
  offsetMs = 0,
): Assessment {
  const n = ++st.n;
  const alpha = Math.max(1 / n, Math.LN2 / s.halfLife);
  out.gapMs = observeGap(st, s, ts);
  if (n === 1) startGlobal(st, x);
  const settle = inSettle(st, s, ts);
  const floor = scaleFloor(st, s, x);

  // Evidence: regimes and their residuals first (they also adapt), then the flatline; the
  // seasonal baseline and the phase profile come last because they explain some of it away.
  clearEvidence(ev);
  matchRegime(st, s, x, floor, near, ev, ab);
  testResidual(st, s, x, floor, settle, near, ev);
  adaptRegimes(st, x, floor, alpha, settle, near);
  adaptGlobal(st, x, n, alpha);
  ev.flatline = flatlineStep(st, s, ts, x, n, alpha);
  if (s.seasonal && ab?.seasonal !== false)
    seasonalStep(st, x, Math.floor((ts + offsetMs) / HOUR), n, floor, ev);
  phaseStep(st, s, ts, x, floor, ev);

  const e = decide(st, s, n, ev, out, ab);
  scoreNovelty(st, n, e, out, ab);
  flagStep(st, s, ts, e, out);
  advanceClock(st, ts, x);
  return out;
}
