/**
 * Alert configuration: bad rules fail at start with a message naming the path and the fix;
 * the example plant's default rules load; a rule's signal matches derived series by kind or
 * suffix and raw sensors by kind, within its asset scope.
 */
import { describe, expect, it } from 'vitest';
import { inScope, signalMatches } from '../../alerts/rules.js';
import { alertsSchema, type AlertRule } from '../../config/alerts-schema.js';
import { loadPlantModel } from '../../config/load.js';

const issues = (input: unknown) => {
  const r = alertsSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

const rule = (extra: Record<string, unknown>) => ({
  id: 'r1',
  signal: 'temperature',
  condition: { type: 'above', threshold: 80 },
  ...extra,
});

describe('alert configuration', () => {
  it('names unknown channels, backwards hysteresis, duplicate ids and ambiguous stale limits', () => {
    expect(issues({ rules: [rule({ channels: ['pager'] })] })).toEqual([
      'rules.0.channels.0: no channel "pager" in alerts.channels (known: none)',
    ]);
    expect(
      issues({ rules: [rule({ condition: { type: 'above', threshold: 80, clear: 85 } })] }),
    ).toEqual([
      'rules.0.condition.clear: clear must be on the normal side of the threshold (≤ 80), or hysteresis works backwards',
    ]);
    expect(issues({ rules: [rule({}), rule({})] })).toEqual(['rules.1.id: duplicate rule id "r1"']);
    expect(
      issues({ rules: [rule({ condition: { type: 'stale', after: '1m', intervals: 3 } })] })[0],
    ).toMatch(/give exactly one of `after`/);
    expect(issues({ rules: [rule({ for: '5 minutes' })] })[0]).toMatch(
      /^rules\.0\.for: "5 minutes" is not a duration/,
    );
    expect(
      issues({ channels: [{ id: 'w', type: 'webhook', url: 'http://x', urlEnv: 'X' }] })[0],
    ).toMatch(/exactly one of `url` or `urlEnv`/);
    expect(
      issues({
        channels: [
          { id: 'm', type: 'email', host: 'h', from: 'a@b', to: ['c@d'], passwordEnv: 'my-secret' },
        ],
      })[0],
    ).toMatch(/^channels\.0\.passwordEnv: an environment variable name/);
  });

  it('groupBy defaults to one alert per asset and names the choices for a bad value', () => {
    expect(alertsSchema.parse({ rules: [rule({})] }).rules[0]!.groupBy).toBe('asset');
    expect(alertsSchema.parse({ rules: [rule({ groupBy: 'device' })] }).rules[0]!.groupBy).toBe(
      'device',
    );
    expect(issues({ rules: [rule({ groupBy: 'gateway' })] })).toEqual([
      'rules.0.groupBy: groupBy "gateway" is not one of asset | machine | line | device: asset = one alert per series (default), machine / line = per asset path, device = per publishing device or gateway',
    ]);
  });

  it('the example plant carries default rules over derived and raw signals', () => {
    const model = loadPlantModel('examples/plant.yaml');
    const ids = model.alerts.rules.map((r) => r.id);
    expect(ids).toEqual(
      expect.arrayContaining([
        'vibration-zone-c',
        'rul-short',
        'anomaly-sustained',
        'spc-critical',
        'sensor-stale',
      ]),
    );
    const zoneC = model.alerts.rules.find((r) => r.id === 'vibration-zone-c')!;
    expect(zoneC.condition).toEqual({ type: 'above', threshold: 3, clear: 3 });
    expect(zoneC.for).toBe(600_000);
    // A gateway outage pages once, not once per sensor it carries.
    expect(model.alerts.rules.find((r) => r.id === 'sensor-stale')!.groupBy).toBe('device');
  });

  it('matches series by derived kind or suffix, raw sensor kind, and asset prefix', () => {
    const r = (signal: string, assets: AlertRule['assets'] = 'all') =>
      ({ ...alertsSchema.parse({ rules: [rule({ signal, assets })] }).rules[0]! }) as AlertRule;
    const zone = {
      id: 1,
      key: 'basel/granulation/g-201/impeller-vibration:iso_zone',
      kind: 'iso_zone',
      unit: '1',
      derived: true,
    };
    const spc = {
      id: 2,
      key: 'basel/granulation/g-201/product-temp:spc',
      kind: 'spc_violation',
      unit: '1',
      derived: true,
    };
    const raw = {
      id: 3,
      key: 'basel/granulation/g-201/product-temp',
      kind: 'temperature',
      unit: '°C',
      derived: false,
    };
    const state = {
      id: 4,
      key: 'basel/granulation/g-201/product-temp:alert:r1',
      kind: 'alert_state',
      unit: '1',
      derived: true,
    };
    expect(signalMatches(r('iso_zone'), zone)).toBe(true);
    expect(signalMatches(r('spc'), spc)).toBe(true);
    expect(signalMatches(r('spc_violation'), spc)).toBe(true);
    expect(signalMatches(r('temperature'), raw)).toBe(true);
    expect(signalMatches(r('sensor'), raw)).toBe(true);
    expect(signalMatches(r('sensor'), zone)).toBe(false);
    expect(signalMatches(r('alert_state'), state)).toBe(false);
    expect(
      inScope(r('temperature', ['basel/granulation']), 'basel/granulation/g-201/product-temp'),
    ).toBe(true);
    expect(inScope(r('temperature', ['basel/gran']), 'basel/granulation/g-201/product-temp')).toBe(
      false,
    );
  });
});
