/**
 * The per-sensor streaming anomaly detector: a pure state machine on event time. State is a
 * plain JSON object of numbers (snapshot = the object itself), `step` allocates nothing, and the
 * same code scores the log (operator.ts) and CSV files (`plantpulse score`, eval/nab.ts).
 *
 * Evidence, each in robust-sigma units, combined by maximum into a logistic score in [0, 1]:
 *  - regimes: a small memory of operating levels (batch phases, on/off), each with a robust
 *    EWMA level and mean-absolute-deviation scale. A reading far from every established regime
 *    is a spike or a level shift; a new level that persists becomes a regime of its own.
 *  - CUSUM of the residual against the current regime: shifts and slow drift the adapting
 *    level would otherwise follow.
 *  - variance change: short EWMA of |residual| against the regime's scale.
 *  - flatline: a run of identical readings scored by its tail probability under the sensor's
 *    own rate of unchanged steps (quantised sensors repeat values normally, analogue ones don't).
 *  - seasonal: hour-of-week buckets in the site's event time; a level that is normal at some
 *    hours but not at this one (taxi demand on a holiday, HVAC at night). Hour-of-day buckets
 *    (this hour and its neighbours) stand in while the week is new; a level a bucket has seen on
 *    3 earlier days or 2 earlier weeks is explained (shift starts, day/night setbacks).
 *  - gaps: a silence longer than gapFactor expected intervals (dropouts), reported on the next reading.
 *  - batch context (operator only: a CSV has none): the line's current batch phase, told by
 *    `enterContext` from the MES events in the log. A phase profile (phase x time since the phase
 *    began) learns the trajectory each phase follows; evidence it explains is not anomalous, and
 *    while a phase's profile is still unlearnt the first `settleMs` after a phase change do not
 *    score level, seasonal, shift or variance evidence (regime changes between phases are normal).
 *    Once a profile bin has seen 3 batches it decides the level evidence on its own.
 *
 * The score is the evidence beyond a decaying envelope of recent evidence (an episode scores at
 * its onset), self-calibrated against the stream's own history of such evidence. The flag uses
 * the raw evidence with hysteresis, never during the learning period (`learnMs`).
 */
import { PHASE_BINS, CONTEXTS, phaseStep } from './phase-profile.js';
import { ASSIGN_Z, newEvidence, SIGMA_PER_MAD } from './robust.js';
import { BUCKETS, seasonalStep } from './seasonal.js';
import { DEFAULT_SETTINGS, type DetectorSettings } from './settings.js';

export { BUCKETS } from './seasonal.js';
export { CONTEXTS, PHASE_BINS } from './phase-profile.js';

/** Evidence passed to and from the seasonal and phase-profile steps (one object, reused). */
const ev = newEvidence();

export const REGIMES = 10;
const HOUR = 3_600_000;

export const CAUSES = [
  'none',
  'level',
  'shift',
  'variance',
  'flatline',
  'seasonal',
  'settling',
] as const;
export type Cause = (typeof CAUSES)[number];

export interface DetectorState {
  n: number;
  /** Event time of the first reading (learning period). */
  firstTs: number;
  lastTs: number;
  lastX: number;
  /** Expected interval (ms): configured, or the median of the first gaps. */
  dt: number;
  dts: number[];
  gMu: number;
  gS: number;
  rMu: number[];
  rS: number[];
  rW: number[];
  rN: number[];
  /** 1 when the regime formed while a batch phase settled: an expected level, usable at once. */
  rOk: number[];
  cur: number;
  cusP: number;
  cusN: number;
  fast: number;
  /** Lag-1 autocorrelation of the standardised residual (EWMA moments). */
  uPrev: number;
  c0: number;
  c1: number;
  flatRun: number;
  /** Decaying maximum of the completed runs of identical readings. */
  runRef: number;
  sMu: number[];
  sS: number[];
  sN: number[];
  sWeek: number[];
  sVisits: number[];
  flag: boolean;
  calm: number;
  /** Decaying envelope of recent evidence: the score reports evidence beyond it (novelty). */
  env: number;
  /** Self-calibration: EWMA mean and mean absolute deviation of the novel evidence. */
  nMu: number;
  nS: number;
  /** Batch context (-1: none known) and when it began (event time). */
  ctx: number;
  ctxTs: number;
  /** Phase profile per (context, elapsed bin): robust level, scale, readings, phase visits. */
  pMu: number[];
  pS: number[];
  pN: number[];
  pV: number[];
  /** ctxTs of the visit that last touched each bin (counts visits, not readings). */
  pLast: number[];
}

