/**
 * Bad configuration fails at start with a ConfigError whose message names the file, the YAML
 * line, the path in the model and the fix (DESIGN.md, C5). Each case below edits one line of
 * a small valid model, writes it to a real file and loads it the way the CLI does.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, it, expect } from 'vitest';
import { ConfigError, loadPlantModel, parsePlantModel } from '../../config/load.js';
import { buildPlantIndex } from '../../config/plant-index.js';

const VALID = `plant:
  name: Test plant
sites:
  - id: basel
    timezone: Europe/Zurich
    lines:
      - id: granulation
        machines:
          - id: g-201
            vibrationClass: II
            sensors:
              - id: power
                kind: power
                unit: kW
                interval: 1s
                range: [0, 90]
              - id: product-temp
                kind: temperature
                unit: °C
                interval: 5s
                range: [5, 70]
                critical: true
      - id: coating
        machines:
          - id: cp-401
            sensors:
              - id: power
                kind: power
                unit: kW
                interval: 1s
              - id: energy
                kind: energy
                unit: kWh
                interval: 1m
                rollover: 999999.9
              - id: inlet-air-temp
                kind: temperature
                unit: °C
                interval: 5s
                range: [10, 95]
devices:
  - id: gw-basel
    prefix: plants/basel
`;

const dir = mkdtempSync(join(tmpdir(), 'plantpulse-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Replaces the single occurrence of `from` in the valid model. */
function edit(from: string, to: string): string {
  const at = VALID.indexOf(from);
  if (at < 0 || VALID.indexOf(from, at + 1) >= 0)
    throw new Error(`fixture edit "${from}" must match exactly once`);
  return VALID.slice(0, at) + to + VALID.slice(at + from.length);
}

/** 1-based line number of the n-th line of `text` that contains `needle`. */
function lineOf(text: string, needle: string, nth = 1): number {
  let seen = 0;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.includes(needle) && ++seen === nth) return i + 1;
  }
  throw new Error(`"${needle}" (occurrence ${nth}) not in the fixture`);
}

/** Writes `text` to a file, loads it and returns the ConfigError it must raise. */
function rejected(name: string, text: string): { file: string; error: ConfigError } {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, text);
  try {
    loadPlantModel(file);
  } catch (error) {
    if (error instanceof ConfigError) return { file, error };
    throw error;
  }
  throw new Error(`${name}: the model was accepted but should have been rejected`);
}

describe('the fixture itself', () => {
  it('is a valid model (so each case below fails only because of its one edit)', () => {
    const model = parsePlantModel(VALID, 'fixture');
    expect(model.sites[0]!.lines.map((l) => l.id)).toEqual(['granulation', 'coating']);
    expect(buildPlantIndex(model).sensors).toHaveLength(5);
  });
});

