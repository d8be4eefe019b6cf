/**
 * The Ingestor end to end on a real plant index and a real SeriesRegistry (SQLite file in a temp
 * dir): one PUBLISH in, log rows and at most one dead letter out. The clock is fixed so every
 * timestamp window is deterministic.
 */
import type Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPlantIndex, type PlantIndex } from '../../config/plant-index.js';
import { plantSchema, type PlantModelInput } from '../../config/schema.js';
import { batchSeriesKey } from '../../ingest/decode-batch-event.js';
import { decodeWaveformBody, encodeWaveformBody } from '../../ingest/decode-waveform.js';
import { Ingestor, type IngestOptions, type IngestOutcome } from '../../ingest/ingestor.js';
import { openDatabase } from '../../store/db.js';
import { LogWriter } from '../../store/log-writer.js';
import { SeriesRegistry } from '../../store/series.js';
import { testPlant } from '../helpers/plant-fixture.js';
import { tempDir } from '../helpers/tmp.js';

const NOW = Date.parse('2026-03-01T12:00:00.000Z');
const MIN = 60_000;
const G = 9.80665;

const POWER = 'plants/t/l1/m1/power'; // kW, range [0, 500] kW
const TEMP = 'plants/t/l1/m1/temp'; // °C, range [-20, 150]
const VIB = 'plants/t/l1/m1/vib'; // waveform in g, 1024 Hz
const FLOW = 'plants/t/l1/m2/flow'; // l/min, installed 2025-06-01
const VIB2 = 'plants/t/l1/m2/vib'; // waveform in g, no sampleRate, installed 2025-06-01, range [-50, 50] g
const OPEN_POWER = 'plants/t/l2/x1/power'; // kW, no range
const BATCH = 'plants/t/l1/batch';

const OPTS: IngestOptions = { maxPayloadBytes: 4096, maxFutureSkewMs: 5 * MIN, deadLetterPayloadCap: 64 };

function plantInput(): PlantModelInput {
  const p = testPlant({ machines: 2 });
  const m2 = p.sites[0]!.lines[0]!.machines[1]!;
  m2.sensors.push(
    { id: 'flow', kind: 'flow', unit: 'l/min', interval: '1s', since: '2025-06-01' },
    { id: 'vib', kind: 'waveform', unit: 'g', interval: '1m', since: '2025-06-01', range: [-50, 50] },
  );
  return p;
}

const tmp = tempDir('plantpulse-ingest-');
let db: Database.Database;
let registry: SeriesRegistry;
let index: PlantIndex;
let ing: Ingestor;

beforeAll(() => {
  db = openDatabase(tmp.dir, { durability: 'normal' });
  registry = new SeriesRegistry(db);
  index = buildPlantIndex(plantSchema.parse(plantInput()));
  ing = new Ingestor(index, registry, OPTS, () => NOW);
});

afterAll(() => {
  db.close();
  tmp.cleanup();
});

const seriesOf = (key: string): number => {
  const row = registry.get(key);
  if (!row) throw new Error(`no series ${key}`);
  return row.id;
};
const send = (topic: string, doc: unknown, client: string | null = 'c1'): IngestOutcome =>
  ing.handle(topic, Buffer.from(typeof doc === 'string' ? doc : JSON.stringify(doc)), client);

/** Asserts one rejected message and returns its dead letter. */
function rejected(out: IngestOutcome) {
  expect(out.deadLetter).not.toBeNull();
  expect(out.rows).toHaveLength(0);
  return out.deadLetter!;
}

describe('series registration', () => {
  it('registers one series per sensor and one per batch event type of each line', () => {
    expect(registry.get('t/l1/m1/power')).toMatchObject({ kind: 'power', unit: 'W' });
    expect(registry.get('t/l1/m1/temp')).toMatchObject({ kind: 'temperature', unit: '°C' });
    expect(registry.get('t/l1/m1/vib')).toMatchObject({ kind: 'waveform', unit: 'm/s²' });
    for (const line of index.lines) {
      for (const e of ['start', 'phase', 'end', 'abort'] as const) {
        expect(registry.get(`${line.path}/batch.${e}`)).toMatchObject({ kind: 'batch_event', unit: '1' });
        expect(batchSeriesKey(line, e)).toBe(`${line.path}/batch.${e}`);
      }
    }
    // 2 machines × (power, temp) + vib on m1 + flow, vib on m2 + x1 power, plus 4 events × 2 lines.
    expect(registry.all()).toHaveLength(2 * 2 + 1 + 2 + 1 + 8);
  });

  it('a second Ingestor on the same data directory gets the same series ids', () => {
    const before = registry.all().map((s) => [s.key, s.id]);
    const again = new SeriesRegistry(db);
    new Ingestor(index, again, OPTS, () => NOW);
    expect(again.all().map((s) => [s.key, s.id]).sort()).toEqual(before.sort());
  });
});

