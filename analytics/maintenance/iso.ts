/**
 * ISO 10816 vibration severity zones from broadband velocity RMS (mm/s, 10–1000 Hz):
 * A newly commissioned, B unrestricted long-term operation, C restricted (plan an
 * intervention), D damage likely. ISO 10816-3 gives limits by machine group and foundation;
 * where a plant only states the older ISO 10816-1 class (I–IV, the `vibrationClass` of the
 * plant model), its class limits are used. A machine with neither gets group 2 rigid, the
 * strictest medium-machine limits, so a missing setting errs towards an early warning.
 * A value on a boundary belongs to the upper zone (the standard's "≥" reading).
 */
import type { MachineConfig } from '../../config/schema.js';

export type Zone = 'A' | 'B' | 'C' | 'D';
export const ZONES: Zone[] = ['A', 'B', 'C', 'D'];

export interface ZoneLimits {
  /** Boundaries A/B, B/C, C/D in mm/s. */
  ab: number;
  bc: number;
  cd: number;
  /** Where the limits come from, for messages and the API. */
  basis: string;
}

const ISO_10816_3: Record<string, [number, number, number]> = {
  '1/rigid': [2.3, 4.5, 7.1],
  '1/flexible': [3.5, 7.1, 11.0],
  '2/rigid': [1.4, 2.8, 4.5],
  '2/flexible': [2.3, 4.5, 7.1],
};

const ISO_10816_1: Record<string, [number, number, number]> = {
  I: [0.71, 1.8, 4.5],
  II: [1.12, 2.8, 7.1],
  III: [1.8, 4.5, 11.2],
  IV: [2.8, 7.1, 18.0],
};

export function zoneLimits(
  machine: Pick<MachineConfig, 'vibrationClass' | 'maintenance'>,
): ZoneLimits {
  const iso = machine.maintenance?.iso;
  if (iso) {
    const [ab, bc, cd] = ISO_10816_3[`${iso.group}/${iso.foundation}`]!;
    return { ab, bc, cd, basis: `ISO 10816-3 group ${iso.group}, ${iso.foundation} foundation` };
  }
  if (machine.vibrationClass) {
    const [ab, bc, cd] = ISO_10816_1[machine.vibrationClass]!;
    return { ab, bc, cd, basis: `ISO 10816-1 class ${machine.vibrationClass}` };
  }
  const [ab, bc, cd] = ISO_10816_3['2/rigid']!;
  return { ab, bc, cd, basis: 'ISO 10816-3 group 2, rigid foundation (default)' };
}

export function zoneOf(mmPerS: number, l: ZoneLimits): Zone {
  if (mmPerS >= l.cd) return 'D';
  if (mmPerS >= l.bc) return 'C';
  if (mmPerS >= l.ab) return 'B';
  return 'A';
}

/** The number written to `<sensor>:iso_zone` (1 = A … 4 = D). */
export const zoneNumber = (z: Zone): number => ZONES.indexOf(z) + 1;
