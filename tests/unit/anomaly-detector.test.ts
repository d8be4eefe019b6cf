import { describe, expect, it } from 'vitest';
import {
  enterContext,
  explain,
  newAssessment,
  newState,
  step,
  type DetectorState,
} from '../../analytics/anomaly/detector.js';
import { DEFAULT_SETTINGS as S } from '../../analytics/anomaly/settings.js';

/** Deterministic noise (LCG), so the known signals are the same on every run. */
function noise(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 32 - 0.5;
  };
}

function run(values: number[], st: DetectorState = newState(S), t0 = 0) {
  const a = newAssessment();
  return values.map((v, i) => {
    step(st, S, t0 + i * 60_000, v, a);
    return { ...a, parts: { ...a.parts }, why: explain(a, st) };
  });
}

const base = (n: number, seed = 1) => {
  const r = noise(seed);
  return Array.from({ length: n }, () => 50 + r());
};

describe('anomaly detector on known signals', () => {
  it('scores a spike high with an explanation, and the quiet signal low', () => {
    const xs = base(2000);
    xs[1500] = 60;
    const out = run(xs);
    expect(out[1500]!.score).toBeGreaterThan(0.95);
    expect(out[1500]!.flag).toBe(true);
    expect(out[1500]!.why).toMatch(/robust sigmas above/);
    const quiet = out.slice(500, 1490).filter((o) => o.score > 0.5).length;
    expect(quiet).toBeLessThanOrEqual(5);
  });

  it('flags a level shift at its start and learns the new level as a regime', () => {
    const xs = base(3000).map((v, i) => (i >= 2000 ? v + 5 : v));
    const out = run(xs);
    expect(out.slice(2000, 2005).some((o) => o.flag)).toBe(true);
    expect(out[2900]!.flag).toBe(false);
  });

  it('flags a flatline and a slow drift', () => {
    const flat = base(2000).map((v, i) => (i >= 1500 && i < 1600 ? 50.25 : v));
    expect(
      run(flat)
        .slice(1500, 1520)
        .some((o) => o.cause === 'flatline' && o.flag),
    ).toBe(true);
    const drift = base(4000).map((v, i) => (i >= 2000 ? v + (i - 2000) * 0.01 : v));
    const out = run(drift);
    const first = out.findIndex((o, i) => i >= 2000 && o.flag);
    expect(first).toBeGreaterThan(2000);
    expect(first).toBeLessThan(2400);
  });

  it('reports a dropout relative to the expected interval', () => {
    const st = newState(S);
    const a = newAssessment();
    for (let i = 0; i < 100; i++) step(st, S, i * 60_000, 50, a);
    step(st, S, 100 * 60_000 + 3_600_000, 50, a);
    expect(a.gapMs).toBe(3_660_000);
  });

  it('is deterministic, and a JSON snapshot in the middle continues identically', () => {
    const xs = base(3000, 7).map((v, i) => (i % 700 === 0 ? v + 20 : v));
    const whole = run(xs).map((o) => o.score);
    const st = newState(S);
    const head = run(xs.slice(0, 1234), st).map((o) => o.score);
    const restored = JSON.parse(JSON.stringify(st)) as DetectorState;
    const tail = run(xs.slice(1234), restored, 1234 * 60_000).map((o) => o.score);
    expect([...head, ...tail]).toEqual(whole);
    expect(run(xs).map((o) => o.score)).toEqual(whole);
  });
});

describe('batch context', () => {
  // Batches of charge (level 10, 30 min), heat (50, 60 min) and idle (5, 60 min), 1-min readings.
  const PHASES: [number, number, number][] = [
    [1, 10, 30],
    [2, 50, 60],
    [0, 5, 60],
  ];
  function batches(count: number, withContext: boolean, spikeAt = -1) {
    const st = newState(S);
    const a = newAssessment();
    const r = noise(11);
    const flags: { i: number; ctx: number; why: string }[] = [];
    let i = 0;
    for (let b = 0; b < count; b++)
      for (const [ctx, level, minutes] of PHASES) {
        if (withContext) enterContext(st, ctx, i * 60_000);
        for (let m = 0; m < minutes; m++, i++) {
          const x = (i === spikeAt ? 10 : level) + 0.2 * r();
          step(st, S, i * 60_000, x, a);
          if (a.changed && a.flag) flags.push({ i, ctx, why: explain(a, st) });
        }
      }
    return flags;
  }

  it('does not flag the level changes between batch phases it is told about', () => {
    // 12 batches = 30 h; the first 6 h are the learning period either way.
    expect(batches(12, true)).toEqual([]);
    // Without the events the same stream raises flags at phase changes.
    expect(batches(12, false).length).toBeGreaterThan(0);
  });

  it('flags a reading at another phase’s level once the phase profile is learnt', () => {
    // Minute 20 of the heat phase of the 10th batch reads 10: the charge level, a known level,
    // but not what this point of the heat phase looks like.
    const at = 9 * 150 + 30 + 20;
    const flags = batches(12, true, at);
    expect(flags.map((f) => f.i)).toEqual([at]);
    expect(flags[0]!.why).toMatch(/robust sigmas (above|below)/);
  });
});
