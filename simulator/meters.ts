/**
 * The energy meters of a run: each integrates its machine's noise-free power from a starting
 * register. With counter faults on (the default) one meter rolls over about mid-run and another
 * is exchanged (reset) at 60 % of the run, so energy analytics meet both in every simulation.
 */
import type { PlantIndex } from '../config/plant-index.js';
import { floorMin } from './calendar.js';
import type { Rng } from './prng.js';
import { EnergyCounter } from './signals/counter.js';
import { WMS_PER_KWH } from './signals/piecewise.js';
import type { MachineSignal } from './signals/power.js';

export interface MeterOptions {
  /** A meter reset and a register rollover (default on). */
  counterFaults?: boolean;
  /** Meter registers (kWh) at `from`, by sensor path: continues the meters of an earlier run. */
  initialMeters?: Record<string, number>;
}

export function planMeters(
  index: PlantIndex,
  machines: Map<string, MachineSignal>,
  from: number,
  to: number,
  opts: MeterOptions,
  rng: Rng,
): EnergyCounter[] {
  const span = to - from;
  const meters = index.sensors.filter((s) => s.kind === 'energy');
  const faults = opts.counterFaults ?? true;
  const rollSensor = faults ? meters.find((s) => s.rollover !== undefined) : undefined;
  // On another machine, so one machine's energy never carries both faults.
  const resetSensor = faults
    ? meters.find((s) => s !== rollSensor && s.machine !== rollSensor?.machine)
    : undefined;
  return meters.map((s) => {
    const m = machines.get(`${s.site}/${s.line}/${s.machine}`)!;
    let initial = Math.round(rng.uniform(1_000, 50_000) * 10) / 10;
    // Half the run's energy below the limit: the register wraps about mid-run.
    if (s === rollSensor) initial = s.rollover! - (0.5 * m.power.integrate(from, to)) / WMS_PER_KWH;
    const carried = opts.initialMeters?.[s.path];
    if (carried !== undefined) initial = carried;
    if (s.rollover !== undefined && initial >= s.rollover) initial = initial % s.rollover;
    const resetAt = s === resetSensor ? floorMin(from + span * 0.6) : undefined;
    return new EnergyCounter(s, m.power, from, to, initial, resetAt);
  });
}
