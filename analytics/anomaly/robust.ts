/** Constants, the scale floor and the evidence record shared by the detector's parts. */
import type { DetectorSettings } from './settings.js';
import type { DetectorState } from './state.js';

/** Robust sigma per mean absolute deviation (Gaussian). */
export const SIGMA_PER_MAD = 1.2533;
/** A reading within this many robust sigmas of a level belongs to it. */
export const ASSIGN_Z = 4;
/** Mean |z| of Gaussian noise (√(2/π) ≈ 0.8): where the variance EWMA rests. */
export const MEAN_ABS_Z = 0.8;

/** Evidence (robust sigmas) handed between the detector's parts; one object, reused. */
export interface Evidence {
  level: number;
  /** Sign of the level deviation: 1 above the nearest established regime, -1 below. */
  levelSign: number;
  shift: number;
  variance: number;
  flatline: number;
  seasonal: number;
  /** Signed z against this hour's bucket. */
  seasonalZ: number;
  /** z against the batch-phase profile (0 when there is none yet). */
  phase: number;
  /** Evidence was withheld because a batch phase is settling. */
  settling: boolean;
}

export function newEvidence(): Evidence {
  return {
    level: 0,
    levelSign: 1,
    shift: 0,
    variance: 0,
    flatline: 0,
    seasonal: 0,
    seasonalZ: 0,
    phase: 0,
    settling: false,
  };
}

export function clearEvidence(ev: Evidence): void {
  ev.level = 0;
  ev.levelSign = 1;
  ev.shift = 0;
  ev.variance = 0;
  ev.flatline = 0;
  ev.seasonal = 0;
  ev.seasonalZ = 0;
  ev.phase = 0;
  ev.settling = false;
}

/**
 * The smallest scale (MAD) a reading is judged against. Relative to the value and to the sensor's
 * global scale, so a regime that happened to be quiet does not turn noise into sigmas; and never
 * below the engineering deadband (`minSigma`, a fraction of the declared range).
 */
export function scaleFloor(st: DetectorState, s: DetectorSettings, x: number): number {
  return Math.max(1e-9, 1e-6 * Math.abs(x), 0.02 * st.gS, s.minSigma / SIGMA_PER_MAD);
}