describe('scalar readings', () => {
  it('one reading: converted from the declared kW to W, quality good, no body', () => {
    const out = send(POWER, { ts: NOW - 1000, v: 12.5 });
    expect(out).toEqual({
      rows: [{ series: seriesOf('t/l1/m1/power'), ts: NOW - 1000, value: 12_500, quality: 0, body: null }],
      deadLetter: null,
      total: 1,
      rejected: 0,
      rejectCodes: [],
    });
  });

  it('an array: one row per element, in order', () => {
    const out = send(TEMP, [
      { ts: NOW - 3000, v: 20 },
      { ts: NOW - 1000, v: 21.5 },
      { ts: NOW - 2000, v: -3 },
    ]);
    const s = seriesOf('t/l1/m1/temp');
    expect(out.deadLetter).toBeNull();
    expect(out.total).toBe(3);
    expect(out.rows).toEqual([
      { series: s, ts: NOW - 3000, value: 20, quality: 0, body: null },
      { series: s, ts: NOW - 1000, value: 21.5, quality: 0, body: null },
      { series: s, ts: NOW - 2000, value: -3, quality: 0, body: null },
    ]);
  });

  it.each([
    ['2026-03-01T12:00:00Z', NOW],
    ['2026-03-01T12:00:00.000Z', NOW],
    ['2026-03-01T13:00:00+01:00', NOW],
    ['2026-03-01T06:30:00.250-05:30', NOW + 250],
    ['2026-03-01T11:59:59.5-00:00', NOW - 500],
    ['2026-03-01t12:00:00z', NOW],
    ['2026-03-01 12:00:00Z', NOW],
    ['2026-03-02T00:00:00+12:00', NOW],
  ])('RFC 3339 timestamp %s → %d', (ts, ms) => {
    const out = send(POWER, { ts, v: 1 });
    expect(out.deadLetter).toBeNull();
    expect(out.rows).toHaveLength(1);
    expect(out.rows[0]!.ts).toBe(ms);
  });

  it.each(['2026-03-01T12:00:00', '2026-03-01', 'now', '2026-03-01T12:00Z', '1772366400000'])('timestamp %s without an offset, or not RFC 3339, is rejected', (ts) => {
    const dl = rejected(send(POWER, { ts, v: 1 }));
    expect(dl).toMatchObject({ code: 'PP_ERR_TIMESTAMP', field: 'ts' });
    expect(dl.reason).toBe(`ts "${ts}" is not RFC 3339 with an offset (e.g. 2026-11-23T14:00:00.000Z) nor epoch milliseconds`);
  });

  it('an RFC 3339 timestamp whose fields are out of range is rejected', () => {
    const dl = rejected(send(POWER, { ts: '2026-03-01T12:60:00Z', v: 1 }));
    expect(dl).toMatchObject({ code: 'PP_ERR_TIMESTAMP', field: 'ts', reason: 'ts "2026-03-01T12:60:00Z" is not a valid date' });
  });

  // BUG: Date.parse rolls impossible calendar dates over (Feb 30 → Mar 2, 24:00 → next day), so the
  // reading is stored at a time the device never sent: a silent rewrite DESIGN §3 forbids.
  it('impossible calendar dates (Feb 30, Feb 29 of 2025, Apr 31, 24:00) are rejected, not rolled over to another day', () => {
    for (const ts of ['2025-02-30T00:00:00Z', '2025-02-29T12:00:00Z', '2025-04-31T10:00:00Z', '2025-02-28T24:00:00Z']) {
      const out = send(POWER, { ts, v: 1 });
      expect({ ts, stored: out.rows.map((r) => new Date(r.ts).toISOString()), code: out.deadLetter?.code }).toEqual({ ts, stored: [], code: 'PP_ERR_TIMESTAMP' });
    }
  });

  it('epoch milliseconds must be whole', () => {
    const dl = rejected(send(POWER, { ts: NOW - 0.5, v: 1 }));
    expect(dl).toMatchObject({ code: 'PP_ERR_TIMESTAMP', field: 'ts', reason: `ts ${NOW - 0.5} is not whole epoch milliseconds` });
  });

  it('a unit in the payload overrides the declared one: W, MW on a kW sensor', () => {
    const out = send(POWER, [
      { ts: NOW - 10_000, v: 400_000, unit: 'W' },
      { ts: NOW - 9_000, v: 0.25, unit: 'MW' },
      { ts: NOW - 8_000, v: 3, unit: 'kW' },
    ]);
    expect(out.deadLetter).toBeNull();
    expect(out.rows.map((r) => r.value)).toEqual([400_000, 250_000, 3000]);
  });

  it('temperature in K and °F converts to °C (offset units)', () => {
    const out = send(TEMP, [
      { ts: NOW - 10_000, v: 300, unit: 'K' },
      { ts: NOW - 9_000, v: 212, unit: '°F' },
    ]);
    expect(out.deadLetter).toBeNull();
    expect(out.rows[0]!.value).toBeCloseTo(26.85, 10);
    expect(out.rows[1]!.value).toBeCloseTo(100, 10);
  });

  it.each<[unknown, number]>([
    ['good', 0],
    ['uncertain', 1],
    ['bad', 2],
    [0, 0],
    [1, 1],
    [2, 2],
  ])('quality %j → %d', (q, code) => {
    const out = send(POWER, { ts: NOW - 5000, v: 1, q });
    expect(out.deadLetter).toBeNull();
    expect(out.rows[0]!.quality).toBe(code);
  });

  it.each<[unknown]>([['ok'], [3], ['1'], [null], [-1]])('quality %j is rejected naming [i].q', (q) => {
    const out = send(POWER, [
      { ts: NOW - 6000, v: 1 },
      { ts: NOW - 5000, v: 1, q },
    ]);
    expect(out.rows).toHaveLength(1);
    expect(out.deadLetter).toMatchObject({ code: 'PP_ERR_SCHEMA', field: '[1].q' });
    expect(out.deadLetter!.reason.startsWith('1 of 2 readings rejected: [1].q: ')).toBe(true);
  });

  it('a value outside the valid range (declared unit) is rejected naming v, value, range and sensor', () => {
    const dl = rejected(send(POWER, { ts: NOW - 1000, v: 600 }));
    expect(dl).toMatchObject({
      code: 'PP_ERR_OUT_OF_RANGE',
      field: 'v',
      reason: 'v: 600 kW is outside the valid range [0, 500] kW of t/l1/m1/power',
    });
  });

  it('the range applies after conversion: 600000 W is outside [0, 500] kW, 500000 W is the edge', () => {
    const dl = rejected(send(POWER, { ts: NOW - 1000, v: 600_000, unit: 'W' }));
    expect(dl).toMatchObject({ code: 'PP_ERR_OUT_OF_RANGE', field: 'v', reason: 'v: 600000 W is outside the valid range [0, 500] kW of t/l1/m1/power' });
    const edge = send(POWER, [
      { ts: NOW - 2000, v: 500_000, unit: 'W' },
      { ts: NOW - 1500, v: 0, unit: 'W' },
    ]);
    expect(edge.deadLetter).toBeNull();
    expect(edge.rows.map((r) => r.value)).toEqual([500_000, 0]);
  });

  it('a unit that does not measure the sensor kind is rejected naming unit', () => {
    const dl = rejected(send(POWER, { ts: NOW - 1000, v: 1, unit: '°C' }));
    expect(dl).toMatchObject({
      code: 'PP_ERR_UNIT',
      field: 'unit',
      reason: 'unit: "°C" does not measure power (sensor t/l1/m1/power is declared in kW)',
    });
  });

  // BUG: a finite value can overflow to Infinity in the unit conversion and is then stored as a
  // non-finite reading (no range on this sensor to catch it).
  it('a value that overflows to Infinity in the unit conversion is rejected, not stored', () => {
    const out = send(OPEN_POWER, { ts: NOW - 1000, v: 1e306, unit: 'MW' });
    expect(out.rows.every((r) => Number.isFinite(r.value))).toBe(true);
    expect(out.deadLetter?.field).toBe('v');
  });
});

