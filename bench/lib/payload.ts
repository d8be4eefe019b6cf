/**
 * What the generated devices send. Connection i is machine m{i} on line l{i % 10} and publishes
 * its power readings to its own topic. Every reading has a distinct timestamp (PlantPulse keys
 * readings by (sensor, ts) and drops duplicates, C2): message `seq` of a connection carries
 * timestamps tsBase + seq·n … tsBase + seq·n + n − 1 for n readings per message, so they are
 * strictly increasing per connection.
 *
 * A reading is `{"ts":1763896400000,"v":412.37,"unit":"kW"}`: 43 bytes, fixed width (13-digit
 * epoch ms until the year 2286, v always three digits, a point and two decimals), so the
 * generator writes the digits straight into the outgoing frame instead of building strings —
 * at 30k batched messages/s string building alone would saturate the generator's core.
 */

export const LINES = 10;
export const SITE = 'bench';
export const SENSOR = 'power';

export function topicOf(i: number): string {
  return `plants/${SITE}/l${i % LINES}/m${i}/${SENSOR}`;
}

const READING = '{"ts":0000000000000,"v":000.00,"unit":"kW"}';
export const READING_BYTES = READING.length; // 43
const TS_AT = 6;
const V_AT = 24;

/** Payload bytes of a message with `n` readings: one object, or a JSON array of n objects. */
export function payloadLength(n: number): number {
  return n === 1 ? READING_BYTES : 2 + n * READING_BYTES + (n - 1);
}

/** Hundredths of a kW in [10000, 99999] (100.00 … 999.99), varying with the timestamp. */
function centi(ts: number): number {
  return 10_000 + (((ts % 100_000) * 7919) % 90_000);
}

/** The constant bytes of a message of n readings (digits zeroed), built once per n. */
const templates = new Map<number, Buffer>();
function template(n: number): Buffer {
  let t = templates.get(n);
  if (!t) {
    t = Buffer.from(n === 1 ? READING : `[${Array(n).fill(READING).join(',')}]`, 'latin1');
    templates.set(n, t);
  }
  return t;
}

/** Writes the 13 ts digits and the 5 v digits of the reading whose object starts at `at`. */
function writeDigits(buf: Buffer, at: number, ts: number): void {
  // Split so that all arithmetic stays in 31-bit integers.
  let hi = Math.floor(ts / 100_000);
  let lo = ts - hi * 100_000;
  const v0 = 10_000 + ((lo * 7919) % 90_000);
  let p = at + TS_AT + 12;
  for (let i = 0; i < 5; i++) {
    const q = (lo / 10) | 0;
    buf[p--] = 48 + lo - q * 10;
    lo = q;
  }
  for (let i = 0; i < 8; i++) {
    const q = (hi / 10) | 0;
    buf[p--] = 48 + hi - q * 10;
    hi = q;
  }
  let v = v0;
  p = at + V_AT + 5;
  for (let i = 0; i < 5; i++) {
    if (i === 2) p--; // the decimal point
    const q = (v / 10) | 0;
    buf[p--] = 48 + v - q * 10;
    v = q;
  }
}

/** Writes the payload of message `seq` at `off`; returns the offset after it. */
export function writePayload(
  buf: Buffer,
  off: number,
  tsBase: number,
  seq: number,
  perMessage: number,
): number {
  const t = template(perMessage);
  t.copy(buf, off);
  const first = tsBase + seq * perMessage;
  if (perMessage === 1) {
    writeDigits(buf, off, first);
  } else {
    for (let j = 0, at = off + 1; j < perMessage; j++, at += READING_BYTES + 1)
      writeDigits(buf, at, first + j);
  }
  return off + t.length;
}

/** The same payload as a string (tests, the mqtt-packet codec, the README example). */
export function messagePayload(tsBase: number, seq: number, perMessage: number): string {
  const buf = Buffer.allocUnsafe(payloadLength(perMessage));
  writePayload(buf, 0, tsBase, seq, perMessage);
  return buf.toString('latin1');
}

/**
 * Timestamps start one hour ago (well inside PlantPulse's accepted window with
 * ingest.maxFutureSkew = 1d, which leaves room for long runs), at a whole second.
 */
export function defaultTsBase(now = Date.now()): number {
  return Math.floor((now - 3_600_000) / 1000) * 1000;
}

/** Checks the fixed-width writer against JSON.parse: the readings come back as written. */
export function payloadSelfTest(): void {
  for (const n of [1, 3, 100]) {
    const base = defaultTsBase();
    const text = messagePayload(base, 7, n);
    if (text.length !== payloadLength(n))
      throw new Error(
        `payload of ${n} readings is ${text.length} bytes, expected ${payloadLength(n)}`,
      );
    const doc = JSON.parse(text) as unknown;
    const list = (n === 1 ? [doc] : doc) as { ts: number; v: number; unit: string }[];
    list.forEach((r, j) => {
      const ts = base + 7 * n + j;
      if (
        r.ts !== ts ||
        r.v !== centi(ts) / 100 ||
        r.unit !== 'kW' ||
        Object.keys(r).length !== 3
      ) {
        throw new Error(`payload writer produced ${JSON.stringify(r)} for ts ${ts}`);
      }
    });
  }
}
