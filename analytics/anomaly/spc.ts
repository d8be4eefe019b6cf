/**
 * SPC for critical sensors: an individuals (Shewhart) chart whose centre and sigma (average
 * moving range / 1.128) come from a baseline — the readings of a configured period, or else the
 * first `baseline` readings — then Western Electric rules 1–4 and the Nelson rules that cost a
 * few comparisons on every later reading. A JSON-safe state per sensor.
 *
 * Rule numbers as stored in the `:spc` series: 1–4 Western Electric; 10 + n for Nelson rule n
 * (Nelson 1, 2, 5 and 6 are Western Electric 1, 4, 2 and 3 under other counts).
 */

export const SPC_RULES: Record<number, string> = {
  1: 'Western Electric rule 1: one point beyond 3 sigma',
  2: 'Western Electric rule 2: 2 of 3 points beyond 2 sigma on the same side',
  3: 'Western Electric rule 3: 4 of 5 points beyond 1 sigma on the same side',
  4: 'Western Electric rule 4: 8 points in a row on the same side of the centre line',
  13: 'Nelson rule 3: 6 points in a row steadily increasing or decreasing',
  14: 'Nelson rule 4: 14 points in a row alternating up and down',
  17: 'Nelson rule 7: 15 points in a row within 1 sigma of the centre line (stratification)',
  18: 'Nelson rule 8: 8 points in a row beyond 1 sigma, on both sides of the centre line',
};

/** Longest look-back any rule needs. */
const HIST = 15;

/** Where the limits come from: readings in [fromMs, toMs), or the first `count` readings. */
export interface SpcBaseline {
  count: number;
  fromMs?: number;
  toMs?: number;
}

export interface SpcState {
  n: number;
  sum: number;
  mrSum: number;
  prev: number;
  centre: number;
  /** 0 until the limits are set. */
  sigma: number;
  /** Last readings in sigma units from the centre and raw (newest last), once the limits are set. */
  z: number[];
  x: number[];
}

export function newSpcState(): SpcState {
  return { n: 0, sum: 0, mrSum: 0, prev: 0, centre: 0, sigma: 0, z: [], x: [] };
}

/**
 * Feeds one reading at event time `ts`; returns every rule it violates, most severe first
 * (empty while the baseline is being collected).
 */
export function spcStep(st: SpcState, base: SpcBaseline, ts: number, x: number): number[] {
  if (st.sigma === 0) {
    const period = base.fromMs !== undefined && base.toMs !== undefined;
    if (period && ts < base.fromMs!) return [];
    const inBaseline = period ? ts < base.toMs! : st.n < base.count;
    if (inBaseline) {
      st.n++;
      st.sum += x;
      if (st.n > 1) st.mrSum += Math.abs(x - st.prev);
      st.prev = x;
      if (!period && st.n === base.count) setLimits(st);
      return [];
    }
    // A period ended: limits from what it held (at least two readings give a moving range).
    if (st.n < 2) return [];
    setLimits(st);
  }
  const z = (x - st.centre) / st.sigma;
  st.z.push(z);
  st.x.push(x);
  if (st.z.length > HIST) {
    st.z.shift();
    st.x.shift();
  }
  return violations(st.z, st.x);
}

function setLimits(st: SpcState): void {
  st.centre = st.sum / st.n;
  st.sigma = Math.max(st.mrSum / (st.n - 1) / 1.128, 1e-9 * Math.max(1, Math.abs(st.centre)));
}

/** The rules the newest point completes, most severe first. */
export function violations(z: number[], x: number[]): number[] {
  const out: number[] = [];
  if (Math.abs(z[z.length - 1]!) > 3) out.push(1);
  if (countSameSide(z, 3, 2) >= 2) out.push(2);
  if (countSameSide(z, 5, 1) >= 4) out.push(3);
  if (sameSide(z, 8)) out.push(4);
  if (monotone(x, 6)) out.push(13);
  if (alternating(x, 14)) out.push(14);
  if (z.length >= 15 && z.slice(-15).every((v) => Math.abs(v) < 1)) out.push(17);
  if (z.length >= 8) {
    const last8 = z.slice(-8);
    if (last8.every((v) => Math.abs(v) > 1) && last8.some((v) => v > 0) && last8.some((v) => v < 0))
      out.push(18);
  }
  return out;
}

/** Most points among the last `k` beyond `lim` sigma on one side (the newest must be one of them). */
function countSameSide(z: number[], k: number, lim: number): number {
  const last = z[z.length - 1]!;
  if (Math.abs(last) <= lim || z.length < k) return 0;
  const sign = Math.sign(last);
  let c = 0;
  for (let i = z.length - k; i < z.length; i++) if (sign * z[i]! > lim) c++;
  return c;
}

function sameSide(z: number[], k: number): boolean {
  if (z.length < k) return false;
  const tail = z.slice(-k);
  return tail.every((v) => v > 0) || tail.every((v) => v < 0);
}

function monotone(x: number[], k: number): boolean {
  if (x.length < k) return false;
  let up = true;
  let down = true;
  for (let i = x.length - k + 1; i < x.length; i++) {
    if (!(x[i]! > x[i - 1]!)) up = false;
    if (!(x[i]! < x[i - 1]!)) down = false;
  }
  return up || down;
}

function alternating(x: number[], k: number): boolean {
  if (x.length < k) return false;
  for (let i = x.length - k + 2; i < x.length; i++) {
    const a = x[i - 1]! - x[i - 2]!;
    const b = x[i]! - x[i - 1]!;
    if (!(a * b < 0)) return false;
  }
  return true;
}
