/**
 * Process anomalies injected into published values (never into the energy truth): a spike, a
 * level shift (recalibration, fouling), a slow drift (sensor ageing), a stuck sensor (frozen
 * transmitter) and a dropout (no data). Each has a window recorded in the truth, so anomaly
 * detectors can be scored for recall and delay.
 */
import type { SensorInfo } from '../../config/plant-index.js';
import type { Rng } from '../prng.js';

export const ANOMALY_KINDS = ['spike', 'level_shift', 'drift', 'stuck', 'dropout'] as const;
export type AnomalyKind = (typeof ANOMALY_KINDS)[number];

export interface AnomalyWindow {
  sensor: string;
  kind: AnomalyKind;
  /** [start, end): the readings whose timestamps fall inside are affected. */
  start: number;
  end: number;
}

const HOUR = 3_600_000;
const DURATION: Record<AnomalyKind, [number, number]> = {
  spike: [0, 0],
  level_shift: [2 * HOUR, 6 * HOUR],
  drift: [6 * HOUR, 24 * HOUR],
  stuck: [1 * HOUR, 4 * HOUR],
  dropout: [0.5 * HOUR, 2 * HOUR],
};

/** Kinds a sensor can carry an anomaly on: scalar process values, not meters or discrete states. */
export function anomalyEligible(s: SensorInfo): boolean {
  return !['energy', 'state', 'waveform'].includes(s.kind);
}

export function planAnomalies(
  sensors: { info: SensorInfo; intervalMs: number }[],
  from: number,
  to: number,
  count: number,
  rng: Rng,
): AnomalyWindow[] {
  const pool = sensors.filter((s) => anomalyEligible(s.info));
  const out: AnomalyWindow[] = [];
  const span = to - from;
  for (let i = 0; i < count && pool.length > 0; i++) {
    // One anomaly per sensor: overlapping windows would make the truth ambiguous.
    const s = pool.splice(rng.int(0, pool.length - 1), 1)[0]!;
    const kind = ANOMALY_KINDS[i % ANOMALY_KINDS.length]!;
    const [lo, hi] = DURATION[kind];
    const dur =
      kind === 'spike'
        ? s.intervalMs
        : Math.max(s.intervalMs, Math.min(rng.uniform(lo, hi), span * 0.1));
    const earliest = from + span * 0.05;
    const latest = to - span * 0.05 - dur;
    if (latest <= earliest) continue;
    const start = Math.ceil(rng.uniform(earliest, latest) / s.intervalMs) * s.intervalMs;
    const end =
      kind === 'spike'
        ? start + s.intervalMs
        : Math.ceil((start + dur) / s.intervalMs) * s.intervalMs;
    out.push({ sensor: s.info.path, kind, start, end });
  }
  return out.sort((a, b) => a.start - b.start || (a.sensor < b.sensor ? -1 : 1));
}

/**
 * Applies a window to a clean value; `held` is the first value seen inside the window (for
 * stuck). Returns undefined for a dropout (the reading is not published).
 */
export function applyAnomaly(
  w: AnomalyWindow,
  t: number,
  v: number,
  held: number,
  range: [number, number],
): number | undefined {
  const span = range[1] - range[0];
  switch (w.kind) {
    case 'dropout':
      return undefined;
    case 'stuck':
      return held;
    case 'spike':
      return v + 0.6 * (range[1] - v);
    case 'level_shift':
      return v + 0.15 * span;
    case 'drift':
      return v + 0.25 * span * ((t - w.start) / (w.end - w.start));
  }
}
