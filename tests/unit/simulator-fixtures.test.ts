/** The golden fixtures in tests/fixtures are exactly what the simulator generates today. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURE_CASES, generateFixture } from '../../simulator/fixtures.js';

describe('golden fixtures', () => {
  for (const c of FIXTURE_CASES) {
    it(`${c.name} is reproducible (plantpulse simulate fixtures --out tests/fixtures)`, () => {
      const f = generateFixture(c);
      const dir = join('tests/fixtures', c.name);
      expect(readFileSync(join(dir, 'plant.yaml'), 'utf8')).toBe(f.plant);
      expect(readFileSync(join(dir, 'expected.json'), 'utf8')).toBe(f.expected);
      // Compare the stream as a whole but report a differing line, not a 1 MB diff.
      const want = readFileSync(join(dir, 'input.jsonl'), 'utf8');
      if (want !== f.input) {
        const a = want.split('\n');
        const b = f.input.split('\n');
        const i = a.findIndex((l, k) => l !== b[k]);
        expect(b[i], `input.jsonl differs first at line ${i + 1}`).toBe(a[i]);
      }
      expect(f.input.length).toBe(want.length);
    });
  }
});
