/**
 * Production schedule per line, as a planner in an OSD plant would lay it out: two shifts on
 * weekdays (06:00–22:00 local), idle nights and weekends; within a shift, batches run back to
 * back separated by changeovers (a full clean when the product changes, a short line clearance
 * otherwise). Each batch runs the recipe phases charge → heat → hold → cool → discharge; a few
 * are aborted during hold (deviation), as happens in real plants.
 */
import { addDays, isoDate, localDate, localTime, weekday } from './calendar.js';
import { PHASES, PRODUCTS, type LineProfile, type Phase } from './profiles.js';
import type { Rng } from './prng.js';

const MIN = 60_000;
export const SHIFT_START_HOUR = 6;
export const SHIFT_END_HOUR = 22;

/** Phase durations in minutes [min, max]. */
const PHASE_MINUTES: Record<Phase, [number, number]> = {
  charge: [20, 40],
  heat: [45, 90],
  hold: [60, 150],
  cool: [30, 60],
  discharge: [20, 40],
};

export interface PhasePlan {
  phase: Phase;
  start: number;
  end: number;
}

export interface BatchPlan {
  line: string;
  batch: string;
  product: string;
  quantity: number;
  unit: string;
  start: number;
  end: number;
  aborted: boolean;
  phases: PhasePlan[];
}

export interface Interval {
  start: number;
  end: number;
}

export interface LineSchedule {
  line: LineProfile;
  /** Production hours (machines ready between batches). */
  shifts: Interval[];
  /** Changeover cleaning / line clearance. */
  cleans: Interval[];
  batches: BatchPlan[];
}

export function planSchedule(line: LineProfile, from: number, to: number, rng: Rng): LineSchedule {
  const sched: LineSchedule = { line, shifts: [], cleans: [], batches: [] };
  if (!line.production) return sched;
  const tz = line.timezone;
  const products = PRODUCTS[line.family];
  let lastProduct: string | undefined;
  const prefix =
    line.line
      .replace(/[^A-Za-z0-9]/g, '')
      .slice(0, 3)
      .toUpperCase() || 'L';
  for (let date = localDate(from, tz); localTime(date, 0, tz) < to; date = addDays(date, 1)) {
    const wd = weekday(date);
    if (wd === 0 || wd === 6) continue; // weekends idle
    const shiftStart = localTime(date, SHIFT_START_HOUR, tz);
    const shiftEnd = localTime(date, SHIFT_END_HOUR, tz);
    if (shiftEnd <= from || shiftStart >= to) continue;
    const s = Math.max(shiftStart, ceilMin(from));
    const e = Math.min(shiftEnd, to);
    if (e - s < 60 * MIN) continue;
    sched.shifts.push({ start: s, end: e });
    let t = s + rng.int(5, 25) * MIN;
    let seq = 1;
    for (;;) {
      // Usually the same product as the last batch (campaign), sometimes a change (full clean).
      const product =
        lastProduct && rng.chance(0.7)
          ? products.find((p) => p.name === lastProduct)!
          : rng.pick(products);
      const cleanMin = product.name === lastProduct ? rng.int(20, 40) : rng.int(60, 120);
      const phaseMin = PHASES.map((p) => rng.int(...PHASE_MINUTES[p]));
      const aborted = rng.chance(0.04);
      const abortAfter = rng.next();
      const total = cleanMin + phaseMin.reduce((a, b) => a + b, 0);
      if (t + total * MIN > e) break;
      sched.cleans.push({ start: t, end: t + cleanMin * MIN });
      t += cleanMin * MIN;
      const batch: BatchPlan = {
        line: line.key,
        batch: `${prefix}-${isoDate(date).replaceAll('-', '')}-${String(seq++).padStart(2, '0')}`,
        product: product.name,
        quantity: Math.round(rng.uniform(...product.quantity)),
        unit: product.unit,
        start: t,
        end: t,
        aborted,
        phases: [],
      };
      for (let i = 0; i < PHASES.length; i++) {
        const phase = PHASES[i]!;
        let end = t + phaseMin[i]! * MIN;
        // An aborted batch stops part-way through hold (a deviation); the line then cleans.
        if (aborted && phase === 'hold')
          end = t + Math.max(1, Math.round(phaseMin[i]! * abortAfter)) * MIN;
        batch.phases.push({ phase, start: t, end });
        t = end;
        if (aborted && phase === 'hold') break;
      }
      batch.end = t;
      sched.batches.push(batch);
      lastProduct = product.name;
      if (aborted) lastProduct = undefined; // a deviation is followed by a full clean
    }
  }
  return sched;
}

function ceilMin(t: number): number {
  return Math.ceil(t / MIN) * MIN;
}
