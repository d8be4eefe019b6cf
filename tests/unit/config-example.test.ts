/**
 * The shipped example plant model (examples/plant.yaml) is what new users copy, what the
 * simulator publishes and what the dashboards are first generated from: it must load, be
 * large enough to exercise every part, and be consistent with the ACL (every topic has a
 * device that may publish it).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it, expect } from 'vitest';
import { loadPlantModel, parsePlantModel } from '../../config/load.js';
import {
  buildPlantIndex,
  topicUnder,
  type PlantIndex,
  type SensorInfo,
} from '../../config/plant-index.js';
import type { PlantModel } from '../../config/schema.js';
import { SENSOR_KINDS, type SensorKind } from '../../config/units.js';

const EXAMPLE = fileURLToPath(new URL('../../examples/plant.yaml', import.meta.url));
const model: PlantModel = loadPlantModel(EXAMPLE);
const index: PlantIndex = buildPlantIndex(model, EXAMPLE);

const machines = model.sites.flatMap((s) => s.lines.flatMap((l) => l.machines));
const ofKind = (kind: SensorKind): SensorInfo[] => index.sensors.filter((s) => s.kind === kind);
const sensorAt = (path: string): SensorInfo => {
  const s = index.sensorByPath.get(path);
  if (!s) throw new Error(`no sensor ${path} in the example`);
  return s;
};

describe('examples/plant.yaml loads and is large enough to exercise the platform', () => {
  it('loads through the same path as the CLI (relative path from the repository root)', () => {
    const viaRelative = loadPlantModel('examples/plant.yaml');
    expect(viaRelative).toEqual(model);
  });

  it('describes one site, Basel, in the Europe/Zurich time zone', () => {
    expect(model.sites.map((s) => s.id)).toEqual(['basel']);
    expect(model.sites[0]!.timezone).toBe('Europe/Zurich');
  });

  it('has at least 3 lines, 20 machines and 100 sensors', () => {
    expect(index.lines.length).toBeGreaterThanOrEqual(3);
    expect(machines.length).toBeGreaterThanOrEqual(20);
    expect(index.sensors.length).toBeGreaterThanOrEqual(100);
  });

  it('has the production lines of an OSD plant plus HVAC and utilities', () => {
    expect(index.lines.map((l) => l.line)).toEqual(
      expect.arrayContaining([
        'granulation',
        'compression',
        'coating',
        'packaging',
        'hvac',
        'utilities',
      ]),
    );
  });

  it('uses every sensor kind the platform knows, so the simulator and dashboards cover them all', () => {
    const kinds = new Set(index.sensors.map((s) => s.kind));
    for (const kind of SENSOR_KINDS) expect(kinds, `kind ${kind}`).toContain(kind);
  });

  it('gives every machine a readable name and an equipment type', () => {
    for (const m of machines) {
      expect(m.name, m.id).toMatch(/\w+ [A-Z]+-\d{3}/); // e.g. "High-shear granulator G-201"
      expect(m.type, m.id).toBeTruthy();
    }
  });
});

describe('energy metering', () => {
  it('gives every machine a power sensor in kW sampled every 1 s or 5 s with a range from 0', () => {
    for (const m of machines) {
      const power = m.sensors.filter((s) => s.kind === 'power');
      expect(
        power.map((s) => s.id),
        m.id,
      ).toEqual(['power']);
      const p = power[0]!;
      expect(p.unit).toBe('kW');
      expect([1_000, 5_000]).toContain(p.interval);
      expect(p.range?.[0]).toBe(0);
      expect(p.range?.[1]).toBeGreaterThan(0);
      expect(p.range?.[1]).toBeLessThanOrEqual(500);
    }
  });

  it('gives every machine an energy counter, several of them with a register rollover', () => {
    for (const m of machines) {
      expect(
        m.sensors.filter((s) => s.kind === 'energy').map((s) => s.id),
        m.id,
      ).toEqual(['energy']);
    }
    const withRollover = ofKind('energy').filter((s) => s.config.rollover !== undefined);
    expect(withRollover.length).toBeGreaterThanOrEqual(3);
    expect(withRollover.map((s) => s.config.rollover)).toContain(999999.9);
    // Some meters count in Wh: their rollover is in the declared unit, like the range.
    expect(
      ofKind('energy').some((s) => s.declaredUnit === 'Wh' && s.config.rollover !== undefined),
    ).toBe(true);
  });

  it('declares rollover only on energy counters, never below the top of the counter range', () => {
    for (const s of index.sensors) {
      if (s.config.rollover === undefined) continue;
      expect(s.kind, s.path).toBe('energy');
      if (s.config.range) expect(s.config.range[1], s.path).toBeLessThanOrEqual(s.config.rollover);
    }
  });
});

describe('process and condition-monitoring sensors', () => {
  it('has temperatures, pressures, cleanroom differential pressures, humidity, flow and speed', () => {
    expect(ofKind('temperature').length).toBeGreaterThanOrEqual(10);
    expect(ofKind('pressure').length).toBeGreaterThanOrEqual(3);
    expect(
      ofKind('differential_pressure').filter((s) => s.sensor.startsWith('room-dp-')).length,
    ).toBeGreaterThanOrEqual(4);
    expect(ofKind('humidity').length).toBeGreaterThanOrEqual(3);
    expect(ofKind('flow').length).toBeGreaterThanOrEqual(3);
    expect(ofKind('speed').length).toBeGreaterThanOrEqual(5);
  });

  it('uses pressure units in bar or mbar and cleanroom cascade pressures in Pa', () => {
    expect(new Set(ofKind('pressure').map((s) => s.declaredUnit))).toEqual(
      new Set(['bar', 'mbar']),
    );
    for (const s of ofKind('differential_pressure').filter((x) =>
      x.sensor.startsWith('room-dp-'),
    )) {
      expect(s.declaredUnit, s.path).toBe('Pa');
    }
  });

  it('gives every machine with a vibration sensor an ISO 10816 class, and uses mm/s RMS', () => {
    const withVibration = machines.filter((m) => m.sensors.some((s) => s.kind === 'vibration'));
    expect(withVibration.length).toBeGreaterThanOrEqual(10);
    for (const m of withVibration)
      expect(['I', 'II', 'III', 'IV'], m.id).toContain(m.vibrationClass);
    for (const s of ofKind('vibration')) expect(s.declaredUnit, s.path).toBe('mm/s');
  });

  it('records waveforms on the granulator impeller drive, the tablet press main drive and the compressors', () => {
    const waveforms = ofKind('waveform');
    expect(waveforms.map((s) => s.machineConfig.type)).toEqual(
      expect.arrayContaining(['granulator', 'tablet-press', 'air-compressor']),
    );
    expect(
      waveforms.filter((s) => s.machineConfig.type === 'air-compressor').length,
    ).toBeGreaterThanOrEqual(2);
    for (const s of waveforms) {
      expect(['g', 'm/s²'], s.path).toContain(s.declaredUnit);
      expect(s.config.sampleRate, s.path).toBe(25600);
      expect(s.machineConfig.vibrationClass, s.path).toBeDefined();
    }
    // sampleRate means something only for waveforms.
    for (const s of index.sensors.filter((x) => x.kind !== 'waveform'))
      expect(s.config.sampleRate, s.path).toBeUndefined();
  });

  it('marks the GMP-critical process values', () => {
    const critical = new Set(index.sensors.filter((s) => s.config.critical).map((s) => s.path));
    expect(critical).toContain('basel/granulation/fbd-202/product-temp');
    expect(critical).toContain('basel/coating/cp-401/inlet-air-temp');
    expect(critical).toContain('basel/hvac/ahu-601/room-dp-gr101');
    // Every cleanroom cascade pressure is critical; energy and vibration never are.
    for (const s of ofKind('differential_pressure').filter((x) =>
      x.sensor.startsWith('room-dp-'),
    )) {
      expect(critical, s.path).toContain(s.path);
    }
    for (const s of [...ofKind('power'), ...ofKind('energy'), ...ofKind('vibration')]) {
      expect(s.config.critical, s.path).toBe(false);
    }
  });

  it('gives every sensor a valid range, with physically sensible bounds in canonical units', () => {
    for (const s of index.sensors) {
      expect(s.range, s.path).toBeDefined();
      const [lo, hi] = s.range!;
      expect(lo, s.path).toBeLessThan(hi);
      if (s.kind === 'humidity' || s.kind === 'level') {
        expect(lo, s.path).toBeGreaterThanOrEqual(0);
        expect(hi, s.path).toBeLessThanOrEqual(100);
      }
      if (s.kind === 'temperature') {
        expect(lo, s.path).toBeGreaterThanOrEqual(-100);
        expect(hi, s.path).toBeLessThanOrEqual(300);
      }
      if (['power', 'energy', 'vibration', 'flow', 'speed', 'current'].includes(s.kind)) {
        expect(lo, s.path).toBe(0);
      }
      if (s.kind === 'vibration') expect(hi, s.path).toBeGreaterThanOrEqual(45); // above ISO 10816 zone D
    }
  });

  it('converts declared units to canonical ones (FBD filter dp in mbar, Wh sub-meters)', () => {
    const filterDp = sensorAt('basel/granulation/fbd-202/filter-dp');
    expect(filterDp.declaredUnit).toBe('mbar');
    expect(filterDp.canonicalUnit).toBe('Pa');
    expect(filterDp.range).toEqual([0, 5000]);
    const wh = sensorAt('basel/compression/dm-304/energy');
    expect(wh.canonicalUnit).toBe('kWh');
    expect(wh.toCanonical(1500)).toBeCloseTo(1.5, 12);
  });

  it('expects sensible intervals: power fast, waveform blocks every few minutes', () => {
    for (const s of index.sensors) {
      expect(s.intervalMs, s.path).toBeGreaterThanOrEqual(1_000);
      expect(s.intervalMs, s.path).toBeLessThanOrEqual(15 * 60_000);
    }
    for (const s of ofKind('waveform')) expect(s.intervalMs, s.path).toBeGreaterThanOrEqual(60_000);
  });
});

describe('devices and the topic ACL', () => {
  it('gives every sensor a device allowed to publish its topic', () => {
    for (const s of index.sensors) {
      expect(s.topic, s.path).toBe(`plants/${s.site}/${s.line}/${s.machine}/${s.sensor}`);
      expect(s.device, s.path).toBeDefined();
      const device = index.devices.get(s.device!);
      expect(device, s.path).toBeDefined();
      expect(topicUnder(device!.prefix, s.topic), s.path).toBe(true);
    }
  });

  it('gives every line a device for its batch topic, the MES on production lines', () => {
    for (const l of index.lines) {
      expect(l.batchTopic).toBe(`plants/basel/${l.line}/batch`);
      expect(l.device, l.path).toBeDefined();
      expect(index.lineByBatchTopic.get(l.batchTopic)).toBe(l);
    }
    for (const line of ['granulation', 'compression', 'coating', 'packaging']) {
      expect(index.lines.find((l) => l.line === line)?.device).toBe(`mes-${line}`);
    }
  });

  it('has one gateway per line, and the most specific prefix wins', () => {
    for (const l of index.lines) {
      expect(index.devices.get(`gw-${l.line}`)?.prefix).toBe(`plants/basel/${l.line}`);
    }
    // The line gateway publishes readings, not batch events; the condition-monitoring unit
    // owns exactly its waveform topic on the compressor.
    expect(sensorAt('basel/granulation/g-201/power').device).toBe('gw-granulation');
    expect(sensorAt('basel/utilities/ac-702/drive-end-waveform').device).toBe('cms-ac-702');
    expect(sensorAt('basel/utilities/ac-702/drive-end-vibration').device).toBe('gw-utilities');
  });

  it('requires authentication (no anonymous clients)', () => {
    expect(model.mqtt.allowAnonymous).toBe(false);
  });

  it('has no device whose prefix covers nothing (a typo in a prefix would lock a gateway out)', () => {
    const topics = [...index.sensorByTopic.keys(), ...index.lineByBatchTopic.keys()];
    for (const d of model.devices) {
      expect(
        topics.some((t) => topicUnder(d.prefix, t)),
        d.id,
      ).toBe(true);
    }
  });
});

describe('file conventions', () => {
  const text = readFileSync(EXAMPLE, 'utf8');

  it('points editors at the generated JSON Schema and explains itself in a header comment', () => {
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=../plant.schema.json');
    expect(text).toMatch(/^# PlantPulse plant model/m);
  });

  it('spells out the runtime sections with their default values', () => {
    // The same model without the runtime sections gets the schema defaults; the example
    // only writes them out (with comments), so both must agree.
    const withoutRuntime = text.replace(/\nmqtt:[\s\S]*$/, '\n');
    expect(withoutRuntime).not.toContain('ingest:');
    const defaults = parsePlantModel(withoutRuntime, 'example-without-runtime-sections');
    expect(model.ingest).toEqual(defaults.ingest);
    expect(model.storage).toEqual(defaults.storage);
    expect(model.http).toEqual(defaults.http);
    expect(model.mqtt).toEqual(defaults.mqtt);
    expect(model.storage.rawRetention).toBe(90 * 86_400_000);
  });
});
