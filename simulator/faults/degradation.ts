/**
 * Which machines degrade toward a bearing failure, and when: the onset in the first third of the
 * run and the failure near its end, so wear indicators see the whole P–F curve. The effect on the
 * signals is in signals/vibration.ts; the plan here is recorded in the truth.
 */
import { floorMin } from '../calendar.js';
import type { Rng } from '../prng.js';
import type { MachineSignal } from '../signals/power.js';
import type { Degradation } from '../signals/vibration.js';

const monitored = (kind: string) => kind === 'vibration' || kind === 'waveform';

/**
 * `count` machines (default 1, or 2 in plants with ≥ 5 vibration-monitored machines) among those
 * with vibration sensors; a waveform-monitored one first, since envelope analysis needs a case.
 */
export function planDegradations(
  machines: MachineSignal[],
  from: number,
  to: number,
  count: number | undefined,
  rng: Rng,
): Degradation[] {
  const span = to - from;
  const vibMachines = machines.filter((m) => m.profile.sensors.some((s) => monitored(s.kind)));
  const n = Math.min(vibMachines.length, count ?? (vibMachines.length >= 5 ? 2 : 1));
  const pool = [...vibMachines].sort((a, b) => Number(hasWave(b)) - Number(hasWave(a)));
  const out: Degradation[] = [];
  for (let i = 0; i < n; i++) {
    const m = i === 0 ? pool.shift()! : pool.splice(rng.int(0, pool.length - 1), 1)[0]!;
    out.push({
      machine: m.profile.key,
      sensors: m.profile.sensors.filter((s) => monitored(s.kind)).map((s) => s.path),
      onset: floorMin(from + span * rng.uniform(0.15, 0.35)),
      failure: floorMin(from + span * rng.uniform(0.8, 0.95)),
    });
  }
  return out;
}

function hasWave(m: MachineSignal): boolean {
  return m.profile.sensors.some((s) => s.kind === 'waveform');
}
