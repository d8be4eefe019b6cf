/**
 * fast-check arbitraries for the ingest fuzz test: (topic, payload) pairs that range from valid
 * readings through near misses (wrong types, out of range, bad units, bad timestamps, mutated
 * bytes) to garbage. Valid and invalid inputs are mixed so that both the accept path (stored)
 * and the reject path (dead-lettered) are exercised hard.
 */
import fc from 'fast-check';

export interface FuzzTopics {
  power: string[];
  temp: string[];
  waveform: string[];
  batch: string[];
}

export interface FuzzInput {
  topic: string;
  payload: Buffer;
}

const HOUR = 3_600_000;

export function fuzzInputs(topics: FuzzTopics, now: number): fc.Arbitrary<FuzzInput> {
  // Timestamps: mostly inside the accepted window (a narrow one, so (series, ts) repeats and the
  // idempotent insert is exercised), sometimes far off, as strings, or not timestamps at all.
  const ts = fc.oneof(
    { weight: 12, arbitrary: fc.integer({ min: now - HOUR, max: now }) },
    {
      weight: 1,
      arbitrary: fc.integer({ min: now - HOUR, max: now }).map((t) => new Date(t).toISOString()),
    },
    { weight: 1, arbitrary: fc.integer({ min: -1e15, max: 1e15 }) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 2e9 }) }, // epoch seconds
    { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
    { weight: 1, arbitrary: fc.constantFrom(null, true, 1.5, -0, '2026-11-23T10:00:00', '', []) },
  );
  const value = fc.oneof(
    { weight: 8, arbitrary: fc.double({ min: -30, max: 600, noNaN: true }) },
    { weight: 1, arbitrary: fc.double() }, // NaN and infinities become null in JSON
    { weight: 1, arbitrary: fc.constantFrom(1e308, -1e308, 5e-324, '12', null, {}, [1]) },
  );
  // Mostly absent (as devices send them), sometimes right, sometimes wrong.
  const rarely = <T>(arb: fc.Arbitrary<T>, oneIn: number) =>
    fc.oneof(
      { weight: oneIn - 1, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: arb },
    );
  const unit = rarely(
    fc.constantFrom('kW', 'W', 'MW', '°C', 'K', 'degF', 'g', 'm/s²', 'kWh', 'furlong', ''),
    4,
  );
  const quality = rarely(fc.constantFrom('good', 'uncertain', 'bad', 0, 1, 2, 3, 'ok'), 5);
  const extraKey = rarely(fc.constantFrom('value', 'sensor', 'x'), 12);
  const reading = fc.record({ ts, v: value, unit, q: quality, extra: extraKey }).map((r) => {
    const o: Record<string, unknown> = { ts: r.ts, v: r.v };
    if (r.unit !== undefined) o.unit = r.unit;
    if (r.q !== undefined) o.q = r.q;
    if (r.extra !== undefined) o[r.extra] = 1;
    return o;
  });
  const readings = fc.oneof(
    { weight: 3, arbitrary: reading },
    { weight: 1, arbitrary: fc.array(reading, { minLength: 0, maxLength: 12 }) },
  );
  const waveform = fc.record({
    ts,
    rate: fc.oneof(fc.constant(1024), fc.constantFrom(0, -5, 512, 2e6, 'fast')),
    samples: fc.oneof(
      {
        weight: 5,
        arbitrary: fc.array(fc.double({ min: -4, max: 4, noNaN: true }), {
          minLength: 8,
          maxLength: 64,
        }),
      },
      { weight: 1, arbitrary: fc.array(fc.double(), { maxLength: 12 }) },
    ),
    unit: rarely(fc.constantFrom('g', 'm/s²', 'mm/s', 'kW'), 3),
  });
  const batchEvent = fc.record({
    ts,
    event: fc.constantFrom('start', 'end', 'phase', 'abort', 'pause', ''),
    batch: fc.oneof(fc.string({ minLength: 1, maxLength: 12 }), fc.constantFrom('', 'B-1', 7)),
    product: rarely(fc.string({ maxLength: 8 }), 2),
    quantity: rarely(fc.double({ min: -10, max: 1e4, noNaN: true }), 2),
    phase: rarely(fc.string({ maxLength: 8 }), 3),
  });
  const json = (a: fc.Arbitrary<unknown>) => a.map((d) => Buffer.from(JSON.stringify(d) ?? 'null'));
  // Byte-level damage to an otherwise valid payload: flips, truncation, insertion.
  const mutated = fc
    .tuple(
      json(reading),
      fc.array(
        fc.tuple(
          fc.nat(),
          fc.integer({ min: 0, max: 255 }),
          fc.constantFrom('flip', 'cut', 'insert'),
        ),
        { minLength: 1, maxLength: 3 },
      ),
    )
    .map(([buf, edits]) => {
      let b = Buffer.from(buf);
      for (const [at, byte, op] of edits) {
        const i = at % Math.max(1, b.length);
        if (op === 'flip') b[i] = byte;
        else if (op === 'cut') b = b.subarray(0, i);
        else b = Buffer.concat([b.subarray(0, i), Buffer.from([byte]), b.subarray(i)]);
      }
      return b;
    });
  const tokens = fc
    .array(
      fc.constantFrom(
        '{',
        '}',
        '[',
        ']',
        ',',
        ':',
        '"ts"',
        '"v"',
        'NaN',
        '-Infinity',
        'Infinity',
        '1e400',
        '-0',
        'null',
        'true',
        '"\\u0000"',
        '"\\ud800"',
        ' ',
        '1',
        '"',
      ),
      { maxLength: 24 },
    )
    .map((t) => Buffer.from(t.join('')));
  const deep = fc
    .integer({ min: 1, max: 3000 })
    .map((d) => Buffer.from('['.repeat(d) + '{"ts":1,"v":1}' + ']'.repeat(d)));
  const bytes = fc.uint8Array({ maxLength: 48 }).map((a) => Buffer.from(a));
  const anyJson = fc.jsonValue({ maxDepth: 2 }).map((d) => Buffer.from(JSON.stringify(d)));

  const scalarTopic = fc.constantFrom(...topics.power, ...topics.temp);
  const anyTopic = fc.oneof(
    {
      weight: 6,
      arbitrary: fc.constantFrom(
        ...topics.power,
        ...topics.temp,
        ...topics.waveform,
        ...topics.batch,
      ),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        'plants/t/l1/m9/power',
        'plants/t/l1',
        'plants/t/l1/m1/power/x',
        '',
      ),
    },
  );
  return fc.oneof(
    { weight: 30, arbitrary: fc.record({ topic: scalarTopic, payload: json(readings) }) },
    {
      weight: 4,
      arbitrary: fc.record({ topic: fc.constantFrom(...topics.waveform), payload: json(waveform) }),
    },
    {
      weight: 4,
      arbitrary: fc.record({ topic: fc.constantFrom(...topics.batch), payload: json(batchEvent) }),
    },
    { weight: 6, arbitrary: fc.record({ topic: scalarTopic, payload: mutated }) },
    { weight: 3, arbitrary: fc.record({ topic: anyTopic, payload: tokens }) },
    { weight: 3, arbitrary: fc.record({ topic: anyTopic, payload: bytes }) },
    { weight: 3, arbitrary: fc.record({ topic: anyTopic, payload: anyJson }) },
    { weight: 3, arbitrary: fc.record({ topic: anyTopic, payload: json(readings) }) },
    { weight: 1, arbitrary: fc.record({ topic: scalarTopic, payload: deep }) },
  );
}
