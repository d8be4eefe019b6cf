import { describe, expect, it } from 'vitest';
import { filterReaches, filterWithin } from '../../broker/hooks/authorize-subscribe.js';
import { buildPlantIndex, topicUnder } from '../../config/plant-index.js';
import { plantSchema } from '../../config/schema.js';

describe('topicUnder (publish prefix, MQTT topic levels)', () => {
  it('matches the prefix itself and topics below it, not siblings sharing characters', () => {
    expect(topicUnder('plants/a/l1', 'plants/a/l1')).toBe(true);
    expect(topicUnder('plants/a/l1', 'plants/a/l1/m/power')).toBe(true);
    expect(topicUnder('plants/a/l1', 'plants/a/l10/m/power')).toBe(false);
    expect(topicUnder('plants/a/l1', 'plants/a')).toBe(false);
  });
});

describe('filterWithin (a subscription stays inside the device prefix)', () => {
  it.each([
    ['plants/a/l1/#', true],
    ['plants/a/l1/+/power', true],
    ['plants/a/l1', true],
    ['plants/a/+/m/power', false],
    ['plants/#', false],
    ['#', false],
    ['plants/a', false],
    ['plants/a/l10/#', false],
  ])('%s → %s', (filter, expected) => {
    expect(filterWithin('plants/a/l1', filter)).toBe(expected);
  });
});

describe('filterReaches (could a filter match a nested device prefix)', () => {
  it.each([
    ['plants/a/l1/#', 'plants/a/l1/ac/vib', true],
    ['plants/a/l1/+/vib', 'plants/a/l1/ac/vib', true],
    ['plants/a/l1/+/vib/#', 'plants/a/l1/ac/vib', true],
    ['plants/a/l1/ac/vib', 'plants/a/l1/ac/vib', true],
    ['plants/a/l1/ac/vib/x', 'plants/a/l1/ac/vib', true],
    ['plants/a/l1/+/power', 'plants/a/l1/ac/vib', false],
    ['plants/a/l1/m2/#', 'plants/a/l1/ac/vib', false],
    ['plants/a/l1/+', 'plants/a/l1/ac/vib', false],
  ])('%s reaches %s → %s', (filter, prefix, expected) => {
    expect(filterReaches(filter, prefix)).toBe(expected);
  });
});

describe('ownerOf: the most specific device prefix owns a topic', () => {
  const index = buildPlantIndex(
    plantSchema.parse({
      plant: { name: 'p' },
      sites: [{ id: 'a', lines: [{ id: 'l1', machines: [{ id: 'ac', sensors: [{ id: 'vib', kind: 'vibration', unit: 'mm/s', interval: '1s' }, { id: 'power', kind: 'power', unit: 'kW', interval: '1s' }] }] }] }],
      devices: [
        { id: 'gw', prefix: 'plants/a/l1' },
        { id: 'cms', prefix: 'plants/a/l1/ac/vib' },
      ],
    }),
  );
  it('gives the nested sensor to the nested device and the rest to the line gateway', () => {
    expect(index.ownerOf('plants/a/l1/ac/vib')).toBe('cms');
    expect(index.ownerOf('plants/a/l1/ac/power')).toBe('gw');
    expect(index.ownerOf('plants/a/l1/batch')).toBe('gw');
    expect(index.ownerOf('plants/a/l1/unknown/x')).toBe('gw');
    expect(index.ownerOf('plants/a/l2/m/x')).toBeUndefined();
  });
});
