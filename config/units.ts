/**
 * Sensor kinds, their canonical (internal) unit, and the units a device may declare or send.
 *
 * Internal units are stated once here and used everywhere downstream (analytics, InfluxDB,
 * dashboards): power W, energy kWh, temperature °C, pressure bar, vibration velocity mm/s RMS,
 * acceleration (waveform samples) m/s². Conversion happens once, at ingest.
 */

export interface UnitDef {
  /** Multiply a value in this unit by `factor`, then add `offset`, to get the canonical unit. */
  factor: number;
  offset?: number;
}

export interface KindDef {
  canonical: string;
  units: Record<string, UnitDef>;
  /** What the value means, for the API and the JSON Schema description. */
  description: string;
}

const same = { factor: 1 };

export const KINDS = {
  power: {
    canonical: 'W',
    description: 'active power',
    units: { W: same, kW: { factor: 1e3 }, MW: { factor: 1e6 } },
  },
  energy: {
    canonical: 'kWh',
    description: 'cumulative energy counter (meter register)',
    units: { Wh: { factor: 1e-3 }, kWh: same, MWh: { factor: 1e3 }, J: { factor: 1 / 3.6e6 } },
  },
  temperature: {
    canonical: '°C',
    description: 'temperature',
    units: {
      '°C': same,
      C: same,
      degC: same,
      K: { factor: 1, offset: -273.15 },
      '°F': { factor: 5 / 9, offset: -32 * (5 / 9) },
      F: { factor: 5 / 9, offset: -32 * (5 / 9) },
    },
  },
  pressure: {
    canonical: 'bar',
    description: 'pressure (gauge or absolute as the sensor reports it)',
    units: {
      bar: same,
      mbar: { factor: 1e-3 },
      Pa: { factor: 1e-5 },
      kPa: { factor: 1e-2 },
      MPa: { factor: 10 },
      psi: { factor: 0.0689475729 },
    },
  },
  vibration: {
    canonical: 'mm/s',
    description: 'vibration velocity, RMS',
    units: { 'mm/s': same, 'm/s': { factor: 1e3 }, 'in/s': { factor: 25.4 } },
  },
  waveform: {
    canonical: 'm/s²',
    description: 'vibration acceleration waveform block',
    units: {
      'm/s²': same,
      'm/s2': same,
      g: { factor: 9.80665 },
      'mm/s²': { factor: 1e-3 },
      'mm/s2': { factor: 1e-3 },
    },
  },
  flow: {
    canonical: 'm³/h',
    description: 'volumetric flow',
    units: {
      'm³/h': same,
      'm3/h': same,
      'l/min': { factor: 0.06 },
      'L/min': { factor: 0.06 },
      'l/s': { factor: 3.6 },
    },
  },
  humidity: {
    canonical: '%RH',
    description: 'relative humidity',
    units: { '%RH': same, '%': same },
  },
  speed: {
    canonical: 'rpm',
    description: 'rotational speed',
    units: { rpm: same, Hz: { factor: 60 }, 'rad/s': { factor: 60 / (2 * Math.PI) } },
  },
  current: {
    canonical: 'A',
    description: 'electric current',
    units: { A: same, mA: { factor: 1e-3 }, kA: { factor: 1e3 } },
  },
  voltage: {
    canonical: 'V',
    description: 'voltage',
    units: { V: same, mV: { factor: 1e-3 }, kV: { factor: 1e3 } },
  },
  level: {
    canonical: '%',
    description: 'fill level',
    units: { '%': same },
  },
  differential_pressure: {
    canonical: 'Pa',
    description: 'differential pressure (cleanroom cascades, filters)',
    units: { Pa: same, mbar: { factor: 100 }, kPa: { factor: 1e3 }, inH2O: { factor: 249.08891 } },
  },
  state: {
    canonical: '1',
    description: 'discrete machine state (0 = off, 1 = running, other codes per machine)',
    units: { '1': same, '': same },
  },
} as const satisfies Record<string, KindDef>;

export type SensorKind = keyof typeof KINDS;
export const SENSOR_KINDS = Object.keys(KINDS) as [SensorKind, ...SensorKind[]];

/** Returns a converter from `unit` to the kind's canonical unit, or undefined if `unit` does not measure this kind. */
export function converterFor(kind: SensorKind, unit: string): ((v: number) => number) | undefined {
  const def = (KINDS[kind].units as Record<string, UnitDef>)[unit];
  if (!def) return undefined;
  const { factor, offset = 0 } = def;
  if (factor === 1 && offset === 0) return (v) => v;
  return (v) => v * factor + offset;
}

export function unitsOf(kind: SensorKind): string[] {
  return Object.keys(KINDS[kind].units);
}
