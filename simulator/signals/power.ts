/**
 * Noise-free power of each machine, as a piecewise-linear signal: a load level per state
 * (standby at night, ready between batches, cleaning, one level per recipe phase) times the
 * rated power, with linear ramps between levels (drives and heaters do not step). Utilities
 * run around the clock with a day/night setback and hour-to-hour demand variation.
 */
import { localDate, tzOffset, weekday } from '../calendar.js';
import { hash01, strHash } from '../prng.js';
import type { LineProfile, MachineProfile } from '../profiles.js';
import { SHIFT_END_HOUR, SHIFT_START_HOUR, type LineSchedule } from '../schedule.js';
import { PiecewiseLinear } from './piecewise.js';

const HOUR = 3_600_000;

/** What a machine is doing: a recipe phase, 'clean', 'ready', 'standby' or, for utilities, 'run'. */
export interface StateSpan {
  start: number;
  state: string;
  load: number;
}

export interface MachineSignal {
  profile: MachineProfile;
  power: PiecewiseLinear;
  /** Step function of states (sorted by start); the power ramps from one level to the next. */
  states: StateSpan[];
}

/** State of a process machine at t: phase > clean > ready (in a shift) > standby. */
function processStates(
  m: MachineProfile,
  sched: LineSchedule,
  from: number,
  to: number,
): StateSpan[] {
  const bounds = new Set<number>([from]);
  for (const s of sched.shifts) bounds.add(s.start).add(s.end);
  for (const c of sched.cleans) bounds.add(c.start).add(c.end);
  for (const b of sched.batches) for (const p of b.phases) bounds.add(p.start).add(p.end);
  const times = [...bounds].filter((t) => t >= from && t < to).sort((a, b) => a - b);
  const spans: StateSpan[] = [];
  const inside = (iv: { start: number; end: number }, t: number) => iv.start <= t && t < iv.end;
  for (const t of times) {
    let state = 'standby';
    const phase = sched.batches.flatMap((b) => b.phases).find((p) => inside(p, t));
    if (phase) state = phase.phase;
    else if (sched.cleans.some((c) => inside(c, t))) state = 'clean';
    else if (sched.shifts.some((s) => inside(s, t))) state = 'ready';
    const load = m.loads[state as keyof typeof m.loads];
    if (spans.length === 0 || spans[spans.length - 1]!.state !== state)
      spans.push({ start: t, state, load });
  }
  return spans;
}

/** Utilities: one level per hour, day or night, with ±8 % demand variation keyed by the hour. */
function utilityStates(
  m: MachineProfile,
  line: LineProfile,
  from: number,
  to: number,
  seed: number,
): StateSpan[] {
  const spans: StateSpan[] = [];
  const key = strHash(m.key);
  const tz = line.timezone;
  for (let h = Math.floor(from / HOUR) * HOUR; h < to; h += HOUR) {
    const t = Math.max(h, from);
    const localHour = Math.floor(((h + tzOffset(h, tz)) % 86_400_000) / HOUR);
    const wd = weekday(localDate(h, tz));
    const working =
      wd >= 1 && wd <= 5 && localHour >= SHIFT_START_HOUR && localHour < SHIFT_END_HOUR;
    let state = working ? 'day' : 'night';
    let load = m.utilityLoads[working ? 0 : 1] * (0.92 + 0.16 * hash01(seed, key, h));
    // Weekly hot-water sanitisation of the purified-water loop, Sunday 02:00–04:00.
    if (m.type === 'purified-water-loop' && wd === 0 && localHour >= 2 && localHour < 4) {
      state = 'sanitise';
      load = 0.9;
    }
    spans.push({ start: t, state, load: Math.round(load * 1e4) / 1e4 });
  }
  return spans;
}

export function buildMachineSignal(
  m: MachineProfile,
  sched: LineSchedule,
  from: number,
  to: number,
  seed: number,
): MachineSignal {
  const states = m.utility
    ? utilityStates(m, sched.line, from, to, seed)
    : processStates(m, sched, from, to);
  const ramp = m.utility ? 300_000 : 60_000;
  const t: number[] = [from];
  const v: number[] = [states[0]!.load * m.ratedW];
  for (let i = 1; i < states.length; i++) {
    const s = states[i]!;
    const next = states[i + 1]?.start ?? to;
    const cur = v[v.length - 1]!;
    const level = s.load * m.ratedW;
    if (level === cur) continue;
    // Keep ramps inside the span (whole seconds) so consecutive ramps never overlap.
    const r = Math.min(ramp, Math.floor((next - s.start) / 2000) * 1000);
    if (s.start > t[t.length - 1]!) {
      t.push(s.start);
      v.push(cur);
    }
    t.push(s.start + r);
    v.push(level);
  }
  if (t[t.length - 1]! < to) {
    t.push(to);
    v.push(v[v.length - 1]!);
  }
  return { profile: m, power: new PiecewiseLinear(t, v), states };
}

/** The state span in force at t (cursor-free binary search; states are few). */
export function stateAt(states: StateSpan[], t: number): StateSpan {
  let lo = 0;
  let hi = states.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (states[mid]!.start <= t) lo = mid;
    else hi = mid - 1;
  }
  return states[lo]!;
}
