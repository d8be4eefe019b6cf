/**
 * How each machine of the plant model behaves: which lines produce batches, a machine's rated
 * power and its load in each recipe phase. Types follow the example plant (an OSD tablet plant);
 * a machine without a known type gets a generic process profile, so any valid plant simulates.
 */
import type { PlantIndex, SensorInfo } from '../config/plant-index.js';
import { KINDS } from '../config/units.js';

/** Recipe phases of a batch, in order. Cleaning is a changeover activity between batches. */
export const PHASES = ['charge', 'heat', 'hold', 'cool', 'discharge'] as const;
export type Phase = (typeof PHASES)[number];

export type LoadTable = Record<Phase | 'clean' | 'ready' | 'standby', number>;

/** Fractions of rated power. `ready`: production hours between batches; `standby`: nights, weekends. */
const PROCESS_LOADS: Record<string, LoadTable> = {
  granulator: {
    charge: 0.25,
    heat: 0.85,
    hold: 0.6,
    cool: 0.3,
    discharge: 0.35,
    clean: 0.2,
    ready: 0.08,
    standby: 0.03,
  },
  'fluid-bed-dryer': {
    charge: 0.3,
    heat: 0.95,
    hold: 0.8,
    cool: 0.5,
    discharge: 0.3,
    clean: 0.25,
    ready: 0.1,
    standby: 0.03,
  },
  mill: {
    charge: 0.1,
    heat: 0.7,
    hold: 0.7,
    cool: 0.2,
    discharge: 0.6,
    clean: 0.1,
    ready: 0.05,
    standby: 0.02,
  },
  blender: {
    charge: 0.3,
    heat: 0.75,
    hold: 0.75,
    cool: 0.3,
    discharge: 0.4,
    clean: 0.15,
    ready: 0.06,
    standby: 0.02,
  },
  'tablet-press': {
    charge: 0.3,
    heat: 0.9,
    hold: 0.85,
    cool: 0.4,
    discharge: 0.3,
    clean: 0.15,
    ready: 0.1,
    standby: 0.04,
  },
  'dust-collector': {
    charge: 0.6,
    heat: 0.7,
    hold: 0.7,
    cool: 0.6,
    discharge: 0.6,
    clean: 0.5,
    ready: 0.4,
    standby: 0.1,
  },
  deduster: {
    charge: 0.5,
    heat: 0.7,
    hold: 0.7,
    cool: 0.5,
    discharge: 0.5,
    clean: 0.2,
    ready: 0.2,
    standby: 0.05,
  },
  'pan-coater': {
    charge: 0.3,
    heat: 0.9,
    hold: 0.8,
    cool: 0.45,
    discharge: 0.3,
    clean: 0.25,
    ready: 0.1,
    standby: 0.03,
  },
  'mixing-vessel': {
    charge: 0.4,
    heat: 0.8,
    hold: 0.6,
    cool: 0.3,
    discharge: 0.2,
    clean: 0.3,
    ready: 0.05,
    standby: 0.02,
  },
  'blister-machine': {
    charge: 0.3,
    heat: 0.85,
    hold: 0.85,
    cool: 0.5,
    discharge: 0.3,
    clean: 0.15,
    ready: 0.2,
    standby: 0.05,
  },
  cartoner: {
    charge: 0.3,
    heat: 0.85,
    hold: 0.85,
    cool: 0.5,
    discharge: 0.3,
    clean: 0.1,
    ready: 0.15,
    standby: 0.04,
  },
  checkweigher: {
    charge: 0.4,
    heat: 0.8,
    hold: 0.8,
    cool: 0.6,
    discharge: 0.4,
    clean: 0.2,
    ready: 0.3,
    standby: 0.1,
  },
};
const GENERIC_LOAD: LoadTable = {
  charge: 0.3,
  heat: 0.8,
  hold: 0.7,
  cool: 0.4,
  discharge: 0.3,
  clean: 0.2,
  ready: 0.1,
  standby: 0.03,
};

/** Utilities run around the clock: [production hours, nights/weekends] load fractions. */
const UTILITY_LOADS: Record<string, [number, number]> = {
  'hvac-ahu': [0.7, 0.45],
  'air-compressor': [0.75, 0.35],
  'air-dryer': [0.6, 0.3],
  chiller: [0.6, 0.35],
  'purified-water-loop': [0.5, 0.5],
  'clean-steam-generator': [0.7, 0.2],
};

export interface MachineProfile {
  key: string;
  site: string;
  line: string;
  machine: string;
  type: string;
  utility: boolean;
  ratedW: number;
  loads: LoadTable;
  /** Utilities: [day, night] fractions. */
  utilityLoads: [number, number];
  sensors: SensorInfo[];
  power: SensorInfo | undefined;
  energy: SensorInfo | undefined;
}

export interface LineProfile {
  key: string;
  site: string;
  line: string;
  timezone: string;
  /** Lines with at least one process machine get a production schedule and batch events. */
  production: boolean;
  family: ProductFamily;
  machines: MachineProfile[];
  batchTopic: string;
  device: string | undefined;
}

