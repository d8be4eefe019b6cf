/**
 * A piecewise-linear signal (the noise-free power of a machine): exact values and exact
 * integrals, so the energy truth is computed analytically rather than by sampling.
 * Queries made in increasing time (the engine's access pattern) are O(1) through a cursor.
 */
export class PiecewiseLinear {
  /** Cumulative integral (value·ms) from t[0] to t[i]. */
  private readonly cum: Float64Array;
  private cursor = 0;

  constructor(
    readonly t: readonly number[],
    readonly v: readonly number[],
  ) {
    if (t.length === 0 || t.length !== v.length)
      throw new Error('piecewise signal needs matching, non-empty points');
    this.cum = new Float64Array(t.length);
    for (let i = 1; i < t.length; i++) {
      if (t[i]! < t[i - 1]!) throw new Error(`piecewise points out of order at ${i}`);
      this.cum[i] = this.cum[i - 1]! + ((v[i]! + v[i - 1]!) / 2) * (t[i]! - t[i - 1]!);
    }
  }

  /** Index i with t[i] <= x < t[i+1] (clamped to the ends). */
  private seek(x: number): number {
    const t = this.t;
    let i = this.cursor;
    if (i >= t.length || t[i]! > x) {
      let lo = 0;
      let hi = t.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (t[mid]! <= x) lo = mid;
        else hi = mid - 1;
      }
      i = lo;
    }
    while (i + 1 < t.length && t[i + 1]! <= x) i++;
    this.cursor = i;
    return i;
  }

  at(x: number): number {
    const t = this.t;
    if (x <= t[0]!) return this.v[0]!;
    if (x >= t[t.length - 1]!) return this.v[t.length - 1]!;
    const i = this.seek(x);
    const t0 = t[i]!;
    const t1 = t[i + 1]!;
    if (t1 === t0) return this.v[i + 1]!;
    return this.v[i]! + ((this.v[i + 1]! - this.v[i]!) * (x - t0)) / (t1 - t0);
  }

  /** ∫ from t[0] to x (value·ms); outside the points the end values continue flat. */
  private cumAt(x: number): number {
    const t = this.t;
    const n = t.length;
    if (x <= t[0]!) return this.v[0]! * (x - t[0]!);
    if (x >= t[n - 1]!) return this.cum[n - 1]! + this.v[n - 1]! * (x - t[n - 1]!);
    const i = this.seek(x);
    return this.cum[i]! + ((this.v[i]! + this.at(x)) / 2) * (x - t[i]!);
  }

  /** ∫_a^b value dt in value·ms. */
  integrate(a: number, b: number): number {
    return this.cumAt(b) - this.cumAt(a);
  }
}

/** W·ms → kWh. */
export const WMS_PER_KWH = 3.6e9;