/** The result of one step; one object reused across calls. */
export interface Assessment {
  score: number;
  evidence: number;
  cause: Cause;
  /** Signed robust z of the deciding component (sign: above/below). */
  z: number;
  flag: boolean;
  /** The flag changed on this reading. */
  changed: boolean;
  /** Length of the silence before this reading when it exceeds gapFactor intervals, else 0. */
  gapMs: number;
  /** Ablation switches are in settings; these are the component values for diagnostics. */
  parts: {
    level: number;
    shift: number;
    variance: number;
    flatline: number;
    seasonal: number;
    /** Robust z against the batch phase profile (0 when there is none yet). */
    phase: number;
  };
}

/** Components can be switched off to measure what each contributes (eval ablation). */
export interface Ablation {
  level?: boolean;
  shift?: boolean;
  variance?: boolean;
  flatline?: boolean;
  seasonal?: boolean;
  regimes?: boolean;
  /** Score raw evidence instead of evidence beyond the recent envelope. */
  envelope?: boolean;
  /** Score without the self-calibration against the stream's own evidence history. */
  calibration?: boolean;
}

export function newState(s: DetectorSettings = DEFAULT_SETTINGS): DetectorState {
  return {
    n: 0,
    firstTs: -1,
    lastTs: -1,
    lastX: 0,
    dt: s.intervalMs,
    dts: [],
    gMu: 0,
    gS: 0,
    rMu: new Array<number>(REGIMES).fill(0),
    rS: new Array<number>(REGIMES).fill(0),
    rW: new Array<number>(REGIMES).fill(0),
    rN: new Array<number>(REGIMES).fill(0),
    rOk: new Array<number>(REGIMES).fill(0),
    cur: -1,
    cusP: 0,
    cusN: 0,
    fast: 0.8,
    uPrev: 0,
    c0: 1,
    c1: 0,
    flatRun: 0,
    runRef: 0,
    sMu: new Array<number>(BUCKETS + 24).fill(0),
    sS: new Array<number>(BUCKETS + 24).fill(0),
    sN: new Array<number>(BUCKETS + 24).fill(0),
    sWeek: new Array<number>(BUCKETS + 24).fill(-1),
    sVisits: new Array<number>(BUCKETS + 24).fill(0),
    flag: false,
    calm: 0,
    env: 0,
    nMu: 0,
    nS: 0,
    ctx: -1,
    ctxTs: 0,
    pMu: new Array<number>(CONTEXTS * PHASE_BINS).fill(0),
    pS: new Array<number>(CONTEXTS * PHASE_BINS).fill(0),
    pN: new Array<number>(CONTEXTS * PHASE_BINS).fill(0),
    pV: new Array<number>(CONTEXTS * PHASE_BINS).fill(0),
    pLast: new Array<number>(CONTEXTS * PHASE_BINS).fill(-1),
  };
}

/**
 * The sensor's line entered batch context `ctx` at event time `ts` (a phase began, or the batch
 * ended: context 0). Called by the operator in log order, before the readings that follow.
 */
export function enterContext(st: DetectorState, ctx: number, ts: number): void {
  const c = Math.max(0, Math.min(CONTEXTS - 1, ctx));
  st.ctx = c;
  st.ctxTs = ts;
}

export function newAssessment(): Assessment {
  return {
    score: 0,
    evidence: 0,
    cause: 'none',
    z: 0,
    flag: false,
    changed: false,
    gapMs: 0,
    parts: { level: 0, shift: 0, variance: 0, flatline: 0, seasonal: 0, phase: 0 },
  };
}

/** Calibrated score: 0.5 at 4 robust sigmas, 0.82 at 5, 0.95 at 6. */
export function scoreOf(evidence: number): number {
  return 1 / (1 + Math.exp(-1.5 * (evidence - 4)));
}

const CUSUM_K = 0.5;
const CUSUM_H = 12;
/** How far a reading may precede its batch phase's start event and still belong to the phase. */
export const CONTEXT_TOLERANCE = 120_000;
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

