/** Constants and the evidence record shared by the detector's parts. */

/** Robust sigma per mean absolute deviation (Gaussian). */
export const SIGMA_PER_MAD = 1.2533;
/** A reading within this many robust sigmas of a level belongs to it. */
export const ASSIGN_Z = 4;

/** Evidence (robust sigmas) handed between the detector's parts; one object, reused. */
export interface Evidence {
  level: number;
  shift: number;
  variance: number;
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
    shift: 0,
    variance: 0,
    seasonal: 0,
    seasonalZ: 0,
    phase: 0,
    settling: false,
  };
}
