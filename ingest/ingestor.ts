/**
 * One MQTT PUBLISH in, log rows and at most one dead-letter record out. Pure with respect to
 * the network and the database: the broker hook hands it a message and submits the outcome to
 * the log writer, so it can be tested and benchmarked on its own.
 */
import type { LineInfo, PlantIndex, SensorInfo } from '../config/plant-index.js';
import type { DeadLetterRow, LogRow } from '../store/log-writer.js';
import type { SeriesRegistry } from '../store/series.js';
import type { ErrorCode } from '../runtime/errors.js';
import {
  BATCH_EVENTS,
  batchSeriesKey,
  decodeBatchEvent,
  type BatchEventType,
} from './decode-batch-event.js';
import { decodeReadings, type DecodeResult } from './decode-readings.js';
import { decodeWaveform } from './decode-waveform.js';
import { NON_FINITE_MARK, type Reject } from './reject.js';

export interface IngestOptions {
  maxPayloadBytes: number;
  maxFutureSkewMs: number;
  deadLetterPayloadCap: number;
}

export interface IngestOutcome {
  rows: LogRow[];
  deadLetter: DeadLetterRow | null;
  /** Readings (or events) the message carried, and how many of them were rejected. */
  total: number;
  rejected: number;
  /** Codes of the rejects, for metrics. */
  rejectCodes: ErrorCode[];
}

type Target =
  | { type: 'sensor'; sensor: SensorInfo; series: number }
  | { type: 'line'; line: LineInfo; series: Record<BatchEventType, number> };

const MAX_LISTED_REJECTS = 5;

export class Ingestor {
  private readonly targets = new Map<string, Target>();

  constructor(
    private readonly index: PlantIndex,
    seriesRegistry: SeriesRegistry,
    private readonly opts: IngestOptions,
    private readonly clock: () => number = Date.now,
  ) {
    for (const sensor of index.sensors) {
      const series = seriesRegistry.ensure(sensor.path, sensor.kind, sensor.canonicalUnit);
      this.targets.set(sensor.topic, { type: 'sensor', sensor, series });
    }
    for (const line of index.lines) {
      const series = Object.fromEntries(
        BATCH_EVENTS.map((e) => [
          e,
          seriesRegistry.ensure(batchSeriesKey(line, e), 'batch_event', '1'),
        ]),
      ) as Record<BatchEventType, number>;
      this.targets.set(line.batchTopic, { type: 'line', line, series });
    }
  }

  handle(topic: string, payload: Buffer, clientId: string | null): IngestOutcome {
    const target = this.targets.get(topic);
    if (!target) {
      return this.rejectWhole(topic, payload, clientId, {
        code: 'PP_ERR_UNKNOWN_SENSOR',
        field: null,
        message: `topic "${topic}" names no sensor or batch topic in the plant model (readings go to ${this.index.model.mqtt.topicTemplate})`,
      });
    }
    if (payload.length > this.opts.maxPayloadBytes) {
      return this.rejectWhole(topic, payload, clientId, {
        code: 'PP_ERR_PAYLOAD_TOO_LARGE',
        field: null,
        message: `payload is ${payload.length} bytes; the limit is ${this.opts.maxPayloadBytes} (ingest.maxPayloadBytes)`,
      });
    }
    let doc: unknown;
    const text = payload.toString('utf8');
    try {
      doc = JSON.parse(text);
    } catch (err) {
      // Devices written in C or Python often print NaN/Infinity, which JSON lacks. Parse again
      // with those tokens marked, so each becomes PP_ERR_NOT_FINITE at its own path and the good
      // readings of an array are kept.
      const marked = markNonFinite(text);
      try {
        if (marked === undefined) throw err;
        doc = JSON.parse(marked);
      } catch {
        return this.rejectWhole(topic, payload, clientId, {
          code: 'PP_ERR_MALFORMED_JSON',
          field: null,
          message: `payload is not valid JSON: ${(err as Error).message}`,
        });
      }
    }
    const now = this.clock();
    const win = {
      now,
      maxFutureSkewMs: this.opts.maxFutureSkewMs,
      earliestMs: this.index.earliestMs,
    };
    let result: DecodeResult;
    if (target.type === 'line') {
      result = decodeBatchEvent(doc, target.line, (e) => target.series[e], win);
    } else if (target.sensor.kind === 'waveform') {
      result = decodeWaveform(doc, target.sensor, target.series, win);
    } else {
      result = decodeReadings(doc, target.sensor, target.series, win);
    }
    if (result.rejects.length === 0) {
      return {
        rows: result.rows,
        deadLetter: null,
        total: result.total,
        rejected: 0,
        rejectCodes: [],
      };
    }
    const rejected = Math.max(result.total - result.rows.length, 1);
    return {
      rows: result.rows,
      deadLetter: this.deadLetter(topic, payload, clientId, result.rejects, result.total, rejected),
      total: result.total,
      rejected,
      rejectCodes: result.rejects.map((r) => r.code),
    };
  }

