/**
 * SPC: control limits from a baseline (a count or a configured period), then each Western
 * Electric and Nelson rule on a hand-built series whose last point completes exactly that rule
 * and no other (the point before completes none).
 */
import { describe, expect, it } from 'vitest';
import { newSpcState, spcStep, violations, SPC_RULES } from '../../analytics/anomaly/spc.js';

/** Rules completed by the last point, and by the one before, for a series in sigma units. */
function last(z: number[]): { now: number[]; before: number[] } {
  const x = z.map((v) => 100 + v);
  return { now: violations(z, x), before: violations(z.slice(0, -1), x.slice(0, -1)) };
}

describe('SPC rules on hand-built series', () => {
  const cases: [number, number[]][] = [
    [1, [0.5, -0.5, 3.5]],
    [2, [0.5, -0.5, 2.5, 0.5, 2.5]],
    [3, [-0.5, 1.5, 1.5, 0.5, 1.5, 1.5]],
    [4, [-0.5, 0.5, 0.3, 0.6, 0.2, 0.7, 0.4, 0.8, 0.3]],
    [13, [0.5, -0.9, -0.6, -0.3, 0.1, 0.4, 0.7]],
    // 1.2 and 13 points around the centre: 14 alternating, the 1.2 keeps rule 7 off.
    [14, [1.3, 1.2, ...Array.from({ length: 13 }, (_, i) => (i % 2 === 0 ? -0.5 : 0.5))]],
    [17, Array.from({ length: 15 }, (_, i) => [0.2, 0.3, -0.2, -0.3][i % 4]!)],
    [18, [0.2, 1.5, -1.5, 1.5, -1.5, 1.5, -1.5, 1.5, -1.5]],
  ];
  for (const [rule, z] of cases) {
    it(`rule ${rule}: ${SPC_RULES[rule]}`, () => {
      const r = last(z);
      expect(r.now).toEqual([rule]);
      expect(r.before).toEqual([]);
    });
  }

  it('lists every rule a point completes, most severe first', () => {
    expect(last([0.5, 2.5, 0.5, 3.5]).now).toEqual([1, 2]);
  });
});

describe('SPC control limits', () => {
  it('takes centre and sigma (average moving range / 1.128) from the first N readings', () => {
    const st = newSpcState();
    const base = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? 10 : 11));
    for (const [i, x] of base.entries()) expect(spcStep(st, { count: 20 }, i, x)).toEqual([]);
    expect(st.centre).toBe(10.5);
    expect(st.sigma).toBeCloseTo(1 / 1.128, 12);
    // 10.5 + 3.5 sigma: rule 1.
    expect(spcStep(st, { count: 20 }, 20, 10.5 + 3.5 / 1.128)).toEqual([1]);
  });

  it('takes the limits from a configured period: earlier readings are ignored, later ones judged', () => {
    const st = newSpcState();
    const base = { count: 500, fromMs: 1_000, toMs: 2_000 };
    expect(spcStep(st, base, 500, 99)).toEqual([]); // before the period: not part of it
    for (let t = 1_000; t < 2_000; t += 100) spcStep(st, base, t, t % 200 === 0 ? 10 : 12);
    expect(st.n).toBe(10);
    expect(st.sigma).toBe(0); // set by the first reading after the period
    expect(spcStep(st, base, 2_000, 11)).toEqual([]);
    expect(st.centre).toBe(11);
    expect(st.sigma).toBeCloseTo(2 / 1.128, 12);
    expect(spcStep(st, base, 2_100, 11 + 3.2 * st.sigma)).toEqual([1]);
  });
});
