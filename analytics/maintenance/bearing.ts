/**
 * Rolling-bearing defect frequencies from the geometry and the shaft speed (the classic
 * kinematic formulas, e.g. Harris, "Rolling Bearing Analysis"; SKF and ISO 13373-3 use the
 * same ones). They assume rolling without slip; real bearings run 1–2 % below them, which is
 * why the spectral windows around them (features.ts) are a few percent wide.
 */
import type { BearingGeometry } from '../../config/maintenance-schema.js';

export interface DefectFrequencies {
  /** Fundamental train (cage) frequency. */
  ftf: number;
  /** Ball pass frequency, outer race. */
  bpfo: number;
  /** Ball pass frequency, inner race. */
  bpfi: number;
  /** Ball (rolling element) spin frequency. */
  bsf: number;
}

/** Defect frequencies in Hz for a shaft turning at `shaftHz` (inner race rotating, outer fixed). */
export function defectFrequencies(b: BearingGeometry, shaftHz: number): DefectFrequencies {
  const ratio =
    (b.ballDiameterMm / b.pitchDiameterMm) * Math.cos((b.contactAngleDeg * Math.PI) / 180);
  return {
    ftf: (shaftHz / 2) * (1 - ratio),
    bpfo: ((b.balls * shaftHz) / 2) * (1 - ratio),
    bpfi: ((b.balls * shaftHz) / 2) * (1 + ratio),
    bsf: (b.pitchDiameterMm / (2 * b.ballDiameterMm)) * shaftHz * (1 - ratio * ratio),
  };
}