describe('non-finite numbers', () => {
  it.each([
    ['NaN', 'v', 'NaN'],
    ['Infinity', 'v', 'Infinity'],
    ['-Infinity', 'v', '-Infinity'],
  ])('%s as literal text is rejected as not finite, naming the field', (lit, field, shown) => {
    const dl = rejected(send(POWER, `{"ts": ${NOW}, "v": ${lit}}`));
    expect(dl).toMatchObject({ code: 'PP_ERR_NOT_FINITE', field });
    expect(dl.reason).toBe(`${field} is ${shown}, which is not a finite number (JSON has no NaN or Infinity; omit the reading or set q to "bad")`);
  });

  it('NaN as the timestamp names ts', () => {
    const dl = rejected(send(POWER, `{"ts": NaN, "v": 1}`));
    expect(dl).toMatchObject({ code: 'PP_ERR_NOT_FINITE', field: 'ts' });
  });

  it('1e999 inside an array element is rejected as not finite, naming [i].v', () => {
    const out = send(POWER, `[{"ts": ${NOW - 2000}, "v": 1}, {"ts": ${NOW - 1000}, "v": 1e999}]`);
    expect(out.rows).toHaveLength(1);
    expect(out.deadLetter).toMatchObject({ code: 'PP_ERR_NOT_FINITE', field: '[1].v', reason: '1 of 2 readings rejected: [1].v is Infinity, not a finite number' });
  });

  // BUG: a single (non-array) reading that fails the fast path is re-checked against the union
  // `readingsSchema` (object | array), whose error is one `invalid_union` at the root, so the
  // reject loses the field: code PP_ERR_SCHEMA, field null, reason "expected a reading object...".
  it('1e999 as a single reading value is rejected as not finite, naming v', () => {
    const dl = rejected(send(POWER, `{"ts": ${NOW}, "v": 1e999}`));
    expect(dl).toMatchObject({ code: 'PP_ERR_NOT_FINITE', field: 'v', reason: 'v is Infinity, not a finite number' });
  });

  it('a single reading without v names the missing field', () => {
    const dl = rejected(send(POWER, { ts: NOW }));
    expect(dl).toMatchObject({ code: 'PP_ERR_SCHEMA', field: 'v' });
    expect(dl.reason).toBe('v: missing (expected number)');
  });

  it('a single reading with v as a string names the field', () => {
    const dl = rejected(send(POWER, { ts: NOW, v: '12.5' }));
    expect(dl).toMatchObject({ code: 'PP_ERR_SCHEMA', field: 'v' });
    expect(dl.reason.startsWith('v: ')).toBe(true);
  });
});

