/**
 * Units: every reading is converted once, at ingest, from the unit the sensor declares to the
 * kind's canonical unit (W, kWh, °C, bar, Pa, mm/s, m/s², m³/h, rpm). buildPlantIndex hands
 * ingest a `toCanonical` per sensor and the valid range already converted.
 */
import { describe, it, expect } from 'vitest';
import { parsePlantModel } from '../../config/load.js';
import { buildPlantIndex, type SensorInfo } from '../../config/plant-index.js';
import { KINDS, SENSOR_KINDS, converterFor, unitsOf } from '../../config/units.js';

const MODEL = `plant:
  name: Unit conversion fixture
sites:
  - id: s1
    lines:
      - id: l1
        machines:
          - id: m1
            vibrationClass: II
            sensors:
              - { id: p-kw, kind: power, unit: kW, interval: 1s, range: [0, 90] }
              - { id: p-mw, kind: power, unit: MW, interval: 1s, range: [0, 2.5] }
              - { id: e-wh, kind: energy, unit: Wh, interval: 1m, range: [0, 99999999], rollover: 99999999 }
              - { id: e-mwh, kind: energy, unit: MWh, interval: 1m }
              - { id: t-f, kind: temperature, unit: °F, interval: 5s, range: [-40, 212] }
              - { id: t-k, kind: temperature, unit: K, interval: 5s, range: [273.15, 373.15] }
              - { id: t-c, kind: temperature, unit: °C, interval: 5s, range: [5, 70] }
              - { id: p-mbar, kind: pressure, unit: mbar, interval: 5s, range: [0, 2000] }
              - { id: p-psi, kind: pressure, unit: psi, interval: 5s, range: [0, 150] }
              - { id: dp-mbar, kind: differential_pressure, unit: mbar, interval: 5s, range: [0, 50] }
              - { id: w-g, kind: waveform, unit: g, interval: 10m, sampleRate: 25600, range: [-50, 50] }
              - { id: v-ins, kind: vibration, unit: in/s, interval: 10s, range: [0, 2] }
              - { id: f-lmin, kind: flow, unit: l/min, interval: 5s, range: [0, 2] }
              - { id: n-hz, kind: speed, unit: Hz, interval: 1s, range: [0, 50] }
              - { id: i-ma, kind: current, unit: mA, interval: 1s, range: [4, 20] }
`;

const index = buildPlantIndex(parsePlantModel(MODEL, 'units-fixture.yaml'));
const sensor = (id: string): SensorInfo => {
  const s = index.sensorByPath.get(`s1/l1/m1/${id}`);
  if (!s) throw new Error(`no sensor ${id}`);
  return s;
};

describe('buildPlantIndex: toCanonical converts readings to the canonical unit', () => {
  it.each([
    // id, declared, canonical, value in, value out
    ['p-kw', 'kW', 'W', 2.5, 2500],
    ['p-mw', 'MW', 'W', 1.2, 1_200_000],
    ['e-wh', 'Wh', 'kWh', 1500, 1.5],
    ['e-mwh', 'MWh', 'kWh', 0.75, 750],
    ['t-f', '°F', '°C', 212, 100],
    ['t-f', '°F', '°C', 32, 0],
    ['t-f', '°F', '°C', -40, -40],
    ['t-f', '°F', '°C', 98.6, 37],
    ['t-k', 'K', '°C', 273.15, 0],
    ['t-c', '°C', '°C', 21.5, 21.5],
    ['p-mbar', 'mbar', 'bar', 1013.25, 1.01325],
    ['p-psi', 'psi', 'bar', 14.5038, 1],
    ['dp-mbar', 'mbar', 'Pa', 0.15, 15],
    ['w-g', 'g', 'm/s²', 1, 9.80665],
    ['w-g', 'g', 'm/s²', -2, -19.6133],
    ['v-ins', 'in/s', 'mm/s', 0.1, 2.54],
    ['f-lmin', 'l/min', 'm³/h', 1, 0.06],
    ['n-hz', 'Hz', 'rpm', 25, 1500],
    ['i-ma', 'mA', 'A', 20, 0.02],
  ])('%s: %d %s → %s', (id, declared, canonical, input, expected) => {
    const s = sensor(id);
    expect(s.declaredUnit).toBe(declared);
    expect(s.canonicalUnit).toBe(canonical);
    expect(s.toCanonical(input)).toBeCloseTo(expected, 4);
  });

  it('states each canonical unit once, in KINDS', () => {
    for (const s of index.sensors) expect(s.canonicalUnit).toBe(KINDS[s.kind].canonical);
  });

  it('passes readings already in the canonical unit through unchanged (no float drift)', () => {
    expect(sensor('t-c').toCanonical(0.1 + 0.2)).toBe(0.1 + 0.2);
  });
});

describe('buildPlantIndex: the valid range is converted too', () => {
  it.each([
    ['p-kw', [0, 90_000]],
    ['p-mw', [0, 2_500_000]],
    ['e-wh', [0, 99_999.999]],
    ['t-f', [-40, 100]],
    ['t-k', [0, 100]],
    ['t-c', [5, 70]],
    ['p-mbar', [0, 2]],
    ['dp-mbar', [0, 5000]],
    ['w-g', [-490.3325, 490.3325]],
    ['v-ins', [0, 50.8]],
    ['f-lmin', [0, 0.12]],
    ['n-hz', [0, 3000]],
    ['i-ma', [0.004, 0.02]],
  ] as const)('%s → %j', (id, [lo, hi]) => {
    const range = sensor(id).range;
    expect(range).toBeDefined();
    expect(range![0]).toBeCloseTo(lo, 6);
    expect(range![1]).toBeCloseTo(hi, 6);
  });

  it('leaves the range undefined when none is declared', () => {
    expect(sensor('e-mwh').range).toBeUndefined();
  });

  it("keeps the declared range in the sensor config for messages in the user's unit", () => {
    expect(sensor('t-f').config.range).toEqual([-40, 212]);
    expect(sensor('w-g').config.sampleRate).toBe(25600);
  });
});

describe('units.ts tables', () => {
  it('returns no converter for a unit that does not measure the kind', () => {
    expect(converterFor('power', '°C')).toBeUndefined();
    expect(converterFor('pressure', 'Pa')).toBeDefined();
    expect(converterFor('temperature', 'kW')).toBeUndefined();
    expect(converterFor('waveform', 'mm/s')).toBeUndefined(); // velocity is not acceleration
  });

  it('distinguishes mbar as pressure (→ bar) from mbar as differential pressure (→ Pa)', () => {
    expect(converterFor('pressure', 'mbar')!(500)).toBeCloseTo(0.5, 12);
    expect(converterFor('differential_pressure', 'mbar')!(0.5)).toBeCloseTo(50, 12);
  });

  it('lists for every kind its canonical unit among the accepted units (identity converter)', () => {
    for (const kind of SENSOR_KINDS) {
      const canonical = KINDS[kind].canonical;
      expect(unitsOf(kind), kind).toContain(canonical);
      expect(converterFor(kind, canonical)!(42.125), kind).toBe(42.125);
    }
  });
});