export interface Product {
  name: string;
  quantity: [number, number];
  unit: string;
}

export type ProductFamily = 'granulation' | 'compression' | 'coating' | 'packaging' | 'generic';

export const PRODUCTS: Record<ProductFamily, Product[]> = {
  granulation: [
    { name: 'Metformin 500 mg granulate', quantity: [300, 450], unit: 'kg' },
    { name: 'Ibuprofen 400 mg granulate', quantity: [250, 400], unit: 'kg' },
    { name: 'Amlodipine 5 mg granulate', quantity: [120, 200], unit: 'kg' },
  ],
  compression: [
    { name: 'Metformin 500 mg tablets', quantity: [300, 450], unit: 'kg' },
    { name: 'Ibuprofen 400 mg tablets', quantity: [250, 400], unit: 'kg' },
  ],
  coating: [
    { name: 'Metformin 500 mg film-coated', quantity: [280, 420], unit: 'kg' },
    { name: 'Ibuprofen 400 mg film-coated', quantity: [240, 380], unit: 'kg' },
  ],
  packaging: [
    { name: 'Metformin 500 mg 30-blister pack', quantity: [15000, 30000], unit: 'packs' },
    { name: 'Ibuprofen 400 mg 20-blister pack', quantity: [20000, 40000], unit: 'packs' },
  ],
  generic: [
    { name: 'Product A', quantity: [100, 300], unit: 'kg' },
    { name: 'Product B', quantity: [150, 400], unit: 'kg' },
  ],
};

function familyOf(types: string[]): ProductFamily {
  if (types.some((t) => t === 'granulator' || t === 'fluid-bed-dryer')) return 'granulation';
  if (types.includes('tablet-press')) return 'compression';
  if (types.includes('pan-coater')) return 'coating';
  if (types.some((t) => t === 'blister-machine' || t === 'cartoner')) return 'packaging';
  return 'generic';
}

/** Rated power in W: 70 % of the top of the power sensor's valid range, else 50 kW. */
function ratedPower(power: SensorInfo | undefined): number {
  if (!power?.range) return 50_000;
  return 0.7 * power.range[1];
}

export function buildProfiles(index: PlantIndex): LineProfile[] {
  const lines: LineProfile[] = [];
  for (const site of index.model.sites) {
    for (const line of site.lines) {
      const lineInfo = index.lines.find((l) => l.site === site.id && l.line === line.id)!;
      const machines: MachineProfile[] = line.machines.map((m) => {
        const sensors = index.sensors.filter(
          (s) => s.site === site.id && s.line === line.id && s.machine === m.id,
        );
        const type = m.type ?? 'machine';
        const power = sensors.find((s) => s.kind === 'power');
        return {
          key: `${site.id}/${line.id}/${m.id}`,
          site: site.id,
          line: line.id,
          machine: m.id,
          type,
          utility: type in UTILITY_LOADS,
          ratedW: ratedPower(power),
          loads: PROCESS_LOADS[type] ?? GENERIC_LOAD,
          utilityLoads: UTILITY_LOADS[type] ?? [0.6, 0.3],
          sensors,
          power,
          energy: sensors.find((s) => s.kind === 'energy'),
        };
      });
      lines.push({
        key: `${site.id}/${line.id}`,
        site: site.id,
        line: line.id,
        timezone: site.timezone,
        production: machines.some((m) => !m.utility),
        family: familyOf(machines.map((m) => m.type)),
        machines,
        batchTopic: lineInfo.batchTopic,
        device: lineInfo.device,
      });
    }
  }
  return lines;
}

/** A value in the kind's canonical unit converted back to the unit the sensor declares. */
export function toDeclared(sensor: SensorInfo, canonical: number): number {
  const def = (KINDS[sensor.kind].units as Record<string, { factor: number; offset?: number }>)[
    sensor.declaredUnit
  ]!;
  return (canonical - (def.offset ?? 0)) / def.factor;
}

/** The valid range in the declared unit, or a plausible default for the kind. */
export function declaredRange(sensor: SensorInfo): [number, number] {
  if (sensor.config.range) return sensor.config.range;
  const defaults: Partial<Record<string, [number, number]>> = {
    power: [0, 100],
    temperature: [0, 100],
    pressure: [0, 10],
    vibration: [0, 20],
    flow: [0, 1000],
    humidity: [0, 100],
    speed: [0, 3000],
    current: [0, 100],
    voltage: [0, 500],
    level: [0, 100],
    differential_pressure: [0, 50],
    state: [0, 2],
    energy: [0, 1e9],
  };
  const d = defaults[sensor.kind] ?? [0, 100];
  // Without a declared range, defaults are canonical; express them in the declared unit.
  const a = toDeclared(sensor, d[0]);
  const b = toDeclared(sensor, d[1]);
  return a <= b ? [a, b] : [b, a];
}
