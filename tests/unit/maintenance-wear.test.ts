/**
 * The pieces behind the wear index and the remaining useful life: the trend fits and their
 * gates, the load-normalised baseline, running hysteresis and usage counters, ISO zone
 * hysteresis, and the plant-model settings with their errors.
 */
import { describe, expect, it } from 'vitest';
import { buildMaintenanceModel } from '../../analytics/maintenance/model.js';
import { acceleratingDays, estimateRul, ols } from '../../analytics/maintenance/rul.js';
import { zoneLimits } from '../../analytics/maintenance/iso.js';
import {
  newUsage,
  newZoneTrack,
  onRunningReading,
  onZoneReading,
} from '../../analytics/maintenance/usage.js';
import {
  finishLearning,
  learn,
  newLearning,
  predict,
  wearIndex,
} from '../../analytics/maintenance/wear.js';
import { buildPlantIndex } from '../../config/plant-index.js';
import { plantSchema } from '../../config/schema.js';
import { testPlant } from '../helpers/plant-fixture.js';

/** Deterministic noise in [-1, 1]. */
const noise = (i: number) => Math.sin(i * 12.9898 + 78.233) * 0.5 + Math.sin(i * 3.7) * 0.5;
const hourly = (n: number, f: (t: number, i: number) => number) =>
  Array.from({ length: n }, (_, i) => [i / 24, f(i / 24, i)] as const);

describe('remaining useful life', () => {
  it('a clean linear rise: linear model, exact days to the limit, the interval around it', () => {
    // 2 mm/s rising 0.25 mm/s per day, limit 7.1: at day 7 the level is 3.75 → 13.4 days.
    const pts = hourly(24 * 7, (t, i) => 2 + 0.25 * t + 0.02 * noise(i));
    const r = estimateRul(pts, 7.1, 7);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.estimate.model).toBe('linear');
    expect(r.estimate.days).toBeCloseTo((7.1 - 3.75) / 0.25, 0);
    expect(r.estimate.ratePerDay).toBeCloseTo(0.25, 2);
    expect(r.estimate.low).toBeLessThan(r.estimate.days);
    expect(r.estimate.high).toBeGreaterThan(r.estimate.days);
  });

  it('an exponential rise is fitted as exponential', () => {
    // 1.5 mm/s doubling every 5 days; limit 7.1 from day 7 (level 3.96): ln(7.1/3.96)/(ln2/5) = 4.2 d.
    const k = Math.LN2 / 5;
    const pts = hourly(24 * 7, (t, i) => 1.5 * Math.exp(k * t) * (1 + 0.01 * noise(i)));
    const r = estimateRul(pts, 7.1, 7);
    expect(r.ok && r.estimate.model).toBe('exponential');
    if (r.ok) expect(r.estimate.days).toBeCloseTo(Math.log(7.1 / (1.5 * Math.exp(7 * k))) / k, 0);
  });

  it('no estimate for a flat noisy signal, a falling one, too few points or a poor fit', () => {
    const flat = estimateRul(
      hourly(24 * 7, (_, i) => 2 + 0.3 * noise(i)),
      7.1,
      7,
    );
    expect(flat.ok).toBe(false);
    const falling = estimateRul(
      hourly(24 * 7, (t, i) => 4 - 0.2 * t + 0.01 * noise(i)),
      7.1,
      7,
    );
    expect(falling).toMatchObject({ ok: false });
    if (!falling.ok) expect(falling.reason).toMatch(/not significantly rising/);
    const few = estimateRul(
      hourly(10, (t) => 2 + t),
      7.1,
      1,
    );
    expect(few).toMatchObject({ ok: false, reason: '10 of 24 points' });
    // A real but tiny rise buried in load noise: significant slope, yet R² too low to project.
    const poor = estimateRul(
      hourly(24 * 7, (t, i) => 2 + 0.03 * t + 0.4 * noise(i)),
      7.1,
      7,
    );
    expect(poor.ok).toBe(false);
  });

  it('accelerating wear: the interval reaches down to the log-quadratic projection', () => {
    // ln y = 0.02 t + 0.005 t²: from day 10 (2.0 mm/s) the limit 7.1 is reached on day 17.9.
    const f = (t: number) => Math.exp(0.02 * t + 0.005 * t * t);
    const pts = hourly(24 * 10, (t, i) => f(t) * (1 + 0.002 * noise(i)));
    const r = estimateRul(pts, 7.1, 10);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const truth = (-0.02 + Math.sqrt(0.0004 + 0.02 * Math.log(7.1))) / 0.01 - 10;
    expect(r.estimate.days).toBeGreaterThan(truth); // constant-rate fits project too late ...
    expect(r.estimate.low).toBeLessThan(truth + 0.5); // ... the low end shows the curvature
    expect(
      acceleratingDays(
        pts.map((p) => p[0]),
        pts.map((p) => p[1]),
        7.1,
        10,
        3,
      ),
    ).toBeCloseTo(truth, 0);
    // A straight exponential has no significant curvature.
    const straight = hourly(24 * 10, (t, i) => 2 * Math.exp(0.1 * t) * (1 + 0.01 * noise(i)));
    expect(
      acceleratingDays(
        straight.map((p) => p[0]),
        straight.map((p) => p[1]),
        7.1,
        10,
        3,
      ),
    ).toBeNull();
  });

  it('already past the limit: 0 days', () => {
    const r = estimateRul(
      hourly(48, (t, i) => 8 + t + 0.01 * noise(i)),
      7.1,
      2,
    );
    expect(r.ok && r.estimate.days).toBe(0);
  });

  it('ols recovers slope and intercept', () => {
    const f = ols([0, 1, 2, 3], [1, 3, 5, 7])!;
    expect(f.a).toBeCloseTo(1, 12);
    expect(f.b).toBeCloseTo(2, 12);
    expect(f.se).toBeCloseTo(0, 12);
    expect(ols([1, 1, 1], [1, 2, 3])).toBeNull();
  });
});

