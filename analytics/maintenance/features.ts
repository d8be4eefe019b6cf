/**
 * Condition indicators of one acceleration waveform block (m/s²):
 *
 * - time domain: acceleration RMS, peak, crest factor and kurtosis, after removing the mean
 *   (an accelerometer's DC offset is not vibration);
 * - velocity RMS (mm/s) by integration in the frequency domain, over the ISO 10816 band
 *   10–1000 Hz: each spectral line is divided by 2πf. Integrating in the time domain would
 *   need a high-pass filter to stop drift; in the spectrum the band limit is that filter;
 * - band energies (acceleration RMS per band) from the same spectrum;
 * - bearing energy: envelope analysis (the method the simulator's and real bearing defects
 *   call for: impacts ring a structural resonance, the defect rate shows in the envelope).
 *   The spectrum is band-passed above `envelopeFromHz`, made analytic (Hilbert transform by
 *   FFT), its magnitude taken, and the share of the envelope spectrum within ±`tolerance` of
 *   the first three harmonics of BPFO, BPFI, BSF and FTF is the indicator (0–1).
 *
 * Spectra use a Hann window with the energy correction (÷ mean w²), so Parseval sums give
 * RMS values also when a tone does not fall on a bin; blocks whose length is not a power of
 * two are zero-padded to the next one and the sums rescaled by the true length.
 */
import FFT from 'fft.js';
import type { DefectFrequencies } from './bearing.js';

export interface Band {
  fromHz: number;
  toHz: number;
}

export interface FeatureOptions {
  /** Velocity band (ISO 10816: 10–1000 Hz). */
  velocityBand?: Band;
  bands?: Band[];
  defects?: DefectFrequencies;
  envelopeFromHz?: number;
  /** Relative half-width of the windows around defect frequencies. */
  tolerance?: number;
}

export interface WaveformFeatures {
  accelRms: number;
  velocityRms: number;
  peak: number;
  crestFactor: number;
  kurtosis: number;
  bands: { fromHz: number; toHz: number; rms: number }[];
  /** Share of envelope spectral energy around bearing defect frequencies, when defects were given. */
  bearingEnergy: number | null;
}

export const DEFAULT_BANDS: Band[] = [
  { fromHz: 10, toHz: 1_000 },
  { fromHz: 1_000, toHz: 5_000 },
  { fromHz: 5_000, toHz: 20_000 },
];

const ffts = new Map<number, FFT>();
const windows = new Map<number, { w: Float64Array; meanSq: number }>();

function fftOf(size: number): FFT {
  let f = ffts.get(size);
  if (!f) ffts.set(size, (f = new FFT(size)));
  return f;
}

function hann(n: number): { w: Float64Array; meanSq: number } {
  let h = windows.get(n);
  if (!h) {
    const w = new Float64Array(n);
    let sq = 0;
    for (let i = 0; i < n; i++) {
      w[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n);
      sq += w[i]! * w[i]!;
    }
    windows.set(n, (h = { w, meanSq: sq / n }));
  }
  return h;
}

function nextPow2(n: number): number {
  let p = 2;
  while (p < n) p *= 2;
  return p;
}

/** One-sided power per bin (bins 0…M/2), scaled so that Σ power = mean square of the block. */
function powerSpectrum(x: Float64Array, n: number, m: number): Float64Array {
  const f = fftOf(m);
  const out = f.createComplexArray() as number[];
  const input = new Float64Array(m);
  input.set(x.subarray(0, n));
  f.realTransform(out, input);
  const half = m / 2;
  const p = new Float64Array(half + 1);
  const scale = 1 / (m * n);
  for (let k = 0; k <= half; k++) {
    const re = out[2 * k]!;
    const im = out[2 * k + 1]!;
    p[k] = (re * re + im * im) * scale * (k === 0 || k === half ? 1 : 2);
  }
  return p;
}

