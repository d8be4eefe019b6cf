/**
 * SPC for critical sensors: control limits (centre, sigma from the average moving range, the
 * Shewhart individuals chart) from a baseline of the first readings, then Western Electric rules
 * 1–4 and Nelson's trend rule on every later reading. A JSON-safe state per sensor.
 */

/** Rule numbers as recorded in the `:spc` series: 1–4 Western Electric, 13 = Nelson rule 3. */
export const SPC_RULES: Record<number, string> = {
  1: 'Western Electric rule 1: one point beyond 3 sigma',
  2: 'Western Electric rule 2: 2 of 3 points beyond 2 sigma on the same side',
  3: 'Western Electric rule 3: 4 of 5 points beyond 1 sigma on the same side',
  4: 'Western Electric rule 4: 8 points in a row on the same side of the centre line',
  13: 'Nelson rule 3: 6 points in a row steadily increasing or decreasing',
};

const HIST = 8;

export interface SpcState {
  n: number;
  sum: number;
  mrSum: number;
  prev: number;
  centre: number;
  sigma: number;
  /** Last readings in sigma units from the centre (newest last), once the limits are set. */
  z: number[];
  x: number[];
}

export function newSpcState(): SpcState {
  return { n: 0, sum: 0, mrSum: 0, prev: 0, centre: 0, sigma: 0, z: [], x: [] };
}

/** Feeds one reading; returns the (most severe) violated rule number, or 0. */
export function spcStep(st: SpcState, baseline: number, x: number): number {
  st.n++;
  if (st.n <= baseline) {
    st.sum += x;
    if (st.n > 1) st.mrSum += Math.abs(x - st.prev);
    st.prev = x;
    if (st.n === baseline) {
      st.centre = st.sum / baseline;
      st.sigma = Math.max(
        st.mrSum / (baseline - 1) / 1.128,
        1e-9 * Math.max(1, Math.abs(st.centre)),
      );
    }
    return 0;
  }
  const z = (x - st.centre) / st.sigma;
  st.z.push(z);
  st.x.push(x);
  if (st.z.length > HIST) {
    st.z.shift();
    st.x.shift();
  }
  if (Math.abs(z) > 3) return 1;
  if (countSameSide(st.z, 3, 2) >= 2) return 2;
  if (countSameSide(st.z, 5, 1) >= 4) return 3;
  if (st.z.length >= 8 && (st.z.every((v) => v > 0) || st.z.every((v) => v < 0))) return 4;
  if (monotone(st.x, 6)) return 13;
  return 0;
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
