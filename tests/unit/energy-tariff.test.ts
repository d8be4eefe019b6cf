import { describe, expect, it } from 'vitest';
import { Tariff } from '../../analytics/energy/tariff.js';
import { buildEnergyModel } from '../../analytics/energy/model.js';
import { energySchema } from '../../config/energy-schema.js';
import { loadPlantModel } from '../../config/load.js';
import { buildPlantIndex } from '../../config/plant-index.js';
import { plantSchema } from '../../config/schema.js';
import { testPlant } from '../helpers/plant-fixture.js';

const swiss = energySchema.parse({
  tariff: {
    currency: 'CHF',
    basePrice: 0.19,
    periods: [
      { name: 'peak', days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: 7, to: 20, price: 0.29 },
      { name: 'saturday-morning', days: ['sat'], from: 7, to: 13, price: 0.24 },
    ],
    holidays: ['2026-08-01', '2026-12-25'],
  },
  co2: { factor: 0.128 },
});
const zurich = new Tariff(swiss, 'Europe/Zurich');
const at = (iso: string) => zurich.at(Date.parse(iso));

describe('time-of-use tariff in the site time zone', () => {
  it('prices weekday peak, night, Saturday and Sunday by local hour', () => {
    // Winter: Zurich = UTC+1. Tuesday 2026-11-24.
    expect(at('2026-11-24T06:00:00Z').price).toBe(0.29); // 07:00 local
    expect(at('2026-11-24T05:59:59Z').price).toBe(0.19); // 06:59 local
    expect(at('2026-11-24T18:59:00Z').price).toBe(0.29); // 19:59 local
    expect(at('2026-11-24T19:00:00Z').price).toBe(0.19); // 20:00 local
    expect(at('2026-11-28T08:00:00Z')).toMatchObject({ price: 0.24, period: 'saturday-morning' });
    expect(at('2026-11-29T10:00:00Z')).toMatchObject({ price: 0.19, period: 'base' });
  });

  it('follows daylight saving time (UTC+2 in summer)', () => {
    expect(at('2026-07-07T05:00:00Z').price).toBe(0.29); // Tuesday 07:00 CEST
    expect(at('2026-07-07T04:59:00Z').price).toBe(0.19);
  });

  it('bills a listed holiday as "holiday", not as its weekday', () => {
    // 2026-12-25 is a Friday; the peak period lists weekdays only.
    expect(at('2026-12-25T10:00:00Z')).toMatchObject({
      price: 0.19,
      local: { day: '2026-12-25', weekday: 'fri' },
    });
    expect(at('2026-12-24T10:00:00Z').price).toBe(0.29);
    // local date decides: 23:30 UTC on 31 Jul is already 1 Aug in Zurich
    expect(at('2026-07-31T23:30:00Z').price).toBe(0.19);
    expect(at('2026-07-31T21:30:00Z').local.day).toBe('2026-07-31');
    const withHoliday = energySchema.parse({
      tariff: {
        basePrice: 0.2,
        periods: [{ name: 'holiday', days: ['holiday'], from: 0, to: 24, price: 0.1 }],
        holidays: ['2026-12-25'],
      },
    });
    expect(
      new Tariff(withHoliday, 'Europe/Zurich').at(Date.parse('2026-12-25T12:00:00Z')).price,
    ).toBe(0.1);
  });

  it('uses a constant CO2 factor or an hourly table by local hour', () => {
    expect(at('2026-11-24T06:00:00Z').co2).toBe(0.128);
    const hourly = Array.from({ length: 24 }, (_, h) => 0.1 + h / 1000);
    const t = new Tariff(energySchema.parse({ co2: { hourly } }), 'Europe/Zurich');
    expect(t.at(Date.parse('2026-11-24T06:00:00Z')).co2).toBeCloseTo(0.107, 12); // 07 local
    expect(t.at(Date.parse('2026-07-07T06:00:00Z')).co2).toBeCloseTo(0.108, 12); // 08 local (CEST)
  });
});

describe('energy configuration', () => {
  it('has defaults, so plant files without an energy section stay valid', () => {
    const plant = plantSchema.parse(testPlant());
    expect(plant.energy).toMatchObject({
      gapFactor: 3,
      lateness: 600_000,
      revisionWindow: 172_800_000,
      sources: {},
    });
    expect(plant.energy.tariff).toMatchObject({
      currency: 'CHF',
      basePrice: 0,
      periods: [],
      holidays: [],
    });
    expect(plant.energy.co2).toEqual({ factor: 0 });
  });

  it('rejects a bad demand window, inverted hours, a 23-entry CO2 table and unknown keys, naming the path', () => {
    const issues = (x: unknown) =>
      energySchema.safeParse(x).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];
    expect(issues({ tariff: { peakDemand: { window: '5m', pricePerKw: 10 } } }).join()).toMatch(
      /tariff\.peakDemand\.window: .*10m.*15m/,
    );
    expect(
      issues({
        tariff: { periods: [{ name: 'x', days: ['mon'], from: 20, to: 7, price: 1 }] },
      }).join(),
    ).toMatch(/tariff\.periods\.0\.to/);
    expect(issues({ co2: { hourly: new Array(23).fill(0.1) } }).length).toBeGreaterThan(0);
    expect(issues({ gapfactor: 3 }).join()).toMatch(/gapfactor/);
  });

  it('power wins by default; a configured counter wins; a source naming a missing meter fails at start', () => {
    const plant = (sources: Record<string, string>) =>
      buildPlantIndex(
        plantSchema.parse(
          testPlant({
            machines: 1,
            overrides: {
              energy: { sources } as never,
            },
          }),
        ),
      );
    const m = buildEnergyModel(plant({}));
    expect(m.lines.get('t/l1')!.machines).toEqual([
      { path: 't/l1/m1', line: 't/l1', meter: 't/l1/m1/power', source: 'power' },
    ]);
    expect(() => buildEnergyModel(plant({ 't/l1/m1': 'counter' }))).toThrow(
      /"counter" but the machine has no energy counter/,
    );
    expect(() => buildEnergyModel(plant({ 't/l1/nope': 'power' }))).toThrow(/no such machine/);
  });

  it('the example plant documents a valid energy section (Swiss tariff, CO2 factor, a counter source)', () => {
    const model = buildEnergyModel(buildPlantIndex(loadPlantModel('examples/plant.yaml')));
    expect(model.cfg.tariff.currency).toBe('CHF');
    expect(model.cfg.co2).toEqual({ factor: 0.128 });
    const dm = model.lines
      .get('basel/compression')!
      .machines.find((m) => m.path.endsWith('/dm-304'));
    expect(dm?.source).toBe('counter');
    const zurichRate = model.sites.get('basel')!.tariff.at(Date.parse('2026-08-01T10:00:00Z'));
    expect(zurichRate.price).toBe(model.cfg.tariff.basePrice); // Swiss National Day, a Saturday holiday
  });
});