export function waveformFeatures(
  samples: ArrayLike<number>,
  rate: number,
  opts: FeatureOptions = {},
): WaveformFeatures {
  const n = samples.length;
  if (n < 16) throw new Error(`a waveform block needs at least 16 samples, got ${n}`);
  let mean = 0;
  for (let i = 0; i < n; i++) mean += samples[i]!;
  mean /= n;
  const x = new Float64Array(n);
  let m2 = 0;
  let m4 = 0;
  let peak = 0;
  for (let i = 0; i < n; i++) {
    const v = samples[i]! - mean;
    x[i] = v;
    const s = v * v;
    m2 += s;
    m4 += s * s;
    if (Math.abs(v) > peak) peak = Math.abs(v);
  }
  m2 /= n;
  m4 /= n;
  const accelRms = Math.sqrt(m2);

  const m = nextPow2(n);
  const { w, meanSq } = hann(n);
  const xw = new Float64Array(n);
  for (let i = 0; i < n; i++) xw[i] = x[i]! * w[i]!;
  const p = powerSpectrum(xw, n, m);
  const df = rate / m;
  for (let k = 0; k < p.length; k++) p[k]! /= meanSq;

  const vb = opts.velocityBand ?? { fromHz: 10, toHz: 1_000 };
  let vSq = 0;
  for (let k = 1; k < p.length; k++) {
    const f = k * df;
    if (f < vb.fromHz || f > vb.toHz) continue;
    const omega = 2 * Math.PI * f;
    vSq += p[k]! / (omega * omega);
  }
  const bands = (opts.bands ?? DEFAULT_BANDS)
    .filter((b) => b.fromHz < rate / 2)
    .map((b) => {
      let s = 0;
      for (let k = 1; k < p.length; k++) {
        const f = k * df;
        if (f >= b.fromHz && f < b.toHz) s += p[k]!;
      }
      return { fromHz: b.fromHz, toHz: Math.min(b.toHz, rate / 2), rms: Math.sqrt(s) };
    });

  return {
    accelRms,
    velocityRms: Math.sqrt(vSq) * 1_000,
    peak,
    crestFactor: accelRms > 0 ? peak / accelRms : 0,
    kurtosis: m2 > 0 ? m4 / (m2 * m2) : 0,
    bands,
    bearingEnergy: opts.defects
      ? envelopeShare(x, n, m, rate, opts.defects, opts.envelopeFromHz, opts.tolerance ?? 0.03)
      : null,
  };
}

/** Share of the envelope spectrum around the first three harmonics of the defect frequencies. */
function envelopeShare(
  x: Float64Array,
  n: number,
  m: number,
  rate: number,
  d: DefectFrequencies,
  fromHz: number | undefined,
  tol: number,
): number {
  const f = fftOf(m);
  const input = new Float64Array(m);
  input.set(x.subarray(0, n));
  const spec = f.createComplexArray() as number[];
  f.realTransform(spec, input);
  f.completeSpectrum(spec);
  const df = rate / m;
  // The resonance band: above the shaft orders and their harmonics, where impacts ring (default 1 kHz, or rate/8 for slow sampling).
  const lo = fromHz ?? Math.min(1_000, rate / 8);
  const analytic = f.createComplexArray() as number[];
  for (let k = 0; k < m; k++) {
    const freq = k * df;
    // Analytic signal: double the positive band, drop the negative frequencies.
    const keep = k > 0 && k < m / 2 && freq >= lo;
    analytic[2 * k] = keep ? 2 * spec[2 * k]! : 0;
    analytic[2 * k + 1] = keep ? 2 * spec[2 * k + 1]! : 0;
  }
  const sig = f.createComplexArray() as number[];
  f.inverseTransform(sig, analytic);
  const env = new Float64Array(n);
  let mean = 0;
  for (let i = 0; i < n; i++) {
    env[i] = Math.hypot(sig[2 * i]!, sig[2 * i + 1]!);
    mean += env[i]!;
  }
  mean /= n;
  for (let i = 0; i < n; i++) env[i]! -= mean;
  const p = powerSpectrum(env, n, m);
  let total = 0;
  for (let k = 1; k < p.length; k++) total += p[k]!;
  // Mark the bins within each window once, so overlapping windows do not count a bin twice.
  const marked = new Uint8Array(p.length);
  for (const f0 of [d.bpfo, d.bpfi, d.bsf, d.ftf]) {
    for (const t of [f0, 2 * f0, 3 * f0]) {
      const half = Math.max(tol * t, df / 2);
      const lo = Math.max(1, Math.ceil((t - half) / df));
      const hi = Math.min(p.length - 1, Math.floor((t + half) / df));
      for (let k = lo; k <= hi; k++) marked[k] = 1;
    }
  }
  let near = 0;
  for (let k = 1; k < p.length; k++) if (marked[k]) near += p[k]!;
  return total > 0 ? near / total : 0;
}