describe('ConfigError for schema violations names the file, the line, the path and the fix', () => {
  it('unknown key (typo "rnage" for "range")', () => {
    const text = edit('range: [10, 95]', 'rnage: [10, 95]');
    const { file, error } = rejected('unknown-key', text);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.code).toBe('PP_ERR_CONFIG');
    expect(error.file).toBe(file);
    expect(error.message.startsWith(`invalid plant model ${file}:\n`)).toBe(true);
    // The line is that of the typo itself, with the closest allowed key suggested.
    expect(error.problems).toEqual([
      `line ${lineOf(text, 'rnage: [10, 95]')}, sites[0].lines[1].machines[0].sensors[2]: ` +
        'unknown key "rnage"; did you mean "range"? remove or correct it (allowed here: id, name, kind, unit, interval, range, critical, rollover, sampleRate, since)',
    ]);
  });

  it('unknown key at site level ("timzone") is not silently ignored', () => {
    const text = edit('    timezone: Europe/Zurich\n', '    timzone: Europe/Zurich\n');
    const { error } = rejected('unknown-site-key', text);
    expect(error.message).toContain(
      `line ${lineOf(text, 'timzone: Europe/Zurich')}, sites[0]: unknown key "timzone"; did you mean "timezone"? remove or correct it`,
    );
  });

  it('wrong type: a duration written as a bare number', () => {
    const text = edit('interval: 1m', 'interval: 60');
    const { file, error } = rejected('wrong-type', text);
    expect(error.message).toBe(
      `invalid plant model ${file}:\n` +
        `  - line ${lineOf(text, 'interval: 60')}, sites[0].lines[1].machines[0].sensors[1].interval: ` +
        'expected string, got number 60; quote it, or for a duration add a unit such as "60s"',
    );
  });

  it('wrong type: a port given as a string', () => {
    const text = `${VALID}mqtt:\n  port: "1883"\n`;
    const { error } = rejected('wrong-type-port', text);
    expect(error.problems).toEqual([
      `line ${lineOf(text, 'port: "1883"')}, mqtt.port: expected number, got string "1883"`,
    ]);
  });

  it('missing required field (a sensor without interval)', () => {
    const text = edit('                interval: 1m\n', '');
    const { error } = rejected('missing-interval', text);
    // A missing key has no YAML node: the line is that of the mapping that should hold it.
    expect(error.problems).toEqual([
      `line ${lineOf(text, '- id: energy')}, sites[0].lines[1].machines[0].sensors[1].interval: missing required value (string); add it`,
    ]);
  });

  it('missing required field (a sensor without kind) lists the allowed kinds', () => {
    const text = edit('                kind: energy\n', '');
    const { error } = rejected('missing-kind', text);
    expect(error.problems).toHaveLength(1);
    const problem = error.problems[0]!;
    expect(
      problem.startsWith(
        `line ${lineOf(text, '- id: energy')}, sites[0].lines[1].machines[0].sensors[1].kind: `,
      ),
    ).toBe(true);
    expect(problem).toContain('missing required value (one of "power", "energy", "temperature"');
    expect(problem).toContain('"differential_pressure"');
    expect(problem.endsWith('; add it')).toBe(true);
  });

  it('missing required top-level section (plant)', () => {
    const text = VALID.replace('plant:\n  name: Test plant\n', '');
    const { error } = rejected('missing-plant', text);
    expect(error.problems).toEqual(['line 1, plant: missing required value (object); add it']);
  });

  it('bad duration ("10 sec")', () => {
    const text = edit('interval: 1m', 'interval: 10 sec');
    const { error } = rejected('bad-duration', text);
    expect(error.problems).toEqual([
      `line ${lineOf(text, 'interval: 10 sec')}, sites[0].lines[1].machines[0].sensors[1].interval: ` +
        '"10 sec" is not a duration; write a number and one of ms, s, m, h, d, w (e.g. "10s", "90d")',
    ]);
  });

  it('bad duration in a runtime section (storage.rawRetention: 3 months)', () => {
    const text = `${VALID}storage:\n  rawRetention: 3 months\n`;
    const { error } = rejected('bad-retention', text);
    expect(error.problems).toEqual([
      `line ${lineOf(text, 'rawRetention:')}, storage.rawRetention: "3 months" is not a duration; write a number and one of ms, s, m, h, d, w (e.g. "10s", "90d")`,
    ]);
  });

  it('unit that does not measure the kind (kind power, unit °C)', () => {
    const text = edit(
      '              - id: inlet-air-temp\n                kind: temperature',
      '              - id: inlet-air-temp\n                kind: power',
    );
    const { error } = rejected('unit-kind', text);
    expect(error.problems).toEqual([
      `line ${lineOf(text, 'unit: °C', 2)}, sites[0].lines[1].machines[0].sensors[2].unit: unit "°C" does not measure power; use one of "W", "kW", "MW"`,
    ]);
  });

  it('unknown kind (typo "enrgy") lists the kinds', () => {
    const text = edit('kind: energy', 'kind: enrgy');
    const { error } = rejected('unknown-kind', text);
    expect(error.problems[0]).toMatch(
      new RegExp(
        `^line ${lineOf(text, 'kind: enrgy')}, sites\\[0\\]\\.lines\\[1\\]\\.machines\\[0\\]\\.sensors\\[1\\]\\.kind: .*"energy"`,
      ),
    );
  });

  it('duplicate sensor ids on one machine', () => {
    const text = edit('- id: energy', '- id: power');
    const { error } = rejected('duplicate-sensor', text);
    expect(error.problems).toEqual([
      `line ${lineOf(text, '- id: power', 3)}, sites[0].lines[1].machines[0].sensors[1].id: ` +
        'duplicate id "power" (already used at index 0); ids must be unique among siblings',
    ]);
  });

  it('duplicate line ids on one site', () => {
    const text = edit('- id: coating', '- id: granulation');
    const { error } = rejected('duplicate-line', text);
    expect(error.problems).toEqual([
      `line ${lineOf(text, '- id: granulation', 2)}, sites[0].lines[1].id: duplicate id "granulation" (already used at index 0); ids must be unique among siblings`,
    ]);
  });

  it('the same id on different machines is fine (ids are unique among siblings only)', () => {
    // "power" exists on g-201 and cp-401 in the fixture.
    const model = parsePlantModel(VALID);
    const ids = model.sites[0]!.lines.flatMap((l) =>
      l.machines.flatMap((m) => m.sensors.map((s) => s.id)),
    );
    expect(ids.filter((id) => id === 'power')).toHaveLength(2);
  });

  it.each([
    ['min > max', '[95, 10]'],
    ['min = max', '[10, 10]'],
  ])('range with %s', (_label, bad) => {
    const text = edit('range: [10, 95]', `range: ${bad}`);
    const { error } = rejected(`range-${bad.replace(/\W/g, '')}`, text);
    expect(error.problems).toEqual([
      `line ${lineOf(text, `range: ${bad}`)}, sites[0].lines[1].machines[0].sensors[2].range: range must be [min, max] with min < max`,
    ]);
  });

  it('range with one number', () => {
    const text = edit('range: [10, 95]', 'range: [10]');
    const { error } = rejected('range-short', text);
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(
      new RegExp(
        `^line ${lineOf(text, 'range: [10]')}, sites\\[0\\]\\.lines\\[1\\]\\.machines\\[0\\]\\.sensors\\[2\\]\\.range: .*2 items`,
      ),
    );
  });

  it('id that cannot be an MQTT topic level', () => {
    const text = edit('- id: g-201', '- id: g/201');
    const { error } = rejected('bad-id', text);
    expect(error.problems).toEqual([
      `line ${lineOf(text, '- id: g/201')}, sites[0].lines[0].machines[0].id: ` +
        'use 1–64 letters, digits, "_", "." or "-", starting with a letter or digit (ids become MQTT topic levels)',
    ]);
  });

  it('device prefix with a wildcard', () => {
    const text = edit('prefix: plants/basel', 'prefix: plants/+/granulation');
    const { error } = rejected('bad-prefix', text);
    expect(error.problems).toEqual([
      `line ${lineOf(text, 'prefix:')}, devices[0].prefix: a topic prefix without wildcards, spaces or a trailing "/"`,
    ]);
  });

  it('reports every problem at once, not only the first', () => {
    const text = edit('interval: 1m', 'interval: 10 sec').replace(
      'range: [10, 95]',
      'range: [95, 10]',
    );
    const { error } = rejected('two-problems', text);
    expect(error.problems).toHaveLength(2);
    expect(error.problems[0]).toContain('sensors[1].interval: "10 sec" is not a duration');
    expect(error.problems[1]).toContain(
      'sensors[2].range: range must be [min, max] with min < max',
    );
  });
});