describe('timestamp window', () => {
  it('up to maxFutureSkew ahead is accepted; one ms further is rejected', () => {
    expect(send(POWER, { ts: NOW + 5 * MIN, v: 1 }).rows).toHaveLength(1);
    const dl = rejected(send(POWER, { ts: NOW + 5 * MIN + 1, v: 1 }));
    expect(dl).toMatchObject({ code: 'PP_ERR_TIMESTAMP', field: 'ts' });
  });

  it('a far-future timestamp names the time, the distance and the limit', () => {
    const dl = rejected(send(POWER, { ts: NOW + 86_400_000, v: 1 }));
    expect(dl).toMatchObject({
      code: 'PP_ERR_TIMESTAMP',
      field: 'ts',
      reason: 'ts 2026-03-02T12:00:00.000Z is 1.0 d in the future (limit 5.0 min); check the device clock',
    });
    const year9999 = rejected(send(POWER, { ts: '9999-12-31T23:59:59Z', v: 1 }));
    expect(year9999).toMatchObject({ code: 'PP_ERR_TIMESTAMP', field: 'ts' });
    expect(year9999.reason).toContain('ts 9999-12-31T23:59:59.000Z is ');
  });

  // BUG: a whole-number ts beyond the Date range (|ms| > 8.64e15) makes `new Date(ms).toISOString()`
  // in the future-timestamp message throw RangeError: handle() throws instead of dead-lettering.
  it('a timestamp beyond the JavaScript Date range is dead-lettered, not thrown', () => {
    let out: IngestOutcome | undefined;
    expect(() => {
      out = send(POWER, { ts: 1e16, v: 1 });
    }).not.toThrow();
    expect(out?.deadLetter).toMatchObject({ code: 'PP_ERR_TIMESTAMP', field: 'ts' });
  });

  it('a timestamp before the plant earliest time is rejected', () => {
    const dl = rejected(send(POWER, { ts: '1999-12-31T23:00:00Z', v: 1 }));
    expect(dl).toMatchObject({
      code: 'PP_ERR_TIMESTAMP',
      field: 'ts',
      reason: 'ts 1999-12-31T23:00:00.000Z is before the earliest accepted time 2000-01-01T00:00:00.000Z',
    });
  });

  it('epoch seconds get a hint to send milliseconds', () => {
    const secs = Math.floor(NOW / 1000);
    const dl = rejected(send(POWER, { ts: secs, v: 1 }));
    expect(dl).toMatchObject({ code: 'PP_ERR_TIMESTAMP', field: 'ts' });
    expect(dl.reason).toBe(
      `ts ${new Date(secs).toISOString()} is before the earliest accepted time 2000-01-01T00:00:00.000Z; it looks like epoch seconds: send milliseconds`,
    );
  });

  it('a small early number that is not epoch seconds gets no hint; a negative one is shown too', () => {
    const dl = rejected(send(POWER, { ts: 5e8, v: 1 }));
    expect(dl.reason).toBe('ts 1970-01-06T18:53:20.000Z is before the earliest accepted time 2000-01-01T00:00:00.000Z');
    const neg = rejected(send(POWER, { ts: -1e16, v: 1 }));
    expect(neg).toMatchObject({ code: 'PP_ERR_TIMESTAMP', field: 'ts', reason: 'ts -10000000000000000 is before the earliest accepted time 2000-01-01T00:00:00.000Z' });
  });

  it('`since` on a sensor moves its earliest time: before it rejected, from it accepted', () => {
    const dl = rejected(send(FLOW, { ts: '2025-05-31T23:59:59.999Z', v: 1 }));
    expect(dl).toMatchObject({
      code: 'PP_ERR_TIMESTAMP',
      field: 'ts',
      reason: 'ts 2025-05-31T23:59:59.999Z is before the earliest accepted time 2025-06-01T00:00:00.000Z',
    });
    const ok = send(FLOW, { ts: '2025-06-01T00:00:00Z', v: 10 });
    expect(ok.deadLetter).toBeNull();
    expect(ok.rows).toEqual([{ series: seriesOf('t/l1/m2/flow'), ts: Date.parse('2025-06-01T00:00:00Z'), value: 0.6, quality: 0, body: null }]);
    // Other sensors still accept readings from before that date.
    expect(send(POWER, { ts: '2025-05-01T00:00:00Z', v: 1 }).deadLetter).toBeNull();
  });

  it('`since` in array elements names the element', () => {
    const out = send(FLOW, [
      { ts: '2025-06-02T00:00:00Z', v: 1 },
      { ts: '2025-05-02T00:00:00Z', v: 1 },
    ]);
    expect(out.rows).toHaveLength(1);
    expect(out.deadLetter).toMatchObject({ code: 'PP_ERR_TIMESTAMP', field: '[1].ts' });
    expect(out.deadLetter!.reason).toBe('1 of 2 readings rejected: [1].ts 2025-05-02T00:00:00.000Z is before the earliest accepted time 2025-06-01T00:00:00.000Z');
  });
});

