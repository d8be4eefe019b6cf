/**
 * Per-sensor messages: one sensor's readings in a time window as one MQTT message (a JSON object
 * for a single reading, an array for more), or one waveform block. Timestamps carry the device's
 * clock skew, since a device stamps readings with its own clock.
 */
import type { SensorSource } from './sensors.js';
import { readingAt } from './sensors.js';
import type { SimMessage } from './stream.js';

/** The message for readings in [start, end), or undefined when the window has none to publish. */
export function windowMessage(
  src: SensorSource,
  start: number,
  end: number,
  batch: number,
): SimMessage | undefined {
  return src.waveform ? waveformMessage(src, start) : readingsMessage(src, start, end, batch);
}

function waveformMessage(src: SensorSource, start: number): SimMessage | undefined {
  if (start < src.minTs || !src.waveform) return undefined;
  const w = src.waveform(start);
  const ts = start + src.skewMs;
  return {
    type: 'message',
    topic: src.info.topic,
    device: src.device,
    payload: `{"ts":${ts},"rate":${w.rate},"samples":[${w.samples.join(',')}]}`,
    at: ts,
    readings: 1,
    class: 'waveform',
  };
}

function readingsMessage(
  src: SensorSource,
  start: number,
  end: number,
  batch: number,
): SimMessage | undefined {
  const parts: string[] = [];
  let at = 0;
  for (let t = start; t < end; t += src.intervalMs) {
    if (t < src.minTs) continue;
    const v = readingAt(src, t);
    if (v === undefined) continue;
    at = t + src.skewMs;
    parts.push(`{"ts":${at},"v":${v}}`);
  }
  if (parts.length === 0) return undefined;
  // Single-reading messages stay plain objects, as a device publishing one reading sends them.
  const payload = batch === 1 && parts.length === 1 ? parts[0]! : `[${parts.join(',')}]`;
  return {
    type: 'message',
    topic: src.info.topic,
    device: src.device,
    payload,
    at,
    readings: parts.length,
    class: 'reading',
  };
}
