/**
 * Scalar readings on a sensor topic: one reading object, or an array of them. Each reading is
 * checked on its own, so one bad element does not cost the good ones around it; every bad
 * element is named in the message's dead-letter reason.
 */
import type { SensorInfo } from '../config/plant-index.js';
import { converterFor } from '../config/units.js';
import type { LogRow } from '../store/log-writer.js';
import {
  QUALITY_CODE,
  readingSchema,
  readingsSchema,
  type ReadingPayload,
} from './payload-schemas.js';
import { isReading } from './fast-reading.js';
import { formatPath, rejectsFromZod, type Reject } from './reject.js';
import { parseTimestamp, sensorWindow, type TimestampWindow } from './timestamps.js';

export interface DecodeResult {
  rows: LogRow[];
  rejects: Reject[];
  /** Number of readings the message carried (accepted + rejected elements). */
  total: number;
}

export function decodeReadings(
  doc: unknown,
  sensor: SensorInfo,
  series: number,
  win: TimestampWindow,
): DecodeResult {
  const rows: LogRow[] = [];
  const rejects: Reject[] = [];
  if (Array.isArray(doc)) {
    if (doc.length === 0) {
      return {
        rows,
        rejects: [
          {
            code: 'PP_ERR_SCHEMA',
            field: null,
            message: 'the array holds no readings; send at least one',
          },
        ],
        total: 1,
      };
    }
    if (doc.length > MAX_READINGS) {
      return {
        rows,
        rejects: [
          {
            code: 'PP_ERR_SCHEMA',
            field: null,
            message: `${doc.length} readings in one message; the limit is ${MAX_READINGS}: split it`,
          },
        ],
        total: doc.length,
      };
    }
    for (let i = 0; i < doc.length; i++) {
      const item: unknown = doc[i];
      if (isReading(item)) {
        const r = toRow(item, sensor, series, win, [i]);
        if ('code' in r) rejects.push(r);
        else rows.push(r);
      } else {
        const parsed = readingSchema.safeParse(item);
        rejects.push(...(parsed.success ? [] : rejectsFromZod(parsed.error, item, [i])));
      }
    }
    return { rows, rejects, total: doc.length };
  }
  if (isReading(doc)) {
    const r = toRow(doc, sensor, series, win, []);
    return 'code' in r ? { rows, rejects: [r], total: 1 } : { rows: [r], rejects, total: 1 };
  }
  // An object is meant as one reading: check it as such, so the error names the field at fault.
  const parsed = (
    doc !== null && typeof doc === 'object' ? readingSchema : readingsSchema
  ).safeParse(doc);
  return { rows, rejects: parsed.success ? [] : rejectsFromZod(parsed.error, doc), total: 1 };
}

const MAX_READINGS = 10_000;

function toRow(
  r: ReadingPayload,
  sensor: SensorInfo,
  series: number,
  win: TimestampWindow,
  at: number[],
): LogRow | Reject {
  const tsField = formatPath(['ts'], at)!;
  const ts = parseTimestamp(r.ts, tsField, sensorWindow(sensor, win));
  if (typeof ts !== 'number') return ts;

  let convert = sensor.toCanonical;
  if (r.unit !== undefined && r.unit !== sensor.declaredUnit) {
    const c = converterFor(sensor.kind, r.unit);
    if (!c) {
      return {
        code: 'PP_ERR_UNIT',
        field: formatPath(['unit'], at),
        message: `${formatPath(['unit'], at)}: "${r.unit}" does not measure ${sensor.kind} (sensor ${sensor.path} is declared in ${sensor.declaredUnit})`,
      };
    }
    convert = c;
  }
  const value = convert(r.v);
  if (!Number.isFinite(value)) {
    const field = formatPath(['v'], at)!;
    return {
      code: 'PP_ERR_NOT_FINITE',
      field,
      message: `${field}: ${r.v} ${r.unit ?? sensor.declaredUnit} is not finite in ${sensor.canonicalUnit}`,
    };
  }
  if (sensor.range && (value < sensor.range[0] || value > sensor.range[1])) {
    const field = formatPath(['v'], at)!;
    return {
      code: 'PP_ERR_OUT_OF_RANGE',
      field,
      message: `${field}: ${r.v} ${r.unit ?? sensor.declaredUnit} is outside the valid range [${sensor.config.range![0]}, ${sensor.config.range![1]}] ${sensor.declaredUnit} of ${sensor.path}`,
    };
  }
  return {
    series,
    ts,
    value,
    quality: r.q === undefined ? 0 : QUALITY_CODE[String(r.q)]!,
    body: null,
  };
}