describe('whole-message rejects', () => {
  it('an unknown topic', () => {
    const out = send('plants/t/l1/m1/nope', { ts: NOW, v: 1 }, 'dev-7');
    expect(out).toMatchObject({ rows: [], total: 1, rejected: 1, rejectCodes: ['PP_ERR_UNKNOWN_SENSOR'] });
    expect(out.deadLetter).toMatchObject({
      topic: 'plants/t/l1/m1/nope',
      clientId: 'dev-7',
      code: 'PP_ERR_UNKNOWN_SENSOR',
      field: null,
      reason: 'topic "plants/t/l1/m1/nope" names no sensor or batch topic in the plant model (readings go to plants/{site}/{line}/{machine}/{sensor})',
    });
  });

  it('a payload over maxPayloadBytes; exactly the limit is accepted', () => {
    const base = JSON.stringify({ ts: NOW, v: 1 });
    const exact = base + ' '.repeat(OPTS.maxPayloadBytes - base.length);
    expect(Buffer.byteLength(exact)).toBe(OPTS.maxPayloadBytes);
    const ok = ing.handle(POWER, Buffer.from(exact), 'c1');
    expect(ok.deadLetter).toBeNull();
    expect(ok.rows).toHaveLength(1);

    const big = Buffer.from(exact + ' ');
    const out = ing.handle(POWER, big, 'c1');
    expect(out.rows).toEqual([]);
    expect(out.deadLetter).toMatchObject({
      code: 'PP_ERR_PAYLOAD_TOO_LARGE',
      field: null,
      reason: `payload is ${OPTS.maxPayloadBytes + 1} bytes; the limit is ${OPTS.maxPayloadBytes} (ingest.maxPayloadBytes)`,
      payloadSize: OPTS.maxPayloadBytes + 1,
    });
    expect(out.deadLetter!.payload.equals(big.subarray(0, OPTS.deadLetterPayloadCap))).toBe(true);
  });

  it('malformed JSON', () => {
    const dl = rejected(send(POWER, `{"ts": ${NOW}, "v": 1`));
    expect(dl).toMatchObject({ code: 'PP_ERR_MALFORMED_JSON', field: null });
    expect(dl.reason.startsWith('payload is not valid JSON: ')).toBe(true);
    expect(rejected(send(POWER, '')).code).toBe('PP_ERR_MALFORMED_JSON');
  });

  it('a JSON value that is neither a reading nor an array', () => {
    const dl = rejected(send(POWER, '42'));
    expect(dl).toMatchObject({ code: 'PP_ERR_SCHEMA', field: null, reason: 'expected a reading object {"ts": ..., "v": ...} or an array of them' });
  });

  it('an unknown key', () => {
    const dl = rejected(send(POWER, { ts: NOW, v: 1, extra: 1, more: 2 }));
    expect(dl).toMatchObject({ code: 'PP_ERR_SCHEMA', field: null, reason: 'unknown keys "extra", "more"' });
  });

  it('the dead letter keeps the raw bytes capped at deadLetterPayloadCap, and the full size', () => {
    const text = `{"ts": ${NOW}, "v": "not a number", "pad": "${'x'.repeat(100)}"}`;
    const payload = Buffer.from(text);
    const out = ing.handle(POWER, payload, null);
    const dl = rejected(out);
    expect(dl.clientId).toBeNull();
    expect(dl.topic).toBe(POWER);
    expect(dl.payloadSize).toBe(payload.length);
    expect(dl.payload).toHaveLength(OPTS.deadLetterPayloadCap);
    expect(dl.payload.equals(payload.subarray(0, OPTS.deadLetterPayloadCap))).toBe(true);
    // A copy, not a view into the packet buffer (which the broker may reuse).
    payload[0] = 0x20;
    expect(dl.payload[0]).toBe(0x7b);

    const small = Buffer.from('{"ts": 1}');
    const under = ing.handle(POWER, small, 'c1').deadLetter!;
    expect(under.payload.equals(small)).toBe(true);
    expect(under.payloadSize).toBe(small.length);
  });
});

describe('arrays with bad elements', () => {
  it('2 of 5 rejected: good rows kept, reason lists both, field of the first reject', () => {
    const out = send(POWER, [
      { ts: NOW - 5000, v: 1 },
      { ts: NOW - 4000, v: 9999 },
      { ts: NOW - 3000, v: 2 },
      { ts: NOW - 2000, v: 3, q: 'meh' },
      { ts: NOW - 1000, v: 4 },
    ]);
    expect(out.rows.map((r) => [r.ts, r.value])).toEqual([
      [NOW - 5000, 1000],
      [NOW - 3000, 2000],
      [NOW - 1000, 4000],
    ]);
    expect(out.total).toBe(5);
    expect(out.rejected).toBe(2);
    expect(out.rejectCodes).toEqual(['PP_ERR_OUT_OF_RANGE', 'PP_ERR_SCHEMA']);
    expect(out.deadLetter).toMatchObject({ code: 'PP_ERR_OUT_OF_RANGE', field: '[1].v' });
    const reason = out.deadLetter!.reason;
    expect(reason.startsWith('2 of 5 readings rejected: [1].v: 9999 kW is outside the valid range [0, 500] kW of t/l1/m1/power; [3].q: ')).toBe(true);
    expect(reason).not.toContain('and ');
  });

  it('lists at most 5 rejects, then "and N more"', () => {
    const doc = Array.from({ length: 10 }, (_, i) => ({ ts: NOW - 10_000 + i, v: i < 8 ? 1000 + i : i }));
    const out = send(POWER, doc);
    expect(out.rows.map((r) => r.value)).toEqual([8000, 9000]);
    expect(out.rejected).toBe(8);
    expect(out.total).toBe(10);
    const listed = [0, 1, 2, 3, 4].map((i) => `[${i}].v: ${1000 + i} kW is outside the valid range [0, 500] kW of t/l1/m1/power`);
    expect(out.deadLetter!.reason).toBe(`8 of 10 readings rejected: ${listed.join('; ')}; and 3 more`);
    expect(out.deadLetter!.field).toBe('[0].v');
  });

  it('every element rejected: no rows, all counted', () => {
    const out = send(POWER, [
      { ts: NOW - 2000, v: -1 },
      { ts: NOW - 1000 },
    ]);
    expect(out.rows).toEqual([]);
    expect(out.rejected).toBe(2);
    expect(out.deadLetter!.reason.startsWith('2 of 2 readings rejected: [0].v: -1 kW is outside')).toBe(true);
    expect(out.deadLetter!.reason).toContain('[1].v: missing (expected number)');
  });

  it('an empty array is rejected', () => {
    const out = send(POWER, []);
    expect(out.rows).toEqual([]);
    expect(out.rejected).toBe(1);
    expect(out.deadLetter).toMatchObject({ code: 'PP_ERR_SCHEMA', field: null });
    expect(out.deadLetter!.reason).toBe('the array holds no readings; send at least one');
  });

  describe('the 10,000-reading limit', () => {
    const bigIng = () => new Ingestor(index, registry, { ...OPTS, maxPayloadBytes: 1 << 20 }, () => NOW);
    const readings = (n: number) => Array.from({ length: n }, (_, i) => ({ ts: NOW - 20_000 + i, v: 1 }));

    it('10,000 readings are accepted', () => {
      const out = bigIng().handle(POWER, Buffer.from(JSON.stringify(readings(10_000))), 'c1');
      expect(out.deadLetter).toBeNull();
      expect(out.rows).toHaveLength(10_000);
    });

    // BUG: over the limit, the union schema reports "expected a reading object {...} or an array
    // of them" — which the payload is; the reason never says the array is too long or what the limit is.
    it('10,001 readings are rejected with a reason that names the limit', () => {
      const out = bigIng().handle(POWER, Buffer.from(JSON.stringify(readings(10_001))), 'c1');
      expect(out.rows).toEqual([]);
      expect(out.deadLetter).toMatchObject({ code: 'PP_ERR_SCHEMA', field: null });
      expect(out.deadLetter!.reason).toContain('10000');
    });
  });
});

