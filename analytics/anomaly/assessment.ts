/** What the detector reports for a reading, and the switches that ablate its components. */

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
  /** Every component's evidence (robust sigmas), deciding or not: for diagnostics and eval. */
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
