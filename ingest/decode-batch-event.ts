/**
 * Batch events from MES/PLC on `plants/{site}/{line}/batch`: start, phase, end, abort.
 * Each event type of a line is its own series in the log, so (series, ts) stays the
 * idempotency key; the body keeps the whole normalised event for the energy operators.
 */
import type { LineInfo } from '../config/plant-index.js';
import type { LogRow } from '../store/log-writer.js';
import { batchEventSchema, type BatchEventPayload } from './payload-schemas.js';
import { rejectsFromZod } from './reject.js';
import { parseTimestamp, type TimestampWindow } from './timestamps.js';
import type { DecodeResult } from './decode-readings.js';

export const BATCH_EVENTS = ['start', 'phase', 'end', 'abort'] as const;
export type BatchEventType = (typeof BATCH_EVENTS)[number];

export function batchSeriesKey(line: LineInfo, event: BatchEventType): string {
  return `${line.path}/batch.${event}`;
}

export interface StoredBatchEvent extends Omit<BatchEventPayload, 'ts'> {
  ts: number;
  line: string;
}

export function decodeBatchEvent(
  doc: unknown,
  line: LineInfo,
  seriesOf: (event: BatchEventType) => number,
  win: TimestampWindow,
): DecodeResult {
  const parsed = batchEventSchema.safeParse(doc);
  if (!parsed.success) return { rows: [], rejects: rejectsFromZod(parsed.error, doc), total: 1 };
  const e = parsed.data;
  const ts = parseTimestamp(e.ts, 'ts', win);
  if (typeof ts !== 'number') return { rows: [], rejects: [ts], total: 1 };
  if (e.event === 'phase' && !e.phase) {
    return {
      rows: [],
      rejects: [
        {
          code: 'PP_ERR_SCHEMA',
          field: 'phase',
          message: 'phase: missing; a "phase" event names its phase (e.g. "heat")',
        },
      ],
      total: 1,
    };
  }
  const stored: StoredBatchEvent = { ...e, ts, line: line.path };
  const row: LogRow = {
    series: seriesOf(e.event),
    ts,
    value: e.quantity ?? null,
    quality: 0,
    body: Buffer.from(JSON.stringify(stored)),
  };
  return { rows: [row], rejects: [], total: 1 };
}