describe('waveform blocks', () => {
  const wave = (n: number) => Array.from({ length: n }, (_, i) => Math.sin((2 * Math.PI * i) / 16) * 0.7 + 0.1 * ((i % 3) - 1));

  it('stores one row: value = RMS in m/s² (from g), body = rate + float32 samples in m/s²', () => {
    const samples = wave(64);
    const out = send(VIB, { ts: NOW - MIN, rate: 1024, samples, q: 'uncertain' });
    expect(out.deadLetter).toBeNull();
    expect(out.rows).toHaveLength(1);
    const row = out.rows[0]!;
    expect(row.series).toBe(seriesOf('t/l1/m1/vib'));
    expect(row.ts).toBe(NOW - MIN);
    expect(row.quality).toBe(1);
    const ms2 = samples.map((s) => s * G);
    const rms = Math.sqrt(ms2.reduce((a, v) => a + v * v, 0) / ms2.length);
    expect(row.value).toBeCloseTo(rms, 12);
    expect(row.body).toBeInstanceOf(Buffer);
    expect(row.body!.length).toBe(8 + 64 * 4);
    const { rate, samples: back } = decodeWaveformBody(row.body!);
    expect(rate).toBe(1024);
    expect(back).toHaveLength(64);
    back.forEach((v, i) => expect(v).toBe(Math.fround(ms2[i]!)));
  });

  it('a constant 1 g block has RMS 9.80665 m/s²', () => {
    const out = send(VIB, { ts: NOW - 2 * MIN, rate: 1024, samples: Array(8).fill(-1) });
    expect(out.rows[0]!.value).toBeCloseTo(G, 12);
  });

  it('a unit in the block overrides the declared g', () => {
    const out = send(VIB, { ts: NOW - 3 * MIN, rate: 1024, samples: Array(8).fill(2), unit: 'm/s²' });
    expect(out.rows[0]!.value).toBeCloseTo(2, 12);
    const mm = send(VIB, { ts: NOW - 4 * MIN, rate: 1024, samples: Array(8).fill(2000), unit: 'mm/s2' });
    expect(mm.rows[0]!.value).toBeCloseTo(2, 12);
  });

  it('encodeWaveformBody / decodeWaveformBody round-trip within float32 precision', () => {
    const samples = [0, -0, 1, -1, 1 / 3, Math.PI * 1e5, -2.5e-7, 123456.789, 3.4e38, 1e-40];
    const body = encodeWaveformBody(25_600.5, samples);
    expect(body.length).toBe(8 + samples.length * 4);
    const { rate, samples: back } = decodeWaveformBody(body);
    expect(rate).toBe(25_600.5);
    expect(Array.from(back)).toEqual(samples.map((s) => Math.fround(s)));
    back.forEach((v, i) => {
      const s = samples[i]!;
      expect(Math.abs(v - s)).toBeLessThanOrEqual(Math.max(Math.abs(s) * 2 ** -24, 1.5e-45));
    });
    expect(decodeWaveformBody(encodeWaveformBody(1, [])).samples).toHaveLength(0);
  });

  it('a sample rate off the configured one by more than 1% is rejected; within 1% accepted', () => {
    const dl = rejected(send(VIB, { ts: NOW - 5 * MIN, rate: 2048, samples: Array(8).fill(0) }));
    expect(dl).toMatchObject({ code: 'PP_ERR_SCHEMA', field: 'rate', reason: 'rate: 2048 Hz differs from the 1024 Hz configured for t/l1/m1/vib' });
    expect(send(VIB, { ts: NOW - 6 * MIN, rate: 1034, samples: Array(8).fill(0) }).deadLetter).toBeNull();
    expect(send(VIB, { ts: NOW - 7 * MIN, rate: 1035, samples: Array(8).fill(0) }).deadLetter).toMatchObject({ field: 'rate' });
  });

  it('a block with no configured rate takes any valid rate', () => {
    expect(send(VIB2, { ts: NOW - MIN, rate: 51_200, samples: Array(8).fill(0) }).deadLetter).toBeNull();
  });

  it('schema errors name the field: too few samples, bad sample, unit, scalar on a waveform topic', () => {
    expect(rejected(send(VIB, { ts: NOW, rate: 1024, samples: [1, 2, 3] }))).toMatchObject({ code: 'PP_ERR_SCHEMA', field: 'samples' });
    const s: unknown[] = Array(8).fill(0);
    s[3] = 'x';
    expect(rejected(send(VIB, { ts: NOW, rate: 1024, samples: s }))).toMatchObject({ code: 'PP_ERR_SCHEMA', field: 'samples[3]' });
    expect(rejected(send(VIB, { ts: NOW, rate: 1024, samples: Array(8).fill(0), unit: 'kW' }))).toMatchObject({
      code: 'PP_ERR_UNIT',
      field: 'unit',
      reason: 'unit: "kW" does not measure acceleration (sensor t/l1/m1/vib is declared in g)',
    });
    const scalar = rejected(send(VIB, { ts: NOW, v: 1 }));
    expect(scalar.code).toBe('PP_ERR_SCHEMA');
    expect(scalar.reason).toContain('rate: missing');
    expect(rejected(send(VIB, { ts: NOW, rate: 0, samples: Array(8).fill(0) }))).toMatchObject({ field: 'rate' });
    expect(rejected(send(VIB, `{"ts": ${NOW}, "rate": 1024, "samples": [0,0,0,0,0,0,0,1e999]}`))).toMatchObject({
      code: 'PP_ERR_NOT_FINITE',
      field: 'samples[7]',
    });
  });

  it('a waveform timestamp outside the window is rejected', () => {
    expect(rejected(send(VIB, { ts: NOW + 6 * MIN, rate: 1024, samples: Array(8).fill(0) }))).toMatchObject({ code: 'PP_ERR_TIMESTAMP', field: 'ts' });
  });

  // BUG: same overflow for waveform samples: 1e38 g = 9.8e38 m/s² does not fit float32, so the
  // stored body holds Infinity (the RMS in `value` stays finite, hiding it).
  it('a sample that overflows float32 after conversion to m/s² is rejected, not stored as Infinity', () => {
    const s = Array(8).fill(1);
    s[2] = 1e38;
    const out = send(VIB, { ts: NOW - 9 * MIN, rate: 1024, samples: s });
    const stored = out.rows.flatMap((r) => Array.from(decodeWaveformBody(r.body!).samples));
    expect(stored.every((v) => Number.isFinite(v))).toBe(true);
    expect(out.deadLetter?.field).toBe('samples[2]');
  });

  // BUG: decodeWaveform passes the plant-wide window to parseTimestamp and ignores the sensor's
  // `since`, unlike scalar readings (decode-readings.ts toRow).
  it('`since` applies to waveform sensors too', () => {
    const dl = rejected(send(VIB2, { ts: '2025-05-01T00:00:00Z', rate: 1024, samples: Array(8).fill(0) }));
    expect(dl).toMatchObject({ code: 'PP_ERR_TIMESTAMP', field: 'ts' });
  });

  // BUG: decodeWaveform never checks the sensor's valid range (the schema says readings outside
  // it are rejected); a 80 g sample on a [-50, 50] g sensor is stored.
  it('a sample outside the sensor valid range is rejected naming the sample', () => {
    const s = Array(16).fill(1);
    s[5] = 80;
    const dl = rejected(send(VIB2, { ts: NOW - MIN, rate: 1024, samples: s }));
    expect(dl).toMatchObject({ code: 'PP_ERR_OUT_OF_RANGE', field: 'samples[5]' });
  });
});

