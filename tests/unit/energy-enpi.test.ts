/** EnPI math against values computed by hand: least squares, the baseline choice, CUSUM. */
import { describe, expect, it } from 'vitest';
import { cusum, expectedKWh, fitBaseline, ols } from '../../analytics/energy/enpi.js';
import { energySchema } from '../../config/energy-schema.js';

describe('ordinary least squares', () => {
  it('fits y = 1.8 + 1.2 x with R² = 144 / 172 on five points', () => {
    // x̄ = 3, ȳ = 5.4, Sxx = 10, Sxy = 12, Syy = 17.2
    const fit = ols([1, 2, 3, 4, 5], [3, 5, 4, 7, 8])!;
    expect(fit.slope).toBeCloseTo(1.2, 12);
    expect(fit.intercept).toBeCloseTo(1.8, 12);
    expect(fit.r2).toBeCloseTo(144 / 172, 12);
  });

  it('has no answer when every x is the same (no slope), nor for a single point', () => {
    expect(ols([500_000, 500_000, 500_000], [1, 2, 3])).toBeUndefined();
    expect(ols([4], [2])).toBeUndefined();
  });
});

describe('baseline per product', () => {
  const line = (n: number) =>
    Array.from({ length: n }, (_, i) => ({ units: 100 + 50 * i, kwh: 400 + 2 * (100 + 50 * i) }));

  it('regresses kWh on units with ≥ minBatches batches', () => {
    const fit = fitBaseline(line(8), 8)!;
    expect(fit).toMatchObject({ kind: 'regression', n: 8 });
    if (fit.kind !== 'regression') throw new Error('expected a regression');
    expect(fit.intercept).toBeCloseTo(400, 9);
    expect(fit.slope).toBeCloseTo(2, 12);
    expect(fit.r2).toBeCloseTo(1, 12);
    expect(expectedKWh(fit, 1000)).toBeCloseTo(2400, 9);
  });

  it('uses Σ kWh / Σ units with fewer batches, or when sizes never vary', () => {
    // 7 batches: units 100…400 (Σ 1750), kWh 400 + 2u (Σ 2800 + 3500 = 6300)
    const few = fitBaseline(line(7), 8)!;
    expect(few).toEqual({ kind: 'mean', n: 7, kwhPerUnit: 6300 / 1750 });
    const same = fitBaseline(
      Array.from({ length: 9 }, (_, i) => ({ units: 200, kwh: 500 + i })),
      8,
    )!;
    // Σ kWh = 9 × 500 + 36 = 4536 over 1800 units
    expect(same).toEqual({ kind: 'mean', n: 9, kwhPerUnit: 4536 / 1800 });
    expect(expectedKWh(same, 100)).toBeCloseTo(252, 9);
  });

  it('ignores batches without units and has no baseline without any', () => {
    expect(fitBaseline([{ units: 0, kwh: 10 }], 8)).toBeUndefined();
    expect(
      fitBaseline(
        [
          { units: 0, kwh: 10 },
          { units: 10, kwh: 30 },
        ],
        8,
      ),
    ).toEqual({ kind: 'mean', n: 1, kwhPerUnit: 3 });
  });
});

describe('CUSUM of savings', () => {
  it('accumulates expected − actual in time order from the carried-in sum', () => {
    const out = cusum(
      [
        { ts: 3, expected: 10, actual: 9 },
        { ts: 1, expected: 10, actual: 8 },
        { ts: 2, expected: 10, actual: 11 },
      ],
      5,
    );
    expect(out.map((p) => p.ts)).toEqual([1, 2, 3]);
    expect(out.map((p) => p.savings)).toEqual([2, -1, 1]);
    expect(out.map((p) => p.cusum)).toEqual([7, 6, 7]);
  });
});

describe('EnPI configuration', () => {
  it('defaults to no baseline and 8 batches for a regression', () => {
    expect(energySchema.parse({}).enpi).toEqual({ minBatches: 8 });
  });

  it('rejects a baseline that ends before it starts, or a non-date, naming the key', () => {
    const issues = (enpi: unknown) =>
      (energySchema.safeParse({ enpi }).error?.issues ?? []).map(
        (i) => `${i.path.join('.')}: ${i.message}`,
      );
    expect(issues({ baseline: { from: '2026-03-01', to: '2026-01-01' } })).toEqual([
      'enpi.baseline.to: from must be before to',
    ]);
    expect(issues({ baseline: { from: '2026-3-1', to: '2026-04-01' } }).join()).toMatch(
      /^enpi\.baseline\.from: /,
    );
    expect(issues({ minBatches: 2 }).join()).toMatch(/^enpi\.minBatches: /);
  });
});
