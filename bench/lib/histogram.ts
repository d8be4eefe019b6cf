/**
 * A mergeable latency histogram in microseconds with log-linear buckets (HdrHistogram's idea,
 * in 60 lines): exact below 128 µs, then 64 sub-buckets per power of two, so any percentile is
 * within 0.8 % of the true value. Fixed size (1,664 counters), cheap to record, and sent between
 * worker threads as a plain Float64Array.
 */

const LINEAR = 128; // exact buckets 0..127 µs
const SUB = 64; // sub-buckets per power of two above that
const MAX_EXP = 30; // 2^31 µs ≈ 36 min; larger values are clamped
export const BUCKETS = LINEAR + (MAX_EXP - 6) * SUB;

export interface HistogramSnapshot {
  counts: Float64Array;
  count: number;
  sum: number;
  min: number;
  max: number;
}

function indexOf(us: number): number {
  let v = us < 0 ? 0 : Math.floor(us);
  if (v < LINEAR) return v;
  if (v >= 2 ** (MAX_EXP + 1)) v = 2 ** (MAX_EXP + 1) - 1;
  const e = 31 - Math.clz32(v); // 7..30
  const shift = e - 6;
  return LINEAR + (shift - 1) * SUB + ((v >>> shift) - SUB);
}

/** Midpoint of a bucket, in µs. */
function valueOf(idx: number): number {
  if (idx < LINEAR) return idx + 0.5;
  const shift = Math.floor((idx - LINEAR) / SUB) + 1;
  const m = ((idx - LINEAR) % SUB) + SUB;
  return ((m << shift) + ((m + 1) << shift)) / 2;
}

export class Histogram {
  counts = new Float64Array(BUCKETS);
  count = 0;
  sum = 0;
  min = Infinity;
  max = 0;

  record(us: number): void {
    this.counts[indexOf(us)]!++;
    this.count++;
    this.sum += us;
    if (us < this.min) this.min = us;
    if (us > this.max) this.max = us;
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.sum = 0;
    this.min = Infinity;
    this.max = 0;
  }

  snapshot(): HistogramSnapshot {
    return {
      counts: this.counts.slice(),
      count: this.count,
      sum: this.sum,
      min: this.min,
      max: this.max,
    };
  }

  merge(s: HistogramSnapshot): void {
    for (let i = 0; i < BUCKETS; i++) this.counts[i]! += s.counts[i]!;
    this.count += s.count;
    this.sum += s.sum;
    if (s.min < this.min) this.min = s.min;
    if (s.max > this.max) this.max = s.max;
  }

  /** The value at quantile q (0..1) in µs, or NaN when empty. The exact max for q = 1. */
  quantile(q: number): number {
    if (this.count === 0) return NaN;
    if (q >= 1) return this.max;
    const target = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= target) return Math.min(Math.max(valueOf(i), this.min), this.max);
    }
    return this.max;
  }

  get mean(): number {
    return this.count === 0 ? NaN : this.sum / this.count;
  }
}
