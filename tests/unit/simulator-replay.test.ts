/** CSV parsing for `plantpulse replay`: long and wide forms, bad rows named by line number. */
import { describe, expect, it } from 'vitest';
import { parsePlantModel } from '../../config/load.js';
import { buildPlantIndex } from '../../config/plant-index.js';
import { FIXTURE_PLANT } from '../../simulator/fixtures.js';
import { planReplay, replayMessages, splitCsv } from '../../simulator/replay.js';

const index = buildPlantIndex(parsePlantModel(FIXTURE_PLANT));
const NOW = Date.parse('2026-03-20T00:00:00Z');

describe('replay CSV', () => {
  it('reads a long-form CSV and reports bad rows with their line numbers', () => {
    const text = [
      'timestamp,value',
      '2026-03-10T06:00:00Z,12.5',
      '1773122460000,13', // epoch ms
      '2026-03-10T06:02:00Z,abc',
      'yesterday,4',
      '2026-03-10T06:04:00Z,400', // range is [0, 90] kW
      '2026-03-10T06:05:00Z,1,2',
      '',
      '2026-03-10T06:06:00+01:00,14.25',
      '1773122,5',
    ].join('\n');
    const plan = planReplay(index, { text, sensor: 'fx/granulation/g-1/power', now: NOW });
    expect(plan.errors.map((e) => e.line)).toEqual([4, 5, 6, 7, 10]);
    expect(plan.errors[0]!.reason).toMatch(/"abc" is not a number/);
    expect(plan.errors[1]!.reason).toMatch(/neither RFC 3339/);
    expect(plan.errors[2]!.reason).toMatch(/outside the valid range \[0, 90\]/);
    expect(plan.errors[3]!.reason).toMatch(/expected 2 columns, found 3/);
    expect(plan.errors[4]!.reason).toMatch(/epoch seconds/);
    const rs = plan.readings.get(index.sensorByPath.get('fx/granulation/g-1/power')!)!;
    expect(rs).toEqual([
      { ts: Date.parse('2026-03-10T06:00:00Z'), v: 12.5 },
      { ts: 1773122460000, v: 13 },
      { ts: Date.parse('2026-03-10T05:06:00Z'), v: 14.25 },
    ]);
  });

  it('reads a wide CSV with mapped columns and gaps, and batches messages per sensor in time order', () => {
    const text = ['timestamp,fx/utilities/ac-1/power,P2', '2026-03-10T06:00:00Z,50,3.5', '2026-03-10T06:01:00Z,,3.6', '2026-03-10T06:02:00Z,52,x'].join('\n');
    const plan = planReplay(index, { text, wide: true, map: { P2: 'fx/granulation/bl-1/power' }, now: NOW });
    expect(plan.errors).toEqual([{ line: 4, reason: 'fx/granulation/bl-1/power: "x" is not a number' }]);
    const msgs = [...replayMessages(plan, 10)];
    expect(msgs.map((m) => [m.topic, m.device, m.readings])).toEqual([
      ['plants/fx/utilities/ac-1/power', 'gw-utilities', 2],
      ['plants/fx/granulation/bl-1/power', 'gw-granulation', 2],
    ]);
    expect(JSON.parse(msgs[1]!.payload)).toEqual([
      { ts: Date.parse('2026-03-10T06:00:00Z'), v: 3.5 },
      { ts: Date.parse('2026-03-10T06:01:00Z'), v: 3.6 },
    ]);
  });

  it('names an unknown column and how to map it', () => {
    expect(() => planReplay(index, { text: 'timestamp,foo\n2026-03-10T06:00:00Z,1', wide: true, now: NOW })).toThrow(/--map foo=site\/line\/machine\/sensor/);
  });

  it('splits quoted CSV cells', () => {
    expect(splitCsv('"2026-03-10T06:00:00Z","1,5"," x ""y"""')).toEqual(['2026-03-10T06:00:00Z', '1,5', 'x "y"']);
  });
});
