/**
 * Vibration waveform blocks: {"ts", "rate" (Hz), "samples": [...], "unit"?}. Stored as one log
 * row whose value is the block RMS (canonical unit, m/s²) and whose body is the samples:
 *   body = Float64LE sample rate, then Float32LE samples (converted to m/s²).
 * Float32 keeps 24 bits of mantissa, far more than any accelerometer ADC delivers.
 */
import type { SensorInfo } from '../config/plant-index.js';
import { converterFor } from '../config/units.js';
import type { LogRow } from '../store/log-writer.js';
import { QUALITY_CODE, waveformSchema } from './payload-schemas.js';
import { rejectsFromZod, type Reject } from './reject.js';
import { parseTimestamp, sensorWindow, type TimestampWindow } from './timestamps.js';
import type { DecodeResult } from './decode-readings.js';

const FLOAT32_MAX = 3.4028234663852886e38;

export function encodeWaveformBody(rate: number, samples: ArrayLike<number>): Buffer {
  const buf = Buffer.allocUnsafe(8 + samples.length * 4);
  buf.writeDoubleLE(rate, 0);
  for (let i = 0; i < samples.length; i++) buf.writeFloatLE(samples[i]!, 8 + i * 4);
  return buf;
}

export function decodeWaveformBody(body: Buffer): { rate: number; samples: Float32Array } {
  const rate = body.readDoubleLE(0);
  const n = (body.length - 8) / 4;
  const samples = new Float32Array(n);
  for (let i = 0; i < n; i++) samples[i] = body.readFloatLE(8 + i * 4);
  return { rate, samples };
}

export function decodeWaveform(
  doc: unknown,
  sensor: SensorInfo,
  series: number,
  win: TimestampWindow,
): DecodeResult {
  const parsed = waveformSchema.safeParse(doc);
  if (!parsed.success) return { rows: [], rejects: rejectsFromZod(parsed.error, doc), total: 1 };
  const w = parsed.data;
  const ts = parseTimestamp(w.ts, 'ts', sensorWindow(sensor, win));
  if (typeof ts !== 'number') return { rows: [], rejects: [ts], total: 1 };

  const convert = w.unit === undefined ? sensor.toCanonical : converterFor(sensor.kind, w.unit);
  if (!convert) {
    const reject: Reject = {
      code: 'PP_ERR_UNIT',
      field: 'unit',
      message: `unit: "${w.unit}" does not measure acceleration (sensor ${sensor.path} is declared in ${sensor.declaredUnit})`,
    };
    return { rows: [], rejects: [reject], total: 1 };
  }
  const expected = sensor.config.sampleRate;
  if (expected !== undefined && Math.abs(w.rate - expected) > expected * 0.01) {
    const reject: Reject = {
      code: 'PP_ERR_SCHEMA',
      field: 'rate',
      message: `rate: ${w.rate} Hz differs from the ${expected} Hz configured for ${sensor.path}`,
    };
    return { rows: [], rejects: [reject], total: 1 };
  }
  const samples = new Float32Array(w.samples.length);
  let sumSq = 0;
  const range = sensor.range;
  for (let i = 0; i < w.samples.length; i++) {
    const v = convert(w.samples[i]!);
    if (!(Math.abs(v) <= FLOAT32_MAX)) {
      return {
        rows: [],
        rejects: [
          {
            code: 'PP_ERR_NOT_FINITE',
            field: `samples[${i}]`,
            message: `samples[${i}]: ${w.samples[i]} does not fit a 32-bit sample`,
          },
        ],
        total: 1,
      };
    }
    if (range && (v < range[0] || v > range[1])) {
      const [lo, hi] = sensor.config.range!;
      return {
        rows: [],
        rejects: [
          {
            code: 'PP_ERR_OUT_OF_RANGE',
            field: `samples[${i}]`,
            message: `samples[${i}]: ${w.samples[i]} ${w.unit ?? sensor.declaredUnit} is outside the valid range [${lo}, ${hi}] ${sensor.declaredUnit} of ${sensor.path}`,
          },
        ],
        total: 1,
      };
    }
    samples[i] = v;
    sumSq += v * v;
  }
  const rms = Math.sqrt(sumSq / samples.length);
  const row: LogRow = {
    series,
    ts,
    value: rms,
    quality: w.q === undefined ? 0 : QUALITY_CODE[String(w.q)]!,
    body: encodeWaveformBody(w.rate, samples),
  };
  return { rows: [row], rejects: [], total: 1 };
}
