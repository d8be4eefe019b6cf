/**
 * A detector's state: a plain JSON object of numbers, which is also its checkpoint (the anomaly
 * operator snapshots it with structuredClone and the runner stores it as JSON). The field names
 * and array lengths are therefore the checkpoint format of operator version 3: renaming or
 * resizing any of them orphans the checkpoints of running plants, so such a change must come
 * with a new operator version.
 */
import { CONTEXTS, PHASE_BINS } from './phase-profile.js';
import { BUCKETS } from './seasonal.js';
import { DEFAULT_SETTINGS, type DetectorSettings } from './settings.js';

/** Operating levels remembered per sensor (batch phases, on/off, standby). */
export const REGIMES = 10;

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

// The key order fixes the checkpoint's JSON byte for byte (JSON.stringify keeps insertion order).
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
