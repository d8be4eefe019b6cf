/**
 * The regime memory: a few operating levels per sensor (batch phases, on/off, standby), each a
 * robust EWMA level and mean-absolute-deviation scale. A reading far from every established
 * regime is level evidence (a spike or a level shift); a new level that persists becomes a regime
 * of its own, so the next time the machine runs there it is normal. Beside it the sensor's global
 * robust level and scale, which floor a quiet regime's scale (robust.ts `scaleFloor`).
 */
import type { Ablation } from './assessment.js';
import { ASSIGN_Z, SIGMA_PER_MAD, type Evidence } from './robust.js';
import type { DetectorSettings } from './settings.js';
import { REGIMES, type DetectorState } from './state.js';

/** The regime nearest to a reading; one object, reused. */
export interface Nearest {
  /** Regime slot, -1 when there is none yet. */
  index: number;
  /** Robust z against it. */
  z: number;
  /** Close enough to belong to it (ASSIGN_Z). */
  assigned: boolean;
}

export function newNearest(): Nearest {
  return { index: -1, z: Infinity, assigned: false };
}

/**
 * Finds the reading's nearest regime (into `near`) and its level evidence: the z against the
 * nearest established regime, one seen `warmup` times or formed while a batch phase settled.
 */
export function matchRegime(
  st: DetectorState,
  s: DetectorSettings,
  x: number,
  floor: number,
  near: Nearest,
  ev: Evidence,
  ab?: Ablation,
): void {
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
  near.index = best;
  near.z = bz;
  near.assigned = best >= 0 && bz <= ASSIGN_Z;
  ev.level = estZ === Infinity ? 0 : estZ;
  ev.levelSign = estR >= 0 ? 1 : -1;
}

/**
 * Teaches the reading to its regime, or opens a new regime in the least used slot. `inSettle`:
 * a level formed while a batch phase settles is the phase's level, expected at once.
 */
export function adaptRegimes(
  st: DetectorState,
  x: number,
  floor: number,
  alpha: number,
  inSettle: boolean,
  near: Nearest,
): void {
  const best = near.index;
  st.cur = near.assigned ? best : -1;
  for (let j = 0; j < REGIMES; j++) st.rW[j]! *= 1 - alpha * 0.1;
  if (near.assigned) {
    const a = Math.max(1 / (st.rN[best]! + 1), alpha);
    const sc = SIGMA_PER_MAD * Math.max(st.rS[best]!, floor);
    const r = x - st.rMu[best]!;
    // Winsorised, so a spike moves the level and scale a little, not by its size.
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
    // The nearest regime's scale is the best guess for a new level of the same sensor.
    st.rS[k] = best >= 0 ? st.rS[best]! : 0;
    st.rW[k] = 1;
    st.rN[k] = 1;
    st.rOk[k] = inSettle ? 1 : 0;
    st.cur = k;
    st.cusP = 0;
    st.cusN = 0;
  }
}

/** The first reading is the global level. */
export function startGlobal(st: DetectorState, x: number): void {
  st.gMu = x;
  st.gS = 0;
}

/** The global robust level and scale; unclipped for the first 10 readings, while the scale forms. */
export function adaptGlobal(st: DetectorState, x: number, n: number, alpha: number): void {
  const gr = x - st.gMu;
  const gsc = SIGMA_PER_MAD * Math.max(st.gS, 1e-9);
  st.gMu += alpha * (n < 10 ? gr : Math.max(-3 * gsc, Math.min(3 * gsc, gr)));
  st.gS += alpha * (Math.abs(gr) - st.gS);
}
