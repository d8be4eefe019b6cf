import { describe, expect, it } from 'vitest';
import {
  addTrapezoid,
  advance,
  counterDelta,
  newMeter,
  offer,
  type Buckets,
  type MeterSpec,
} from '../../analytics/energy/meter.js';

const H = 3_600_000;
const total = (b: Buckets) => Object.values(b).reduce((s, c) => s + c[0], 0);
const covered = (b: Buckets) => Object.values(b).reduce((s, c) => s + c[1], 0);

/** Feeds points into a meter and integrates up to `wm`. */
function run(spec: MeterSpec, points: [number, number][], wm = Infinity) {
  const st = newMeter(spec.kind);
  const b: Buckets = {};
  const touched = new Set<number>();
  for (const p of points) offer(st, spec, b, p, -Infinity, touched);
  advance(st, spec, b, wm, touched);
  return { st, b, touched };
}

describe('power integration (trapezoid rule)', () => {
  it('is exact for a constant and a linear ramp, split exactly at minute boundaries', () => {
    const b: Buckets = {};
    addTrapezoid(b, 0, 1000, H, 1000, new Set()); // 1 kW for 1 h
    expect(total(b)).toBeCloseTo(1, 12);
    expect(Object.keys(b)).toHaveLength(60);
    const r: Buckets = {};
    addTrapezoid(r, 30_000, 0, 90_000, 6000, new Set()); // 0 → 6 kW over 60 s, straddling a minute
    // ∫ = 3 kW·60 s = 0.05 kWh; first half-minute [30 s, 60 s): mean 1.5 kW → 0.0125 kWh
    expect(total(r)).toBeCloseTo(0.05, 12);
    expect(r[0]![0]).toBeCloseTo(0.0125, 12);
    expect(r[1]![0]).toBeCloseTo(0.0375, 12);
    expect(r[0]![1]).toBe(30_000);
  });

  it('integrates a sampled sine within 0.1 % of its analytic integral', () => {
    // P(t) = 50 + 40 sin(2πt/1h) kW sampled every 10 s over 3 h: ∫ = 150 kWh.
    const pts: [number, number][] = [];
    for (let t = 0; t <= 3 * H; t += 10_000)
      pts.push([t, 1000 * (50 + 40 * Math.sin((2 * Math.PI * t) / H))]);
    const { b } = run({ kind: 'power', gapMs: 30_000, rollover: undefined }, pts);
    expect(Math.abs(total(b) - 150) / 150).toBeLessThan(0.001);
    expect(covered(b)).toBe(3 * H);
  });

  it('does not bridge a gap longer than the limit: no energy, no coverage, the gap is kept', () => {
    const spec: MeterSpec = { kind: 'power', gapMs: 180_000, rollover: undefined };
    const pts: [number, number][] = [];
    for (let t = 0; t <= H; t += 60_000)
      if (t < 20 * 60_000 || t > 30 * 60_000) pts.push([t, 6000]);
    const { st, b } = run(spec, pts);
    expect(covered(b)).toBe(H - 12 * 60_000); // 19 → 31 min is not bridged
    expect(total(b)).toBeCloseTo(6 * (48 / 60), 9);
    expect(st.gaps).toEqual([[19 * 60_000, 6000, 31 * 60_000, 6000]]);
  });

  it('a gap exactly at the limit is bridged', () => {
    const { b } = run({ kind: 'power', gapMs: 180_000, rollover: undefined }, [
      [0, 1000],
      [180_000, 1000],
    ]);
    expect(covered(b)).toBe(180_000);
  });

  it('a late reading splits a gap; bridged parts count, the rest stays a gap', () => {
    const spec: MeterSpec = { kind: 'power', gapMs: 180_000, rollover: undefined };
    const { st, b } = run(spec, [
      [0, 3600],
      [600_000, 3600],
    ]);
    expect(total(b)).toBe(0);
    const touched = new Set<number>();
    offer(st, spec, b, [120_000, 3600], -Infinity, touched);
    expect(covered(b)).toBe(120_000);
    expect(total(b)).toBeCloseTo(0.12, 12);
    expect(st.gaps).toEqual([[120_000, 3600, 600_000, 3600]]);
    expect([...touched].sort((x, y) => x - y)).toEqual([0, 1]);
  });

  it('holds readings newer than the watermark and integrates them in event-time order', () => {
    const spec: MeterSpec = { kind: 'power', gapMs: 180_000, rollover: undefined };
    // out of order arrival: 0, 120 s, 60 s, 180 s; watermark at 120 s
    const { st, b } = run(
      spec,
      [
        [0, 1000],
        [120_000, 1000],
        [60_000, 3000],
        [180_000, 1000],
      ],
      120_000,
    );
    expect(st.last).toEqual([120_000, 1000]);
    expect(st.pending).toEqual([[180_000, 1000]]);
    expect(total(b)).toBeCloseTo((2000 * 60_000 + 2000 * 60_000) / 3.6e9, 12);
    // a reading older than the frontier inside a bridged span is counted, not integrated
    offer(st, spec, b, [30_000, 99_999], -Infinity, new Set());
    expect(st.late).toBe(1);
    offer(st, spec, b, [30_000, 99_999], 100_000, new Set());
    expect(st.tooLate).toBe(1);
  });
});

describe('energy counters', () => {
  it('a rollover adds the wrapped part; a reset counts the new register only; jitter counts zero', () => {
    expect(counterDelta(999_999.5, 0.7, 999_999.9)).toEqual({
      kwh: expect.closeTo(1.1, 9),
      event: 'rollover',
    });
    expect(counterDelta(12_345.6, 0.4, 999_999.9)).toEqual({ kwh: 0.4, event: 'reset' });
    expect(counterDelta(12_345.6, 0.4, undefined)).toEqual({ kwh: 0.4, event: 'reset' });
    expect(counterDelta(12_345.6, 12_345.5, undefined)).toEqual({ kwh: 0, event: 'backstep' });
    expect(counterDelta(100, 101.5, undefined)).toEqual({ kwh: 1.5 });
  });

  it('a register series with a rollover and a reset gives the true total, never negative', () => {
    const spec: MeterSpec = { kind: 'counter', gapMs: 180_000, rollover: 1000 };
    // 2 kWh per minute for 60 minutes; wraps at 1000 at minute 25; exchanged (reset) at minute 40.
    const pts: [number, number][] = [];
    for (let i = 0; i <= 60; i++) {
      const raw = 950 + 2 * i;
      const v = i >= 40 ? 2 * (i - 40) + 1 : raw % 1000;
      pts.push([i * 60_000, v]);
    }
    const { st, b } = run(spec, pts);
    expect(st.rollovers).toBe(1);
    expect(st.resets).toBe(1);
    // every minute 2 kWh except the reset minute (1 kWh after the exchange: what the new meter saw)
    expect(total(b)).toBeCloseTo(2 * 60 - 1, 9);
    expect(Object.values(b).every((c) => c[0] >= 0)).toBe(true);
    expect(covered(b)).toBe(H);
  });

  it('a duplicate reading (same timestamp) adds nothing', () => {
    const spec: MeterSpec = { kind: 'counter', gapMs: 180_000, rollover: undefined };
    const { b } = run(spec, [
      [0, 10],
      [60_000, 12],
      [60_000, 12],
      [120_000, 14],
    ]);
    expect(total(b)).toBeCloseTo(4, 12);
  });
});
