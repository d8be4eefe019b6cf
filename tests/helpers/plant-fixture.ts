import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { PlantModelInput } from '../../config/schema.js';

/**
 * A small plant for integration tests: site `t`, line `l1` with machines m1..mN each having a
 * `power` sensor (kW, range 0–500) and a `temp` sensor (°C), a waveform sensor on m1, and two
 * devices: `gw1` (prefix plants/t/l1) and `gw2` (prefix plants/t/l2, a line with one machine).
 */
export function testPlant(
  opts: { machines?: number; anonymous?: boolean; overrides?: Partial<PlantModelInput> } = {},
): PlantModelInput {
  const n = opts.machines ?? 3;
  const machines = Array.from({ length: n }, (_, i) => ({
    id: `m${i + 1}`,
    sensors: [
      {
        id: 'power',
        kind: 'power' as const,
        unit: 'kW',
        interval: '1s',
        range: [0, 500] as [number, number],
      },
      {
        id: 'temp',
        kind: 'temperature' as const,
        unit: '°C',
        interval: '5s',
        range: [-20, 150] as [number, number],
      },
      ...(i === 0
        ? [{ id: 'vib', kind: 'waveform' as const, unit: 'g', interval: '1m', sampleRate: 1024 }]
        : []),
    ],
  }));
  return {
    plant: { name: 'test plant' },
    sites: [
      {
        id: 't',
        lines: [
          { id: 'l1', machines },
          {
            id: 'l2',
            machines: [
              { id: 'x1', sensors: [{ id: 'power', kind: 'power', unit: 'kW', interval: '1s' }] },
            ],
          },
        ],
      },
    ],
    devices: [
      { id: 'gw1', prefix: 'plants/t/l1' },
      { id: 'gw2', prefix: 'plants/t/l2' },
    ],
    mqtt: { allowAnonymous: opts.anonymous ?? false },
    ...opts.overrides,
  };
}

export function writePlant(dir: string, plant: PlantModelInput, name = 'plant.yaml'): string {
  const file = join(dir, name);
  writeFileSync(file, stringify(plant));
  return file;
}