  /** A publish the ACL refused is kept too (C5), with the device that tried it. */
  aclDenied(
    topic: string,
    payload: Buffer,
    clientId: string | null,
    device: string | null,
    allowed: string | undefined,
  ): DeadLetterRow {
    const message = device
      ? `device "${device}" may publish only under "${allowed ?? '(no prefix configured)'}/" where no more specific device prefix applies; "${topic}" belongs to ${this.index.ownerOf(topic) ? `device "${this.index.ownerOf(topic)}"` : 'no device'}`
      : `anonymous clients may not publish; connect with a device id and secret`;
    return this.deadLetter(
      topic,
      payload,
      clientId,
      [{ code: 'PP_ERR_ACL_DENIED', field: null, message }],
      1,
      1,
    );
  }

  private rejectWhole(
    topic: string,
    payload: Buffer,
    clientId: string | null,
    reject: Reject,
  ): IngestOutcome {
    return {
      rows: [],
      deadLetter: this.deadLetter(topic, payload, clientId, [reject], 1, 1),
      total: 1,
      rejected: 1,
      rejectCodes: [reject.code],
    };
  }

  private deadLetter(
    topic: string,
    payload: Buffer,
    clientId: string | null,
    rejects: Reject[],
    total: number,
    rejected: number,
  ): DeadLetterRow {
    const first = rejects[0]!;
    const listed = rejects
      .slice(0, MAX_LISTED_REJECTS)
      .map((r) => r.message)
      .join('; ');
    const more =
      rejects.length > MAX_LISTED_REJECTS
        ? `; and ${rejects.length - MAX_LISTED_REJECTS} more`
        : '';
    const reason =
      total > 1
        ? `${rejected} of ${total} readings rejected: ${listed}${more}`
        : `${listed}${more}`;
    const cap = this.opts.deadLetterPayloadCap;
    return {
      topic,
      clientId,
      code: first.code,
      field: first.field,
      reason,
      payload: payload.length > cap ? Buffer.from(payload.subarray(0, cap)) : payload,
      payloadSize: payload.length,
    };
  }
}

/**
 * Replaces bare NaN, Infinity and -Infinity tokens (outside strings) with marker strings that
 * `rejectsFromZod` reports as not finite; undefined when the text has none.
 */
function markNonFinite(text: string): string | undefined {
  if (!/NaN|Infinity/.test(text)) return undefined;
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      out += c;
      if (c === '\\') out += text[++i] ?? '';
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') {
      inString = true;
      out += c;
      continue;
    }
    const token = /^-?(?:NaN|Infinity)/.exec(text.slice(i, i + 9))?.[0];
    if (token) {
      out += JSON.stringify(NON_FINITE_MARK + token);
      i += token.length - 1;
      continue;
    }
    out += c;
  }
  return out;
}