describe('batch events', () => {
  const body = (out: IngestOutcome) => JSON.parse(out.rows[0]!.body!.toString('utf8')) as Record<string, unknown>;

  it('start: series batch.start, value = quantity, body = normalised event with ts in ms and the line path', () => {
    const out = send(BATCH, { ts: '2026-03-01T13:00:00+01:00', event: 'start', batch: 'B-001', product: 'paracetamol-500', quantity: 120_000, unit: 'tablets' });
    expect(out.deadLetter).toBeNull();
    expect(out.total).toBe(1);
    expect(out.rows).toHaveLength(1);
    expect(out.rows[0]).toMatchObject({ series: seriesOf('t/l1/batch.start'), ts: NOW, value: 120_000, quality: 0 });
    expect(body(out)).toEqual({ ts: NOW, event: 'start', batch: 'B-001', product: 'paracetamol-500', quantity: 120_000, unit: 'tablets', line: 't/l1' });
  });

  it.each(['end', 'abort'] as const)('%s: its own series; no quantity → value null', (event) => {
    const out = send(BATCH, { ts: NOW - 1000, event, batch: 'B-001' });
    expect(out.deadLetter).toBeNull();
    expect(out.rows[0]).toMatchObject({ series: seriesOf(`t/l1/batch.${event}`), ts: NOW - 1000, value: null, quality: 0 });
    expect(body(out)).toEqual({ ts: NOW - 1000, event, batch: 'B-001', line: 't/l1' });
  });

  it('phase with its phase name: series batch.phase', () => {
    const out = send(BATCH, { ts: NOW - 500, event: 'phase', batch: 'B-001', phase: 'heat' });
    expect(out.rows[0]).toMatchObject({ series: seriesOf('t/l1/batch.phase'), ts: NOW - 500, value: null });
    expect(body(out)).toEqual({ ts: NOW - 500, event: 'phase', batch: 'B-001', phase: 'heat', line: 't/l1' });
  });

  it('start and end at the same ms land in different series (both kept under the (series, ts) key)', () => {
    const a = send(BATCH, { ts: NOW - 100, event: 'start', batch: 'B-9' });
    const b = send(BATCH, { ts: NOW - 100, event: 'end', batch: 'B-9' });
    expect(a.rows[0]!.series).not.toBe(b.rows[0]!.series);
  });

  it('every event type of every line has a distinct series', () => {
    const ids = index.lines.flatMap((l) => (['start', 'phase', 'end', 'abort'] as const).map((e) => seriesOf(batchSeriesKey(l, e))));
    expect(new Set(ids).size).toBe(ids.length);
    const l2 = send('plants/t/l2/batch', { ts: NOW, event: 'start', batch: 'B-2' });
    expect(l2.rows[0]!.series).toBe(seriesOf('t/l2/batch.start'));
    expect(body(l2).line).toBe('t/l2');
  });

  it('phase without a phase name is rejected naming phase', () => {
    const dl = rejected(send(BATCH, { ts: NOW, event: 'phase', batch: 'B-001' }));
    expect(dl).toMatchObject({ code: 'PP_ERR_SCHEMA', field: 'phase', reason: 'phase: missing; a "phase" event names its phase (e.g. "heat")' });
  });

  it.each<[string, Record<string, unknown>, string, string]>([
    ['unknown event', { event: 'pause', batch: 'B' }, 'PP_ERR_SCHEMA', 'event'],
    ['missing batch id', { event: 'start' }, 'PP_ERR_SCHEMA', 'batch'],
    ['empty batch id', { event: 'start', batch: '' }, 'PP_ERR_SCHEMA', 'batch'],
    ['negative quantity', { event: 'end', batch: 'B', quantity: -5 }, 'PP_ERR_SCHEMA', 'quantity'],
    ['unknown key', { event: 'end', batch: 'B', operator: 'x' }, 'PP_ERR_SCHEMA', ''],
  ])('%s is rejected', (_name, doc, code, field) => {
    const dl = rejected(send(BATCH, { ts: NOW, ...doc }));
    expect(dl.code).toBe(code);
    expect(dl.field).toBe(field === '' ? null : field);
  });

  it('a bad batch timestamp names ts', () => {
    const dl = rejected(send(BATCH, { ts: 'now', event: 'start', batch: 'B' }));
    expect(dl).toMatchObject({ code: 'PP_ERR_TIMESTAMP', field: 'ts' });
    expect(dl.reason).toContain('ts "now"');
  });
});