/**
 * Consumes one reading (event time `ts` in ms, value `x`) and fills `out`. Readings must come in
 * the sensor's timestamp order; an older or equal timestamp is scored but does not move the clock.
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
  out.gapMs = 0;
  // Event-time clock: expected interval and dropouts.
  if (st.lastTs >= 0 && ts > st.lastTs) {
    const gap = ts - st.lastTs;
    // The configured interval is a lower bound; the cadence actually seen may be slower
    // (a gateway downsampling, a replay at another resolution).
    if (st.dts.length < 9) {
      st.dts.push(gap);
      st.dt = Math.max(s.intervalMs, median(st.dts));
    }
    if (st.dt > 0 && gap > s.gapFactor * st.dt && st.dts.length >= 3) out.gapMs = gap;
  }
  if (n === 1) {
    st.gMu = x;
    st.gS = 0;
  }
  // Within settleMs of a batch phase change a new level is expected (see the batch context below).
  // A reading up to CONTEXT_TOLERANCE before the phase began (the operator enters a phase that
  // early) is ambiguous: gateway and MES clocks disagree by a minute or two, so it may show
  // either level. It is not judged against either, and teaches neither.
  const ambiguous = s.phaseAware && st.ctx >= 0 && ts < st.ctxTs;
  const inSettle =
    s.phaseAware && st.ctx >= 0 && ts >= st.ctxTs - CONTEXT_TOLERANCE && ts - st.ctxTs < s.settleMs;
  const floor = Math.max(1e-9, 1e-6 * Math.abs(x), 0.02 * st.gS, s.minSigma / SIGMA_PER_MAD);

  // Regimes: nearest one, nearest established one.
  let best = -1;
  let bz = Infinity;
  let estZ = Infinity;
  let estR = 0;
  for (let j = 0; j < REGIMES; j++) {
    if (st.rN[j]! === 0) continue;
    const r = x - st.rMu[j]!;
    const z = Math.abs(r) / (SIGMA_PER_MAD * Math.max(st.rS[j]!, floor));
    if (z < bz) {
      bz = z;
      best = j;
    }
    if ((st.rN[j]! >= s.warmup || st.rOk[j] === 1) && z < estZ) {
      estZ = z;
      estR = r;
    }
    if (ab?.regimes === false) break;
  }
  let level = estZ === Infinity ? 0 : estZ;
  const levelSign = estR >= 0 ? 1 : -1;

  // CUSUM and variance against the regime the reading belongs to (before updating it).
  let shift = 0;
  let variance = 0;
  if (inSettle) {
    // What a phase change does to the residuals is not a drift or a variance change.
    st.cusP = 0;
    st.cusN = 0;
    st.fast = 0.8;
  } else if (best >= 0 && bz <= ASSIGN_Z && st.rN[best]! >= s.warmup) {
    if (best !== st.cur) {
      st.cusP = 0;
      st.cusN = 0;
      st.fast = 0.8;
    }
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
    shift = (s.flagOn * Math.max(st.cusP, st.cusN)) / CUSUM_H;
    const vr = st.fast / 0.8;
    variance = vr > 1 ? (s.flagOn * Math.log(vr)) / Math.log(3) : 0;
  }
  st.cur = best >= 0 && bz <= ASSIGN_Z ? best : -1;

  // Regime update: adapt the nearest, or open a new one in the least used slot.
  for (let j = 0; j < REGIMES; j++) st.rW[j]! *= 1 - alpha * 0.1;
  if (best >= 0 && bz <= ASSIGN_Z) {
    const a = Math.max(1 / (st.rN[best]! + 1), alpha);
    const sc = SIGMA_PER_MAD * Math.max(st.rS[best]!, floor);
    const r = x - st.rMu[best]!;
    const rc = r > 3 * sc ? 3 * sc : r < -3 * sc ? -3 * sc : r;
    st.rMu[best]! += a * rc;
    st.rS[best]! += a * (Math.min(Math.abs(r), 4 * sc) - st.rS[best]!);
    st.rW[best]! += 1;
    st.rN[best]! += 1;
    if (inSettle) st.rOk[best] = 1;
  } else {
    let k = 0;
    for (let j = 1; j < REGIMES; j++) if (st.rW[j]! < st.rW[k]!) k = j;
    st.rMu[k] = x;
    st.rS[k] = best >= 0 ? st.rS[best]! : 0;
    st.rW[k] = 1;
    st.rN[k] = 1;
    st.rOk[k] = inSettle ? 1 : 0;
    st.cur = k;
    st.cusP = 0;
    st.cusN = 0;
  }
  // Global robust level and scale (scale floor for quiet regimes).
  const gr = x - st.gMu;
  const gsc = SIGMA_PER_MAD * Math.max(st.gS, 1e-9);
  st.gMu += alpha * (n < 10 ? gr : Math.max(-3 * gsc, Math.min(3 * gsc, gr)));
  st.gS += alpha * (Math.abs(gr) - st.gS);

  // Flatline: a run of identical readings much longer than the runs this sensor usually has.
  let flatline = 0;
  if (n > 1 && ts > st.lastTs) {
    const same = Math.abs(x - st.lastX) <= 1e-12 * Math.max(1, Math.abs(x));
    if (same) st.flatRun += 1;
    else {
      st.runRef = Math.max(st.runRef * (1 - alpha * 0.1), st.flatRun);
      st.flatRun = 0;
    }
    const ref = Math.max(st.runRef, 1);
    if (st.flatRun >= 3 && n > 3 * s.warmup) flatline = (s.flagOn * st.flatRun) / (3 * ref);
  }

  // Seasonal baseline and batch-phase profile: they add evidence and explain some away.
  ev.level = level;
  ev.shift = shift;
  ev.variance = variance;
  ev.seasonal = 0;
  ev.seasonalZ = 0;
  ev.phase = 0;
  ev.settling = false;
  if (s.seasonal && ab?.seasonal !== false)
    seasonalStep(st, x, Math.floor((ts + offsetMs) / HOUR), n, floor, ev);
  phaseStep(st, s, ts, x, floor, ambiguous, ev);
  level = ev.level;
  shift = ev.shift;
  variance = ev.variance;
  const seasonal = ev.seasonal;
  const seasonalZ = ev.seasonalZ;
  const phase = ev.phase;
  const settling = ev.settling;

  if (ab?.level === false) level = 0;
  if (ab?.shift === false) shift = 0;
  if (ab?.variance === false) variance = 0;
  if (ab?.flatline === false) flatline = 0;
  const p = out.parts;
  p.level = level;
  p.shift = shift;
  p.variance = variance;
  p.flatline = flatline;
  p.seasonal = seasonal;
  p.phase = phase;
  let e = level;
  let cause: Cause = level > 0 ? 'level' : 'none';
  let z = level * levelSign;
  if (shift > e) {
    e = shift;
    cause = 'shift';
    z = st.cusP >= st.cusN ? st.cusP : -st.cusN;
  }
  if (variance > e) {
    e = variance;
    cause = 'variance';
    z = st.fast / 0.8;
  }
  if (flatline > e) {
    e = flatline;
    cause = 'flatline';
    z = st.flatRun;
  }
  if (seasonal > e) {
    e = seasonal;
    cause = 'seasonal';
    z = seasonalZ;
  }
  if (n <= s.warmup) e = 0;
  out.evidence = e;
  out.cause = e > 0 ? cause : settling ? 'settling' : 'none';
  out.z = z;
  // The score is the evidence beyond what recent readings already showed, so one episode scores
  // high at its onset instead of on every reading (the flag and explanation keep the raw evidence).
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

  // Flag with hysteresis: on at flagOn, off after holdReadings readings below flagOff.
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

  if (ts > st.lastTs) st.lastTs = ts;
  st.lastX = x;
  return out;
}

function median(xs: number[]): number {
  const a = [...xs].sort((p, q) => p - q);
  return a[a.length >> 1]!;
}

/** "3.4 robust sigmas above the usual level" and the like. */
export function explain(a: Assessment, st: DetectorState): string {
  const e = a.evidence.toFixed(1);
  switch (a.cause) {
    case 'none':
      return 'within the usual range';
    case 'level':
      return `${e} robust sigmas ${a.z >= 0 ? 'above' : 'below'} the nearest usual level`;
    case 'shift':
      return `sustained ${a.z >= 0 ? 'upward' : 'downward'} shift or drift (CUSUM ${Math.abs(a.z).toFixed(1)}, ${e} sigma-equivalent)`;
    case 'variance':
      return `variability ${a.z.toFixed(1)}x its usual size`;
    case 'flatline':
      return `flatline: ${a.z + 1} identical readings (${formatMs((a.z + 1) * st.dt)}), unusual for this sensor`;
    case 'seasonal':
      return `${Math.abs(a.z).toFixed(1)} robust sigmas ${a.z >= 0 ? 'above' : 'below'} this hour's usual level`;
    case 'settling':
      return 'settling after a batch phase change (a new level is expected, not yet learnt)';
  }
}

export function formatMs(ms: number): string {
  if (ms >= 2 * HOUR) return `${(ms / HOUR).toFixed(1)} h`;
  if (ms >= 120_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 1000)} s`;
}
