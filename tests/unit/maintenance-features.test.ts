/**
 * Waveform features, bearing defect frequencies and ISO zones against values known in closed
 * form: a pure sine, a sine in acceleration integrated to velocity, hand-computed defect
 * frequencies of a 6205 bearing, and the zone boundaries of the standards' tables.
 */
import { describe, expect, it } from 'vitest';
import { defectFrequencies } from '../../analytics/maintenance/bearing.js';
import { waveformFeatures } from '../../analytics/maintenance/features.js';
import { zoneLimits, zoneOf } from '../../analytics/maintenance/iso.js';

const sine = (a: number, f: number, rate: number, n: number, phase = 0) =>
  Float64Array.from({ length: n }, (_, i) => a * Math.sin(2 * Math.PI * f * (i / rate) + phase));

describe('waveform features', () => {
  it('a pure sine of amplitude A: RMS A/√2, peak A, crest factor √2, kurtosis 1.5', () => {
    const f = waveformFeatures(sine(3, 100, 25_600, 4096), 25_600);
    expect(f.accelRms).toBeCloseTo(3 / Math.SQRT2, 6);
    expect(f.peak).toBeCloseTo(3, 3);
    expect(f.crestFactor).toBeCloseTo(Math.SQRT2, 3);
    expect(f.kurtosis).toBeCloseTo(1.5, 4);
    expect(f.bearingEnergy).toBeNull();
  });

  it('a DC offset is not vibration', () => {
    const x = sine(2, 200, 25_600, 2048).map((v) => v + 5);
    expect(waveformFeatures(x, 25_600).accelRms).toBeCloseTo(2 / Math.SQRT2, 6);
  });

  it('an acceleration sine of known frequency integrates to the known velocity RMS', () => {
    // a = A sin(2πft) → v = A/(2πf) RMS/√2; 5 m/s² at 100 Hz → 5.627 mm/s RMS.
    const expected = (5 / (2 * Math.PI * 100) / Math.SQRT2) * 1000;
    const onBin = waveformFeatures(sine(5, 100, 25_600, 4096), 25_600);
    expect(onBin.velocityRms).toBeCloseTo(expected, 1);
    expect(Math.abs(onBin.velocityRms / expected - 1)).toBeLessThan(0.01);
    // Off a bin (and a block length that is not a power of two): within 2 %.
    const off = waveformFeatures(sine(5, 137.3, 25_600, 3000, 0.4), 25_600);
    const expectedOff = (5 / (2 * Math.PI * 137.3) / Math.SQRT2) * 1000;
    expect(Math.abs(off.velocityRms / expectedOff - 1)).toBeLessThan(0.02);
  });

  it('drops content below 10 Hz and above 1000 Hz from velocity, keeps it in band energies', () => {
    const rate = 25_600;
    const low = waveformFeatures(sine(5, 3.125, rate, 8192), rate);
    expect(low.velocityRms).toBeLessThan(0.05 * ((5 / (2 * Math.PI * 3.125) / Math.SQRT2) * 1000));
    const high = waveformFeatures(sine(5, 3000, rate, 4096), rate);
    expect(high.velocityRms).toBeLessThan(0.01);
    const band = high.bands.find((b) => b.fromHz === 1000)!;
    expect(band.rms).toBeCloseTo(5 / Math.SQRT2, 2);
  });

  it('bearing energy: an outer-race defect modulating a resonance scores high, a clean shaft tone low', () => {
    const rate = 25_600;
    const n = 8192;
    const shaft = 24.75;
    const d = defectFrequencies(
      { balls: 9, ballDiameterMm: 7.94, pitchDiameterMm: 39.04, contactAngleDeg: 0 },
      shaft,
    );
    const healthy = Float64Array.from({ length: n }, (_, i) => {
      const t = i / rate;
      return Math.sin(2 * Math.PI * shaft * t) + 0.02 * Math.sin(2 * Math.PI * 4321 * t * 1.01);
    });
    const faulty = Float64Array.from({ length: n }, (_, i) => {
      const t = i / rate;
      return (
        healthy[i]! +
        (0.5 + 0.5 * Math.cos(2 * Math.PI * d.bpfo * t)) ** 4 * Math.sin(2 * Math.PI * 3000 * t)
      );
    });
    const h = waveformFeatures(healthy, rate, { defects: d }).bearingEnergy!;
    const f = waveformFeatures(faulty, rate, { defects: d }).bearingEnergy!;
    expect(f).toBeGreaterThan(0.8);
    expect(h).toBeLessThan(0.3);
  });
});

