/** Resolved detector settings: plant-model overrides over the measured defaults. */
import type { DetectorSettingsInput } from '../../config/anomaly-schema.js';

export interface DetectorSettings {
  flagOn: number;
  flagOff: number;
  holdReadings: number;
  /** Event time after a sensor's first reading during which it is scored but never flagged. */
  learnMs: number;
  halfLife: number;
  warmup: number;
  seasonal: boolean;
  gapFactor: number;
  spcBaseline: number;
  /** Expected interval between readings in ms (0 = learn it from the first readings). */
  intervalMs: number;
  /** Use the line's batch phases (MES events in the log): phase profiles and settling. */
  phaseAware: boolean;
  /** After a phase change into a phase not yet learnt, level changes are expected this long. */
  settleMs: number;
  /** Fraction of the declared range taken as the smallest robust sigma (engineering deadband). */
  minSigmaOfRange: number;
  /** That floor in the sensor's canonical unit (0 without a declared range, e.g. a CSV). */
  minSigma: number;
}

export const DEFAULT_SETTINGS: DetectorSettings = {
  flagOn: 5,
  flagOff: 3,
  holdReadings: 10,
  learnMs: 6 * 3_600_000,
  halfLife: 300,
  warmup: 30,
  seasonal: true,
  gapFactor: 5,
  spcBaseline: 500,
  intervalMs: 0,
  phaseAware: true,
  settleMs: 30 * 60_000,
  minSigmaOfRange: 0.02,
  minSigma: 0,
};

export function resolveSettings(
  intervalMs: number,
  range: [number, number] | undefined,
  ...layers: (DetectorSettingsInput | undefined)[]
): DetectorSettings {
  const out: DetectorSettings = { ...DEFAULT_SETTINGS, intervalMs };
  for (const l of layers) {
    if (!l) continue;
    for (const [k, v] of Object.entries(l)) {
      if (v === undefined || k === 'enabled' || k === 'spcBaselinePeriod') continue;
      // Durations are written "30m" in the plant model and held in ms here.
      const key = k === 'learn' || k === 'settle' ? `${k}Ms` : k;
      (out as unknown as Record<string, unknown>)[key] = v;
    }
  }
  out.minSigma = range ? out.minSigmaOfRange * Math.abs(range[1] - range[0]) : 0;
  return out;
}
