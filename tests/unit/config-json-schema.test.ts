/**
 * plantJsonSchema(): the JSON Schema editors use to autocomplete and check plant.yaml
 * (`# yaml-language-server: $schema=../plant.schema.json`), generated from the zod schema.
 *
 * The project has no JSON Schema validator among its dependencies, so this file carries a
 * small one for the keywords the generated schema uses (type, properties, required,
 * additionalProperties, items, prefixItems, enum, pattern, minItems, maxItems, minimum,
 * maximum, exclusiveMinimum) and checks the example against the schema as an editor would.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it, expect } from 'vitest';
import { parse } from 'yaml';
import { plantJsonSchema } from '../../config/schema.js';
import { SENSOR_KINDS } from '../../config/units.js';

type Schema = Record<string, unknown>;

const schema = plantJsonSchema();
const example: unknown = parse(
  readFileSync(fileURLToPath(new URL('../../examples/plant.yaml', import.meta.url)), 'utf8'),
);

/** Follows properties/items down the schema: at(schema, 'sites', '[]', 'lines'). */
function at(root: Schema, ...steps: string[]): Schema {
  let node: Schema = root;
  for (const step of steps) {
    const next =
      step === '[]' ? node.items : (node.properties as Record<string, Schema> | undefined)?.[step];
    if (!next || typeof next !== 'object')
      throw new Error(`schema has no ${steps.join('.')} (stopped at ${step})`);
    node = next as Schema;
  }
  return node;
}

const SENSOR = ['sites', '[]', 'lines', '[]', 'machines', '[]', 'sensors', '[]'];

/** Minimal JSON Schema (2020-12 subset) validator; returns the violations as "path: problem". */
function validate(s: Schema, value: unknown, path = '$'): string[] {
  const errors: string[] = [];
  const type = s.type as string | undefined;
  const isObject = value !== null && typeof value === 'object' && !Array.isArray(value);
  if (type) {
    const ok =
      (type === 'object' && isObject) ||
      (type === 'array' && Array.isArray(value)) ||
      (type === 'string' && typeof value === 'string') ||
      (type === 'number' && typeof value === 'number') ||
      (type === 'integer' && Number.isInteger(value)) ||
      (type === 'boolean' && typeof value === 'boolean');
    if (!ok) return [`${path}: expected ${type}`];
  }
  if (Array.isArray(s.enum) && !s.enum.includes(value))
    errors.push(`${path}: not one of ${JSON.stringify(s.enum)}`);
  if (
    typeof s.pattern === 'string' &&
    typeof value === 'string' &&
    !new RegExp(s.pattern, 'u').test(value)
  ) {
    errors.push(`${path}: does not match ${s.pattern}`);
  }
  if (typeof value === 'number') {
    if (typeof s.minimum === 'number' && value < s.minimum) errors.push(`${path}: below minimum`);
    if (typeof s.maximum === 'number' && value > s.maximum) errors.push(`${path}: above maximum`);
    if (typeof s.exclusiveMinimum === 'number' && value <= s.exclusiveMinimum)
      errors.push(`${path}: not above ${s.exclusiveMinimum}`);
  }
  if (isObject) {
    const obj = value as Record<string, unknown>;
    const props = (s.properties ?? {}) as Record<string, Schema>;
    for (const key of (s.required ?? []) as string[])
      if (!(key in obj)) errors.push(`${path}: missing ${key}`);
    for (const [key, v] of Object.entries(obj)) {
      if (props[key]) errors.push(...validate(props[key], v, `${path}.${key}`));
      else if (s.additionalProperties === false) errors.push(`${path}: unknown key ${key}`);
    }
  }
  if (Array.isArray(value)) {
    if (typeof s.minItems === 'number' && value.length < s.minItems)
      errors.push(`${path}: fewer than ${s.minItems} items`);
    if (typeof s.maxItems === 'number' && value.length > s.maxItems)
      errors.push(`${path}: more than ${s.maxItems} items`);
    const prefix = (s.prefixItems ?? []) as Schema[];
    value.forEach((item, i) => {
      const itemSchema = prefix[i] ?? s.items;
      if (itemSchema === false) errors.push(`${path}[${i}]: no item allowed here`);
      else if (itemSchema && typeof itemSchema === 'object')
        errors.push(...validate(itemSchema as Schema, item, `${path}[${i}]`));
    });
  }
  return errors;
}