describe('load-normalised baseline and wear index', () => {
  it('learns vibration = a + b·power and puts the baseline at 0 and the limit at 1', () => {
    const l = newLearning();
    for (let p = 10_000; p <= 60_000; p += 1_000) learn(l, p, 0.8 + 2e-5 * p);
    const base = finishLearning(l, true)!;
    expect(base.a).toBeCloseTo(0.8, 6);
    expect(base.b).toBeCloseTo(2e-5, 10);
    expect(base.pRef).toBe(60_000);
    const b0 = predict(base, base.pRef); // 2.0 mm/s
    const abs = { kind: 'absolute', mmPerS: 7.1, label: 'zone D' } as const;
    expect(wearIndex(abs, base, b0)).toBeCloseTo(0, 9);
    expect(wearIndex(abs, base, 7.1)).toBeCloseTo(1, 9);
    expect(wearIndex(abs, base, 1.5)).toBe(0);
    const rel = { kind: 'relative', factor: 2.5, label: '2.5× baseline' } as const;
    expect(wearIndex(rel, base, 2.5 * b0)).toBeCloseTo(1, 9);
    expect(wearIndex(rel, base, 1.75 * b0)).toBeCloseTo(0.5, 9);
  });

  it('without power (or without a load effect) the baseline is the mean', () => {
    const l = newLearning();
    for (let i = 0; i < 100; i++) learn(l, 0, 1.2 + 0.1 * noise(i));
    const base = finishLearning(l, false)!;
    expect(base.b).toBe(0);
    expect(base.a).toBeCloseTo(l.sv / l.n, 12);
  });
});

