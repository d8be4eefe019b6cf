/**
 * The batch-phase profile of a detector (operator only: a CSV has no batch events): per
 * (context, time since the phase began) bin a robust level and scale learnt over batches. A bin
 * seen in 2 batches explains evidence, in 3 it decides the level evidence on its own; while a
 * phase's bin is unlearnt the first `settleMs` after the change withhold level, seasonal, drift
 * and variance evidence (regime changes between phases are normal). Mutates the `p*` arrays.
 */
import { ASSIGN_Z, SIGMA_PER_MAD, type Evidence } from './robust.js';
import { SEASON_ALPHA } from './seasonal.js';
import type { DetectorSettings } from './settings.js';
import type { DetectorState } from './state.js';

/** Batch contexts: 0 = between batches, 1.. = phases in the order the line first reported them. */
export const CONTEXTS = 8;
/** Time since the phase began, in minutes: [0,2) [2,5) [5,10) [10,20) [20,40) [40,80) [80,160) [160,∞). */
const PHASE_BIN_MIN = [2, 5, 10, 20, 40, 80, 160];
export const PHASE_BINS = PHASE_BIN_MIN.length + 1;
/** Batches a bin needs before it decides the level evidence on its own. */
const PHASE_AUTHORITY = 3;
/** How far a reading may precede its batch phase's start event and still belong to the phase. */
export const CONTEXT_TOLERANCE = 120_000;

/**
 * The sensor's line entered batch context `ctx` at event time `ts` (a phase began, or the batch
 * ended: context 0). Called by the operator in log order, before the readings that follow.
 */
export function enterContext(st: DetectorState, ctx: number, ts: number): void {
  const c = Math.max(0, Math.min(CONTEXTS - 1, ctx));
  st.ctx = c;
  st.ctxTs = ts;
}

/**
 * Within settleMs of a batch phase change a new level is expected. A reading up to
 * CONTEXT_TOLERANCE before the phase began counts too: the operator enters a phase that early.
 */
export function inSettle(st: DetectorState, s: DetectorSettings, ts: number): boolean {
  return (
    s.phaseAware && st.ctx >= 0 && ts >= st.ctxTs - CONTEXT_TOLERANCE && ts - st.ctxTs < s.settleMs
  );
}

function phaseBin(elapsedMs: number): number {
  const m = elapsedMs / 60_000;
  let b = 0;
  while (b < PHASE_BIN_MIN.length && m >= PHASE_BIN_MIN[b]!) b++;
  return b;
}

/** One reading at event time `ts`: explains or decides evidence in `ev`, then learns the reading. */
export function phaseStep(
  st: DetectorState,
  s: DetectorSettings,
  ts: number,
  x: number,
  floor: number,
  ev: Evidence,
): void {
  // A reading before its phase's start event (by at most CONTEXT_TOLERANCE: the operator enters
  // a phase no earlier) is ambiguous: gateway and MES clocks disagree by a minute or two, so it
  // may show either level. It is judged against neither and teaches neither.
  if (s.phaseAware && st.ctx >= 0 && ts < st.ctxTs) {
    withhold(ev);
    return;
  }
  if (!(st.ctx >= 0 && ts >= st.ctxTs && s.phaseAware)) return;
  const el = ts - st.ctxTs;
  const bin = phaseBin(el);
  const k = st.ctx * PHASE_BINS + bin;
  // Between batches only the first hours follow a pattern (clean, line clearance); after that
  // the line idles or stands by, which the regimes and seasonal baseline describe better.
  const known = (st.ctx > 0 || bin < PHASE_BINS - 1) && st.pV[k]! >= 2 && st.pN[k]! >= 5;
  const psc = SIGMA_PER_MAD * Math.max(st.pS[k]!, floor, 0.02 * st.gS);
  if (st.pN[k] === 0) st.pMu[k] = x;
  const r = x - st.pMu[k]!;
  if (known) {
    const phase = Math.abs(r) / psc;
    ev.phase = phase;
    // A phase profile seen in several batches is the authority on what this point of the
    // phase looks like (a value at another phase's level is not normal here); a young one
    // or the time between batches (aborts, cleaning) only explains.
    if ((st.ctx > 0 && st.pV[k]! >= PHASE_AUTHORITY) || phase < ev.level) ev.level = phase;
    if (phase < ev.seasonal) ev.seasonal = phase;
    if (phase < ASSIGN_Z) ev.shift = ev.variance = 0;
  } else if (el < s.settleMs) withhold(ev);
  if (st.pLast[k] !== st.ctxTs) {
    st.pLast[k] = st.ctxTs;
    st.pV[k]! += 1;
  }
  const pa = Math.max(1 / (st.pN[k]! + 1), SEASON_ALPHA);
  const rc = known ? Math.max(-3 * psc, Math.min(3 * psc, r)) : r;
  st.pMu[k]! += pa * rc;
  st.pS[k]! += pa * (Math.min(Math.abs(r), known ? 4 * psc : Infinity) - st.pS[k]!);
  st.pN[k]! += 1;
}

function withhold(ev: Evidence): void {
  ev.settling = ev.level > 0 || ev.seasonal > 0 || ev.shift > 0 || ev.variance > 0;
  ev.level = ev.seasonal = ev.shift = ev.variance = 0;
}