describe('plantJsonSchema()', () => {
  it('is a draft 2020-12 JSON Schema for an object with sites and devices', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.type).toBe('object');
    expect(Object.keys(schema.properties as object)).toEqual(
      expect.arrayContaining(['plant', 'sites', 'devices', 'mqtt', 'ingest', 'storage', 'http']),
    );
    expect(schema.required).toEqual(expect.arrayContaining(['plant', 'sites']));
    expect(at(schema, 'sites').type).toBe('array');
    expect(at(schema, 'devices').type).toBe('array');
  });

  it('survives JSON serialisation unchanged (it is written to plant.schema.json)', () => {
    const text = JSON.stringify(schema);
    expect(JSON.parse(text)).toEqual(schema);
    expect(text.length).toBeGreaterThan(1000);
  });

  it('is strict like the zod schema: unknown keys are flagged in the editor too', () => {
    expect(schema.additionalProperties).toBe(false);
    expect(at(schema, ...SENSOR).additionalProperties).toBe(false);
    expect(at(schema, 'devices', '[]').additionalProperties).toBe(false);
    expect(at(schema, 'mqtt').additionalProperties).toBe(false);
  });

  it('offers the sensor kinds as an enum, and marks the required sensor fields', () => {
    const sensor = at(schema, ...SENSOR);
    expect(at(sensor, 'kind').enum).toEqual(SENSOR_KINDS);
    expect(sensor.required).toEqual(expect.arrayContaining(['id', 'kind', 'unit', 'interval']));
    expect(sensor.required).not.toContain('range');
    expect(at(sensor, 'range')).toMatchObject({ type: 'array', minItems: 2, maxItems: 2 });
    expect(at(sensor, 'kind').description).toMatch(/canonical unit/);
  });

  it('describes input (what the user types): durations are strings, defaults are optional', () => {
    expect(at(schema, ...SENSOR, 'interval').type).toBe('string');
    expect(at(schema, 'storage', 'rawRetention').type).toBe('string');
    expect(at(schema, ...SENSOR).required).not.toContain('critical');
    expect(at(schema, 'mqtt', 'allowAnonymous')).toMatchObject({ type: 'boolean', default: false });
  });

  it('offers the ISO 10816 classes for machines and the asset id pattern', () => {
    const machine = at(schema, 'sites', '[]', 'lines', '[]', 'machines', '[]');
    expect(at(machine, 'vibrationClass').enum).toEqual(['I', 'II', 'III', 'IV']);
    const idPattern = new RegExp(at(machine, 'id').pattern as string);
    expect(idPattern.test('g-201')).toBe(true);
    expect(idPattern.test('g/201')).toBe(false);
    expect(idPattern.test('+')).toBe(false);
  });

  it('accepts examples/plant.yaml, as an editor would', () => {
    expect(validate(schema, example)).toEqual([]);
  });

  it('flags a typo, a bad kind and a wrong type in a copy of the example', () => {
    const bad = structuredClone(example) as {
      sites: { lines: { machines: { sensors: Record<string, unknown>[] }[] }[] }[];
      mqtt: Record<string, unknown>;
    };
    const sensor = bad.sites[0]!.lines[0]!.machines[0]!.sensors[0]!;
    sensor.kind = 'powr';
    sensor.intervall = sensor.interval;
    delete sensor.interval;
    bad.mqtt.port = '1883';
    expect(validate(schema, bad).sort()).toEqual(
      [
        '$.sites[0].lines[0].machines[0].sensors[0]: missing interval',
        '$.sites[0].lines[0].machines[0].sensors[0]: unknown key intervall',
        `$.sites[0].lines[0].machines[0].sensors[0].kind: not one of ${JSON.stringify(SENSOR_KINDS)}`,
        '$.mqtt.port: expected integer',
      ].sort(),
    );
  });
});
