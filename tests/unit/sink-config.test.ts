/**
 * The `sinks.influx` section of the plant model: defaults, strictness, token sources, and the
 * start-up errors that name the path and the fix.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ConfigError, parsePlantModel } from '../../config/load.js';
import { influxSinkSchema } from '../../config/sinks-schema.js';
import { resolveToken } from '../../sinks/influx/sink.js';
import { testPlant } from '../helpers/plant-fixture.js';

const base = { url: 'http://127.0.0.1:8086', bucket: 'plantpulse' };

describe('sinks.influx configuration', () => {
  it('is optional: no section, no sink', () => {
    expect(parsePlantModel(stringify(testPlant())).sinks).toBeUndefined();
  });

  it('fills defaults and parses durations', () => {
    const model = parsePlantModel(
      stringify(
        testPlant({ overrides: { sinks: { influx: { ...base, flushInterval: '250ms' } } } }),
      ),
    );
    expect(model.sinks?.influx).toMatchObject({
      url: 'http://127.0.0.1:8086',
      bucket: 'plantpulse',
      org: '',
      batchLines: 10_000,
      flushInterval: 250,
      retryMax: 30_000,
      gzip: true,
      ensureSchema: true,
      dbrp: { retentionPolicy: 'autogen' },
      cursor: 'sink:influx',
    });
  });

  it('rejects unknown keys, bad URLs and two token sources, naming the path', () => {
    const bad = (influx: Record<string, unknown>) => () =>
      parsePlantModel(stringify({ ...testPlant(), sinks: { influx } }), 'plant.yaml');
    expect(bad({ ...base, batchline: 10 })).toThrow(/sinks\.influx.*batchline/s);
    expect(bad({ ...base, url: 'not a url' })).toThrow(/sinks\.influx\.url/);
    expect(bad({ ...base, token: 'a', tokenEnv: 'B' })).toThrow(
      /sinks\.influx\.tokenEnv.*one way only/s,
    );
    expect(bad({ ...base, flushInterval: 'soon' })).toThrow(/sinks\.influx\.flushInterval/);
  });
});

describe('token resolution', () => {
  const log = pino({ level: 'silent' });

  it('reads tokenEnv and fails clearly when the variable is unset', () => {
    const cfg = influxSinkSchema.parse({ ...base, tokenEnv: 'INFLUX_TOKEN' });
    expect(
      resolveToken(cfg, { store: undefined as never, log, env: { INFLUX_TOKEN: 's3cret' } }, log),
    ).toBe('s3cret');
    expect(() =>
      resolveToken(cfg, { store: undefined as never, log, env: {}, configFile: 'plant.yaml' }, log),
    ).toThrow(ConfigError);
    expect(() => resolveToken(cfg, { store: undefined as never, log, env: {} }, log)).toThrow(
      /INFLUX_TOKEN is not set/,
    );
  });

  it('fails clearly when tokenFile cannot be read', () => {
    const cfg = influxSinkSchema.parse({ ...base, tokenFile: '/nonexistent/token' });
    expect(() => resolveToken(cfg, { store: undefined as never, log }, log)).toThrow(
      /sinks\.influx\.tokenFile: cannot read/,
    );
  });

  it('warns about an inline token', () => {
    const warnings: string[] = [];
    const spy = pino({ level: 'warn' }, { write: (s: string) => warnings.push(s) });
    const cfg = influxSinkSchema.parse({ ...base, token: 'inline' });
    expect(resolveToken(cfg, { store: undefined as never, log: spy }, spy)).toBe('inline');
    expect(warnings.join('')).toMatch(/inline.*tokenFile or tokenEnv/);
  });
});