describe('ACL dead letters', () => {
  it('a device publishing into another device prefix', () => {
    const payload = Buffer.from('{"ts":1,"v":1}');
    const dl = ing.aclDenied(OPEN_POWER, payload, 'gw1-client', 'gw1', 'plants/t/l1');
    expect(dl).toEqual({
      topic: OPEN_POWER,
      clientId: 'gw1-client',
      code: 'PP_ERR_ACL_DENIED',
      field: null,
      reason: `device "gw1" may publish only under "plants/t/l1/" where no more specific device prefix applies; "${OPEN_POWER}" belongs to device "gw2"`,
      payload,
      payloadSize: payload.length,
    });
  });

  it('a topic no device owns, and a device without a prefix', () => {
    const dl = ing.aclDenied('elsewhere/x', Buffer.from('x'), 'c', 'gw9', undefined);
    expect(dl.reason).toBe('device "gw9" may publish only under "(no prefix configured)/" where no more specific device prefix applies; "elsewhere/x" belongs to no device');
  });

  it('an anonymous client', () => {
    const big = Buffer.alloc(200, 0x61);
    const dl = ing.aclDenied(POWER, big, null, null, undefined);
    expect(dl).toMatchObject({ code: 'PP_ERR_ACL_DENIED', clientId: null, reason: 'anonymous clients may not publish; connect with a device id and secret', payloadSize: 200 });
    expect(dl.payload).toHaveLength(OPTS.deadLetterPayloadCap);
  });
});

describe('outcome into the log', () => {
  it('rows and the dead letter of one message commit together through the LogWriter', async () => {
    const writer = new LogWriter(db, { maxRows: 1000 });
    const out = send(TEMP, [
      { ts: NOW - 60_000, v: 22 },
      { ts: NOW - 59_000, v: 999 },
    ]);
    const outcome = await new Promise<{ inserted: number; duplicates: number }>((resolve, reject) =>
      writer.submit(out.rows, out.deadLetter ? [out.deadLetter] : [], (err, o) => (err ? reject(err) : resolve(o))),
    );
    expect(outcome).toEqual({ inserted: 1, duplicates: 0 });
    const row = db.prepare('SELECT ts, value, quality, body FROM log WHERE series = ? AND ts = ?').get(seriesOf('t/l1/m1/temp'), NOW - 60_000);
    expect(row).toEqual({ ts: NOW - 60_000, value: 22, quality: 0, body: null });
    const dl = db.prepare('SELECT topic, client_id, code, field FROM dead_letters ORDER BY id DESC LIMIT 1').get();
    expect(dl).toEqual({ topic: TEMP, client_id: 'c1', code: 'PP_ERR_OUT_OF_RANGE', field: '[1].v' });
    writer.close();
  });
});