describe('ConfigError for files that are not a YAML plant model', () => {
  it('invalid YAML syntax names the line and the column', () => {
    const text = edit('unit: kWh', 'unit: kWh: total');
    const { file, error } = rejected('yaml-syntax', text);
    const line = lineOf(text, 'unit: kWh: total');
    expect(error.message.startsWith(`invalid plant model ${file}:\n`)).toBe(true);
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(
      new RegExp(
        `^line ${line}, column 23: YAML syntax: Nested mappings are not allowed in compact mappings`,
      ),
    );
  });

  it('tab indentation is a YAML syntax error on the right line', () => {
    const text = edit(
      '                interval: 5s\n                range: [5, 70]',
      '\t\t\t\tinterval: 5s\n                range: [5, 70]',
    );
    const { error } = rejected('yaml-tab', text);
    expect(error.problems[0]).toMatch(
      new RegExp(
        `^line ${lineOf(text, '\tinterval: 5s')}, column 1: YAML syntax: Tabs are not allowed as indentation`,
      ),
    );
  });

  it('duplicate keys in one mapping are a YAML error, not "last one wins"', () => {
    const text = edit(
      '                unit: kW\n                interval: 1s\n                range: [0, 90]',
      '                unit: kW\n                unit: W\n                interval: 1s\n                range: [0, 90]',
    );
    const { error } = rejected('yaml-duplicate-key', text);
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(
      new RegExp(
        `^line ${lineOf(text, 'unit: W')}, column 17: YAML syntax: Map keys must be unique`,
      ),
    );
  });

  it('missing file', () => {
    const file = join(dir, 'does-not-exist.yaml');
    let error: unknown;
    try {
      loadPlantModel(file);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe(
      `invalid plant model ${file}:\n` +
        '  - cannot read the file: file not found; pass --config with the path of a plant model (see examples/plant.yaml)',
    );
  });

  it.each([
    ['empty', ''],
    ['comments only', '# plant model to be written\n'],
    ['a bare scalar', 'basel\n'],
  ])('%s file', (label, text) => {
    const { file, error } = rejected(`not-a-model-${label.replace(/\W/g, '-')}`, text);
    expect(error.message).toBe(
      `invalid plant model ${file}:\n  - the file is empty or not a YAML mapping; start from examples/plant.yaml`,
    );
  });

  it('a top-level list instead of a mapping', () => {
    const { error } = rejected('top-level-list', '- id: basel\n');
    expect(error.problems).toEqual([
      'the file is empty or not a YAML mapping; start from examples/plant.yaml',
    ]);
  });
});

describe('ConfigError from buildPlantIndex (checks that need the whole model)', () => {
  it('a topic template that does not name the sensor', () => {
    const model = parsePlantModel(
      `${VALID}mqtt:\n  topicTemplate: plants/{site}/{line}/{machine}\n`,
    );
    expect(() => buildPlantIndex(model, 'plant.yaml')).toThrowError(ConfigError);
    expect(() => buildPlantIndex(model, 'plant.yaml')).toThrowError(
      'invalid plant model plant.yaml:\n  - mqtt.topicTemplate: "plants/{site}/{line}/{machine}" lacks {sensor}; every reading topic must name site, line, machine and sensor',
    );
  });

  it('a batch topic template that does not name the line', () => {
    const model = parsePlantModel(`${VALID}mqtt:\n  batchTopicTemplate: plants/{site}/batch\n`);
    expect(() => buildPlantIndex(model, 'plant.yaml')).toThrowError(
      'mqtt.batchTopicTemplate: lacks {line}',
    );
  });
});
