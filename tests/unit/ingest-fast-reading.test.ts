/**
 * `isReading` (ingest/fast-reading.ts) is the allocation-free shape check ingest runs on every
 * reading; `readingSchema` (ingest/payload-schemas.ts) is the source of truth. The two must give
 * the same answer for every input, or ingest accepts what the schema forbids (or the reverse).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isReading } from '../../ingest/fast-reading.js';
import { readingSchema } from '../../ingest/payload-schemas.js';

const RUNS = 20_000;

const agree = (x: unknown): boolean => isReading(x) === readingSchema.safeParse(x).success;

/** Numbers with every awkward corner: NaN, ±Infinity, -0, huge, tiny, fractional, integers. */
const anyNumber = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.constantFrom(
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    -0,
    0,
    1,
    2,
    3,
    -1,
    0.5,
    1e308,
    -1e308,
    Number.MAX_VALUE,
    Number.MIN_VALUE,
    Number.MAX_SAFE_INTEGER,
    Number.MAX_SAFE_INTEGER + 2,
    1e21,
    1.7e12,
  ),
);

const anyString = fc.oneof(
  fc.string(),
  fc.constantFrom('good', 'uncertain', 'bad', 'Good', 'BAD', '0', '1', '2', '', 'kW', 'W', '2026-03-01T12:00:00Z', 'NaN', 'Infinity'),
);

/** A value of any type, biased towards the ones the reading fields care about. */
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: anyNumber },
  { weight: 3, arbitrary: anyString },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 2, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.bigInt() },
  { weight: 1, arbitrary: fc.array(fc.oneof(anyNumber, anyString), { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.object({ maxDepth: 1, maxKeys: 3 }) },
  { weight: 1, arbitrary: fc.constantFrom(new Date(0), new Number(1), new String('good'), Object.create(null)) },
);

const KEYS = ['ts', 'v', 'unit', 'q'] as const;
const anyKey = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...KEYS) },
  { weight: 2, arbitrary: fc.constantFrom('extra', 'value', 'TS', 'V', ' ts', 'ts ', '', '__proto__', 'constructor', 'toString', 'hasOwnProperty', '0') },
  { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
);

type Shape = 'plain' | 'null-prototype' | 'inherits';

/** Builds the object with own enumerable properties (even "__proto__", as JSON.parse would). */
function build(entries: [string, unknown][], shape: Shape, inherited: [string, unknown][]): Record<string, unknown> {
  let proto: object | null = Object.prototype;
  if (shape === 'null-prototype') proto = null;
  if (shape === 'inherits') {
    proto = {};
    for (const [k, v] of inherited) Object.defineProperty(proto, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  const o = Object.create(proto) as Record<string, unknown>;
  for (const [k, v] of entries) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  return o;
}

const readingLike = fc
  .tuple(
    fc.array(fc.tuple(anyKey, anyValue), { maxLength: 6 }),
    fc.constantFrom<Shape>('plain', 'plain', 'plain', 'plain', 'null-prototype', 'inherits'),
    fc.array(fc.tuple(fc.constantFrom(...KEYS), anyValue), { maxLength: 2 }),
  )
  .map(([entries, shape, inherited]) => build(entries, shape, inherited));

/** Mostly-valid readings: fields usually drawn from the accepted set, sometimes anything, keys sometimes omitted. */
const mostly = <T,>(good: fc.Arbitrary<T>): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 6, arbitrary: good }, { weight: 1, arbitrary: anyValue });
const nearlyValidFields = {
  ts: mostly(fc.oneof(fc.integer({ min: 0, max: 4e12 }), anyString)),
  v: mostly(fc.double({ noNaN: true, noDefaultInfinity: true })),
  unit: mostly(fc.oneof(anyString, fc.constant(undefined))),
  q: mostly(fc.constantFrom<unknown>('good', 'uncertain', 'bad', 0, 1, 2, -0, undefined)),
};
const nearlyValid = fc.oneof(
  fc.record(nearlyValidFields, { requiredKeys: ['ts', 'v'] }),
  fc.record(nearlyValidFields, { requiredKeys: [] }),
  fc.record({ ...nearlyValidFields, extra: anyValue }, { requiredKeys: [] }),
) as fc.Arbitrary<Record<string, unknown>>;

describe('isReading agrees with readingSchema.safeParse(x).success', () => {
  it(`on objects built from reading keys and arbitrary values (${RUNS} runs)`, () => {
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(fc.oneof(readingLike, nearlyValid), (x) => {
        const ok = readingSchema.safeParse(x).success;
        if (ok) accepted++;
        else refused++;
        expect(isReading(x)).toBe(ok);
      }),
      { numRuns: RUNS },
    );
    // The generator must exercise both answers, or the property proves little.
    expect(accepted).toBeGreaterThan(RUNS / 10);
    expect(refused).toBeGreaterThan(RUNS / 10);
  });

  it(`on fc.anything() (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(
        fc.anything({ withBoxedValues: true, withNullPrototype: true, withObjectString: true, withDate: true, withBigInt: true, withMap: true, withSet: true }),
        (x) => {
          expect(isReading(x)).toBe(readingSchema.safeParse(x).success);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it.each<[string, unknown, boolean]>([
    ['minimal epoch-ms reading', { ts: 1, v: 2 }, true],
    ['RFC 3339 string ts, every optional field', { ts: '2026-03-01T12:00:00Z', v: -0, unit: 'kW', q: 'uncertain' }, true],
    ['optional keys present but undefined', { ts: 1, v: 1, unit: undefined, q: undefined }, true],
    ['q as -0 (=== 0)', { ts: 1, v: 1, q: -0 }, true],
    ['q as the string "1"', { ts: 1, v: 1, q: '1' }, false],
    ['q out of the enum', { ts: 1, v: 1, q: 3 }, false],
    ['v NaN', { ts: 1, v: Number.NaN }, false],
    ['v Infinity', { ts: 1, v: Number.POSITIVE_INFINITY }, false],
    ['ts -Infinity', { ts: Number.NEGATIVE_INFINITY, v: 1 }, false],
    ['v as a numeric string', { ts: 1, v: '1' }, false],
    ['missing v', { ts: 1 }, false],
    ['missing ts', { v: 1 }, false],
    ['ts undefined', { ts: undefined, v: 1 }, false],
    ['unknown key', { ts: 1, v: 1, extra: 1 }, false],
    ['unknown key holding undefined', { ts: 1, v: 1, extra: undefined }, false],
    ['own "__proto__" key (as JSON.parse makes it)', JSON.parse('{"ts":1,"v":1,"__proto__":{}}'), false],
    ['unit null', { ts: 1, v: 1, unit: null }, false],
    ['an array', [{ ts: 1, v: 1 }], false],
    ['null', null, false],
    ['a number', 1, false],
    ['null-prototype reading', Object.assign(Object.create(null) as object, { ts: 1, v: 1 }), true],
  ])('%s', (_name, x, expected) => {
    expect(readingSchema.safeParse(x).success).toBe(expected);
    expect(isReading(x)).toBe(expected);
    expect(agree(x)).toBe(true);
  });
});
