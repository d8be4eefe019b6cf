/**
 * What can become an InfluxDB tag value: the site, line, machine and sensor ids of the plant
 * model. They are restricted so that line-protocol escaping never has anything to do for them
 * (and MQTT wildcards cannot appear in topics built from them); free text from devices reaches
 * only string fields (tests/integration/influx-injection.test.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assetId, plantSchema } from '../../config/schema.js';
import { escapeTag } from '../../sinks/influx/line-protocol.js';
import { testPlant } from '../helpers/plant-fixture.js';

const HOSTILE = [',', ' ', '"', '=', '\n', '\r', '\\', '/', '+', '#', '\t', "'"];

describe('plant-model ids as tag values', () => {
  it.each(HOSTILE.map((c) => [JSON.stringify(c), c]))(
    'a site, line, machine or sensor id containing %s is refused with its path',
    (_label, c) => {
      const bad = `a${c}b`;
      const cases: [string, (p: ReturnType<typeof testPlant>) => void, (string | number)[]][] = [
        ['site', (p) => (p.sites[0]!.id = bad), ['sites', 0, 'id']],
        ['line', (p) => (p.sites[0]!.lines[0]!.id = bad), ['sites', 0, 'lines', 0, 'id']],
        [
          'machine',
          (p) => (p.sites[0]!.lines[0]!.machines[0]!.id = bad),
          ['sites', 0, 'lines', 0, 'machines', 0, 'id'],
        ],
        [
          'sensor',
          (p) => (p.sites[0]!.lines[0]!.machines[0]!.sensors[0]!.id = bad),
          ['sites', 0, 'lines', 0, 'machines', 0, 'sensors', 0, 'id'],
        ],
      ];
      for (const [, mutate, path] of cases) {
        const plant = testPlant({ machines: 1 });
        mutate(plant);
        const r = plantSchema.safeParse(plant);
        expect(r.success).toBe(false);
        expect(r.error!.issues.map((i) => i.path)).toContainEqual(path);
      }
    },
  );

  it('every id the schema accepts needs no line-protocol escaping (property)', () => {
    const id = assetId();
    fc.assert(
      fc.property(
        fc.string({
          minLength: 1,
          maxLength: 70,
          unit: fc.oneof(
            fc.constantFrom(...'aZ09_.-', ...HOSTILE),
            fc.string({ unit: 'binary', maxLength: 1 }),
          ),
        }),
        (s) => {
          const accepted = id.safeParse(s).success;
          if (accepted) expect(escapeTag(s)).toBe(s);
          if ([...s].some((c) => HOSTILE.includes(c))) expect(accepted).toBe(false);
        },
      ),
      { numRuns: 3_000 },
    );
    // and the accepted alphabet is exactly what the regex says, checked on every ASCII character
    for (let c = 0; c < 128; c++) {
      const ch = String.fromCharCode(c);
      const ok = id.safeParse(`a${ch}`).success;
      expect(ok, JSON.stringify(ch)).toBe(/[A-Za-z0-9_.-]/.test(ch));
      if (ok) expect(escapeTag(`a${ch}`)).toBe(`a${ch}`);
    }
  });
});
