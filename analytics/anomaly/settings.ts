/** Resolved detector settings: plant-model overrides over the measured defaults. */
import type { DetectorSettingsInput } from '../../config/anomaly-schema.js';

export interface DetectorSettings {
  flagOn: number;
  flagOff: number;
  holdReadings: number;
  halfLife: number;
  warmup: number;
  seasonal: boolean;
  gapFactor: number;
  spcBaseline: number;
  /** Expected interval between readings in ms (0 = learn it from the first readings). */
  intervalMs: number;
}

export const DEFAULT_SETTINGS: DetectorSettings = {
  flagOn: 5,
  flagOff: 3,
  holdReadings: 10,
  halfLife: 300,
  warmup: 30,
  seasonal: true,
  gapFactor: 5,
  spcBaseline: 500,
  intervalMs: 0,
};

export function resolveSettings(
  intervalMs: number,
  ...layers: (DetectorSettingsInput | undefined)[]
): DetectorSettings {
  const out: DetectorSettings = { ...DEFAULT_SETTINGS, intervalMs };
  for (const l of layers) {
    if (!l) continue;
    for (const [k, v] of Object.entries(l)) {
      if (v !== undefined && k !== 'enabled') (out as unknown as Record<string, unknown>)[k] = v;
    }
  }
  return out;
}
