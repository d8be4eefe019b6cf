/**
 * Energy of one meter into minute buckets, in event time. Pure functions on JSON-safe state so
 * the operator's checkpoint is a plain snapshot.
 *
 * - Power (W): trapezoid rule between consecutive readings, split exactly at minute boundaries
 *   (the integral of the linear interpolation over each piece).
 * - Counters (kWh): the register difference between consecutive readings, spread evenly over
 *   the span; a rollover (register wraps at `rollover`) adds the wrapped part, a reset (meter
 *   exchanged, register back near zero) counts the new register value only, and a small step
 *   backwards (register jitter) counts as zero — never negative, never doubled.
 * - Gap policy: a span longer than the meter's gap limit is not bridged: it adds no energy and
 *   no covered time, so it lowers coverage; it is kept as a gap that a late reading may split.
 */
export const MINUTE = 60_000;
const WMS_PER_KWH = 3_600_000_000;

/** Minute index → [kWh, covered ms]. */
export type Buckets = Record<string, [number, number]>;

export type Point = [ts: number, value: number];

export interface MeterState {
  kind: 'power' | 'counter';
  /** The integration frontier: the last reading integrated. */
  last: Point | null;
  /** Readings newer than the frontier, sorted by ts, waiting for the watermark. */
  pending: Point[];
  /** Unbridged spans [t0, v0, t1, v1] still open to late readings. */
  gaps: [number, number, number, number][];
  /** Late readings inside a bridged span (ignored: the span was already measured). */
  late: number;
  /** Readings older than the revision window (ignored). */
  tooLate: number;
  resets: number;
  rollovers: number;
  backsteps: number;
}

export function newMeter(kind: 'power' | 'counter'): MeterState {
  return {
    kind,
    last: null,
    pending: [],
    gaps: [],
    late: 0,
    tooLate: 0,
    resets: 0,
    rollovers: 0,
    backsteps: 0,
  };
}

function add(b: Buckets, minute: number, kwh: number, ms: number, touched: Set<number>): void {
  const cell = b[minute];
  if (cell) {
    cell[0] += kwh;
    cell[1] += ms;
  } else b[minute] = [kwh, ms];
  touched.add(minute);
}

/** Trapezoid of a linear power ramp (W) from (t0, p0) to (t1, p1), split at minute boundaries. */
export function addTrapezoid(
  b: Buckets,
  t0: number,
  p0: number,
  t1: number,
  p1: number,
  touched: Set<number>,
): void {
  const slope = (p1 - p0) / (t1 - t0);
  for (let a = t0; a < t1;) {
    const m = Math.floor(a / MINUTE);
    const c = Math.min(t1, (m + 1) * MINUTE);
    const pa = p0 + slope * (a - t0);
    const pc = p0 + slope * (c - t0);
    add(b, m, (((pa + pc) / 2) * (c - a)) / WMS_PER_KWH, c - a, touched);
    a = c;
  }
}

/** `kwh` spread evenly over [t0, t1], split at minute boundaries. */
export function addUniform(
  b: Buckets,
  t0: number,
  t1: number,
  kwh: number,
  touched: Set<number>,
): void {
  for (let a = t0; a < t1;) {
    const m = Math.floor(a / MINUTE);
    const c = Math.min(t1, (m + 1) * MINUTE);
    add(b, m, (kwh * (c - a)) / (t1 - t0), c - a, touched);
    a = c;
  }
}

/** Energy between two counter readings, with reset and rollover detection. */
export function counterDelta(
  v0: number,
  v1: number,
  rollover: number | undefined,
): { kwh: number; event?: 'reset' | 'rollover' | 'backstep' } {
  const d = v1 - v0;
  if (d >= 0) return { kwh: d };
  if (rollover !== undefined && v0 >= rollover / 2 && v1 < rollover / 2)
    return { kwh: rollover - v0 + v1, event: 'rollover' };
  if (v1 < v0 / 2) return { kwh: v1, event: 'reset' };
  return { kwh: 0, event: 'backstep' };
}

export interface MeterSpec {
  kind: 'power' | 'counter';
  gapMs: number;
  rollover: number | undefined;
}

/** Integrates one span; returns false when the span is a gap (not bridged). */
function span(
  st: MeterState,
  spec: MeterSpec,
  b: Buckets,
  p: Point,
  q: Point,
  touched: Set<number>,
): boolean {
  if (q[0] - p[0] > spec.gapMs) return false;
  if (spec.kind === 'power') addTrapezoid(b, p[0], p[1], q[0], q[1], touched);
  else {
    const d = counterDelta(p[1], q[1], spec.rollover);
    if (d.event === 'reset') st.resets++;
    else if (d.event === 'rollover') st.rollovers++;
    else if (d.event === 'backstep') st.backsteps++;
    addUniform(b, p[0], q[0], d.kwh, touched);
  }
  return true;
}

/** Accepts one reading: queued when newer than the frontier, else fills a gap or is counted late. */
export function offer(
  st: MeterState,
  spec: MeterSpec,
  b: Buckets,
  pt: Point,
  horizon: number,
  touched: Set<number>,
): void {
  if (!st.last || pt[0] > st.last[0]) {
    insertSorted(st.pending, pt);
    return;
  }
  if (pt[0] === st.last[0]) return; // the same key again (C2): nothing to add
  if (pt[0] < horizon) {
    st.tooLate++;
    return;
  }
  const gi = st.gaps.findIndex((g) => g[0] < pt[0] && pt[0] < g[2]);
  if (gi < 0) {
    st.late++;
    return;
  }
  const [t0, v0, t1, v1] = st.gaps[gi]!;
  const pieces: [number, number, number, number][] = [];
  if (!span(st, spec, b, [t0, v0], pt, touched)) pieces.push([t0, v0, pt[0], pt[1]]);
  if (!span(st, spec, b, pt, [t1, v1], touched)) pieces.push([pt[0], pt[1], t1, v1]);
  st.gaps.splice(gi, 1, ...pieces);
}

/** Integrates queued readings up to the watermark. */
export function advance(
  st: MeterState,
  spec: MeterSpec,
  b: Buckets,
  watermark: number,
  touched: Set<number>,
): void {
  let i = 0;
  while (i < st.pending.length && st.pending[i]![0] <= watermark) {
    const q = st.pending[i]!;
    if (st.last && !span(st, spec, b, st.last, q, touched))
      st.gaps.push([st.last[0], st.last[1], q[0], q[1]]);
    st.last = q;
    i++;
  }
  if (i > 0) st.pending.splice(0, i);
}

export function prune(st: MeterState, b: Buckets, keepFromMinute: number, horizon: number): void {
  for (const k of Object.keys(b)) if (Number(k) < keepFromMinute) delete b[k];
  st.gaps = st.gaps.filter((g) => g[2] >= horizon);
}

function insertSorted(arr: Point[], p: Point): void {
  let i = arr.length;
  while (i > 0 && arr[i - 1]![0] > p[0]) i--;
  if (i > 0 && arr[i - 1]![0] === p[0]) arr[i - 1] = p;
  else arr.splice(i, 0, p);
}