describe('usage and zone tracking', () => {
  const power = {
    kind: 'power',
    sensor: 'p',
    onW: 10_000,
    offW: 7_000,
    intervalMs: 1_000,
  } as const;

  it('hysteresis: a drive wobbling around the on threshold counts one start', () => {
    const u = newUsage();
    const seq = [0, 11_000, 9_000, 10_500, 8_000, 10_200, 12_000, 6_000, 0, 11_000];
    seq.forEach((w, i) => onRunningReading(u, power, i * 1_000, w, 1_000));
    expect(u.starts).toBe(2);
    // Running from t=1 s to the reading at t=7 s (off), then again from t=9 s.
    expect(u.operatingMs).toBe(6_000);
  });

  it('does not invent hours across a long gap, and ignores reordered readings', () => {
    const u = newUsage();
    onRunningReading(u, power, 0, 20_000, 1_000);
    onRunningReading(u, power, 3_600_000, 20_000, 1_000); // an hour without data
    expect(u.operatingMs).toBe(300_000); // bridged up to 5 minutes
    onRunningReading(u, power, 1_000, 0, 1_000); // late
    expect(u.late).toBe(1);
    expect(u.running).toBe(true);
  });

  it('a state sensor: 1 is running, other codes are not', () => {
    const u = newUsage();
    const st = { kind: 'state', sensor: 's' } as const;
    [0, 1, 1, 2, 1, 3, 0].forEach((v, i) => onRunningReading(u, st, i * 60_000, v, 60_000));
    expect(u.starts).toBe(2);
    expect(u.operatingMs).toBe(3 * 60_000);
  });

  it('ISO zone moves up at the boundary and down only 5 % below it, timing running time', () => {
    const limits = zoneLimits({ vibrationClass: 'II', maintenance: undefined }); // 1.12/2.8/7.1
    const z = newZoneTrack();
    const changes: string[] = [];
    const feed = (v: number, i: number) => {
      if (onZoneReading(z, limits, i * 10_000, v, true, 10_000)) changes.push(z.zone!);
    };
    [2.0, 2.81, 2.75, 2.79, 2.7, 2.5, 7.2, 7.0].forEach(feed);
    // B, up to C at 2.81, stays C down to 2.7 (> 2.66), back to B at 2.5, D at 7.2, stays at 7.0.
    expect(changes).toEqual(['B', 'C', 'B', 'D']);
    expect(z.ms).toEqual([0, 20_000, 40_000, 10_000]);
  });
});

describe('maintenance settings in the plant model', () => {
  const withMaint = (maintenance: unknown) => {
    const input = testPlant({ machines: 1 }) as {
      sites: { lines: { machines: Record<string, unknown>[] }[] }[];
    };
    input.sites[0]!.lines[0]!.machines[0]!.maintenance = maintenance;
    return input;
  };

  it('accepts bearing geometry, shaft speed, ISO group and a relative limit', () => {
    const model = plantSchema.parse(
      withMaint({
        bearing: { balls: 9, ballDiameterMm: 7.94, pitchDiameterMm: 39.04 },
        shaftSpeed: { rpm: 1485 },
        iso: { group: 2, foundation: 'flexible' },
        limit: { baselineFactor: 2.5 },
      }),
    );
    const m = buildMaintenanceModel(buildPlantIndex(model));
    const plan = [...m.machines.values()][0]!;
    expect(plan.limits.basis).toBe('ISO 10816-3 group 2, flexible foundation');
    expect(plan.limit).toEqual({ kind: 'relative', factor: 2.5, label: '2.5× baseline' });
    expect(plan.bearing?.contactAngleDeg).toBe(0);
  });

  it('names the field when the geometry is impossible or a key is unknown', () => {
    const bad = plantSchema.safeParse(
      withMaint({ bearing: { balls: 9, ballDiameterMm: 40, pitchDiameterMm: 39 } }),
    );
    expect(bad.success).toBe(false);
    expect(JSON.stringify(bad.error!.issues)).toMatch(/ballDiameterMm must be smaller/);
    const typo = plantSchema.safeParse(withMaint({ bearings: {} }));
    expect(typo.success).toBe(false);
    expect(typo.error!.issues[0]!.path).toContain('maintenance');
  });

  it('rejects a shaft-speed sensor the machine does not have', () => {
    const model = plantSchema.parse(withMaint({ shaftSpeed: { sensor: 'nope' } }));
    expect(() => buildMaintenanceModel(buildPlantIndex(model))).toThrow(
      /machine t\/l1\/m1: maintenance.shaftSpeed.sensor "nope" is not a sensor of this machine \(power, temp, vib\)/,
    );
  });
});
