/**
 * The flag, which pages an engineer (the score is what benchmarks measure). It follows the raw
 * evidence rather than the onset-weighted score, so it stays on for the whole episode; hysteresis
 * keeps one episode one page; a sensor's first `learnMs` never flag (its baselines are unlearnt).
 */
import type { Assessment } from './assessment.js';
import type { DetectorSettings } from './settings.js';
import type { DetectorState } from './state.js';

/** On at flagOn; off after holdReadings consecutive readings below flagOff. */
export function flagStep(
  st: DetectorState,
  s: DetectorSettings,
  ts: number,
  e: number,
  out: Assessment,
): void {
  const was = st.flag;
  if (st.firstTs < 0) st.firstTs = ts;
  const learning = ts - st.firstTs < s.learnMs;
  if (e >= s.flagOn && !learning) {
    st.flag = true;
    st.calm = 0;
  } else if (st.flag) {
    st.calm = e < s.flagOff ? st.calm + 1 : 0;
    if (st.calm >= s.holdReadings) st.flag = false;
  }
  out.flag = st.flag;
  out.changed = st.flag !== was;
}
