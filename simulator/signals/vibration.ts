/**
 * Vibration: the scalar RMS velocity a vibration transmitter reports and the acceleration
 * waveform blocks a condition-monitoring box captures. A degrading bearing follows the usual
 * P–F curve: nothing until the onset, then slow growth, then acceleration to functional
 * failure; in the waveform it shows as an outer-race defect tone (BPFO) modulating a
 * structural resonance, the signature envelope analysis looks for.
 */
import type { SensorInfo } from '../../config/plant-index.js';
import { hashGauss, strHash } from '../prng.js';
import { declaredRange, toDeclared } from '../profiles.js';
import type { MachineSignal } from './power.js';

export interface Degradation {
  machine: string;
  sensors: string[];
  onset: number;
  failure: number;
}

/** Severity multiplier above healthy: 0 before onset; 1.2x + 9x⁴ with x the fraction of onset→failure. */
export function severity(d: Degradation | undefined, t: number): number {
  if (!d || t <= d.onset) return 0;
  const x = Math.min(1, (t - d.onset) / (d.failure - d.onset));
  return 1.2 * x + 9 * x ** 4;
}

/** Noise-free RMS velocity (declared unit) of a vibration transmitter. */
export function vibrationRms(
  sensor: SensorInfo,
  m: MachineSignal,
  d: Degradation | undefined,
): (t: number) => number {
  const [lo, hi] = declaredRange(sensor);
  return (t) => {
    const load = Math.min(1, m.power.at(t) / m.profile.ratedW);
    const healthy = load < 0.1 ? 0.12 : 0.8 + 1.6 * load; // mm/s
    const v = toDeclared(sensor, healthy * (1 + severity(d, t)));
    return Math.min(hi * 0.98, Math.max(lo, v));
  };
}

/** One waveform block (declared unit, usually g), `n` samples at the sensor's sample rate. */
export function waveformBlock(
  sensor: SensorInfo,
  m: MachineSignal,
  d: Degradation | undefined,
  t: number,
  n: number,
  seed: number,
): { rate: number; samples: number[] } {
  const rate = sensor.config.sampleRate ?? 25_600;
  const load = Math.min(1, m.power.at(t) / m.profile.ratedW);
  const running = load >= 0.1;
  const shaft = 24.75; // Hz: a 4-pole motor at 1485 rpm
  const bpfo = 3.57 * shaft;
  const resonance = Math.min(3_000, rate / 4);
  const sev = severity(d, t);
  const a1 = running ? 0.08 + 0.25 * load : 0.01; // g at 1×
  const defect = running ? 0.15 * sev : 0;
  const key = strHash(sensor.path);
  const g = toDeclared(sensor, 9.80665); // one g in the declared unit
  const samples: number[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const s = i / rate;
    let x =
      a1 * Math.sin(2 * Math.PI * shaft * s) +
      0.4 * a1 * Math.sin(2 * Math.PI * 2 * shaft * s + 0.3);
    // Impacts at BPFO ring the resonance: an amplitude-modulated carrier.
    x +=
      defect *
      (0.5 + 0.5 * Math.cos(2 * Math.PI * bpfo * s)) ** 4 *
      Math.sin(2 * Math.PI * resonance * s);
    x += 0.01 * hashGauss(seed, (key + i) >>> 0, t);
    samples[i] = Math.round(x * g * 1e4) / 1e4;
  }
  return { rate, samples };
}