describe('bearing defect frequencies', () => {
  it('6205 bearing (9 balls, d 7.94 mm, D 39.04 mm, 0°) at 1800 rpm, computed by hand', () => {
    // d/D = 0.203381; fr = 30 Hz.
    // FTF  = 15 × (1 − 0.203381)              = 11.9493 Hz
    // BPFO = 4.5 × 30 × (1 − 0.203381)        = 107.5436 Hz
    // BPFI = 4.5 × 30 × (1 + 0.203381)        = 162.4564 Hz
    // BSF  = 39.04 / 15.88 × 30 × (1 − 0.0413650) = 70.7024 Hz
    const f = defectFrequencies(
      { balls: 9, ballDiameterMm: 7.94, pitchDiameterMm: 39.04, contactAngleDeg: 0 },
      30,
    );
    expect(f.ftf).toBeCloseTo(11.9493, 3);
    expect(f.bpfo).toBeCloseTo(107.5436, 3);
    expect(f.bpfi).toBeCloseTo(162.4564, 3);
    expect(f.bsf).toBeCloseTo(70.7024, 3);
  });

  it('the contact angle shortens the effective ball ratio (cos φ)', () => {
    // d/D cos 40° = 0.25 × 0.766044 = 0.191511; BPFO = 6 × 20 × (1 − 0.191511) = 97.0187 Hz.
    const f = defectFrequencies(
      { balls: 12, ballDiameterMm: 10, pitchDiameterMm: 40, contactAngleDeg: 40 },
      20,
    );
    expect(f.bpfo).toBeCloseTo(97.0187, 3);
    expect(f.bpfo + f.bpfi).toBeCloseTo(12 * 20, 9); // BPFO + BPFI = n × fr
  });
});

describe('ISO 10816 zones', () => {
  it('ISO 10816-3 group 2 rigid: boundaries 1.4 / 2.8 / 4.5 mm/s, a boundary belongs to the upper zone', () => {
    const l = zoneLimits({
      vibrationClass: undefined,
      maintenance: { iso: { group: 2, foundation: 'rigid' } },
    });
    expect(zoneOf(1.39, l)).toBe('A');
    expect(zoneOf(1.4, l)).toBe('B');
    expect(zoneOf(2.79, l)).toBe('B');
    expect(zoneOf(2.8, l)).toBe('C');
    expect(zoneOf(4.49, l)).toBe('C');
    expect(zoneOf(4.5, l)).toBe('D');
  });

  it('group 1 flexible and the ISO 10816-1 classes; a machine with neither gets group 2 rigid', () => {
    const g1 = zoneLimits({
      vibrationClass: undefined,
      maintenance: { iso: { group: 1, foundation: 'flexible' } },
    });
    expect([g1.ab, g1.bc, g1.cd]).toEqual([3.5, 7.1, 11.0]);
    expect(zoneOf(10.99, g1)).toBe('C');
    expect(zoneOf(11, g1)).toBe('D');
    const c2 = zoneLimits({ vibrationClass: 'II', maintenance: undefined });
    expect([c2.ab, c2.bc, c2.cd]).toEqual([1.12, 2.8, 7.1]);
    expect(zoneOf(7.09, c2)).toBe('C');
    expect(zoneOf(7.1, c2)).toBe('D');
    const c1 = zoneLimits({ vibrationClass: 'I', maintenance: undefined });
    expect(zoneOf(0.7, c1)).toBe('A');
    expect(zoneOf(0.71, c1)).toBe('B');
    const none = zoneLimits({ vibrationClass: undefined, maintenance: undefined });
    expect(none.basis).toContain('default');
    expect([none.ab, none.bc, none.cd]).toEqual([1.4, 2.8, 4.5]);
  });
});
