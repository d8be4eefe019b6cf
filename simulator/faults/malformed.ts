/**
 * Deliberately malformed messages, one defect each, so the dead-letter path can be checked one
 * for one: every message here must produce exactly one dead-letter record and no reading.
 */
import type { SensorInfo } from '../../config/plant-index.js';
import { fill } from '../../config/plant-index.js';
import type { Rng } from '../prng.js';

export const MALFORMED_KINDS = [
  'invalid_json',
  'value_not_number',
  'missing_ts',
  'out_of_range',
  'unknown_unit',
  'far_future',
  'epoch_seconds',
  'unknown_sensor',
  'empty_array',
  'unknown_field',
] as const;
export type MalformedKind = (typeof MALFORMED_KINDS)[number];

export interface MalformedMessage {
  at: number;
  kind: MalformedKind;
  topic: string;
  device: string | undefined;
  payload: string;
}

/** 2100-01-01: beyond any future-skew window, whenever the stream is ingested. */
const FAR_FUTURE = 4_102_444_800_000;

export function planMalformed(
  sensors: SensorInfo[],
  topicTemplate: string,
  from: number,
  to: number,
  count: number,
  rng: Rng,
): MalformedMessage[] {
  // Scalar sensors that a device can publish; the range kind needs a declared range.
  const pool = sensors.filter((s) => s.kind !== 'waveform');
  const out: MalformedMessage[] = [];
  if (pool.length === 0) return out;
  for (let i = 0; i < count; i++) {
    const kind = MALFORMED_KINDS[i % MALFORMED_KINDS.length]!;
    const at = Math.floor(from + ((i + 0.5) / count) * (to - from));
    let s = rng.pick(pool);
    if (kind === 'out_of_range') s = pool.find((p) => p.config.range) ?? s;
    let topic = s.topic;
    let payload: string;
    switch (kind) {
      case 'invalid_json':
        payload = `{"ts":${at},"v":`;
        break;
      case 'value_not_number':
        payload = JSON.stringify({ ts: at, v: 'twelve' });
        break;
      case 'missing_ts':
        payload = JSON.stringify({ v: 1.5 });
        break;
      case 'out_of_range':
        payload = s.config.range
          ? JSON.stringify({ ts: at, v: s.config.range[1] * 10 + 100 })
          : JSON.stringify({ ts: at, v: 1, unit: 'furlong' });
        break;
      case 'unknown_unit':
        payload = JSON.stringify({ ts: at, v: 1, unit: 'furlong' });
        break;
      case 'far_future':
        payload = JSON.stringify({ ts: FAR_FUTURE, v: 1 });
        break;
      case 'epoch_seconds':
        payload = JSON.stringify({ ts: Math.floor(at / 1000), v: 1 });
        break;
      case 'unknown_sensor':
        // Under the device's own prefix, so the ACL passes and ingest names the missing sensor.
        topic = fill(topicTemplate, {
          site: s.site,
          line: s.line,
          machine: s.machine,
          sensor: 'no-such-sensor',
        });
        payload = JSON.stringify({ ts: at, v: 1 });
        break;
      case 'empty_array':
        payload = '[]';
        break;
      case 'unknown_field':
        payload = JSON.stringify({ ts: at, v: 1, value: 1 });
        break;
    }
    out.push({ at, kind, topic, device: s.device, payload });
  }
  return out;
}
